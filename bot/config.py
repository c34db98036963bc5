"""Settings read once from the environment (and `.env`), validated, immutable."""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dotenv import dotenv_values
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///data/nexus.db"
SUPPORTED_DRIVERS = ("sqlite+aiosqlite", "postgresql+asyncpg")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
LOG_FORMATS = ("text", "json")
DEFAULT_METRICS_HOST = "127.0.0.1"  # the metrics endpoint answers this machine only by default
DEFAULT_HTTP_HOST = "127.0.0.1"  # so does the spec push endpoint


class ConfigError(ValueError):
    """A setting is missing or malformed; the message names the variable and what is expected."""

    def __init__(self, variable: str, expected: str) -> None:
        self.variable = variable
        self.expected = expected
        super().__init__(f"{variable}: {expected}")


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything Nexus reads from its environment."""

    discord_token: str = field(repr=False)
    database_url: str = DEFAULT_DATABASE_URL
    dev_guild_id: int | None = None
    owner_ids: frozenset[int] = frozenset()
    log_level: str = "INFO"
    log_format: str = "text"
    default_timezone: str = "UTC"
    content_dir: Path = Path("content")
    sync_commands: bool = True
    health_file: Path = Path("data/heartbeat")
    backup_dir: Path | None = None
    backup_keep: int = 7
    metrics_port: int | None = None  # None: no metrics endpoint (0 picks a free port: tests)
    metrics_host: str = DEFAULT_METRICS_HOST
    http_port: int | None = None  # None: no spec push endpoint (0 picks a free port: tests)
    http_host: str = DEFAULT_HTTP_HOST
    sentry_dsn: str | None = field(default=None, repr=False)
    start_retry_seconds: float = 300.0
    shard_count: int | None = None  # None: one process, one connection (discord.py's Bot)
    shard_ids: tuple[int, ...] | None = None  # this process's shards (None: all of shard_count)

    @property
    def shards(self) -> tuple[int, ...] | None:
        """The shards this process connects (None: not sharded)."""
        if self.shard_count is None:
            return None
        return self.shard_ids if self.shard_ids is not None else tuple(range(self.shard_count))

    @property
    def leads(self) -> bool:
        """Whether this process does the once-per-bot work (registering commands, backups): the
        one holding shard 0, or the only one when not sharded.
        """
        shards = self.shards
        return shards is None or 0 in shards

    def holds(self, guild_id: int) -> bool:
        """Whether this process's shards receive the server's events (always when not
        sharded): Discord's `(guild_id >> 22) % shard_count`.
        """
        if self.shard_count is None or self.shards is None:
            return True
        return (guild_id >> 22) % self.shard_count in self.shards

    @property
    def database(self) -> URL:
        """`database_url`, parsed."""
        return make_url(self.database_url)


# A Discord bot token: three base64url parts joined by dots (the bot's id, a time, a signature).
TOKEN_SHAPE = re.compile(r"[\w-]{20,}\.[\w-]{4,}\.[\w-]{20,}")
SHOWN_MAX = 60  # the longest value an error message quotes
# A host name: dot-separated labels (1-63 letters, digits and inner hyphens).
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
HOST_NAME = re.compile(rf"(?=.{{1,253}}$){_LABEL}(?:\.{_LABEL})*")


def _shown(raw: str) -> str:
    """`raw` quoted for an error message; a value that looks like a token is never shown."""
    if TOKEN_SHAPE.search(raw):
        return "a value that looks like a bot token (not shown: it belongs in DISCORD_TOKEN only)"
    return repr(raw if len(raw) <= SHOWN_MAX else raw[: SHOWN_MAX - 1] + "…")


EXPECTED_SHAPE = (
    "expected a bot token: three parts separated by dots, each of letters, digits, '-' and '_' "
    "(Developer Portal > your app > Bot > Reset Token)"
)
TOKEN_PART = re.compile(r"[A-Za-z0-9_-]+")


def token_problem(token: str) -> str | None:
    """What keeps `token` from being shaped like a Discord bot token (None: it is), described
    without showing the token: its parts are the bot's id, a time and a signature, in base64url.
    Whether Discord accepts it only Discord says (`python -m bot doctor` asks).
    """
    if token.startswith(("Bot ", "bot ")):
        return f"{EXPECTED_SHAPE}; give the token alone, without the 'Bot ' in front"
    if token[:1] in "\"'" and token[-1:] == token[:1]:
        return f"{EXPECTED_SHAPE}; give the token without quotes"
    parts = token.split(".")
    if len(parts) != 3:
        counted = "1 part" if len(parts) == 1 else f"{len(parts)} parts"
        return f"{EXPECTED_SHAPE}; this value has {counted} ({len(token)} characters)"
    if not all(parts):
        return f"{EXPECTED_SHAPE}; a part is empty"
    odd = sorted({ch for ch in token if ch != "." and not TOKEN_PART.fullmatch(ch)})
    if odd:
        shown = ", ".join("a space" if ch.isspace() else repr(ch) for ch in odd[:3])
        return f"{EXPECTED_SHAPE}; this value holds {shown}, which no token has"
    return None


def _snowflake(name: str, raw: str) -> int:
    if not re.fullmatch(r"\d{15,20}", raw):
        raise ConfigError(name, f"expected a Discord id (15-20 digits), got {_shown(raw)}")
    return int(raw)


def _bool(name: str, raw: str) -> bool:
    lowered = raw.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ConfigError(name, f"expected true or false, got {_shown(raw)}")


def _port(name: str, raw: str) -> int:
    if not re.fullmatch(r"\d{1,5}", raw) or not 1 <= int(raw) <= 65535:
        raise ConfigError(name, f"expected a TCP port number (1-65535), got {_shown(raw)}")
    return int(raw)


def _host(name: str, raw: str) -> str:
    """An address to listen on: an IP address (127.0.0.1, 0.0.0.0, ::1) or a host name."""
    try:
        ipaddress.ip_address(raw)
    except ValueError:
        if not HOST_NAME.fullmatch(raw) or TOKEN_SHAPE.search(raw):
            raise ConfigError(
                name,
                f"expected an address to listen on, e.g. 127.0.0.1 or 0.0.0.0, got {_shown(raw)}",
            ) from None
    return raw


def _sentry_dsn(raw: str) -> str:
    """A Sentry DSN: http(s)://PUBLIC_KEY@HOST/PROJECT_ID. Never quoted back: it holds a key."""
    expected = (
        "expected a Sentry DSN such as https://<key>@o0.ingest.sentry.io/<project id> "
        "(Sentry > Project Settings > Client Keys); the value given is not one (not shown)"
    )
    try:
        url = urlsplit(raw)
        port_ok = url.port is None or url.port > 0
    except ValueError:
        raise ConfigError("SENTRY_DSN", expected) from None
    project = url.path.rstrip("/").rsplit("/", 1)[-1]
    if (
        url.scheme not in ("http", "https")
        or not url.username
        or not url.hostname
        or not port_ok
        or not project.isdigit()
        or any(ch.isspace() for ch in raw)
    ):
        raise ConfigError("SENTRY_DSN", expected)
    return raw


def _database_url(raw: str) -> str:
    try:
        url = make_url(raw)
    except ArgumentError:
        raise ConfigError(
            "DATABASE_URL",
            "expected a URL such as sqlite+aiosqlite:///data/nexus.db or "
            "postgresql+asyncpg://user:password@host/nexus",
        ) from None
    if url.drivername not in SUPPORTED_DRIVERS:
        raise ConfigError(
            "DATABASE_URL",
            f"expected a driver among {', '.join(SUPPORTED_DRIVERS)}, got {_shown(url.drivername)}",
        )
    if url.drivername.startswith("sqlite") and not url.database:
        raise ConfigError(
            "DATABASE_URL", "expected a SQLite file path, e.g. sqlite+aiosqlite:///data/nexus.db"
        )
    if url.get_backend_name() == "postgresql" and not (url.host and url.database):
        raise ConfigError(
            "DATABASE_URL",
            "expected a server and a database, e.g. postgresql+asyncpg://user:password@host/nexus",
        )
    return raw


MAX_SHARDS = 10_000  # far above any bot's; a typo of a count is caught, not a real one


def _shards(
    count_raw: str | None, ids_raw: str | None
) -> tuple[int | None, tuple[int, ...] | None]:
    """SHARD_COUNT and SHARD_IDS, checked together."""
    if count_raw is None:
        if ids_raw is not None:
            raise ConfigError(
                "SHARD_IDS",
                "needs SHARD_COUNT too: set SHARD_COUNT to the number of shards of every "
                "process together (e.g. SHARD_COUNT=2 with SHARD_IDS=0 here and 1 in the other)",
            )
        return None, None
    if not re.fullmatch(r"\d{1,5}", count_raw) or not 1 <= int(count_raw) <= MAX_SHARDS:
        raise ConfigError(
            "SHARD_COUNT",
            f"expected the number of shards of the whole bot (1-{MAX_SHARDS}), "
            f"got {_shown(count_raw)}",
        )
    count = int(count_raw)
    if ids_raw is None:
        return count, None
    parts = [part.strip() for part in ids_raw.split(",")]
    if not all(re.fullmatch(r"\d{1,5}", part) for part in parts):
        raise ConfigError(
            "SHARD_IDS",
            f"expected comma-separated shard numbers such as 0,1, got {_shown(ids_raw)}",
        )
    ids = [int(part) for part in parts]
    outside = [i for i in ids if i >= count]
    if outside:
        raise ConfigError(
            "SHARD_IDS",
            f"expected shard numbers from 0 to {count - 1} (SHARD_COUNT is {count}), "
            f"got {', '.join(map(str, outside))}",
        )
    if len(set(ids)) != len(ids):
        raise ConfigError("SHARD_IDS", f"names a shard twice: {_shown(ids_raw)}")
    return count, tuple(sorted(ids))


def load_settings(
    environ: Mapping[str, str] | None = None,
    *,
    env_file: str | Path | None = ".env",
    require_token: bool = True,
) -> Settings:
    """Read settings from `environ` (default: the process environment over `.env`).

    Operator commands that never talk to Discord pass `require_token=False`.
    """
    values: dict[str, str] = {}
    if env_file is not None and Path(env_file).is_file():
        values.update({k: v for k, v in dotenv_values(env_file).items() if v is not None})
    values.update(os.environ if environ is None else environ)

    def get(name: str) -> str | None:
        raw = values.get(name)
        if raw is None or not raw.strip():
            return None
        return raw.strip()

    token = get("DISCORD_TOKEN")
    if token is None and not require_token:
        token = ""
    elif token is None:
        raise ConfigError(
            "DISCORD_TOKEN",
            "missing: set it to your bot's token (Discord Developer Portal > your app > Bot)",
        )
    if token:
        problem = token_problem(token)
        if problem:
            raise ConfigError("DISCORD_TOKEN", problem)

    dev_guild = get("DEV_GUILD_ID")
    owners = get("OWNER_IDS")
    level = (get("LOG_LEVEL") or "INFO").upper()
    if level not in LOG_LEVELS:
        raise ConfigError(
            "LOG_LEVEL", f"expected one of {', '.join(LOG_LEVELS)}, got {_shown(level)}"
        )
    log_format = (get("LOG_FORMAT") or "text").lower()
    if log_format not in LOG_FORMATS:
        raise ConfigError(
            "LOG_FORMAT", f"expected one of {', '.join(LOG_FORMATS)}, got {_shown(log_format)}"
        )
    zone = get("DEFAULT_TIMEZONE") or "UTC"
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            "DEFAULT_TIMEZONE",
            f"expected an IANA time zone such as Africa/Nairobi, got {_shown(zone)}",
        ) from None
    content_dir = Path(get("CONTENT_DIR") or "content")
    if not content_dir.is_dir():
        raise ConfigError(
            "CONTENT_DIR", f"expected a folder of learnings, {_shown(str(content_dir))} is not one"
        )
    sync = get("SYNC_COMMANDS")
    keep_raw = get("BACKUP_KEEP") or "7"
    if not re.fullmatch(r"\d{1,4}", keep_raw) or int(keep_raw) < 1:
        raise ConfigError(
            "BACKUP_KEEP", f"expected a number of backups (1 or more), got {_shown(keep_raw)}"
        )
    backup_dir = get("BACKUP_DIR")
    metrics_port = get("METRICS_PORT")
    sentry_dsn = get("SENTRY_DSN")
    retry_raw = get("START_RETRY_SECONDS") or "300"
    if not re.fullmatch(r"\d{1,6}(\.\d+)?", retry_raw):
        raise ConfigError(
            "START_RETRY_SECONDS",
            f"expected a number of seconds (0 or more), got {_shown(retry_raw)}",
        )

    shard_count, shard_ids = _shards(get("SHARD_COUNT"), get("SHARD_IDS"))
    http_port = get("HTTP_PORT")
    if http_port and http_port == metrics_port:
        raise ConfigError(
            "HTTP_PORT",
            f"expected a port other than METRICS_PORT's ({http_port}): the push endpoint and "
            "the metrics endpoint are two servers",
        )

    return Settings(
        discord_token=token,
        database_url=_database_url(get("DATABASE_URL") or DEFAULT_DATABASE_URL),
        dev_guild_id=_snowflake("DEV_GUILD_ID", dev_guild) if dev_guild else None,
        owner_ids=frozenset(
            _snowflake("OWNER_IDS", part.strip()) for part in owners.split(",") if part.strip()
        )
        if owners
        else frozenset(),
        log_level=level,
        log_format=log_format,
        default_timezone=zone,
        content_dir=content_dir,
        sync_commands=_bool("SYNC_COMMANDS", sync) if sync else True,
        health_file=Path(get("HEALTH_FILE") or "data/heartbeat"),
        backup_dir=Path(backup_dir) if backup_dir else None,
        backup_keep=int(keep_raw),
        start_retry_seconds=float(retry_raw),
        metrics_port=_port("METRICS_PORT", metrics_port) if metrics_port else None,
        metrics_host=_host("METRICS_HOST", get("METRICS_HOST") or DEFAULT_METRICS_HOST),
        http_port=_port("HTTP_PORT", http_port) if http_port else None,
        http_host=_host("HTTP_HOST", get("HTTP_HOST") or DEFAULT_HTTP_HOST),
        sentry_dsn=_sentry_dsn(sentry_dsn) if sentry_dsn else None,
        shard_count=shard_count,
        shard_ids=shard_ids,
    )
