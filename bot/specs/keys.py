"""Endpoint keys (`GET /bookings/{id}`): the methods, the longest path, and the key itself.

Shared by the document reader (bot/specs/openapi) and the bot's own lookups of what members
type; kept apart so that looking an endpoint up never loads the reader and its validators.
"""

from __future__ import annotations

METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
MAX_PATH_CHARS = 400


def endpoint_key(method: str, path: str) -> str:
    """The key an endpoint is known by: `GET /bookings/{id}`."""
    return f"{method.upper()} {path}"
