"""Faults: the process killed mid-write, Discord failing while the bot replies, the DB locked.

SIGKILL tests run a real child process on a real SQLite file; every write the child reports
("acknowledges") happened after its transaction committed, as a user's reply would.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event

from bot.db.engine import Database
from bot.learnings.sync import sync_content
from cogs.learnings.content import check_content
from localdiscord.emulator import FakeDiscord, InteractionResult, patched_discord
from tests.figures import report
from tests.harness import Harness, bot_settings, running_bot
from tests.helpers import CONTENT, REPO

CHILD_TIMEOUT = 20.0


def start_child(code: str, db_path: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(code), str(db_path), str(CONTENT)],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )


def acks_then_kill(child: subprocess.Popen[str], wanted: int) -> list[str]:
    """Read `wanted` acknowledgements, SIGKILL the child mid-work, return every ack it sent."""
    assert child.stdout is not None
    acks: list[str] = []
    deadline = time.monotonic() + CHILD_TIMEOUT
    while len(acks) < wanted:
        line = child.stdout.readline()
        if not line:
            _, err = child.communicate(timeout=5)
            raise AssertionError(f"the child stopped early: {err[-2000:]}")
        acks.append(line.strip())
        assert time.monotonic() < deadline, "the child is too slow"
    os.kill(child.pid, signal.SIGKILL)
    rest, _ = child.communicate(timeout=10)
    assert child.returncode == -signal.SIGKILL
    acks += [line for line in rest.splitlines() if line.strip()]
    return acks


def integrity(db_path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(db_path)
    assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    return conn


@pytest.fixture
async def migrated(tmp_path: Path) -> Path:
    path = tmp_path / "nexus.db"
    db = Database(f"sqlite+aiosqlite:///{path}")
    await db.upgrade()
    await db.close()
    return path


ASK_BURST = """
import asyncio, sys
from datetime import timedelta
from bot.db.engine import Database
from bot.qa.service import Actor, QaService, make_draft

async def main():
    db = Database(f"sqlite+aiosqlite:///{sys.argv[1]}")
    qa = QaService(db, ask_cooldown=timedelta(0), answer_cooldown=timedelta(0))
    n = 0
    while True:
        n += 1
        q = await qa.ask(1, Actor(1000 + n % 7), make_draft(
            f"Question number {n} about caching", "Details " * 40, "caching django"))
        await qa.answer(1, q.id, Actor(2000 + n % 5), f"Answer to {n}: use a cache.")
        print(q.id, flush=True)   # acknowledged: question and its answer are committed

asyncio.run(main())
"""


async def test_sigkill_during_a_burst_of_asks_loses_nothing_acknowledged(migrated: Path) -> None:
    child = start_child(ASK_BURST, migrated)
    acks = await asyncio.to_thread(acks_then_kill, child, 40)
    acknowledged = {int(a) for a in acks}
    report("faults", sigkills=1, acknowledged_writes_checked=len(acknowledged))
    conn = integrity(migrated)
    try:
        stored = {r[0] for r in conn.execute("SELECT id FROM qa_questions")}
        assert acknowledged <= stored, "an acknowledged question is missing"
        assert len(stored - acknowledged) <= 1, "at most the one in flight when killed"
        unanswered = conn.execute(
            "SELECT count(*) FROM qa_questions q WHERE NOT EXISTS "
            "(SELECT 1 FROM qa_answers a WHERE a.question_id = q.id)"
        ).fetchone()[0]
        assert unanswered <= 1, "only the question in flight may lack its answer"
        indexed = conn.execute("SELECT count(*) FROM qa_fts").fetchone()[0]
        assert indexed == len(stored), "the search index holds exactly the stored questions"
    finally:
        conn.close()
    # After the restart the database is usable: the next write goes through.
    db = Database(f"sqlite+aiosqlite:///{migrated}")
    try:
        await db.upgrade()
        from bot.qa.service import Actor, QaService, make_draft

        qa = QaService(db)
        after = await qa.ask(1, Actor(1), make_draft("A question after the crash", "x", ""))
        assert after.id > max(acknowledged)
    finally:
        await db.close()


CONTENT_SYNC = """
import asyncio, sys
from pathlib import Path
from bot.config import Settings
from cogs.learnings.content import check_content
from bot.learnings.sync import sync_content
from bot.db.engine import Database

async def main():
    db = Database(f"sqlite+aiosqlite:///{sys.argv[1]}")
    everything = check_content(Path(sys.argv[2])).learnings
    half = everything[::2]
    n = 0
    while True:
        n += 1
        wanted = everything if n % 2 else half
        await sync_content(db, wanted)
        print(len(wanted), flush=True)   # this sync is committed

asyncio.run(main())
"""


async def test_sigkill_during_content_sync_leaves_one_whole_version(migrated: Path) -> None:
    everything = check_content(CONTENT).learnings
    child = start_child(CONTENT_SYNC, migrated)
    syncs = await asyncio.to_thread(acks_then_kill, child, 9)
    report("faults", sigkills=1, acknowledged_writes_checked=len(syncs))
    conn = integrity(migrated)
    try:
        slugs = {r[0] for r in conn.execute("SELECT slug FROM entries")}
        indexed = conn.execute("SELECT count(*) FROM entries_fts").fetchone()[0]
    finally:
        conn.close()
    whole = {e.slug for e in everything}
    half = {e.slug for e in everything[::2]}
    assert slugs in (whole, half), "never a half-done sync"
    assert indexed == len(slugs), "the full-text index matches the entries"
    db = Database(f"sqlite+aiosqlite:///{migrated}")
    try:
        await sync_content(db, everything)
        again = await sync_content(db, everything)
        assert not again.changed, "a sync after the crash converges"
    finally:
        await db.close()


# -- Discord failing while the bot replies ---------------------------------------------------

CALLBACK = r"/interactions/\d+/[^/]+/callback"


@pytest.fixture
async def running(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> AsyncIterator[Harness]:
    """The real bot on the emulator (as the end-to-end tests run it), for fault injection."""
    caplog.set_level(logging.WARNING)
    async with FakeDiscord() as fake, patched_discord(fake):
        async with running_bot(fake, bot_settings(fake, tmp_path)) as harness:
            yield harness
        assert fake.unknown_requests == []
        logged = "\n".join(r.getMessage() for r in caplog.records)
        assert fake.token not in logged


def error_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]


@pytest.mark.parametrize("status", [429, 500])
async def test_transient_discord_errors_are_retried(
    running: Harness, caplog: pytest.LogCaptureFixture, status: int
) -> None:
    fake = running.fake
    fault = fake.fail_next("POST", CALLBACK, status)
    result = await fake.slash("concept", {"name": "jwt"})
    assert fault.remaining == 0, "the fault was injected"
    assert result.errors == []
    assert result.embeds, "the answer arrived after the retry"
    assert "JWT" in result.embeds[0]["title"]
    assert error_lines(caplog) == []


@pytest.mark.parametrize("status", [403, 404])
async def test_refused_replies_are_logged_once_and_the_bot_carries_on(
    running: Harness, caplog: pytest.LogCaptureFixture, status: int
) -> None:
    fake = running.fake
    fault = fake.fail_next("POST", CALLBACK, status)
    failed = await fake.slash("concept", {"name": "jwt"})
    assert fault.remaining == 0
    assert failed.errors == []
    # The user sees a polite message with an incident id, never a traceback.
    assert failed.ephemeral
    assert "Incident `" in (failed.content or "")
    assert "Traceback" not in (failed.content or "")
    errors = error_lines(caplog)
    assert len(errors) == 1, errors
    assert errors[0].startswith("incident ")
    assert "command=concept" in errors[0]
    caplog.clear()
    again = await fake.slash("concept", {"name": "jwt"})
    assert again.embeds, "the next command is answered normally"
    assert error_lines(caplog) == []


# -- the database locked by another writer ---------------------------------------------------


def hold_write_lock(path: Path) -> sqlite3.Connection:
    """Another process-alike writer holding SQLite's write lock (an open write transaction)."""
    report("faults", write_locks_held=1)
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    conn.execute("BEGIN IMMEDIATE")
    conn.execute("INSERT INTO bot_state (key, value, updated_at) VALUES ('lock', 'x', 'now')")
    return conn


def db_path(harness: Harness) -> Path:
    return Path(harness.settings.database_url.removeprefix("sqlite+aiosqlite:///"))


async def test_a_short_lock_is_waited_out(
    running: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    fake = running.fake
    locker = hold_write_lock(db_path(running))
    loop = asyncio.get_running_loop()
    loop.call_later(0.3, locker.rollback)  # the other writer finishes within the busy timeout
    result = await fake.slash("qa setup", {"channel": "qa"}, user="admin")
    locker.close()
    assert "New questions will be posted in" in (result.content or "")
    assert error_lines(caplog) == []


async def test_a_long_lock_gets_a_friendly_retry_message(
    running: Harness, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = running.fake
    await running.bot.db.engine.dispose()  # new connections pick up the shorter timeout
    monkeypatch.setattr("bot.db.engine.BUSY_TIMEOUT_MS", 200)
    locker = hold_write_lock(db_path(running))
    try:
        result = await fake.slash("qa setup", {"channel": "qa"}, user="admin")
    finally:
        locker.rollback()
        locker.close()
    assert result.ephemeral
    assert "busy saving other changes" in (result.content or "")
    assert error_lines(caplog) == []
    assert any("database locked" in r.getMessage() for r in caplog.records)
    settled = await fake.slash("qa setup", {"channel": "qa"}, user="admin")
    assert "New questions will be posted in" in (settled.content or ""), "retrying works"


async def test_the_busy_timeout_leaves_time_to_answer(
    running: Harness, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Scaled down 10x: Discord's deadline 0.3 s, the busy timeout the real one / 10."""
    from bot.db import engine

    fake = running.fake
    fake.rest.interaction_deadline = 0.3
    await running.bot.db.engine.dispose()
    monkeypatch.setattr("bot.db.engine.BUSY_TIMEOUT_MS", engine.BUSY_TIMEOUT_MS // 10)
    locker = hold_write_lock(db_path(running))
    try:
        result = await fake.slash("qa setup", {"channel": "qa"}, user="admin", timeout=3.0)
        delivered = result.errors == [] and "busy" in (result.content or "")
    except AssertionError:  # the emulator refused the late answer, as Discord would
        delivered = False
    finally:
        locker.rollback()
        locker.close()
        caplog.clear()
    assert delivered, "the member was told to retry"


# -- Discord failing while a spec change is announced -----------------------------------------

FIXTURES = REPO / "tests" / "fixtures" / "openapi"


@pytest.mark.parametrize("status", [403, 404, 429, 500])
async def test_a_failed_announcement_loses_no_version(
    running: Harness, caplog: pytest.LogCaptureFixture, status: int
) -> None:
    from localdiscord.emulator import Upload

    fake = running.fake

    async def import_(fixture: str) -> InteractionResult:
        file = Upload(fixture, (FIXTURES / fixture).read_bytes())
        result = await fake.slash(
            "spec import", {"name": "bookings", "file": file}, user="admin", timeout=30
        )
        assert result.errors == []
        return result

    await fake.slash("spec setup", {"channel": "api-specs"}, user="admin")
    await import_("bookings-v1.yaml")
    await fake.world.wait_for(
        lambda: len(fake.channel_messages("api-specs")) == 1, "the first announcement", 5.0
    )
    channel = fake.channels["api-specs"]
    fault = fake.fail_next("POST", rf"/channels/{channel}/messages", status)
    told = await import_("bookings-v2.yaml")
    if status in (403, 404):
        note = "Posted here instead of the spec channel"
        await fake.world.wait_for(
            lambda: note in str(told.embeds), "the importer to be told where it went", 5.0
        )
    else:  # retried by discord.py: the announcement reaches the spec channel
        await fake.world.wait_for(
            lambda: len(fake.channel_messages("api-specs")) >= 2, "the announcement", 5.0
        )
    assert fault.hits == 1, "the fault fired"
    assert told.errors == []
    versions = await fake.autocomplete(
        "spec export", {"spec": "bookings", "version": ""}, focused="version", user="member"
    )
    assert len(versions) == 2, "the new version is stored although its announcement failed"
    assert error_lines(caplog) == []


# -- the disk full -----------------------------------------------------------------------------
# SQLite reports a write that finds no space (ENOSPC) as SQLITE_FULL, "database or disk is full".
# `PRAGMA max_page_count` makes SQLite itself refuse to grow the file with that same error, on
# the bot's real connections, without filling the machine's disk.


async def fill_the_disk(harness: Harness) -> Callable[[], Awaitable[None]]:
    """From now on the database cannot grow by a page; returns what frees the space again."""
    path = db_path(harness)
    engine = harness.bot.db.engine.sync_engine

    def capped(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA page_count")
        (pages,) = cursor.fetchone()
        cursor.execute(f"PRAGMA max_page_count={pages}")
        cursor.close()

    def take_the_free_pages() -> sqlite3.Connection:
        """The free pages inside the file are space too: a filler table takes every one."""
        filler = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        (pages,) = filler.execute("PRAGMA page_count").fetchone()
        filler.execute("CREATE TABLE IF NOT EXISTS disk_filler (b BLOB)")
        filler.execute(f"PRAGMA max_page_count={pages + 1}")
        with contextlib.suppress(sqlite3.OperationalError):
            while True:
                filler.execute("INSERT INTO disk_filler VALUES (zeroblob(512))")
        return filler

    # In a thread: the bot's own transactions need the event loop to commit meanwhile.
    await harness.bot.db.engine.dispose()
    filler = await asyncio.to_thread(take_the_free_pages)
    event.listen(engine, "connect", capped)
    await harness.bot.db.engine.dispose()  # every connection from now on is capped

    async def free_the_space() -> None:
        event.remove(engine, "connect", capped)
        await asyncio.to_thread(filler.execute, "DELETE FROM disk_filler")
        filler.close()
        await harness.bot.db.engine.dispose()

    return free_the_space


async def ask_until_refused(fake: FakeDiscord, limit: int) -> tuple[list[str], InteractionResult]:
    """Members keep asking while the disk fills: the replies acknowledged, then the refusal."""
    acknowledged: list[str] = []
    for n in range(limit):
        opened = await fake.slash("ask", user="member")
        result = await opened.submit_modal(
            {
                "qa:input:title": f"How do I make Celery retry failed task number {n}?",
                "qa:input:details": "My task calls a flaky API and I want retries. " * 40,
                "qa:input:tags": "celery",
            }
        )
        assert result.errors == []
        if "is posted" not in (result.content or ""):
            return acknowledged, result
        acknowledged.append(result.content or "")
    raise AssertionError(f"{limit} questions fitted on a full disk")


async def test_a_full_disk_refuses_writes_kindly_and_keeps_reads_going(
    running: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    fake = running.fake
    qa_cog = next(cog for cog in running.bot.cogs.values() if hasattr(cog, "qa"))
    qa_cog.qa.ask_cooldown = timedelta(0)
    await fake.slash("qa setup", {"channel": "qa"}, user="admin")
    path = db_path(running)
    free_the_space = await fill_the_disk(running)

    # The pages already allocated still take a row or two; then nothing fits.
    acknowledged, refused = await ask_until_refused(fake, limit=20)
    report("faults", disk_full_refusals=1, acknowledged_writes_checked=len(acknowledged))
    assert refused.ephemeral
    assert "storage is full" in (refused.content or ""), refused
    assert "Traceback" not in (refused.content or "")
    errors = error_lines(caplog)
    assert len(errors) == 1, errors
    assert "disk" in errors[0]
    caplog.clear()

    # Reading and searching go on.
    looked_up = await fake.slash("concept", {"name": "jwt"})
    assert looked_up.embeds
    searched = await fake.slash("qa search", {"query": "celery retry"})
    assert searched.errors == []

    conn = integrity(path)
    try:
        stored = conn.execute("SELECT count(*) FROM qa_questions").fetchone()[0]
        indexed = conn.execute("SELECT count(*) FROM qa_fts").fetchone()[0]
    finally:
        conn.close()
    assert stored == len(acknowledged), "every acknowledged question, and nothing half-written"
    assert indexed == stored
    assert len(fake.channel_messages("qa")) == stored, "only stored questions were posted"

    await free_the_space()
    opened = await fake.slash("ask", user="member")
    asked = await opened.submit_modal(
        {
            "qa:input:title": "After the clean-up: how do I retry a Celery task?",
            "qa:input:details": "The disk had space again.",
            "qa:input:tags": "celery",
        }
    )
    assert "is posted" in (asked.content or ""), asked
    assert error_lines(caplog) == []


BACKUP_ON_A_FULL_DISK = """
import resource, signal, sys
from bot.__main__ import main
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)   # a write past the quota fails, as on a full disk
limit = int(sys.argv[1])
resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
sys.exit(main(["backup", sys.argv[2], "--database-url", sys.argv[3]]))
"""


async def test_a_backup_onto_a_full_disk_fails_cleanly(tmp_path: Path) -> None:
    source = tmp_path / "nexus.db"
    db = Database(f"sqlite+aiosqlite:///{source}")
    try:
        await db.upgrade()
        await sync_content(db, check_content(CONTENT).learnings)
    finally:
        await db.close()
    size = source.stat().st_size
    destination = tmp_path / "backups" / "nexus-backup.db"
    destination.parent.mkdir()
    url = f"sqlite+aiosqlite:///{source}"
    done = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-c", BACKUP_ON_A_FULL_DISK, str(size // 2), str(destination), url],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=CHILD_TIMEOUT,
    )
    assert done.returncode == 1, done.stderr
    assert "backup failed: SQLite could not copy" in done.stderr
    assert "is the disk where the backup goes full?" in done.stderr
    assert "Traceback" not in done.stderr
    assert list(destination.parent.iterdir()) == [], "no partial copy is left behind"
    report("faults", disk_full_backups=1)
    integrity(source).close()
