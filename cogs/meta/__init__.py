"""/help and /about, and the scheduled backups."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cogs.meta import backup, cog

if TYPE_CHECKING:
    from bot.client import Nexus


async def setup(bot: Nexus) -> None:
    """Load the meta cog and the backup scheduler."""
    await cog.setup(bot)
    await backup.setup(bot)
