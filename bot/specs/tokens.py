"""Push tokens: what lets a backend team's CI push new versions of one spec over HTTP.

A token is shown once, to the editor who makes it, and only its SHA-256 is stored: a copy of
the database lets nobody push. Each spec has at most one token (a new one replaces it), and a
token pushes to its own spec only. Tokens are long random strings, so a hash lookup finds the
row; the hashes are then compared in constant time all the same.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select

from bot.core.actor import Actor
from bot.core.values import rowcount
from bot.db.engine import Database
from bot.db.models import Spec, SpecToken
from bot.errors import NotAllowed, NotFound
from bot.specs.lookup import find_spec, spec_id_named, spec_to_write
from bot.specs.settings import SpecSettingsService
from bot.specs.validation import parse_spec_name, shown

TOKEN_PREFIX = "nexus_spec_"  # noqa: S105 (a prefix) recognisable in a secret scanner's findings and in logs
TOKEN_RE = re.compile(rf"{TOKEN_PREFIX}[A-Za-z0-9_-]{{43}}")  # token_urlsafe(32): 43 characters


class BadToken(NotAllowed):
    """The token is missing, malformed, revoked or never was (HTTP 401)."""


@dataclass(frozen=True, slots=True)
class IssuedToken:
    """A new token, to be shown once; `replaced`: the spec's previous token stopped working."""

    spec_name: str
    token: str
    replaced: bool


@dataclass(frozen=True, slots=True)
class PushGrant:
    """What a valid token allows: pushing versions of one spec of one server."""

    token_id: int
    guild_id: int
    spec_id: int
    spec_name: str
    created_by: int | None
    channel_id: int | None  # where the token was made: announcements without a spec channel


def new_token() -> str:
    """A fresh token: the prefix and 32 random bytes, base64url."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    """What is stored of a token: its SHA-256, hex."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class SpecTokens:
    """Makes, revokes and checks the push tokens of a server's specs."""

    def __init__(
        self, db: Database, clock: Callable[[], datetime], settings: SpecSettingsService
    ) -> None:
        self._db = db
        self._clock = clock
        self._settings = settings

    async def create(
        self, guild_id: int, actor: Actor, spec_name: str, channel_id: int | None
    ) -> IssuedToken:
        """A new token for the spec (editors only), replacing the one it had; a new name starts
        a new spec, which CI's first push fills.
        """
        name = parse_spec_name(spec_name)
        await self._settings.require_editor(guild_id, actor)
        token, now = new_token(), self._clock()
        async with self._db.unit_of_work() as session:
            spec = await spec_to_write(
                session, guild_id, name, title=name, by=actor.user_id, now=now
            )
            removed = await session.execute(delete(SpecToken).where(SpecToken.spec_id == spec.id))
            session.add(
                SpecToken(
                    guild_id=guild_id,
                    spec_id=spec.id,
                    token_hash=token_hash(token),
                    channel_id=channel_id,
                    created_by=actor.user_id,
                    created_at=now,
                )
            )
            replaced = rowcount(removed) > 0
            return IssuedToken(spec.name, token, replaced)

    async def revoke(self, guild_id: int, actor: Actor, spec_name: str) -> str:
        """Delete the spec's token (editors only); the spec's name. NotFound when it has none."""
        await self._settings.require_editor(guild_id, actor)
        async with self._db.unit_of_work() as session:
            spec = await find_spec(session, guild_id, spec_name)
            removed = await session.execute(delete(SpecToken).where(SpecToken.spec_id == spec.id))
            if not rowcount(removed):
                raise NotFound(f"`{spec.name}` has no push token: there is nothing to revoke.")
            return spec.name

    async def authorize(self, token: str, spec_name: str) -> PushGrant:
        """What `token` may push, if it may push to `spec_name`: BadToken when the token is
        not a live one, NotFound when its server has no such spec, NotAllowed when the spec is
        not the token's.
        """
        if not TOKEN_RE.fullmatch(token):
            raise BadToken("The token is missing or is not a Nexus spec token.")
        digest = token_hash(token)
        async with self._db.read() as session:
            row = (
                await session.execute(
                    select(SpecToken, Spec.name)
                    .join(Spec, Spec.id == SpecToken.spec_id)
                    .where(SpecToken.token_hash == digest)
                )
            ).first()
            if row is None or not hmac.compare_digest(row[0].token_hash, digest):
                raise BadToken(
                    "The token is not valid (revoked, replaced by a newer one, or never made): "
                    "make one with `/spec token create`."
                )
            stored, own_name = row
            asked = spec_name.strip().lower()
            if asked != own_name:
                if await spec_id_named(session, stored.guild_id, asked) is None:
                    raise NotFound(f"There is no spec `{shown(spec_name)}` on this server.")
                raise NotAllowed(f"This token pushes to `{own_name}` only.")
            return PushGrant(
                stored.id,
                stored.guild_id,
                stored.spec_id,
                own_name,
                stored.created_by,
                stored.channel_id,
            )
