"""Q&A settings of a server (where questions are posted) and the cooldowns checked up front."""

from __future__ import annotations

from sqlalchemy import select

from bot.core.actor import require_manage_server
from bot.db.models import QaAnswer, QaQuestion, QaSettings
from bot.qa.store import QaStore


class Settings(QaStore):
    """The Q&A channel of each server, and whether a member may ask or answer right now."""

    async def set_channel(self, guild_id: int, channel_id: int | None, *, can_manage: bool) -> None:
        """Choose where questions are posted (None: where they are asked). Manage Server only."""
        require_manage_server(can_manage)
        async with self._db.unit_of_work() as session:
            row = await session.get(QaSettings, guild_id)
            if row is None:
                session.add(QaSettings(guild_id=guild_id, channel_id=channel_id))
            else:
                row.channel_id = channel_id

    async def set_archive_after(self, guild_id: int, minutes: int, *, can_manage: bool) -> None:
        """How long a solved forum post stays open when quiet. Manage Server only."""
        require_manage_server(can_manage)
        async with self._db.unit_of_work() as session:
            row = await session.get(QaSettings, guild_id)
            if row is None:
                session.add(QaSettings(guild_id=guild_id, archive_after_minutes=minutes))
            else:
                row.archive_after_minutes = minutes

    async def archive_after(self, guild_id: int) -> int | None:
        """Minutes a solved forum post stays open when quiet (None: the default)."""
        async with self._db.read() as session:
            return await session.scalar(
                select(QaSettings.archive_after_minutes).where(QaSettings.guild_id == guild_id)
            )

    async def channel_for(self, guild_id: int) -> int | None:
        """The channel questions are posted in (None: where they are asked)."""
        async with self._db.read() as session:
            return await session.scalar(
                select(QaSettings.channel_id).where(QaSettings.guild_id == guild_id)
            )

    async def check_ask_cooldown(self, guild_id: int, user_id: int) -> None:
        """Raise OnCooldown when the member asked moments ago (checked again when storing)."""
        async with self._db.read() as session:
            await self._cooldown(session, QaQuestion, guild_id, user_id, self.ask_cooldown, "ask")

    async def check_answer_cooldown(self, guild_id: int, user_id: int) -> None:
        """Raise OnCooldown when the member answered moments ago (checked again when storing)."""
        async with self._db.read() as session:
            await self._cooldown(
                session, QaAnswer, guild_id, user_id, self.answer_cooldown, "answer"
            )
