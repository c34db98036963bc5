from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.db.engine import Database


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    """A migrated database in a real SQLite file."""
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'nexus.db'}")
    await database.upgrade()
    yield database
    await database.close()
