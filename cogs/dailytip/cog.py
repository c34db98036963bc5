"""/dailytip schedule|status|stop|preview, and the scheduler that posts each server's daily tip."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import aiohttp
import discord
from discord import app_commands
from discord.ext import commands

from bot.core.localtime import parse_time_of_day, resolve_timezone, suggest_timezones
from bot.dailytip import (
    DestinationGone,
    DisabledNotice,
    SchedulerStatus,
    TemporaryFailure,
    TipJob,
    TipScheduler,
)
from bot.errors import BadInput
from cogs._kit.limits import CHOICE_VALUE
from cogs.dailytip import render

if TYPE_CHECKING:
    from bot.client import Nexus

log = logging.getLogger(__name__)

Interaction = discord.Interaction[Any]
COG_NAME = "Daily tip"
GROUP = "dailytip"
SHUTDOWN_GRACE = 10.0  # seconds a closing bot gives a post in flight
HISTORY_SCAN = 50  # recent messages searched for a tip an interrupted attempt did send
# What Nexus needs in the tip's channel, in the words Discord's settings use.
NEEDED = (
    ("view_channel", "View Channel"),
    ("send_messages", "Send Messages"),
    ("embed_links", "Embed Links"),
)
TextLike = discord.TextChannel | discord.Thread


def missing_permissions(channel: TextLike, me: discord.Member | None) -> list[str]:
    """The permissions Nexus lacks to post an embed in `channel` (empty when it may)."""
    if me is None:
        return []  # not cached (an outage): let Discord be the judge
    perms = channel.permissions_for(me)
    missing = [label for flag, label in NEEDED if not getattr(perms, flag)]
    if isinstance(channel, discord.Thread) and not perms.send_messages_in_threads:
        missing.append("Send Messages in Threads")
    return missing


class DiscordTipPublisher:
    """The scheduler's hands: sends through discord.py and names Discord's failures."""

    def __init__(self, bot: Nexus) -> None:
        self.bot = bot

    async def _channel(self, channel_id: int) -> TextLike:
        channel = self.bot.get_channel(channel_id)
        if channel is None:
            try:
                channel = await self.bot.fetch_channel(channel_id)
            except discord.NotFound as error:
                raise DestinationGone(f"the channel <#{channel_id}> no longer exists") from error
            except discord.Forbidden as error:
                raise DestinationGone(f"Nexus can no longer see <#{channel_id}>") from error
        if not isinstance(channel, TextLike):
            raise DestinationGone(f"<#{channel_id}> is not a text channel any more")
        missing = missing_permissions(channel, channel.guild.me)
        if missing:
            raise DestinationGone(
                f"Nexus lost the {', '.join(missing)} permission in <#{channel_id}>"
            )
        return channel

    async def publish(self, job: TipJob) -> int:
        try:
            channel = await self._channel(job.channel_id)
            message = await channel.send(
                embed=render.daily_tip_embed(job.tip, job.local_date),
                nonce=job.nonce,  # Discord refuses a second message with it for a while
            )
        except discord.Forbidden as error:
            raise DestinationGone(
                f"Discord refused the post in <#{job.channel_id}> ({error.text or '403'})"
            ) from error
        except discord.NotFound as error:
            raise DestinationGone(f"the channel <#{job.channel_id}> no longer exists") from error
        except discord.RateLimited as error:
            raise TemporaryFailure("rate limited by Discord", error.retry_after) from error
        except discord.HTTPException as error:
            if error.status == 429 or error.status >= 500:
                raise TemporaryFailure(f"Discord answered {error.status}") from error
            raise
        except (aiohttp.ClientError, OSError) as error:
            raise TemporaryFailure(f"network trouble: {error}") from error
        return message.id

    async def find_existing(self, job: TipJob) -> int | None:
        channel = await self._channel(job.channel_id)
        me = self.bot.user
        if me is None:
            return None
        since = discord.Object(discord.utils.time_snowflake(job.claimed_at - timedelta(minutes=1)))
        async for message in channel.history(limit=HISTORY_SCAN, after=since):
            if message.author.id == me.id and render.is_daily_tip(message.embeds, job.local_date):
                return message.id
        return None

    async def notify(self, channel_id: int, notice: DisabledNotice) -> bool:
        try:
            channel = await self._channel(channel_id)
            await channel.send(render.disabled_notice(notice))
        except (DestinationGone, discord.HTTPException):
            log.warning("daily tips: log channel %s cannot be used", channel_id, exc_info=True)
            return False
        return True


def scheduler_status(bot: commands.Bot) -> SchedulerStatus | None:
    """The daily-tip scheduler's status for /about (None when the cog is not loaded).

    Duck-typed on purpose: loading an extension imports this module afresh, so the cog's class
    is not necessarily the `DailyTip` a caller imported.
    """
    scheduler = getattr(bot.get_cog(COG_NAME), "scheduler", None)
    return scheduler.status() if isinstance(scheduler, TipScheduler) else None


def _require_manage_guild(interaction: Interaction) -> None:
    """The check behind every /dailytip command (default_permissions is only a hint)."""
    if interaction.guild is None:
        raise app_commands.NoPrivateMessage()
    if not interaction.permissions.manage_guild:
        raise app_commands.MissingPermissions(["manage_guild"])


def _check_channel(channel: TextLike, *, purpose: str) -> None:
    missing = missing_permissions(channel, channel.guild.me)
    if missing:
        needed = ", ".join(f"**{m}**" for m in missing)
        raise BadInput(
            f"I can't post {purpose} in {channel.mention}: I need the {needed} permission there. "
            "Grant it in the channel's settings (Permissions), or pick another channel."
        )


class DailyTip(commands.Cog, name=COG_NAME):
    """A tip a day, in each server's own time zone."""

    # Manage Server is enforced by `_require_manage_guild` in every command; the
    # `default_permissions` below only hides the commands from members in Discord's UI.
    group = app_commands.Group(
        name=GROUP,
        description="Post a tip every day in a channel (needs Manage Server)",
        guild_only=True,
        default_permissions=discord.Permissions(manage_guild=True),
    )

    def __init__(self, bot: Nexus) -> None:
        self.bot = bot
        self.service = bot.services.dailytip
        settings = bot.settings
        self.scheduler = TipScheduler(
            self.service,
            DiscordTipPublisher(bot),
            # With several processes, each posts its own shards' servers on time and stands in
            # for the others' a little later (the post log's claims keep every day to one post).
            elsewhere=None if settings.shards is None else lambda g: not settings.holds(g),
        )
        self._runner: asyncio.Task[None] | None = None

    def about_fields(self) -> list[tuple[str, str]]:
        """What `/about` shows of the daily tips: the scheduler's state."""
        return [("Daily tips", render.about_value(self.scheduler.status()))]

    # -- the scheduler's lifetime --------------------------------------------------------------

    async def cog_load(self) -> None:
        self._runner = asyncio.create_task(self._run(), name="dailytip-scheduler")
        self._runner.add_done_callback(self._ended)

    async def _run(self) -> None:
        await self.bot.wait_until_ready()
        await self.scheduler.run()

    @staticmethod
    def _ended(task: asyncio.Task[None]) -> None:
        if not task.cancelled() and task.exception() is not None:
            log.error("daily tips: the scheduler stopped", exc_info=task.exception())

    async def cog_unload(self) -> None:
        """Let a post in flight be recorded before the database closes, within a grace period."""
        if self._runner is None or self._runner.done():
            return
        self.scheduler.request_stop()
        try:
            async with asyncio.timeout(SHUTDOWN_GRACE):
                await asyncio.shield(self._runner)
        except TimeoutError:
            self._runner.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._runner
            await self.scheduler.drain(SHUTDOWN_GRACE)
        except asyncio.CancelledError:
            self._runner.cancel()
            raise

    # -- commands ----------------------------------------------------------------------------

    @group.command(name="schedule", description="Post a tip every day at a local time")
    @app_commands.rename(at="time")
    @app_commands.describe(
        channel="Where the tip goes",
        at="Local time of day, 24-hour HH:MM, e.g. 09:00",
        timezone="The server's time zone (IANA name, e.g. Africa/Lagos); start typing a city",
        log_channel="Optional: where Nexus reports problems with the daily tip",
    )
    async def schedule(
        self,
        interaction: Interaction,
        channel: discord.TextChannel,
        at: app_commands.Range[str, 1, 20],
        timezone: app_commands.Range[str, 1, 64],
        log_channel: discord.TextChannel | None = None,
    ) -> None:
        _require_manage_guild(interaction)
        assert interaction.guild_id is not None
        when = parse_time_of_day(at)
        zone = resolve_timezone(timezone)
        _check_channel(channel, purpose="the daily tip")
        if log_channel is not None:
            _check_channel(log_channel, purpose="problem reports")
        await interaction.response.defer(ephemeral=True, thinking=True)
        status = await self.service.schedule(
            interaction.guild_id,
            channel.id,
            when,
            zone,
            log_channel_id=log_channel.id if log_channel else None,
            by=interaction.user.id,
        )
        self.scheduler.wake()
        await interaction.followup.send(render.scheduled_message(status), ephemeral=True)

    @schedule.autocomplete("timezone")
    async def timezone_names(
        self, interaction: Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        now = self.service.clock.now()
        return [
            app_commands.Choice(name=render.timezone_choice(zone, now), value=zone)
            for zone in suggest_timezones(current)
            if len(zone) <= CHOICE_VALUE
        ]

    @group.command(name="status", description="This server's daily tip: when, where, last, next")
    async def status(self, interaction: Interaction) -> None:
        _require_manage_guild(interaction)
        assert interaction.guild_id is not None
        status = await self.service.status(interaction.guild_id)
        if status is None:
            await interaction.response.send_message(
                "No daily tip is scheduled here. Start one with `/dailytip schedule`.",
                ephemeral=True,
            )
            return
        await self.service.take_notice(interaction.guild_id)  # the status says it all
        await interaction.response.send_message(
            embed=render.status_embed(status, self.service.clock.now()),
            ephemeral=True,
        )

    @group.command(name="stop", description="Stop posting the daily tip in this server")
    async def stop(self, interaction: Interaction) -> None:
        _require_manage_guild(interaction)
        assert interaction.guild_id is not None
        await self.service.stop(interaction.guild_id, by=interaction.user.id)
        self.scheduler.wake()
        await interaction.response.send_message(render.stopped_message(), ephemeral=True)

    @group.command(name="preview", description="See the next daily tip before it goes out")
    async def preview(self, interaction: Interaction) -> None:
        _require_manage_guild(interaction)
        assert interaction.guild_id is not None
        tip = await self.service.preview(interaction.guild_id)
        status = await self.service.status(interaction.guild_id)
        assert status is not None  # preview raised NotFound otherwise
        await interaction.response.send_message(
            embed=render.preview_embed(tip, status), ephemeral=True
        )

    # -- telling admins that Nexus switched their tip off ---------------------------------------

    @commands.Cog.listener()
    async def on_app_command_completion(
        self,
        interaction: Interaction,
        command: app_commands.Command[Any, ..., Any] | app_commands.ContextMenu,
    ) -> None:
        """After an admin's command, add the pending "your daily tip is off" notice, once."""
        if interaction.guild_id is None or not interaction.permissions.manage_guild:
            return
        if command.qualified_name.split(" ")[0] == GROUP:
            return  # /dailytip shows the state itself
        if interaction.response.type not in (
            discord.InteractionResponseType.channel_message,
            discord.InteractionResponseType.deferred_channel_message,
        ):
            return  # a modal or a component update cannot take a follow-up message
        try:
            notice = await self.service.take_notice(interaction.guild_id)
            if notice is None:
                return
            try:
                await interaction.followup.send(render.disabled_notice(notice), ephemeral=True)
            except discord.HTTPException:
                await self.service.restore_notice(interaction.guild_id)
        except Exception:
            log.exception("daily tips: could not deliver the admin notice")


async def setup(bot: Nexus) -> None:
    await bot.add_cog(DailyTip(bot))
