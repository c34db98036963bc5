"""The database file deleted or replaced under a running bot, and restores while it runs.

SQLite keeps writing to the file it opened: after `rm nexus.db`, or a copy over it, the bot's
connections still write to the old, unlinked file and every answer says "posted" while nothing
reaches the file the next start reads. The bot must notice before it acknowledges a write.
"""

from __future__ import annotations

import logging
import shutil
from datetime import timedelta
from pathlib import Path

import pytest

from bot.__main__ import main
from bot.backup import backup_database
from tests.figures import report
from tests.harness import Harness

pytestmark = pytest.mark.sqlite  # the SQLite file itself: deleted, replaced, locked


def db_file(harness: Harness) -> Path:
    return Path(harness.settings.database_url.removeprefix("sqlite+aiosqlite:///"))


def error_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]


async def ask(harness: Harness, n: int) -> str:
    opened = await harness.fake.slash("ask", user="member")
    result = await opened.submit_modal(
        {
            "qa:input:title": f"How do I retry a failed Celery task, attempt {n}?",
            "qa:input:details": "My task calls a flaky API and I want it retried.",
            "qa:input:tags": "celery",
        }
    )
    assert result.errors == []
    assert result.ephemeral or "is posted" in (result.content or ""), result
    return result.content or ""


async def prepared(harness: Harness) -> None:
    qa_cog = next(cog for cog in harness.bot.cogs.values() if hasattr(cog, "qa"))
    qa_cog.qa.ask_cooldown = timedelta(0)
    await harness.fake.slash("qa setup", {"channel": "qa"}, user="admin")
    assert "is posted" in await ask(harness, 0)


def lose_the_file(path: Path, how: str, folder: Path) -> None:
    if how == "deleted":
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    else:  # an operator copies an older backup over the live file
        older = folder / "older.db"
        backup_database(path, older)
        shutil.copyfile(older, folder / "copy.db")
        (folder / "copy.db").replace(path)


@pytest.mark.parametrize("how", ["deleted", "replaced"])
@pytest.mark.finding("11 the database vanishes under a running bot")
async def test_writes_stop_when_the_database_file_goes(
    nexus: Harness, caplog: pytest.LogCaptureFixture, tmp_path: Path, how: str
) -> None:
    await prepared(nexus)
    path = db_file(nexus)
    posted = len(nexus.fake.channel_messages("qa"))
    lose_the_file(path, how, tmp_path)

    refusals = [await ask(nexus, n) for n in range(1, 4)]
    report("faults", database_file_lost=1, writes_refused_after_loss=len(refusals))
    for refused in refusals:
        assert "is posted" not in refused
        assert "database" in refused, refused
        assert "restart" in refused, refused
    assert len(nexus.fake.channel_messages("qa")) == posted, "nothing more was posted"
    errors = error_lines(caplog)
    assert len(errors) == 1, errors
    assert str(path) in errors[0]
    caplog.clear()

    # What lives in memory is still shown: the knowledge base answers.
    looked_up = await nexus.fake.slash("concept", {"name": "jwt"})
    assert looked_up.embeds
    assert error_lines(caplog) == []


@pytest.mark.finding("11 the database vanishes under a running bot")
async def test_restore_refuses_while_a_bot_holds_the_database(
    nexus: Harness, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    await prepared(nexus)
    path = db_file(nexus)
    backup = tmp_path / "before.db"
    backup_database(path, backup)
    before = path.stat().st_ino

    url = nexus.settings.database_url
    status = main(["restore", str(backup), "--force", "--database-url", url])
    said = capsys.readouterr().err
    assert status == 1
    assert "running bot" in said, said
    assert "stop it first" in said, said
    assert path.stat().st_ino == before, "the live file was left alone"
    assert "is posted" in await ask(nexus, 1), "the bot carries on"


@pytest.mark.finding("11 the database vanishes under a running bot")
async def test_the_heartbeat_notices_a_replaced_file_without_any_write(
    nexus: Harness, caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    health = nexus.settings.health_file
    await nexus.bot.heartbeat()
    assert health.exists(), "healthy while the file is the one opened"
    health.unlink()
    lose_the_file(db_file(nexus), "replaced", tmp_path)

    await nexus.bot.heartbeat()
    assert not health.exists(), "no heartbeat: the container's health check sees it"
    assert len(error_lines(caplog)) == 1
    caplog.clear()
    await nexus.bot.heartbeat()
    assert error_lines(caplog) == [], "said once"


async def test_the_search_upkeep_outlives_a_lost_file(
    nexus: Harness, caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    # The hourly merge of the search indexes writes: with the file gone it gives up for the
    # hour with a warning (the health check reports the file), and its loop keeps running.
    assert nexus.bot.search_upkeep.is_running()
    await nexus.bot.search_upkeep()  # nothing to merge: no error
    lose_the_file(db_file(nexus), "deleted", tmp_path)
    caplog.clear()
    await nexus.bot.search_upkeep()
    assert any("tidying the search indexes failed" in r.getMessage() for r in caplog.records)
    assert nexus.bot.search_upkeep.is_running()


def test_no_bot_starts_while_a_restore_holds_the_database(tmp_path: Path) -> None:
    from bot.db.file import DatabaseFile, DatabaseInUse, held_exclusively

    path = tmp_path / "nexus.db"
    with held_exclusively(path), pytest.raises(DatabaseInUse, match="restore"):
        DatabaseFile(path).claim()
    bot = DatabaseFile(path)
    bot.claim()  # the restore is over
    with pytest.raises(DatabaseInUse, match="running bot"), held_exclusively(path):
        pass
    bot.release()
    with held_exclusively(path):
        pass
