"""A server's spec settings (the spec channel and the editor role), and who may change specs."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from bot.core.actor import Actor, require_manage_server
from bot.db.engine import Database
from bot.db.models import SpecSettings
from bot.errors import NotAllowed
from bot.specs.model import SpecSettingsView


class SpecSettingsService:
    """Reads and changes the spec settings; decides who is an editor."""

    def __init__(self, db: Database, clock: Callable[[], datetime]) -> None:
        self._db = db
        self._clock = clock

    async def settings(self, guild_id: int) -> SpecSettingsView:
        """The server's settings (nothing set yet reads as no channel and no role)."""
        async with self._db.read() as session:
            row = await session.get(SpecSettings, guild_id)
        if row is None:
            return SpecSettingsView(guild_id, None, None)
        return SpecSettingsView(guild_id, row.channel_id, row.editor_role_id)

    async def configure(
        self,
        guild_id: int,
        actor: Actor,
        *,
        channel_id: int | None = None,
        role_id: int | None = None,
        clear_channel: bool = False,
        clear_role: bool = False,
    ) -> SpecSettingsView:
        """Set (or clear) the spec channel and the editor role. Manage Server only."""
        require_manage_server(actor.can_manage)
        async with self._db.unit_of_work() as session:
            row = await session.get(SpecSettings, guild_id)
            if row is None:
                row = SpecSettings(guild_id=guild_id)
                session.add(row)
            if channel_id is not None:
                row.channel_id = channel_id
            elif clear_channel:
                row.channel_id = None
            if role_id is not None:
                row.editor_role_id = role_id
            elif clear_role:
                row.editor_role_id = None
            row.updated_by = actor.user_id
            row.updated_at = self._clock()
            return SpecSettingsView(guild_id, row.channel_id, row.editor_role_id)

    async def require_editor(self, guild_id: int, actor: Actor) -> None:
        """Importing and adding endpoints: the editor role, or Manage Server."""
        if actor.can_manage:
            return
        settings = await self.settings(guild_id)
        if settings.editor_role_id is not None and settings.editor_role_id in actor.role_ids:
            return
        if settings.editor_role_id is None:
            raise NotAllowed(
                "Only members with **Manage Server** can change specs here until an admin "
                "picks a role for it with `/spec setup role:`."
            )
        raise NotAllowed(
            f"Only members with the <@&{settings.editor_role_id}> role (or **Manage Server**) "
            "can change specs."
        )
