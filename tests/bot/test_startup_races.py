"""Start-up races: several processes upgrading the same fresh database, and two bots starting
together on it, all come up; nobody dies on a half-made schema or a duplicate learning. On a
SQLite file and on a PostgreSQL database alike."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.db.engine import Database
from bot.db.migrate import current_revision, head_revision
from bot.db.models import Entry
from localdiscord.emulator import FakeDiscord
from tests.harness import bot_settings, start_bot, stop_bot
from tests.helpers import REPO
from tests.postgres import PostgresDatabases

UPGRADERS = 5


KINDS = ["sqlite", "postgresql"]


@asynccontextmanager
async def fresh_database(
    kind: str, request: pytest.FixtureRequest, folder: Path
) -> AsyncIterator[str]:
    """The URL of a database nothing was ever written to: a new SQLite file, or a new, empty
    PostgreSQL database on the tests' server."""
    if kind == "sqlite":
        yield f"sqlite+aiosqlite:///{folder / 'nexus.db'}"
        return
    databases: PostgresDatabases = request.getfixturevalue("postgres")
    async with databases.empty() as url:
        yield url


def upgrade_process(url: str) -> subprocess.Popen[str]:
    env = {**os.environ, "DATABASE_URL": url}
    env["CONTENT_DIR"] = str(REPO / "content")
    return subprocess.Popen(
        [sys.executable, "-m", "bot", "db", "upgrade"],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.finding("12 start-up races")
@pytest.mark.parametrize("kind", KINDS)
async def test_several_upgrades_at_once_all_succeed(
    kind: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    async with fresh_database(kind, request, tmp_path) as url:
        running = [upgrade_process(url) for _ in range(UPGRADERS)]
        results = [
            (*await asyncio.to_thread(process.communicate, timeout=120), process.returncode)
            for process in running
        ]
        failed = [(out, err) for out, err, code in results if code != 0]
        assert failed == []
        expected = f"database at revision {head_revision()}"
        assert all(out.strip() == expected for out, _, _ in results)


@pytest.mark.finding("12 start-up races")
@pytest.mark.parametrize("kind", KINDS)
async def test_two_bots_starting_together_on_a_fresh_database_both_come_up(
    kind: str, request: pytest.FixtureRequest, tmp_path: Path, fake: FakeDiscord
) -> None:
    async with fresh_database(kind, request, tmp_path) as url:
        settings = bot_settings(fake, tmp_path, database_url=url)
        started = await asyncio.gather(
            start_bot(fake, settings),
            start_bot(fake, replace(settings, health_file=tmp_path / "heartbeat-2")),
            return_exceptions=True,
        )
        try:
            assert [s for s in started if isinstance(s, BaseException)] == []
        finally:
            for bot_and_task in started:
                if not isinstance(bot_and_task, BaseException):
                    await stop_bot(*bot_and_task)
        db = Database(url)
        try:
            assert await current_revision(db.engine) == head_revision()
            async with db.read() as session:
                entries = await session.scalar(select(func.count(Entry.id)))
            assert entries is not None
            assert entries > 200
        finally:
            await db.close()
