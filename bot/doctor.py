"""`python -m bot doctor`: what a start needs, checked one thing at a time, one line each.

The settings, the token's shape, the database (SQLite: it opens, its migrations, its integrity,
the disk it lives on; PostgreSQL: it answers, its migrations, its search tables, pg_dump for
the backups), the content, and, unless asked not to, whether Discord answers and accepts the
token. A check only looks: a missing database is not created, nothing is migrated or written.
A line starts with ✔ (fine), ✖ (what is wrong and what to do) or – (not checked, and why).
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import NullPool, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import create_async_engine

from bot.backup import INSTALL_CLIENT, BackupError, is_postgres, sqlite_path
from bot.config import ConfigError, Settings, load_settings
from bot.db.migrate import MigrationError, baseline_row, chain
from bot.db.search.postgresql import PostgresEntryIndex, PostgresQuestionIndex
from bot.learnings.check import ContentReport
from bot.network import EXIT_SETTINGS, Endpoint, StartFailure, check_login

MIN_FREE_BYTES = 100 * 1024 * 1024  # below this (or the database's own size) a disk is short
RESTORE = "stop the bot and restore a backup (python -m bot restore PATH --force)"
MARKS = {True: "✔", False: "✖", None: "–"}


@dataclass(frozen=True, slots=True)
class Check:
    """One check's verdict: `ok` True (fine), False (wrong), None (not checked)."""

    ok: bool | None
    name: str
    detail: str

    def __str__(self) -> str:
        return f"{MARKS[self.ok]} {self.name}: {self.detail}"


def _size(count: float) -> str:
    """Bytes for a person: 12.3 MB."""
    for unit in ("bytes", "KB", "MB", "GB"):
        if count < 1000 or unit == "GB":
            return f"{count:.0f} {unit}" if unit == "bytes" else f"{count:.1f} {unit}"
        count /= 1000
    return f"{count:.1f} TB"  # pragma: no cover - the loop returns at GB


def read_settings(environ: dict[str, str] | None = None) -> tuple[list[Check], Settings | None]:
    """The settings and the token's shape (two checks), and the settings when they are usable
    for the rest (a malformed token does not stop the other checks).
    """
    base = dict(os.environ if environ is None else environ)
    token = Check(True, "token", "shaped like a bot token (three dot-separated parts)")
    try:
        settings = load_settings(base)
    except ConfigError as exc:
        if exc.variable != "DISCORD_TOKEN":
            return [Check(False, "settings", str(exc))], None
        token = Check(False, "token", exc.expected)
        try:
            settings = load_settings({**base, "DISCORD_TOKEN": ""}, require_token=False)
        except ConfigError as other:
            return [Check(False, "settings", str(other)), token], None
    where = "the environment and .env" if Path(".env").is_file() else "the environment"
    read = Check(
        True,
        "settings",
        f"read from {where} (database {make_url(settings.database_url).render_as_string()}, "
        f"content {settings.content_dir})",
    )
    return [read, token], settings


def _open(path: Path) -> sqlite3.Connection:
    """The database, read-only (a check never writes)."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)
    conn.execute("PRAGMA schema_version").fetchone()  # "file is not a database" shows here
    return conn


def _migrations(conn: sqlite3.Connection) -> Check:
    """Where the SQLite database is on the chain of migrations."""
    try:
        rows = [row[0] for row in conn.execute("SELECT version_num FROM alembic_version")]
    except sqlite3.OperationalError:
        rows = []
    tables = conn.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'").fetchone()
    return _revision(rows, bool(tables[0]))


def _revision(rows: list[str], has_tables: bool) -> Check:
    """Where a database is on the chain of migrations: `rows` of its alembic_version."""
    known = chain()
    if not rows:
        if has_tables:
            return Check(
                False,
                "migrations",
                "the database has tables but no migration recorded: it is not a Nexus "
                f"database; point DATABASE_URL at the right database or {RESTORE}",
            )
        return Check(True, "migrations", "none applied yet: the first start applies them all")
    try:
        revision = baseline_row(rows) or "+".join(sorted(rows))
    except MigrationError as exc:
        return Check(False, "migrations", str(exc))
    if revision not in known:
        return Check(
            False,
            "migrations",
            f"the database is at {revision}, a revision this version of Nexus does not know "
            "(a newer version migrated it): run that version, or restore a backup made "
            "before it",
        )
    behind = len(known) - 1 - known.index(revision)
    if not behind:
        return Check(True, "migrations", f"at the newest revision ({revision})")
    return Check(
        True,
        "migrations",
        f"at {revision}, {behind} behind: the next start (or python -m bot db upgrade) "
        "applies them",
    )


def _integrity(conn: sqlite3.Connection) -> Check:
    """SQLite's quick check and the foreign keys."""
    found = [row[0] for row in conn.execute("PRAGMA quick_check")]
    if found != ["ok"]:
        more = f" (and {len(found) - 1} more)" if len(found) > 1 else ""
        return Check(False, "integrity", f"{found[0]}{more}: {RESTORE}")
    orphans = conn.execute("PRAGMA foreign_key_check").fetchall()
    if orphans:
        return Check(
            False,
            "integrity",
            f"{len(orphans)} row(s) point at rows that are gone (first in {orphans[0][0]}): "
            f"{RESTORE}",
        )
    return Check(True, "integrity", "SQLite's quick check and the foreign keys are fine")


def _disk(folder: Path, used: int) -> Check:
    """Room on the database's disk: at least MIN_FREE_BYTES and the database's own size (a
    backup or a migration may need as much again).
    """
    free = shutil.disk_usage(folder).free
    needed = max(MIN_FREE_BYTES, used)
    folder = folder.resolve()
    if free < needed:
        return Check(
            False,
            "disk",
            f"{_size(free)} free where the database lives ({folder}), under {_size(needed)}: "
            "free some space (when the disk fills, Nexus refuses every write)",
        )
    return Check(True, "disk", f"{_size(free)} free where the database lives ({folder})")


def check_database(database_url: str) -> list[Check]:
    """The database file: it opens, its migrations, its integrity, the disk it is on."""
    try:
        path = sqlite_path(database_url)
    except BackupError as exc:
        return [Check(None, "database", f"not checked: {exc}")]
    folder = path.parent if str(path.parent) else Path()
    if not path.exists():
        existing = next((p for p in (folder, *folder.parents) if p.exists()), Path())
        if not os.access(existing, os.W_OK):
            return [
                Check(
                    False,
                    "database",
                    f"{path} does not exist and {existing} is not writable: give the bot's "
                    "user write access there, or point DATABASE_URL elsewhere",
                )
            ]
        checks = [Check(True, "database", f"{path} does not exist yet: the first start creates it")]
        return [*checks, _disk(existing, 0)]
    try:
        conn = _open(path)
    except sqlite3.Error as exc:
        unreadable = Check(False, "database", f"{path} cannot be read as SQLite ({exc}): {RESTORE}")
        return [unreadable, _disk(folder, path.stat().st_size)]
    try:
        used = sum(p.stat().st_size for p in (path, Path(f"{path}-wal")) if p.exists())
        checks = [Check(True, "database", f"{path} opens ({_size(used)})")]
        try:
            checks += [_migrations(conn), _integrity(conn)]
        except sqlite3.Error as exc:
            checks.append(Check(False, "integrity", f"reading {path} failed ({exc}): {RESTORE}"))
        return [*checks, _disk(folder, used)]
    finally:
        conn.close()


# -- PostgreSQL ---------------------------------------------------------------------------------

CONNECT_TIMEOUT_S = 10
SEARCH_TABLES = (PostgresEntryIndex.table, PostgresQuestionIndex.table)


def _reason(exc: BaseException) -> str:
    """What the driver said, on one line (the password is never in it)."""
    said = getattr(exc, "orig", None) or exc
    return " ".join(f"{type(said).__name__}: {said}".split())[:300]


async def check_postgres(database_url: str, backup_dir: Path | None) -> list[Check]:
    """The PostgreSQL database: it answers, its migrations, its search tables, and pg_dump
    for the daily backups (when BACKUP_DIR is set). Only reads.
    """
    shown = make_url(database_url).render_as_string(hide_password=True)
    engine = create_async_engine(
        database_url,
        poolclass=NullPool,
        hide_parameters=True,
        connect_args={"timeout": CONNECT_TIMEOUT_S},
    )
    try:
        async with engine.connect() as conn:
            version = await conn.scalar(text("SHOW server_version"))
            rows: list[str] = []
            if await conn.scalar(text("SELECT to_regclass('alembic_version')")) is not None:
                rows = list(await conn.scalars(text("SELECT version_num FROM alembic_version")))
            tables = await conn.scalar(
                text("SELECT count(*) FROM pg_tables WHERE schemaname = current_schema()")
            )
            missing = [
                name
                for name in SEARCH_TABLES
                if await conn.scalar(text("SELECT to_regclass(:name)"), {"name": name}) is None
            ]
    except (OSError, SQLAlchemyError, TimeoutError) as exc:
        return [
            Check(
                False,
                "database",
                f"{shown} cannot be reached ({_reason(exc)}): check DATABASE_URL, that the "
                "server runs and that it lets this user into that database",
            )
        ]
    finally:
        await engine.dispose()
    checks = [
        Check(True, "database", f"{shown} answers (PostgreSQL {str(version).split()[0]})"),
        _revision(rows, bool(tables)),
    ]
    if not rows:
        checks.append(Check(None, "search", "not checked: the first start creates its tables"))
    elif missing:
        checks.append(
            Check(
                False,
                "search",
                f"the search tables {', '.join(missing)} are missing: searches fail until "
                f"they are back; {RESTORE}",
            )
        )
    else:
        checks.append(
            Check(True, "search", f"the search tables {', '.join(SEARCH_TABLES)} are there")
        )
    if backup_dir is not None:
        found = shutil.which("pg_dump")
        checks.append(
            Check(True, "backups", f"pg_dump found ({found}): daily backups into {backup_dir}")
            if found
            else Check(
                False,
                "backups",
                f"BACKUP_DIR is set but pg_dump is not installed: {INSTALL_CLIENT}",
            )
        )
    return checks


def check_content(root: Path, check: Callable[[Path], ContentReport]) -> Check:
    """content/ as the bot reads it at start."""
    report = check(root)
    counts = dict.fromkeys(("concept", "challenge", "tip"), 0)
    for entry in report.learnings:
        counts[entry.kind] = counts.get(entry.kind, 0) + 1
    summary = ", ".join(f"{n} {kind}s" for kind, n in counts.items())
    if report.problems:
        return Check(
            False,
            "content",
            f"{len(report.problems)} problem(s) in {root} ({summary}): python -m bot content "
            "check lists them; the bot refuses to start on them",
        )
    return Check(True, "content", f"{summary} in {root}, no problem")


async def check_discord(endpoint: Endpoint, token: str) -> list[Check]:
    """Whether Discord answers, and whether it accepts the token (one request)."""
    started = time.monotonic()
    try:
        user = await check_login(endpoint, token)
    except StartFailure as failure:
        if failure.status != EXIT_SETTINGS:
            return [
                Check(False, "Discord", str(failure)),
                Check(None, "login", "not checked: Discord was not reached"),
            ]
        answered = Check(True, "Discord", f"{endpoint.host} answers")
        return [answered, Check(False, "login", str(failure))]
    took = time.monotonic() - started
    name = user.get("username", "?")
    return [
        Check(True, "Discord", f"{endpoint.host} answers ({took:.1f} s)"),
        Check(True, "login", f"Discord accepts the token: the bot is {name} (id {user.get('id')})"),
    ]


async def diagnose(
    content: Callable[[Path], ContentReport], endpoint: Endpoint | None
) -> AsyncIterator[Check]:
    """Every check in turn (`endpoint` None: Discord is not asked)."""
    checks, settings = read_settings()
    for check in checks:
        yield check
    if settings is None:
        return
    if is_postgres(settings.database_url):
        database = await check_postgres(settings.database_url, settings.backup_dir)
    else:
        database = check_database(settings.database_url)
    for check in database:
        yield check
    yield check_content(settings.content_dir, content)
    token_ok = all(c.ok for c in checks)
    if endpoint is None:
        yield Check(None, "Discord", "not checked (--offline)")
        yield Check(None, "login", "not checked (--offline)")
    elif not token_ok:
        yield Check(None, "Discord", "not checked: DISCORD_TOKEN must be fixed first")
        yield Check(None, "login", "not checked: DISCORD_TOKEN must be fixed first")
    else:
        for check in await check_discord(endpoint, settings.discord_token):
            yield check
