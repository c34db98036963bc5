"""Backups: an online, consistent copy while the database is written; restore; daily retention."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.__main__ import main
from bot.backup import (
    BackupError,
    BackupScheduler,
    ToolMissing,
    backup_database,
    backup_name,
    next_backup_due,
    prune_backups,
    restore_database,
    scheduled_backups,
)
from bot.config import ConfigError, load_settings
from bot.db.engine import Database
from bot.db.models import BotState
from bot.db.types import utcnow
from tests.figures import report
from tests.helpers import CONTENT, TOKEN
from tests.postgres import PostgresDatabases

WRITES = 300


def db_file(db: Database) -> Path:
    return Path(db.url.removeprefix("sqlite+aiosqlite:///"))


def rows(path: Path) -> dict[str, str]:
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        return dict(conn.execute("SELECT key, value FROM bot_state").fetchall())
    finally:
        conn.close()


async def write_burst(db: Database, prefix: str, count: int) -> None:
    """Many small transactions, each writing two rows that must appear together."""
    for i in range(count):
        async with db.unit_of_work() as session:
            session.add(BotState(key=f"{prefix}{i}:a", value=str(i), updated_at=utcnow()))
            session.add(BotState(key=f"{prefix}{i}:b", value=str(i), updated_at=utcnow()))
        await asyncio.sleep(0)


@pytest.mark.sqlite
async def test_cli_backup_while_writes_run_is_consistent(db: Database, tmp_path: Path) -> None:
    url = db.url
    writer = asyncio.create_task(write_burst(db, "w", WRITES))
    copies = []
    for n in range(3):
        await asyncio.sleep(0.05)
        target = tmp_path / f"copy-{n}.db"
        status = await asyncio.to_thread(main, ["backup", str(target), "--database-url", url])
        assert status == 0
        copies.append(target)
    await writer
    sizes: list[int] = []
    for copy in copies:
        snapshot = rows(copy)  # integrity_check passes
        pairs = {k.rsplit(":", 1)[0] for k in snapshot if k.startswith("w")}
        for pair in pairs:  # never half a transaction
            assert f"{pair}:a" in snapshot
            assert f"{pair}:b" in snapshot
        assert not copy.with_name(f"{copy.name}-wal").exists(), "one self-contained file"
        sizes.append(len(pairs))
    assert min(sizes) < WRITES, "at least one copy was taken while the writes were running"
    final = tmp_path / "final.db"
    assert main(["backup", str(final), "--database-url", url]) == 0
    assert len([k for k in rows(final) if k.startswith("w")]) == 2 * WRITES
    report("backup", online_copies=len(copies) + 1, transactions_checked=sum(sizes) + WRITES)


def test_backup_refuses_to_overwrite_without_force(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "live.db"
    sqlite3.connect(source).executescript("CREATE TABLE t(x); INSERT INTO t VALUES (1);")
    target = tmp_path / "backup.db"
    target.write_bytes(b"precious")
    url = f"sqlite+aiosqlite:///{source}"
    assert main(["backup", str(target), "--database-url", url]) == 1
    assert "already exists; pass --force" in capsys.readouterr().err
    assert target.read_bytes() == b"precious"
    assert main(["backup", str(target), "--force", "--database-url", url]) == 0
    assert sqlite3.connect(target).execute("SELECT x FROM t").fetchall() == [(1,)]
    assert not list(tmp_path.glob(".*.partial")), "no temporary file is left behind"


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("postgresql+asyncpg://u:p@127.0.0.1:1/nexus", "pg_dump failed"),
        ("sqlite+aiosqlite:///{tmp}/missing.db", "no database at"),
    ],
)
def test_backup_explains_what_it_cannot_do(
    url: str, message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status = main(["backup", str(tmp_path / "b.db"), "--database-url", url.format(tmp=tmp_path)])
    assert status == 1
    assert message in capsys.readouterr().err
    assert not (tmp_path / "b.db").exists()


def test_backup_refuses_the_database_itself_and_folders(tmp_path: Path) -> None:
    source = tmp_path / "live.db"
    sqlite3.connect(source).execute("CREATE TABLE t(x)").connection.commit()
    with pytest.raises(BackupError, match="itself"):
        backup_database(source, source, force=True)
    with pytest.raises(BackupError, match="folder"):
        backup_database(source, tmp_path)


@pytest.mark.sqlite
async def test_restore_brings_back_the_backup(db: Database, tmp_path: Path) -> None:
    await write_burst(db, "keep", 10)
    backup = tmp_path / "backup.db"
    assert await asyncio.to_thread(main, ["backup", str(backup), "--database-url", db.url]) == 0
    async with db.unit_of_work() as session:
        await session.execute(BotState.__table__.delete())
    await write_burst(db, "later", 3)
    await db.close()  # the bot is stopped before a restore

    assert main(["restore", str(backup), "--database-url", db.url]) == 1, "needs --force"
    assert main(["restore", str(backup), "--force", "--database-url", db.url]) == 0
    restored = Database(db.url)
    try:
        async with restored.read() as session:
            keys = set(await session.scalars(select(BotState.key)))
            total = await session.scalar(select(func.count()).select_from(BotState))
        assert {f"keep{i}:a" for i in range(10)} <= keys
        assert not any(k.startswith("later") for k in keys)
        assert total == 20
        await restored.upgrade()  # a restored database is at a revision Alembic knows
    finally:
        await restored.close()


def test_restore_refuses_a_corrupt_backup_and_touches_nothing(tmp_path: Path) -> None:
    target = tmp_path / "live.db"
    sqlite3.connect(target).executescript("CREATE TABLE t(x); INSERT INTO t VALUES (7);")
    before = target.read_bytes()
    bogus = tmp_path / "bogus.db"
    bogus.write_bytes(b"SQLite format 3\x00" + b"\xff" * 5000)
    with pytest.raises(BackupError):
        restore_database(bogus, target, force=True)
    assert target.read_bytes() == before
    text = tmp_path / "notes.txt"
    text.write_text("not a database")
    with pytest.raises(BackupError, match="not a readable SQLite database"):
        restore_database(text, target, force=True)
    assert target.read_bytes() == before


def test_retention_keeps_the_newest_and_ignores_other_files(tmp_path: Path) -> None:
    start = datetime(2026, 1, 1, 3, 0, tzinfo=UTC)
    for day in range(10):
        (tmp_path / backup_name(start + timedelta(days=day))).write_bytes(b"x")
    (tmp_path / "manual-before-upgrade.db").write_bytes(b"mine")
    removed = prune_backups(tmp_path, keep=3)
    assert len(removed) == 7
    kept = [stamp for stamp, _ in scheduled_backups(tmp_path)]
    assert kept == [start + timedelta(days=d) for d in (7, 8, 9)]
    assert (tmp_path / "manual-before-upgrade.db").read_bytes() == b"mine"


def test_next_backup_is_a_day_after_the_newest(tmp_path: Path) -> None:
    now = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
    assert next_backup_due(tmp_path / "none-yet", now) == now
    (tmp_path / backup_name(now - timedelta(hours=5))).write_bytes(b"x")
    assert next_backup_due(tmp_path, now) == now + timedelta(hours=19)
    (tmp_path / backup_name(now - timedelta(days=3))).write_bytes(b"x")
    assert next_backup_due(tmp_path, now) == now + timedelta(hours=19)
    late = now + timedelta(days=2)
    assert next_backup_due(tmp_path, late) == late, "a missed backup runs at once"


@pytest.mark.sqlite
async def test_scheduler_writes_and_prunes(db: Database, tmp_path: Path) -> None:
    folder = tmp_path / "backups"
    scheduler = BackupScheduler(db.url, folder, keep=2)
    start = datetime(2026, 5, 1, tzinfo=UTC)
    for day in range(4):
        await scheduler.run_once(start + timedelta(days=day))
    names = sorted(p.name for p in folder.iterdir())
    assert names == [backup_name(start + timedelta(days=d)) for d in (2, 3)]
    assert "alembic_version" in {
        r[0] for r in sqlite3.connect(folder / names[-1]).execute("SELECT name FROM sqlite_master")
    }


@pytest.mark.sqlite
async def test_scheduler_started_by_the_loop_backs_up_at_once(db: Database, tmp_path: Path) -> None:
    folder = tmp_path / "daily"
    scheduler = BackupScheduler(db.url, folder, keep=7)
    scheduler.start()
    try:
        for _ in range(200):
            if scheduled_backups(folder):
                break
            await asyncio.sleep(0.02)
    finally:
        await scheduler.stop()
    assert len(scheduled_backups(folder)) == 1, "no backup yet: the first one is due at start"


def test_backup_settings() -> None:
    base = {"DISCORD_TOKEN": TOKEN, "CONTENT_DIR": str(CONTENT)}
    defaults = load_settings(base, env_file=None)
    assert defaults.backup_dir is None
    assert defaults.backup_keep == 7
    chosen = load_settings({**base, "BACKUP_DIR": "data/b", "BACKUP_KEEP": "14"}, env_file=None)
    assert chosen.backup_dir == Path("data/b")
    assert chosen.backup_keep == 14
    for bad in ("0", "-1", "seven"):
        with pytest.raises(ConfigError, match="BACKUP_KEEP"):
            load_settings({**base, "BACKUP_KEEP": bad}, env_file=None)


async def test_backup_of_the_running_bot_and_its_daily_schedule(tmp_path: Path) -> None:
    """The real bot on the emulator, with BACKUP_DIR set: a backup is made at start, and
    `python -m bot backup` copies the live database while the bot answers commands."""
    from localdiscord.emulator import FakeDiscord, patched_discord
    from tests.harness import bot_settings, running_bot

    folder = tmp_path / "backups"
    async with FakeDiscord() as fake, patched_discord(fake):
        settings = bot_settings(fake, tmp_path, backup_dir=folder, backup_keep=3)
        async with running_bot(fake, settings):
            for _ in range(250):
                if scheduled_backups(folder):
                    break
                await asyncio.sleep(0.02)
            assert len(scheduled_backups(folder)) == 1, "the first daily backup runs at start"
            answer = asyncio.create_task(fake.slash("search", {"query": "cache"}))
            copy = tmp_path / "manual.db"
            status = await asyncio.to_thread(
                main, ["backup", str(copy), "--database-url", settings.database_url]
            )
            assert (await answer).errors == []
    assert status == 0
    conn = sqlite3.connect(copy)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert conn.execute("SELECT count(*) FROM entries").fetchone()[0] > 10
    finally:
        conn.close()


# -- PostgreSQL: pg_dump and pg_restore -------------------------------------------------------


async def test_postgresql_is_backed_up_with_pg_dump_and_restored_with_pg_restore(
    postgres: PostgresDatabases, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from bot.qa import Actor, QaService, make_draft

    async with postgres.migrated() as url:
        db = Database(url)
        qa = QaService(db, ask_cooldown=timedelta(0))
        asked = await qa.ask(1, Actor(7), make_draft("Celery retries with backoff", "How?", ""))
        await write_burst(db, "keep", 10)
        dump = tmp_path / "nexus.dump"
        status = await asyncio.to_thread(main, ["backup", str(dump), "--database-url", url])
        out = capsys.readouterr().out
        assert status == 0
        assert f"backup written to {dump}" in out
        assert int(out.split(", ")[-1].split()[0]) >= 18, "every table is in the archive"
        assert dump.read_bytes()[:5] == b"PGDMP", "pg_dump's custom format"
        async with db.unit_of_work() as session:
            await session.execute(BotState.__table__.delete())
        await write_burst(db, "later", 3)

        status = await asyncio.to_thread(main, ["restore", str(dump), "--database-url", url])
        assert status == 1
        assert "other connection(s) use the database" in capsys.readouterr().err
        await db.close()  # the bot is stopped before a restore
        status = await asyncio.to_thread(main, ["restore", str(dump), "--database-url", url])
        assert status == 1
        assert "pass --force" in capsys.readouterr().err
        status = await asyncio.to_thread(
            main, ["restore", str(dump), "--force", "--database-url", url]
        )
        assert status == 0, capsys.readouterr().err

        restored = Database(url)
        try:
            async with restored.read() as session:
                keys = set(await session.scalars(select(BotState.key)))
            assert keys == {f"keep{i}:{s}" for i in range(10) for s in "ab"}
            found = await QaService(restored).search(1, "backoff")
            assert [hit.question.id for hit in found.hits] == [asked.id], "search answers"
            await restored.upgrade()  # at a revision Alembic knows
        finally:
            await restored.close()


async def test_postgresql_daily_backups_are_dumps_kept_to_the_newest(
    postgres: PostgresDatabases, tmp_path: Path
) -> None:
    folder = tmp_path / "backups"
    async with postgres.migrated() as url:
        scheduler = BackupScheduler(url, folder, keep=2)
        start = datetime(2026, 5, 1, tzinfo=UTC)
        for day in range(3):
            await scheduler.run_once(start + timedelta(days=day))
    names = sorted(p.name for p in folder.iterdir())
    assert names == [backup_name(start + timedelta(days=d), postgres=True) for d in (1, 2)]
    assert all(name.endswith(".dump") for name in names)
    assert [stamp for stamp, _ in scheduled_backups(folder)] == [
        start + timedelta(days=d) for d in (1, 2)
    ]


def test_without_pg_dump_postgresql_backups_say_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no PostgreSQL client programs
    url = "postgresql+asyncpg://nexus:secret@db.example/nexus"
    for argv in (["backup", str(tmp_path / "b.dump")], ["restore", str(tmp_path / "b.dump")]):
        assert main([*argv, "--database-url", url]) == 2
        err = capsys.readouterr().err
        assert len(err.strip().splitlines()) == 1
        assert "is not installed" in err
        assert "apt install postgresql-client" in err
        assert "secret" not in err
    with pytest.raises(ToolMissing, match="pg_dump is not installed"):
        BackupScheduler(url, tmp_path / "daily", keep=3)
    assert not list(tmp_path.iterdir())


async def test_the_bot_on_postgresql_makes_its_daily_dump_or_warns_once_without_pg_dump(
    postgres: PostgresDatabases,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    from localdiscord.emulator import FakeDiscord, patched_discord
    from tests.harness import bot_settings, running_bot

    folder = tmp_path / "backups"
    async with postgres.migrated() as url, FakeDiscord() as fake, patched_discord(fake):
        settings = bot_settings(fake, tmp_path, database_url=url, backup_dir=folder, backup_keep=3)
        async with running_bot(fake, settings):
            for _ in range(500):
                if scheduled_backups(folder):
                    break
                await asyncio.sleep(0.02)
            assert [p.suffix for _, p in scheduled_backups(folder)] == [".dump"]
            answer = await fake.slash("search", {"query": "cache"})
            assert answer.errors == []

        monkeypatch.setenv("PATH", str(tmp_path / "nothing-here"))
        caplog.clear()
        async with running_bot(fake, settings):  # the cogs are loaded once it runs
            pass
        warnings = [r for r in caplog.records if "pg_dump is not installed" in r.getMessage()]
        assert len(warnings) == 1
        assert warnings[0].levelname == "WARNING"
        assert "secret" not in warnings[0].getMessage()
    assert len(scheduled_backups(folder)) == 1, "no other backup was attempted"
