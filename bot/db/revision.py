"""The schema's revision, read without Alembic: what a database records, and the newest one
the code has. A start on a database already at the head skips Alembic altogether (importing
it and reading its scripts cost a third of a second and ~12 MB that the running bot never
uses); anything else goes through `bot.db.migrate`.
"""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

MIGRATIONS = Path(__file__).with_name("migrations")
# Revision files are `<id>_<slug>.py`, numbered in chain order (`bot.db.migrate` writes them so,
# and tests/db/test_migrations.py holds every file to it): the head is the highest number.
REVISION_FILE_RE = re.compile(r"(\d+)_\w+\.py")


def code_head(migrations: Path = MIGRATIONS) -> str | None:
    """The newest revision the code has (None without any)."""
    ids = (
        m.group(1)
        for p in (migrations / "versions").iterdir()
        if (m := REVISION_FILE_RE.fullmatch(p.name))
    )
    return max(ids, key=int, default=None)


def recorded_revisions(connection: Connection) -> tuple[str, ...]:
    """The rows of `alembic_version`, sorted (none before the first migration)."""
    if not inspect(connection).has_table("alembic_version"):
        return ()
    rows = connection.execute(text("SELECT version_num FROM alembic_version"))
    return tuple(sorted(rows.scalars()))


async def current_revision(engine: AsyncEngine) -> str | None:
    """The revision the database is at, e.g. "0007" (None before the first migration).

    A database not yet joined to the baseline shows its rows joined: "0002+0004+0007".
    """
    async with engine.connect() as conn:
        heads = await conn.run_sync(recorded_revisions)
    return "+".join(heads) or None


async def at_code_head(engine: AsyncEngine) -> bool:
    """True when the database records exactly the code's newest revision: nothing to apply."""
    return await current_revision(engine) == code_head()
