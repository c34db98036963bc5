"""Start-up races: several processes upgrading the same fresh database, and two bots starting
together on it, all come up; nobody dies on a half-made schema or a duplicate learning."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.db.engine import Database
from bot.db.migrate import current_revision, head_revision
from bot.db.models import Entry
from localdiscord.emulator import FakeDiscord
from tests.harness import bot_settings, start_bot, stop_bot
from tests.helpers import REPO

UPGRADERS = 5


def upgrade_process(database: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "DATABASE_URL": f"sqlite+aiosqlite:///{database}"}
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
def test_several_upgrades_at_once_all_succeed(tmp_path: Path) -> None:
    database = tmp_path / "nexus.db"
    running = [upgrade_process(database) for _ in range(UPGRADERS)]
    results = [(*process.communicate(timeout=120), process.returncode) for process in running]
    failed = [(out, err) for out, err, code in results if code != 0]
    assert failed == []
    assert all(out.strip() == f"database at revision {head_revision()}" for out, _, _ in results)


@pytest.mark.finding("12 start-up races")
async def test_two_bots_starting_together_on_a_fresh_database_both_come_up(
    tmp_path: Path, fake: FakeDiscord
) -> None:
    settings = bot_settings(fake, tmp_path)
    started = await asyncio.gather(
        start_bot(fake, settings), start_bot(fake, settings), return_exceptions=True
    )
    try:
        assert [s for s in started if isinstance(s, BaseException)] == []
    finally:
        for bot_and_task in started:
            if not isinstance(bot_and_task, BaseException):
                await stop_bot(*bot_and_task)
    db = Database(settings.database_url)
    try:
        assert await current_revision(db.engine) == head_revision()
        async with db.read() as session:
            entries = await session.scalar(select(func.count(Entry.id)))
        assert entries is not None
        assert entries > 200
    finally:
        await db.close()
