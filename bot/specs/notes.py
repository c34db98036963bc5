"""What members add by hand: endpoints typed before (or beside) a document, and notes."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.actor import Actor
from bot.db.engine import Database, take_turn
from bot.db.models import SpecEndpoint, SpecNote
from bot.errors import AlreadyExists, OnCooldown
from bot.specs.listing import file_typed
from bot.specs.lookup import endpoint_view, find_spec, resolve_key, spec_to_write
from bot.specs.model import EndpointView, ManualDraft
from bot.specs.settings import SpecSettingsService
from bot.specs.validation import key_hash, make_note, parse_spec_name

# A member adds at most one note per server in this window: a note is answered publicly, so
# without it one member could post a message a millisecond.
NOTE_COOLDOWN = timedelta(seconds=20)


class Notes:
    """Hand-typed endpoints (editors) and notes on endpoints (every member)."""

    def __init__(
        self, db: Database, clock: Callable[[], datetime], settings: SpecSettingsService
    ) -> None:
        self._db = db
        self._clock = clock
        self._settings = settings
        self.note_cooldown = NOTE_COOLDOWN

    async def add_manual(
        self, guild_id: int, actor: Actor, spec_name: str, draft: ManualDraft
    ) -> EndpointView:
        """Store a hand-typed endpoint (creating the spec if needed); its author may redo it."""
        name = parse_spec_name(spec_name)
        await self._settings.require_editor(guild_id, actor)
        now = self._clock()
        async with self._db.unit_of_work() as session:
            spec = await spec_to_write(
                session, guild_id, name, title=name, by=actor.user_id, now=now
            )
            rows = (
                await session.scalars(
                    select(SpecEndpoint).where(
                        SpecEndpoint.spec_id == spec.id, SpecEndpoint.key == draft.key
                    )
                )
            ).all()
            if any(r.version_id is not None for r in rows):
                raise AlreadyExists(
                    f"`{draft.key}` is already in the imported document of `{name}`; add what "
                    "you know with `/spec note` instead."
                )
            typed = next(iter(rows), None)
            if typed is not None and typed.author_id != actor.user_id and not actor.can_manage:
                raise AlreadyExists(
                    f"<@{typed.author_id}> already typed `{draft.key}` in `{name}`; add what you "
                    "know with `/spec note`."
                )
            new = typed is None
            if typed is None:
                typed = SpecEndpoint(
                    guild_id=guild_id,
                    spec_id=spec.id,
                    version_id=None,
                    method=draft.method,
                    path=draft.path,
                    key=draft.key,
                    key_hash=key_hash(draft.key),
                    tags=[],
                    deprecated=False,
                )
                session.add(typed)
            typed.summary = draft.summary
            typed.detail = json.dumps(
                {
                    "request_example": draft.request_example,
                    "response_example": draft.response_example,
                },
                ensure_ascii=False,
            )
            typed.author_id = actor.user_id
            typed.created_at = now
            spec.updated_at = now
            await session.flush()
            if new:
                await file_typed(session, typed)
            return await endpoint_view(session, spec, draft.key)

    async def add_note(
        self, guild_id: int, actor: Actor, spec_name: str, ref: str, text: str
    ) -> EndpointView:
        """Add a note to an endpoint (any member), and show the endpoint with it."""
        body = make_note(text)
        async with self._db.unit_of_work() as session:
            spec = await find_spec(session, guild_id, spec_name)
            key = await resolve_key(session, spec, ref)
            note = SpecNote(
                guild_id=guild_id,
                spec_id=spec.id,
                endpoint_key=key,
                author_id=actor.user_id,
                body=body,
                created_at=self._clock(),
            )
            session.add(note)
            await session.flush()
            await self._cooldown(session, guild_id, actor.user_id, written=note.id)
            return await endpoint_view(session, spec, key)

    async def _cooldown(
        self, session: AsyncSession, guild_id: int, user_id: int, *, written: int
    ) -> None:
        """Raise OnCooldown when the member added another note in this server within
        NOTE_COOLDOWN.

        Checked after the note is written, in the same transaction: the write took the
        database's write lock, so notes sent at the same moment all see each other, and a
        refusal rolls this one back (on PostgreSQL, the member's writers take turns).
        """
        await take_turn(session, "cooldown", SpecNote.__tablename__, guild_id, user_id)
        last = await session.scalar(
            select(SpecNote.created_at)
            .where(
                SpecNote.guild_id == guild_id,
                SpecNote.author_id == user_id,
                SpecNote.id != written,
            )
            .order_by(SpecNote.created_at.desc())
            .limit(1)
        )
        if last is None:
            return
        remaining = (last + self.note_cooldown - self._clock()).total_seconds()
        if remaining > 0:
            raise OnCooldown("add a note", remaining)
