"""Removing data: a whole spec (editors), or a member's own notes and follows (forget-me)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.actor import Actor
from bot.core.values import rowcount
from bot.db.engine import Database
from bot.db.models import (
    Spec,
    SpecEndpoint,
    SpecFollow,
    SpecNote,
    SpecSettings,
    SpecToken,
    SpecVersion,
)
from bot.specs.lookup import find_spec
from bot.specs.model import PersonalData, SpecContents
from bot.specs.settings import SpecSettingsService


async def _contents(session: AsyncSession, spec: Spec) -> SpecContents:
    async def count(model: Any) -> int:
        return int(
            await session.scalar(
                select(func.count()).select_from(model).where(model.spec_id == spec.id)
            )
            or 0
        )

    return SpecContents(
        spec.name,
        versions=await count(SpecVersion),
        endpoints=await count(SpecEndpoint),
        notes=await count(SpecNote),
        follows=await count(SpecFollow),
    )


class Privacy:
    """Deleting specs, and a member's right to see and remove what they wrote."""

    def __init__(self, db: Database, settings: SpecSettingsService) -> None:
        self._db = db
        self._settings = settings

    async def contents(self, guild_id: int, actor: Actor, spec_name: str) -> SpecContents:
        """What deleting `spec_name` would remove (editors only: the same right as importing)."""
        await self._settings.require_editor(guild_id, actor)
        async with self._db.read() as session:
            return await _contents(session, await find_spec(session, guild_id, spec_name))

    async def delete_spec(self, guild_id: int, actor: Actor, spec_name: str) -> SpecContents:
        """Delete a spec with its versions, endpoints, changes, notes and follows, at once."""
        await self._settings.require_editor(guild_id, actor)
        async with self._db.unit_of_work() as session:
            spec = await find_spec(session, guild_id, spec_name)
            removed = await _contents(session, spec)
            # Rows of a spec reference it with ON DELETE CASCADE (foreign keys are on).
            await session.execute(delete(Spec).where(Spec.id == spec.id))
            return removed

    async def written_by(self, user_id: int) -> PersonalData:
        """The notes and follows of `user_id`, in every server (for /spec forget-me)."""
        async with self._db.read() as session:
            notes = await session.scalar(
                select(func.count()).select_from(SpecNote).where(SpecNote.author_id == user_id)
            )
            follows = await session.scalar(
                select(func.count()).select_from(SpecFollow).where(SpecFollow.user_id == user_id)
            )
        return PersonalData(notes=int(notes or 0), follows=int(follows or 0))

    async def wipe_traces(self) -> None:
        """Make deleted notes leave the disk: freed pages are overwritten already
        (secure_delete); this empties the write-ahead log that still holds them. Run it once
        `forget` has been answered.
        """
        await self._db.checkpoint()

    async def forget(self, user_id: int) -> PersonalData:
        """Delete `user_id`'s notes and follows; keep what they imported or typed for the
        others, without their name on it (then `wipe_traces` takes the notes off the disk).
        """
        async with self._db.unit_of_work() as session:
            notes = await session.execute(delete(SpecNote).where(SpecNote.author_id == user_id))
            follows = await session.execute(delete(SpecFollow).where(SpecFollow.user_id == user_id))
            anonymised = 0
            named: tuple[tuple[Any, Any], ...] = (
                (SpecEndpoint, SpecEndpoint.author_id),
                (Spec, Spec.created_by),
                (SpecVersion, SpecVersion.imported_by),
                (SpecSettings, SpecSettings.updated_by),
                (SpecToken, SpecToken.created_by),
            )
            for model, column in named:
                done = await session.execute(
                    update(model).where(column == user_id).values({column: None})
                )
                anonymised += rowcount(done)
        return PersonalData(rowcount(notes), rowcount(follows), anonymised)
