"""Logging to stderr: one line per record, with the interaction it belongs to, secrets removed.

Every line written while an interaction is handled carries its context — the server, channel,
user, interaction id and command (or component) — without any call site passing it: the
context is bound when Discord delivers the interaction, before discord.py creates the tasks
that handle it, and tasks inherit it (`contextvars`). `LOG_FORMAT=json` writes one JSON object
per line for a log collector; the default is text with `key=value` pairs at the end.
"""

from __future__ import annotations

import contextlib
import json
import logging
import sys
from collections.abc import Callable, Iterator, Mapping
from contextvars import ContextVar
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any

from bot.network import in_a_few_words

# The fields a record may carry, in the order they are written.
FIELDS = ("guild", "channel", "user", "interaction", "command", "incident")

_EMPTY: Mapping[str, Any] = MappingProxyType({})
_context: ContextVar[Mapping[str, Any]] = ContextVar("nexus_log_context", default=_EMPTY)

_received = logging.getLogger("bot.interactions")
INTERACTION_KINDS = {2: "/", 3: "component ", 4: "autocomplete /", 5: "modal "}
SUBCOMMAND_TYPES = (1, 2)


def current_context() -> Mapping[str, Any]:
    """The fields `log_context` has bound for the code running now."""
    return _context.get()


@contextlib.contextmanager
def log_context(**fields: Any) -> Iterator[None]:
    """Adds `fields` to every record logged inside the block (and in tasks it starts)."""
    bound = {k: v for k, v in fields.items() if v is not None}
    token = _context.set(MappingProxyType({**_context.get(), **bound}))
    try:
        yield
    finally:
        _context.reset(token)


def describe_interaction(data: Mapping[str, Any]) -> dict[str, Any]:
    """The log context of a raw INTERACTION_CREATE payload (never raises on odd payloads)."""
    body = data.get("data") or {}
    user = (data.get("member") or {}).get("user") or data.get("user") or {}
    kind = data.get("type")
    if kind in (2, 4):
        parts = [str(body.get("name", "?"))]
        options = body.get("options") or []
        while options and options[0].get("type") in SUBCOMMAND_TYPES:
            parts.append(str(options[0].get("name", "?")))
            options = options[0].get("options") or []
        name = " ".join(parts)
    else:
        name = str(body.get("custom_id", "?"))[:100]
    return {
        "guild": data.get("guild_id"),
        "channel": data.get("channel_id"),
        "user": user.get("id"),
        "interaction": data.get("id"),
        "command": INTERACTION_KINDS.get(kind, f"type {kind} ") + name if kind else None,
    }


def with_interaction_context(parse: Callable[[Any], None]) -> Callable[[Any], None]:
    """Wraps discord.py's INTERACTION_CREATE parser so that what it schedules logs in context."""

    def parse_interaction_create(data: Any) -> None:
        try:
            fields = describe_interaction(data)
        except (AttributeError, TypeError):
            fields = {}
        with log_context(**fields):
            _received.debug("received")
            parse(data)

    return parse_interaction_create


def install_context_factory() -> None:
    """Makes every log record carry the current context as attributes, whichever handler
    receives it (the production stream, the playground's file, a test's capture). Idempotent.
    """
    previous = logging.getLogRecordFactory()
    if getattr(previous, "nexus_context", False):
        return

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        for key, value in _context.get().items():
            setattr(record, key, value)
        return record

    factory.nexus_context = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(factory)


def _fields(record: logging.LogRecord) -> dict[str, Any]:
    return {k: getattr(record, k) for k in FIELDS if getattr(record, k, None) is not None}


class TextFormatter(logging.Formatter):
    """`2026-11-23 12:00:01 INFO bot.errors: message guild=1 command=/concept`."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)-7s %(name)s: %(message)s", "%Y-%m-%d %H:%M:%S")

    def formatMessage(self, record: logging.LogRecord) -> str:
        """The line, then the record's context fields as `key=value` pairs."""
        line = super().formatMessage(record)
        pairs = " ".join(f"{k}={_quote(v)}" for k, v in _fields(record).items())
        return f"{line} {pairs}" if pairs else line


def _quote(value: Any) -> str:
    text = str(value)
    needs_quotes = not text or any(c.isspace() or c in '"=' for c in text)
    return json.dumps(text, ensure_ascii=False) if needs_quotes else text


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC), level, logger, message, context fields, exc."""

    def format(self, record: logging.LogRecord) -> str:
        """The record as one line of JSON."""
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            **_fields(record),
        }
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exc"] = record.exc_text
        if record.stack_info:
            entry["stack"] = record.stack_info
        return json.dumps(entry, ensure_ascii=False, default=str)


class OneLineReconnects(logging.Filter):
    """discord.py logs each reconnection to Discord's gateway with the traceback of what broke
    the connection; a network failure needs no traceback: one WARNING line says what it was.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        """Shorten a reconnect record in place; never drops it."""
        if (
            record.name == "discord.client"
            and record.exc_info
            and record.exc_info[1] is not None
            and str(record.msg).startswith("Attempting a reconnect")
        ):
            what = in_a_few_words(record.exc_info[1])
            then = record.getMessage().replace("Attempting", "attempting", 1)
            record.msg = f"the connection to Discord's gateway failed ({what}); {then}"
            record.args = None
            record.exc_info, record.exc_text = None, None
            record.levelno, record.levelname = logging.WARNING, "WARNING"
        return True


class RedactSecrets(logging.Filter):
    """Replaces each secret, wherever it appears in a record, by `[redacted]`."""

    def __init__(self, *secrets: str) -> None:
        super().__init__()
        self.secrets = [s for s in secrets if s]

    def filter(self, record: logging.LogRecord) -> bool:
        """Redact the record's message, traceback and stack in place; never drops it."""
        if not self.secrets:
            return True
        message = record.getMessage()
        if any(s in message for s in self.secrets):
            record.msg, record.args = self.redact(message), None
        # A traceback can quote the secret too (an exception's message, a local in a repr).
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        return True

    def redact(self, text: str) -> str:
        """`text` with every secret replaced by `[redacted]`."""
        for secret in self.secrets:
            text = text.replace(secret, "[redacted]")
        return text


class RedactingFormatter(logging.Formatter):
    """Wraps a handler's formatter and redacts its whole output, tracebacks included.

    A formatter may re-format `exc_info` itself, so a filter alone cannot reach a secret quoted
    in an exception message.
    """

    def __init__(self, inner: logging.Formatter | None, redact: RedactSecrets) -> None:
        super().__init__()
        self.inner = inner or logging.Formatter()
        self.redact = redact

    def format(self, record: logging.LogRecord) -> str:
        """The inner formatter's output, redacted."""
        return self.redact.redact(self.inner.format(record))


def make_handler(stream: Any, fmt: str, *secrets: str) -> logging.Handler:
    """A stream handler writing `fmt` ("text" or "json") lines, in context, secrets removed."""
    handler = logging.StreamHandler(stream)
    redact = RedactSecrets(*secrets)
    handler.addFilter(OneLineReconnects())
    handler.addFilter(redact)
    inner = JsonFormatter() if fmt == "json" else TextFormatter()
    handler.setFormatter(RedactingFormatter(inner, redact))
    return handler


def setup_logging(level: str, *secrets: str, fmt: str = "text") -> None:
    """Log to stderr at `level`; discord.py's own loggers included."""
    install_context_factory()
    root = logging.getLogger()
    for old in root.handlers[:]:
        root.removeHandler(old)
    root.addHandler(make_handler(sys.stderr, fmt, *secrets))
    root.setLevel(logging.getLevelName(level))
    logging.getLogger("sqlalchemy.engine").setLevel(logging.WARNING)
