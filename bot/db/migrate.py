"""Alembic, driven from code: migrations are applied at start and by `python -m bot db upgrade`.

The revisions in `migrations/versions` form one linear chain with a single head, starting at the
baseline, 0007 (see `migrations/README.md`). A new revision is started with
`python -m bot.db.migrate new "what it does"`, which numbers it after the head.

The baseline replaced revisions 0001 to 0004 and 0007, with which 0002, 0003 and 0004 each
followed 0001 and 0007 followed 0003; the bot upgraded to all three heads, so such a database
records the rows 0002, 0004 and 0007 in `alembic_version` and has exactly the baseline's schema.
`upgrade` first turns those rows into the baseline's one, then upgrades as usual. A database
that recorded only some of those revisions is refused (`MigrationError`): the baseline cannot
bring it forward.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.db.engine import hold_write_lock
from bot.db.revision import MIGRATIONS as MIGRATIONS
from bot.db.revision import current_revision as current_revision
from bot.db.revision import recorded_revisions

# The revision the chain starts at, which replaced revisions 0001 to 0004 and 0007. Frozen: the
# ids describe databases that exist, and 0001 to 0006 are never used again.
BASELINE = "0007"
SQUASHED = frozenset({"0001", "0002", "0003", "0004", "0007"})
# What a database those revisions had upgraded to all their heads records: the baseline's schema.
SQUASHED_HEADS = frozenset({"0002", "0004", "0007"})


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


def baseline_row(recorded: Iterable[str]) -> str | None:
    """The one row that replaces the `recorded` rows of `alembic_version`, if any do.

    None when there is nothing to replace: a new database, or one on the chain already.
    Raises MigrationError for rows of the squashed revisions that are not all their heads
    (e.g. 0002, 0003 and 0004, from before 0007): the baseline would not bring them forward.
    """
    rows = frozenset(recorded)
    if rows == SQUASHED_HEADS:
        return BASELINE
    if rows & (SQUASHED - {BASELINE}):
        raise MigrationError(
            f"the database records revisions {', '.join(sorted(rows))}, older than the "
            f"migrations baseline ({BASELINE}), which cannot upgrade it. Upgrade it first with a "
            "Nexus from before the baseline (it brings it to 0002, 0004 and 0007), then start "
            "this one; or restore a backup taken at those revisions"
        )
    return None


def _join_the_baseline(connection: Connection) -> None:
    """Replace the rows of a database at the heads of the squashed revisions by the baseline."""
    row = baseline_row(recorded_revisions(connection))
    if row is None:
        return
    connection.execute(text("DELETE FROM alembic_version"))
    connection.execute(
        text("INSERT INTO alembic_version (version_num) VALUES (:revision)"), {"revision": row}
    )


def upgrade_connection(
    connection: Connection, revision: str = "head", migrations: Path = MIGRATIONS
) -> None:
    """Upgrade the database behind `connection` to `revision`, in its transaction."""
    _join_the_baseline(connection)
    command.upgrade(alembic_config(connection, migrations), revision)


async def upgrade(engine: AsyncEngine, revision: str = "head") -> None:
    """Upgrade the database behind `engine` to `revision`, all in one transaction."""
    async with engine.begin() as conn:
        await hold_write_lock(conn)  # several processes may start on a fresh database at once
        await conn.run_sync(upgrade_connection, revision)


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
