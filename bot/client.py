"""The Nexus bot: built by a factory that does not connect, so tests run the production bot."""

from __future__ import annotations

import asyncio
import gc
import hashlib
import json
import logging
import pkgutil
import time
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands, tasks
from sqlalchemy import select

import cogs
from bot.config import Settings, load_settings
from bot.dailytip import DailyTipService
from bot.db.engine import Database
from bot.db.migrate import current_revision
from bot.db.models import BotState
from bot.db.types import utcnow
from bot.learnings import LearningsService
from bot.learnings.sync import SyncReport, sync_content
from bot.logs import install_context_factory, with_interaction_context
from bot.qa import QaService
from bot.specs import SpecsService
from cogs._kit.errors import reply_error
from cogs._kit.gate import MemberGate
from cogs._kit.ui import through_gate
from cogs.learnings.content import check_content, content_fingerprint

log = logging.getLogger(__name__)

CONTENT_KEY = "content:fingerprint"  # bot_state: the content the database was last synced with


class ContentInvalid(RuntimeError):
    """content/ has problems; the bot refuses to start on it."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


def extension_names() -> list[str]:
    """Every cog module in the `cogs` package (modules starting with `_` are helpers)."""
    return sorted(
        f"cogs.{m.name}" for m in pkgutil.iter_modules(cogs.__path__) if not m.name.startswith("_")
    )


@dataclass(frozen=True, slots=True)
class Services:
    """The features' services, built once per bot: the one way the cogs reach the core."""

    learnings: LearningsService
    dailytip: DailyTipService
    qa: QaService
    specs: SpecsService

    @classmethod
    def build(cls, db: Database) -> Services:
        """Every service on one database."""
        learnings = LearningsService(db)
        return cls(learnings, DailyTipService(db, learnings), QaService(db), SpecsService(db))

    def close(self) -> None:
        """Stop what the services run beside the event loop (the spec analysis process)."""
        self.specs.close()


@dataclass
class GatewayHealth:
    """What `/about` says of the connection to Discord (monotonic times)."""

    connected: bool = False
    changed_at: float = field(default_factory=time.monotonic)
    disconnects: int = 0
    resumes: int = 0

    def mark(self, connected: bool) -> None:
        """Record a connection change (its time only when the state changes)."""
        if connected != self.connected:
            self.connected, self.changed_at = connected, time.monotonic()


class NexusTree(app_commands.CommandTree["Nexus"]):
    """The command tree: every command and autocomplete passes the per-member gate first, and
    every command's error goes to the one error handler.
    """

    async def _call(self, interaction: discord.Interaction[Nexus]) -> None:
        """Handle the command or autocomplete if its member is within their limits."""
        await through_gate(interaction, partial(super()._call, interaction))

    async def on_error(
        self, interaction: discord.Interaction[Nexus], error: app_commands.AppCommandError
    ) -> None:
        """Answer the member with a friendly, ephemeral message (never a traceback)."""
        await reply_error(interaction, error)


class Nexus(commands.Bot):
    """The bot: settings, database and services, wired once in `setup_hook`."""

    def __init__(
        self, settings: Settings, *, force_command_sync: bool = False, **options: Any
    ) -> None:
        # Nexus has no voice: discord.py's warnings that its voice libraries are missing
        # (PyNaCl, davey) would only alarm an operator.
        discord.VoiceClient.warn_nacl = discord.VoiceClient.warn_dave = False
        intents = discord.Intents.default()
        intents.message_content = False
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=intents,
            allowed_mentions=discord.AllowedMentions.none(),
            help_command=None,
            tree_cls=NexusTree,
            **options,
        )
        install_context_factory()
        parsers = self._connection.parsers
        parsers["INTERACTION_CREATE"] = with_interaction_context(parsers["INTERACTION_CREATE"])
        self.settings = settings
        self.db = Database(settings.database_url)
        self.services = Services.build(self.db)
        self.gate = MemberGate()  # what one member may ask at a time (cogs/_kit/gate.py)
        self.started_at = time.monotonic()
        self.content_report: SyncReport | None = None
        self.force_command_sync = force_command_sync
        self.commands_synced: bool | None = None
        self.gateway = GatewayHealth()

    async def setup_hook(self) -> None:
        """Before connecting: hold the database, migrate, load content, load every cog, sync
        commands if asked.
        """
        self.db.claim()
        await self.db.upgrade()
        await self.load_content()
        for name in extension_names():
            await self.load_extension(name)
        if self.settings.sync_commands or self.force_command_sync:
            self.commands_synced = await self.sync_commands(force=self.force_command_sync)
        self.heartbeat.start()
        # What is loaded by now lives as long as the bot: keep full garbage collections from
        # walking it again and again (70 ms pauses of the event loop with a large knowledge base).
        gc.collect()
        gc.freeze()

    async def load_content(self) -> None:
        """Check content/, bring the database in line and load the learnings; the check and
        the sync are skipped when the files (and the code that checks them) are exactly those
        of the last start: checking thousands of files is most of a start-up.
        """
        fingerprint, files = content_fingerprint(self.settings.content_dir)
        async with self.db.read() as session:
            stored = await session.scalar(select(BotState.value).where(BotState.key == CONTENT_KEY))
        if stored == fingerprint:
            await self.services.learnings.refresh()
            if len(self.services.learnings) == files:
                self.content_report = SyncReport(unchanged=files)
                return
        report = check_content(self.settings.content_dir)
        if not report.ok:
            raise ContentInvalid([str(p) for p in report.problems])
        self.content_report = await sync_content(self.db, report.learnings)
        await self.remember(CONTENT_KEY, fingerprint)
        await self.services.learnings.refresh()

    async def remember(self, key: str, value: str) -> None:
        """Store `value` under `key` in bot_state. Under the write lock: a merge reads before it
        writes, and two bots starting together on one database both write these keys.
        """
        async with self.db.exclusive() as session:
            await session.merge(BotState(key=key, value=value, updated_at=utcnow()))

    # -- command registration ----------------------------------------------------------------

    def command_payload(self, guild: discord.abc.Snowflake | None = None) -> list[dict[str, Any]]:
        """The commands as Discord receives them (what a sync would send)."""
        return [cmd.to_dict(self.tree) for cmd in self.tree.get_commands(guild=guild)]

    async def sync_commands(self, *, force: bool = False) -> bool:
        """Register the commands with Discord when their payload changed (or when forced).

        Discord limits how often commands may be created per day, so an unchanged payload is
        not sent again: its hash is kept in the database.
        """
        guild = discord.Object(self.settings.dev_guild_id) if self.settings.dev_guild_id else None
        if guild is not None:
            self.tree.copy_global_to(guild=guild)
        payload = self.command_payload(guild)
        digest = hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()
        key = f"commands:{guild.id if guild else 'global'}"
        async with self.db.read() as session:
            stored = await session.scalar(select(BotState.value).where(BotState.key == key))
        if stored == digest and not force:
            log.info("application commands unchanged; not syncing")
            return False
        synced = await self.tree.sync(guild=guild)
        await self.remember(key, digest)
        log.info("synced %d application commands (%s)", len(synced), key)
        return True

    # -- lifecycle ---------------------------------------------------------------------------

    async def on_ready(self) -> None:
        """Log that the bot is connected, as whom and in how many servers."""
        assert self.user is not None
        log.info("ready as %s (%s) in %d servers", self.user, self.user.id, len(self.guilds))

    async def on_connect(self) -> None:
        """The gateway is up."""
        self.gateway.mark(True)

    async def on_resumed(self) -> None:
        """The gateway resumed after a drop."""
        self.gateway.resumes += 1
        self.gateway.mark(True)

    async def on_disconnect(self) -> None:
        """The gateway dropped; counted once per drop."""
        if self.gateway.connected:
            self.gateway.disconnects += 1
        self.gateway.mark(False)

    @tasks.loop(seconds=30)
    async def heartbeat(self) -> None:
        """Touch the health file while connected and the database file is the one opened (the
        container HEALTHCHECK reads it: a bot whose file was deleted or replaced is unhealthy).
        """
        if self.db.watch is not None and not self.db.watch.intact():
            return
        if self.is_ready() and not self.is_closed():
            path = self.settings.health_file
            await asyncio.to_thread(path.parent.mkdir, parents=True, exist_ok=True)
            await asyncio.to_thread(path.touch)

    async def schema_revision(self) -> str | None:
        """The database schema's migration revision (None when it has none)."""
        return await current_revision(self.db.engine)

    @property
    def uptime_seconds(self) -> float:
        """Seconds since the bot was built."""
        return time.monotonic() - self.started_at

    async def close(self) -> None:
        """Stop the heartbeat, close the gateway, then the services and the database."""
        self.heartbeat.cancel()
        try:
            await super().close()
        finally:
            self.services.close()
            await self.db.close()


def create_bot(settings: Settings | None = None, **options: Any) -> Nexus:
    """The production bot, not yet connected (settings from the environment by default)."""
    return Nexus(settings or load_settings(), **options)
