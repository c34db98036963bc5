"""The Nexus bot: built by a factory that does not connect, so tests run the production bot."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import hashlib
import json
import logging
import math
import pkgutil
import time
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands, tasks
from sqlalchemy import select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

import cogs
from bot import __version__
from bot.config import Settings, load_settings
from bot.dailytip import DailyTipService
from bot.db.engine import Database
from bot.db.file import DatabaseFileLost
from bot.db.models import BotState
from bot.db.revision import current_revision
from bot.db.types import utcnow
from bot.learnings import LearningsService
from bot.learnings.sync import SyncReport, sync_content
from bot.logs import install_context_factory, with_interaction_context
from bot.qa import QaService
from bot.specs import ImportReport, SpecsService
from bot.telemetry.interactions import Span, bind, current_span, span_of, watch
from cogs._kit.errors import reply_error
from cogs._kit.gate import MemberGate
from cogs._kit.ui import through_gate
from cogs.dailytip.cog import scheduler_status
from cogs.learnings.content import check_content, content_fingerprint

if TYPE_CHECKING:  # loaded only when metrics are on (`Nexus.observe_interactions`)
    from bot.specs.push import SpecPushServer
    from bot.specs.tokens import PushGrant
    from bot.telemetry.metrics import Metrics, Snapshot
    from bot.telemetry.server import MetricsServer

log = logging.getLogger(__name__)

CONTENT_KEY = "content:fingerprint"  # bot_state: the content the database was last synced with
DEFERRALS = (
    discord.InteractionResponseType.deferred_channel_message,  # "thinking…"
    discord.InteractionResponseType.deferred_message_update,  # a component that loads
)
PUSH_READY_SECONDS = 30.0  # how long a pushed version waits for the bot to be connected
REPORTS_FLUSH_SECONDS = 2.0  # how long closing waits for error reports still queued
# How long a closing bot lets what it is answering finish (a follow-up after the answer too,
# such as forget-me's index rewrite) and then what it cancelled unwind: well inside the 10 s
# `docker stop` waits; and discord.py's names for the tasks it starts to answer an interaction
# (a command, a button, a form) or an event.
CLOSE_GRACE_SECONDS = 3.0
UNWIND_SECONDS = 2.0
ANSWERING = ("discord-ui-", "CommandTree-invoker", "discord.py: ")


class ContentInvalid(RuntimeError):
    """content/ has problems; the bot refuses to start on it."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


class DatabaseUnavailable(RuntimeError):
    """The database could not be opened or migrated at start: which one (without its
    password), what the driver said, and what to check.
    """


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
    connects: int = 0  # sessions started: the first, then each reconnect that could not resume
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
            # Nothing reads the message cache (replies and edits go by id): without it a busy
            # server's last thousand messages take no memory.
            max_messages=None,
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
        self.metrics: Metrics | None = None  # METRICS_PORT set: what /metrics serves
        self.metrics_server: MetricsServer | None = None  # listening from setup_hook on
        self.push_server: SpecPushServer | None = None  # HTTP_PORT set: CI pushes specs here
        if settings.metrics_port is not None or settings.sentry_dsn:
            self.observe_interactions()

    async def setup_hook(self) -> None:
        """Before connecting: hold the database, migrate, load content, load every cog, sync
        commands if asked, open the metrics endpoint if asked.
        """
        if self.settings.sentry_dsn:
            from bot.telemetry.reporting import start_error_reporting

            token = self.settings.discord_token
            start_error_reporting(self.settings.sentry_dsn, token, release=f"nexus@{__version__}")
        self.db.claim()
        try:
            await self.db.upgrade()
            await self.db.warm()
        except (OSError, SQLAlchemyError) as exc:
            shown = make_url(self.settings.database_url).render_as_string(hide_password=True)
            said = getattr(exc, "orig", None) or exc
            reason = " ".join(f"{type(said).__name__}: {said}".split())[:300]
            raise DatabaseUnavailable(
                f"the database {shown} could not be opened ({reason}): check DATABASE_URL, "
                "that the server runs and lets this user into that database, or that the "
                "file's folder is writable"
            ) from None
        await self.load_content()
        for name in extension_names():
            await self.load_extension(name)
        # Commands belong to the application, not to a shard: with several processes, only
        # the one holding shard 0 registers them (Discord limits how often that may happen).
        if (self.settings.sync_commands and self.settings.leads) or self.force_command_sync:
            self.commands_synced = await self.sync_commands(force=self.force_command_sync)
        await self.serve_metrics()
        await self.serve_pushes()
        self.heartbeat.start()
        self.search_upkeep.start()
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
        """The gateway is up (a new session)."""
        self.gateway.connects += 1
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

    @tasks.loop(hours=1)
    async def search_upkeep(self) -> None:
        """Keep the full-text indexes in few segments as members write (at start, then hourly):
        each segment is one more seek for every search (`Database.tidy_search`).
        """
        try:
            steps = await self.db.tidy_search()
        except (OSError, SQLAlchemyError, DatabaseFileLost):
            # The loop must outlive a busy or lost file: the health check reports the latter.
            log.warning("tidying the search indexes failed; trying again in an hour", exc_info=True)
            return
        if steps:
            log.info("search indexes tidied in %d steps", steps)

    async def schema_revision(self) -> str | None:
        """The database schema's migration revision (None when it has none)."""
        return await current_revision(self.db.engine)

    # -- telemetry (bot/telemetry) -------------------------------------------------------------

    def observe_interactions(self) -> None:
        """Give every interaction a span from its delivery on: counted when metrics are on,
        and what the member typed kept out of error reports.
        """
        if self.settings.metrics_port is not None:
            from bot.telemetry.metrics import Metrics

            self.metrics = Metrics()
            self.add_listener(self._note_answer, "on_interaction")
        metrics, parsers = self.metrics, self._connection.parsers
        parse = parsers["INTERACTION_CREATE"]

        def parse_interaction_create(data: Any) -> None:
            if metrics is None:
                bind(parse, data, span_of(data))
            else:
                watch(parse, data, span_of(data), metrics.interaction_ended)

        parsers["INTERACTION_CREATE"] = parse_interaction_create

    async def _note_answer(self, interaction: discord.Interaction[Nexus]) -> None:
        """Let the interaction's span read, when it ends, how the interaction was answered."""
        span: Span | None = current_span()
        if span is not None:
            response = interaction.response
            span.answer = lambda: (response.is_done(), response.type in DEFERRALS)

    async def serve_metrics(self) -> None:
        """Open the metrics endpoint (METRICS_HOST:METRICS_PORT) when metrics are on."""
        if self.metrics is None or self.settings.metrics_port is None:
            return
        from bot.telemetry.server import MetricsServer

        server = MetricsServer(
            self.metrics, self.snapshot, self.settings.metrics_host, self.settings.metrics_port
        )
        try:
            await server.start()
        except OSError as error:
            raise RuntimeError(
                f"metrics: cannot listen on {self.settings.metrics_host}:"
                f"{self.settings.metrics_port} ({error.strerror or error}); set METRICS_PORT "
                "to a free port, or leave it empty to turn metrics off"
            ) from error
        self.metrics_server = server

    async def serve_pushes(self) -> None:
        """Open the spec push endpoint (HTTP_HOST:HTTP_PORT) when HTTP_PORT is set."""
        if self.settings.http_port is None:
            return
        from bot.specs.push import SpecPushServer
        from cogs.specs.announce import announce_push

        async def announce(report: ImportReport, grant: PushGrant) -> tuple[int | None, str | None]:
            # A push may come while the bot (re)connects: the server is seen once it is ready.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.wait_until_ready(), PUSH_READY_SECONDS)
            return await announce_push(self.get_guild(grant.guild_id), report, grant)

        metrics = self.metrics
        server = SpecPushServer(
            self.services.specs,
            announce,
            self.settings.http_host,
            self.settings.http_port,
            imported=(
                None
                if metrics is None
                else lambda r: metrics.spec_imported(r.analyse_seconds, r.store_seconds)
            ),
        )
        try:
            await server.start()
        except OSError as error:
            raise RuntimeError(
                f"spec pushes: cannot listen on {self.settings.http_host}:"
                f"{self.settings.http_port} ({error.strerror or error}); set HTTP_PORT to a "
                "free port, or leave it empty to turn pushes off"
            ) from error
        self.push_server = server

    async def snapshot(self) -> Snapshot:
        """What the metrics read when Prometheus scrapes: gateway, database, tips, Q&A."""
        from bot.telemetry.metrics import GatewayState, QaState, Snapshot

        health, latency, storage = self.gateway, self.latency, await self.db.usage()
        tips = scheduler_status(self)
        qa = await self.services.qa.health()
        waiting = qa.oldest_open_at
        return Snapshot(
            gateway=GatewayState(
                connected=health.connected,
                latency_seconds=latency if math.isfinite(latency) else None,
                connects=health.connects,
                disconnects=health.disconnects,
                resumes=health.resumes,
            ),
            database_bytes=storage[0] if storage else None,
            disk_free_bytes=storage[1] if storage else None,
            tips_posted=tips.posted if tips else None,
            tip_failures=tips.failures if tips else {},
            qa=QaState(
                open_questions=qa.open_questions,
                oldest_open_seconds=(utcnow() - waiting).total_seconds() if waiting else None,
                first_answer_seconds=qa.first_answer_seconds,
            ),
        )

    @property
    def uptime_seconds(self) -> float:
        """Seconds since the bot was built."""
        return time.monotonic() - self.started_at

    async def finish_answering(self, grace: float) -> None:
        """Let what is being answered end within `grace` seconds, then cancel the rest and wait
        for it to unwind, its sessions handed back before the database closes (the event loop's
        end would cancel SQLAlchemy's own closing of them too, leaving connections checked out).
        """
        me = asyncio.current_task()
        pending = {
            t for t in asyncio.all_tasks() if t is not me and t.get_name().startswith(ANSWERING)
        }
        if pending and grace > 0:
            _, pending = await asyncio.wait(pending, timeout=grace)
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.wait(pending, timeout=UNWIND_SECONDS)

    async def close(self) -> None:
        """Stop the heartbeat, let what is being answered finish, close the gateway, the
        metrics endpoint, then the services and the database; send the error reports still
        queued.
        """
        self.heartbeat.cancel()
        self.search_upkeep.cancel()
        try:
            await self.finish_answering(CLOSE_GRACE_SECONDS)  # while Discord can be answered
            await super().close()
        finally:
            await self.finish_answering(0)  # any that came in meanwhile
            if self.metrics_server is not None:
                await self.metrics_server.stop()
            if self.push_server is not None:
                await self.push_server.stop()
            self.services.close()
            await self.db.close()
            if self.settings.sentry_dsn:
                from bot.telemetry.reporting import flush_error_reports

                await asyncio.to_thread(flush_error_reports, REPORTS_FLUSH_SECONDS)


class ShardedNexus(Nexus, commands.AutoShardedBot):
    """Nexus on some of the bot's shards (SHARD_COUNT, SHARD_IDS): each process connects its
    shards and receives only their servers' events; the database is shared by all of them.
    """


def create_bot(settings: Settings | None = None, **options: Any) -> Nexus:
    """The production bot, not yet connected (settings from the environment by default):
    sharded when SHARD_COUNT is set, a single connection otherwise.
    """
    settings = settings or load_settings()
    shards = settings.shards
    if shards is None:
        return Nexus(settings, **options)
    return ShardedNexus(
        settings, shard_count=settings.shard_count, shard_ids=list(shards), **options
    )
