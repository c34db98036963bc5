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


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """The hardening suites' figures (examples tried, faults injected, interactions held)."""
    from tests.figures import summary

    lines = summary()
    if lines:
        terminalreporter.section("hardening figures")
        for line in lines:
            terminalreporter.line(line)
