"""Alembic, driven from code: migrations are applied at start and by `python -m bot db upgrade`.

The revisions in `migrations/versions` form one linear chain with a single head (see
`migrations/README.md`). A new revision is started with `python -m bot.db.migrate new "what it
does"`, which numbers it after the head.

Before the chain was linear, 0002, 0003 and 0004 each followed 0001 and 0007 followed 0003, and
the bot upgraded to all three heads: such a database records one row per branch in
`alembic_version` (e.g. 0002, 0004 and 0007). `upgrade` first turns those rows into the one
revision of the chain that has exactly the same migrations applied, then upgrades as usual.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

MIGRATIONS = Path(__file__).with_name("migrations")

# The branched graph every database created before the chain was linear was built with:
# each revision and the one it followed. Frozen: it describes databases that exist.
BRANCHED_GRAPH: dict[str, str | None] = {
    "0001": None,
    "0002": "0001",
    "0003": "0001",
    "0004": "0001",
    "0007": "0003",
}


class MigrationError(RuntimeError):
    """The database or the revisions are not where the one linear chain expects them."""


def alembic_config(connection: Connection | None = None, migrations: Path = MIGRATIONS) -> Config:
    """The Alembic configuration for the migrations in `migrations`, run on `connection`."""
    cfg = Config()
    cfg.set_main_option("script_location", str(migrations))
    cfg.set_main_option("file_template", "%%(rev)s_%%(slug)s")
    cfg.attributes["connection"] = connection
    return cfg


def chain(migrations: Path = MIGRATIONS) -> list[str]:
    """The revisions from the first to the head, in the order they are applied."""
    script = ScriptDirectory.from_config(alembic_config(migrations=migrations))
    return [rev.revision for rev in reversed(list(script.walk_revisions()))]


def linear_position(recorded: Iterable[str], order: Sequence[str]) -> str:
    """The revision of the chain `order` that has exactly the migrations `recorded` implies.

    `recorded` are the rows of a database built with the branched graph (BRANCHED_GRAPH).
    Raises MigrationError when they imply a set of migrations that is not a start of the
    chain (e.g. 0004 without 0002 and 0003), which upgrading the old graph never produced.
    """
    applied: set[str] = set()
    for revision in recorded:
        step: str | None = revision
        while step is not None:
            if step not in BRANCHED_GRAPH:
                raise MigrationError(f"revision {revision} is not one of the branched graph")
            applied.add(step)
            step = BRANCHED_GRAPH[step]
    start = []
    for revision in order:
        if revision not in applied:
            break
        start.append(revision)
    if not start or set(start) != applied:
        raise MigrationError(
            f"the database records revisions {', '.join(sorted(recorded))}: their migrations "
            "are not a start of the linear chain; restore a backup taken before them"
        )
    return start[-1]


def _join_the_chain(connection: Connection, migrations: Path) -> None:
    """Replace the rows of a database at several heads of the branched graph by one revision."""
    recorded = MigrationContext.configure(connection).get_current_heads()
    if len(recorded) < 2:
        return  # a new database, or one on the chain already
    position = linear_position(recorded, chain(migrations))
    connection.execute(text("DELETE FROM alembic_version"))
    connection.execute(
        text("INSERT INTO alembic_version (version_num) VALUES (:revision)"),
        {"revision": position},
    )


def upgrade_connection(
    connection: Connection, revision: str = "head", migrations: Path = MIGRATIONS
) -> None:
    """Upgrade the database behind `connection` to `revision`, in its transaction."""
    _join_the_chain(connection, migrations)
    command.upgrade(alembic_config(connection, migrations), revision)


async def upgrade(engine: AsyncEngine, revision: str = "head") -> None:
    """Upgrade the database behind `engine` to `revision`, all in one transaction."""
    async with engine.begin() as conn:
        await conn.run_sync(upgrade_connection, revision)


async def current_revision(engine: AsyncEngine) -> str | None:
    """The revision the database is at, e.g. "0002" (None before the first migration).

    A database not yet upgraded from the branched graph shows its rows joined: "0002+0004+0007".
    """
    async with engine.connect() as conn:
        heads = await conn.run_sync(lambda c: MigrationContext.configure(c).get_current_heads())
    return "+".join(sorted(heads)) or None


def head_revision() -> str | None:
    """The newest revision the code knows, in the same form as `current_revision`."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def next_revision_id(migrations: Path = MIGRATIONS) -> str:
    """The number a new revision takes: one more than the highest one, four digits."""
    numbers = [int(r) for r in chain(migrations) if re.fullmatch(r"\d+", r)]
    return f"{max(numbers, default=0) + 1:04d}"


def new_revision(
    message: str, *, autogenerate: bool = False, migrations: Path = MIGRATIONS
) -> Path:
    """Write a new revision after the head; the path of its file.

    With `autogenerate`, the upgrade is drafted from the difference between the models and a
    scratch database upgraded to the head (full-text tables are left out: write those by hand).
    """
    rev_id = next_revision_id(migrations)
    if not autogenerate:
        script = command.revision(alembic_config(None, migrations), message, rev_id=rev_id)
    else:
        engine = create_engine("sqlite://")
        try:
            with engine.begin() as connection:
                upgrade_connection(connection, "head", migrations)
                script = command.revision(
                    alembic_config(connection, migrations),
                    message,
                    autogenerate=True,
                    rev_id=rev_id,
                )
        finally:
            engine.dispose()
    if script is None or isinstance(script, list):  # only with several branches or heads
        raise MigrationError("the migrations have more than one head")
    return Path(script.path)


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m bot.db.migrate new "what it does" [--autogenerate]`: start a new revision."""
    parser = argparse.ArgumentParser(prog="python -m bot.db.migrate")
    commands = parser.add_subparsers(dest="command", required=True)
    new = commands.add_parser("new", help="write the next revision, after the head")
    new.add_argument("message", help='what the revision does, e.g. "qa votes"')
    new.add_argument(
        "--autogenerate", action="store_true", help="draft it from the models' difference"
    )
    args = parser.parse_args(argv)
    path = new_revision(args.message, autogenerate=args.autogenerate)
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
