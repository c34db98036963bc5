"""The daily backup: started with the bot when BACKUP_DIR is set, stopped with it."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from discord.ext import commands

from bot.backup import BackupError, BackupScheduler

if TYPE_CHECKING:
    from bot.client import Nexus

log = logging.getLogger(__name__)


class Backups(commands.Cog):
    """Scheduled database backups (no commands: operators use `python -m bot backup`)."""

    def __init__(self, bot: Nexus) -> None:
        self.bot = bot
        self.scheduler: BackupScheduler | None = None

    async def cog_load(self) -> None:
        settings = self.bot.settings
        if settings.backup_dir is None:
            return
        if not settings.leads:
            # One database, one daily backup: the process holding shard 0 makes it.
            log.info("daily backups are made by the process holding shard 0, not this one")
            return
        try:
            scheduler = BackupScheduler(
                settings.database_url, settings.backup_dir, settings.backup_keep
            )
        except BackupError as exc:
            log.warning("BACKUP_DIR is set but no daily backup will run: %s", exc)
            return
        self.scheduler = scheduler
        scheduler.start()

    async def cog_unload(self) -> None:
        if self.scheduler is not None:
            await self.scheduler.stop()


async def setup(bot: Nexus) -> None:
    await bot.add_cog(Backups(bot))
