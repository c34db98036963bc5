"""Online backups of the database, restore, and daily retention.

SQLite: SQLite's backup API. PostgreSQL: PostgreSQL's own `pg_dump` (custom format) and
`pg_restore`, when they are installed. `backup` and `restore` choose by the database's URL.

`backup_database` copies a consistent snapshot while the bot keeps running: the backup API
reads every page inside one read transaction, so writers in WAL mode are not blocked and the
copy never holds half of a transaction. The copy is written to a temporary file next to the
destination, checked with `PRAGMA integrity_check`, then renamed into place, so a crash never
leaves a truncated file under the destination's name.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import re
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from bot.db.file import DatabaseInUse, held_exclusively

log = logging.getLogger(__name__)

BACKUP_INTERVAL = timedelta(days=1)
BACKUP_NAME = re.compile(r"^nexus-(\d{8}T\d{6}Z)\.(db|dump)$")
BUSY_TIMEOUT_S = 30.0


class BackupError(RuntimeError):
    """A backup or restore cannot be made; the message says why and what to do."""


class ToolMissing(BackupError):
    """The program a backup of this database needs (pg_dump, pg_restore) is not installed."""


@dataclass(frozen=True, slots=True)
class BackupResult:
    """A backup written: where, how big, and how many tables it holds."""

    path: Path
    size_bytes: int
    tables: int


def sqlite_path(database_url: str) -> Path:
    """The file behind a `sqlite+aiosqlite:///...` URL (backups are for SQLite only)."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite":
        raise BackupError(
            f"backups here use SQLite's backup API; {url.drivername} has its own tools "
            "(for PostgreSQL: pg_dump)"
        )
    if not url.database or url.database == ":memory:":
        raise BackupError("the database is in memory; there is no file to back up")
    return Path(url.database)


def _connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_S)
    conn.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT_S * 1000)}")
    return conn


def _check(conn: sqlite3.Connection, what: str) -> int:
    result = conn.execute("PRAGMA integrity_check").fetchall()
    if result != [("ok",)]:
        problems = "; ".join(str(row[0]) for row in result[:5])
        raise BackupError(f"{what} fails PRAGMA integrity_check: {problems}")
    return int(conn.execute("SELECT count(*) FROM sqlite_master WHERE type='table'").fetchone()[0])


def _copy(source: Path, destination: Path, *, check_source: bool) -> int:
    """Copy `source` into a fresh file at `destination` (through a temp file); return tables."""
    partial = destination.with_name(f".{destination.name}.partial")
    partial.unlink(missing_ok=True)
    try:
        src = _connect(source)
        try:
            if check_source:
                _check(src, str(source))
            dst = sqlite3.connect(partial)
            try:
                src.backup(dst)  # all pages in one step: one consistent snapshot
                dst.execute("PRAGMA journal_mode=DELETE")  # a single self-contained file
                tables = _check(dst, "the copy")
            finally:
                dst.close()
        finally:
            src.close()
        with open(partial, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(partial, destination)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return tables


def backup_database(source: Path, destination: Path, *, force: bool = False) -> BackupResult:
    """Copy the live database at `source` to `destination` (refuses to overwrite unless forced)."""
    if not source.is_file():
        raise BackupError(f"no database at {source}")
    if destination.is_dir():
        raise BackupError(f"{destination} is a folder; give a file name such as nexus-backup.db")
    if destination.exists() and not force:
        raise BackupError(f"{destination} already exists; pass --force to overwrite it")
    if destination.resolve() == source.resolve():
        raise BackupError("the backup must not be the database itself")
    destination.parent.mkdir(parents=True, exist_ok=True)
    try:
        tables = _copy(source, destination, check_source=False)
    except sqlite3.Error as exc:
        hint = " (is the disk where the backup goes full?)" if "disk" in str(exc) else ""
        raise BackupError(f"SQLite could not copy {source} to {destination}: {exc}{hint}") from exc
    except OSError as exc:  # no space left, a read-only or vanished folder
        raise BackupError(f"could not write {destination}: {exc.strerror or exc}") from exc
    return BackupResult(destination, destination.stat().st_size, tables)


def restore_database(backup: Path, target: Path, *, force: bool = False) -> BackupResult:
    """Replace the database at `target` by `backup` (stop the bot first: refused while a bot
    holds the database, see `bot.db.file`).

    The backup is integrity-checked before anything is touched; the old database's WAL and
    shared-memory files are removed so SQLite cannot replay them over the restored copy.
    """
    if not backup.is_file():
        raise BackupError(f"no backup at {backup}")
    if target.exists() and not force:
        raise BackupError(
            f"{target} exists; stop the bot, then pass --force to replace it with {backup}"
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        with held_exclusively(target):
            tables = _copy(backup, target, check_source=True)
            for suffix in ("-wal", "-shm"):
                Path(f"{target}{suffix}").unlink(missing_ok=True)
    except DatabaseInUse as exc:
        raise BackupError(str(exc)) from None
    except sqlite3.Error as exc:
        raise BackupError(f"{backup} is not a readable SQLite database: {exc}") from exc
    except OSError as exc:
        raise BackupError(f"could not write {target}: {exc.strerror or exc}") from exc
    return BackupResult(target, target.stat().st_size, tables)


# -- PostgreSQL: pg_dump and pg_restore ------------------------------------------------------

PG_TIMEOUT_S = 3600.0
TABLE_ENTRY = re.compile(r"^\d+; \d+ \d+ TABLE (?!DATA)")  # a table in `pg_restore --list`
INSTALL_CLIENT = (
    "install PostgreSQL's client programs where Nexus runs (Debian and Ubuntu: apt install "
    "postgresql-client; the image: add it), or back up with your database host's own tools"
)


def is_postgres(database_url: str) -> bool:
    """Whether the URL names a PostgreSQL database."""
    return make_url(database_url).get_backend_name() == "postgresql"


def _program(name: str) -> str:
    """The path of PostgreSQL's `name` (pg_dump, pg_restore); ToolMissing when not on PATH."""
    found = shutil.which(name)
    if found is None:
        raise ToolMissing(f"{name} is not installed (not on PATH): {INSTALL_CLIENT}")
    return found


def _libpq_environment(database_url: str) -> dict[str, str]:
    """The database's address as libpq's PG* variables: the password never on a command
    line (where `ps` shows it), nor in a message.
    """
    url = make_url(database_url)
    env = dict(os.environ)
    for variable, value in (
        ("PGHOST", url.host),
        ("PGPORT", url.port),
        ("PGUSER", url.username),
        ("PGPASSWORD", url.password),
        ("PGDATABASE", url.database),
        ("PGSSLMODE", url.query.get("ssl") or url.query.get("sslmode")),
    ):
        if value:
            env[variable] = str(value)
    return env


def _run(argv: list[str], database_url: str, what: str) -> str:
    """Run a PostgreSQL client program on the database; its output, or BackupError with what
    it said.
    """
    try:
        done = subprocess.run(  # noqa: S603 - a fixed program, arguments from Nexus
            argv,
            env=_libpq_environment(database_url),
            capture_output=True,
            text=True,
            timeout=PG_TIMEOUT_S,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise BackupError(f"{what} took longer than {PG_TIMEOUT_S:.0f} s and was stopped") from None
    if done.returncode != 0:
        said = " ".join(done.stderr.split())[:500] or f"exit status {done.returncode}"
        raise BackupError(f"{what} failed: {said}")
    return done.stdout


def dumped_tables(dump: Path) -> int:
    """How many tables a pg_dump archive holds (read by `pg_restore --list`, which also
    proves the archive readable).
    """
    listing = _run([_program("pg_restore"), "--list", str(dump)], "postgresql://", "pg_restore")
    return sum(
        1 for line in listing.splitlines() if re.match(r"^\d+; \d+ \d+ TABLE (?!DATA)", line)
    )


def backup_postgres(database_url: str, destination: Path, *, force: bool = False) -> BackupResult:
    """Dump the PostgreSQL database to `destination` with pg_dump (custom format: one file,
    compressed, restored with pg_restore), while the bot keeps running: pg_dump reads one
    consistent snapshot. Written to a temporary file, listed, then renamed into place.
    """
    pg_dump = _program("pg_dump")
    if destination.is_dir():
        raise BackupError(f"{destination} is a folder; give a file name such as nexus.dump")
    if destination.exists() and not force:
        raise BackupError(f"{destination} already exists; pass --force to overwrite it")
    destination.parent.mkdir(parents=True, exist_ok=True)
    partial = destination.with_name(f".{destination.name}.partial")
    partial.unlink(missing_ok=True)
    try:
        _run(
            [pg_dump, "--format=custom", "--no-password", f"--file={partial}"],
            database_url,
            "pg_dump",
        )
        tables = dumped_tables(partial)
        with open(partial, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(partial, destination)
    except OSError as exc:
        raise BackupError(f"could not write {destination}: {exc.strerror or exc}") from exc
    finally:
        partial.unlink(missing_ok=True)
    return BackupResult(destination, destination.stat().st_size, tables)


async def _in_use(database_url: str) -> tuple[int, int]:
    """Other connections to the database (a running bot), and its tables."""
    from bot.db.engine import Database

    db = Database(database_url)
    try:
        async with db.engine.connect() as conn:
            others = await conn.scalar(
                text(
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            )
            tables = await conn.scalar(
                text("SELECT count(*) FROM pg_tables WHERE schemaname = current_schema()")
            )
    finally:
        await db.close()
    return int(others or 0), int(tables or 0)


def restore_postgres(backup: Path, database_url: str, *, force: bool = False) -> BackupResult:
    """Replace the PostgreSQL database's tables by those of a pg_dump archive, in one
    transaction (pg_restore --clean --single-transaction); the bot must be stopped.
    """
    pg_restore = _program("pg_restore")
    if not backup.is_file():
        raise BackupError(f"no backup at {backup}")
    tables = dumped_tables(backup)
    try:
        others, existing = asyncio.run(_in_use(database_url))
    except (OSError, SQLAlchemyError) as exc:
        raise BackupError(f"the database cannot be reached: {exc}") from exc
    if others:
        raise BackupError(
            f"{others} other connection(s) use the database: stop the bot (every process), "
            "then restore"
        )
    if existing and not force:
        raise BackupError(
            f"the database holds {existing} tables; stop the bot, then pass --force to replace "
            f"them with {backup}"
        )
    _run(
        [pg_restore, "--clean", "--if-exists", "--no-owner", "--no-privileges",
         "--single-transaction", "--exit-on-error", "--no-password",
         f"--dbname={make_url(database_url).database}", str(backup)],
        database_url,
        "pg_restore",
    )  # fmt: skip
    return BackupResult(Path(backup), backup.stat().st_size, tables)


# -- either database ---------------------------------------------------------------------------


def backup(database_url: str, destination: Path, *, force: bool = False) -> BackupResult:
    """Back up the database of `database_url` to `destination` (SQLite's backup API, or
    pg_dump for PostgreSQL).
    """
    if is_postgres(database_url):
        return backup_postgres(database_url, destination, force=force)
    return backup_database(sqlite_path(database_url), destination, force=force)


def restore(path: Path, database_url: str, *, force: bool = False) -> BackupResult:
    """Replace the database of `database_url` by the backup at `path` (stop the bot first)."""
    if is_postgres(database_url):
        return restore_postgres(path, database_url, force=force)
    return restore_database(path, sqlite_path(database_url), force=force)


# -- scheduled backups with retention --------------------------------------------------------


def backup_name(when: datetime, *, postgres: bool = False) -> str:
    """The file name of the scheduled backup taken at `when` (its UTC time, to the second):
    `.db` for a SQLite copy, `.dump` for a pg_dump archive.
    """
    return f"nexus-{when.astimezone(UTC):%Y%m%dT%H%M%SZ}.{'dump' if postgres else 'db'}"


def scheduled_backups(folder: Path) -> list[tuple[datetime, Path]]:
    """The scheduled backups in `folder` (only files named by `backup_name`), oldest first."""
    if not folder.is_dir():
        return []
    found = []
    for path in folder.iterdir():
        match = BACKUP_NAME.match(path.name)
        if match and path.is_file():
            stamp = datetime.strptime(match.group(1), "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
            found.append((stamp, path))
    return sorted(found)


def prune_backups(folder: Path, keep: int) -> list[Path]:
    """Delete all but the newest `keep` scheduled backups; other files are never touched."""
    backups = scheduled_backups(folder)
    doomed = [path for _, path in backups[: max(0, len(backups) - keep)]]
    for path in doomed:
        path.unlink(missing_ok=True)
    return doomed


def next_backup_due(folder: Path, now: datetime) -> datetime:
    """One interval after the newest backup (now, when there is none): restarts skip nothing."""
    backups = scheduled_backups(folder)
    if not backups:
        return now
    return max(now, backups[-1][0] + BACKUP_INTERVAL) if backups[-1][0] <= now else now


def run_scheduled_backup(database_url: str, folder: Path, keep: int, now: datetime) -> BackupResult:
    """Write today's backup into `folder`, then keep only the newest `keep`."""
    name = backup_name(now, postgres=is_postgres(database_url))
    result = backup(database_url, folder / name, force=True)
    removed = prune_backups(folder, keep)
    log.info(
        "backup written to %s (%d bytes); %d old backup(s) removed",
        result.path,
        result.size_bytes,
        len(removed),
    )
    return result


class BackupScheduler:
    """Backs the database up once a day into `folder`, keeping the newest `keep` copies."""

    def __init__(self, database_url: str, folder: Path, keep: int) -> None:
        """BackupError (ToolMissing: pg_dump is not installed) when no backup can be made."""
        if is_postgres(database_url):
            _program("pg_dump")
        else:
            sqlite_path(database_url)
        self.database_url = database_url
        self.folder = folder
        self.keep = keep
        self.last: BackupResult | None = None
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Start the daily backups in the background."""
        self._task = asyncio.create_task(self._loop(), name="nexus-backups")

    async def stop(self) -> None:
        """Stop the daily backups and wait until their task has ended."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def run_once(self, now: datetime | None = None) -> BackupResult:
        """Back up now (named after `now`), then keep only the newest `keep` backups."""
        when = now or datetime.now(UTC)
        self.last = await asyncio.to_thread(
            run_scheduled_backup, self.database_url, self.folder, self.keep, when
        )
        return self.last

    async def _loop(self) -> None:
        while True:
            now = datetime.now(UTC)
            due = next_backup_due(self.folder, now)
            await asyncio.sleep(max(0.0, (due - now).total_seconds()))
            try:
                await self.run_once()
            except ToolMissing as exc:  # said once: it does not come back by itself
                log.warning("daily backups stopped: %s", exc)
                return
            except (BackupError, OSError, sqlite3.Error):
                # The bot keeps serving; the next attempt is in an hour, not in a day.
                log.exception("scheduled backup failed; retrying in an hour")
                await asyncio.sleep(3600)
