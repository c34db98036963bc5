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
            for secret in self.secrets:
                message = message.replace(secret, "[redacted]")
            record.msg, record.args = message, None
        return True


def setup_logging(level: str, *secrets: str) -> None:
    """Log to stderr at `level`; discord.py's own loggers included."""
    discord.utils.setup_logging(level=logging.getLevelName(level), root=True)
    redact = RedactSecrets(*secrets)
    for handler in logging.getLogger().handlers:
        handler.addFilter(redact)
    logging.getLogger("sqlalchemy.engine").setLevel(logging.WARNING)
