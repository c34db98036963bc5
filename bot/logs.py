"""Logging to stderr, with secrets kept out of every line."""

from __future__ import annotations

import logging

import discord


class RedactSecrets(logging.Filter):
    """Replaces each secret, wherever it appears in a record, by `[redacted]`."""

    def __init__(self, *secrets: str) -> None:
        super().__init__()
        self.secrets = [s for s in secrets if s]

    def filter(self, record: logging.LogRecord) -> bool:
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
        for secret in self.secrets:
            text = text.replace(secret, "[redacted]")
        return text


class RedactingFormatter(logging.Formatter):
    """Wraps a handler's formatter and redacts its whole output, tracebacks included.

    discord.py's colour formatter re-formats `exc_info` itself, so a filter alone cannot reach
    a secret quoted in an exception message.
    """

    def __init__(self, inner: logging.Formatter | None, redact: RedactSecrets) -> None:
        super().__init__()
        self.inner = inner or logging.Formatter()
        self.redact = redact

    def format(self, record: logging.LogRecord) -> str:
        return self.redact.redact(self.inner.format(record))


def setup_logging(level: str, *secrets: str) -> None:
    """Log to stderr at `level`; discord.py's own loggers included."""
    discord.utils.setup_logging(level=logging.getLevelName(level), root=True)
    redact = RedactSecrets(*secrets)
    for handler in logging.getLogger().handlers:
        handler.addFilter(redact)
        handler.setFormatter(RedactingFormatter(handler.formatter, redact))
    logging.getLogger("sqlalchemy.engine").setLevel(logging.WARNING)
