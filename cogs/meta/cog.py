"""/help and /about: what Nexus can do, and how it is doing."""

from __future__ import annotations

import math
import platform
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot import __version__
from cogs._kit.limits import EMBED_FIELD_VALUE, clip

if TYPE_CHECKING:
    from bot.client import Nexus


def _duration(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    parts = [f"{days}d"] if days else []
    parts += [f"{hours}h"] if hours or days else []
    return " ".join([*parts, f"{minutes}m", f"{secs}s"])


LOW_DISK_BYTES = 200 * 1024 * 1024  # below this, /about warns before writes start failing


def _size(n: int) -> str:
    if n < 1024:
        return f"{n} B"
    value, unit = n / 1024, "KB"
    for bigger in ("MB", "GB", "TB"):
        if value < 1024:
            break
        value, unit = value / 1024, bigger
    return f"{value:.1f} {unit}"


def _gateway(bot: Nexus, latency_text: str) -> str:
    health = bot.gateway
    since = _duration(time.monotonic() - health.changed_at)
    if not health.connected:
        return f"⚠️ reconnecting (for {since})"
    line = f"✅ connected · {latency_text}"
    if health.disconnects or health.resumes:
        line += (
            f"\n{health.disconnects} drop(s), {health.resumes} resume(s) since start; "
            f"up {since} since the last"
        )
    shards, count = bot.settings.shards, bot.settings.shard_count
    if shards is not None and count is not None:
        here = f"shard {', '.join(map(str, shards))} of {count}"
        line += f"\nthis process: {here} (the others answer their own servers)"
    return line


class Meta(commands.Cog):
    """Help and status."""

    def __init__(self, bot: Nexus) -> None:
        self.bot = bot

    @app_commands.command(name="help", description="Every Nexus command, one line each")
    async def help(self, interaction: discord.Interaction[Any]) -> None:
        embed = discord.Embed(
            title="Nexus — commands",
            description="The ProDev community's knowledge base, in Discord. Start with `/concept`.",
            colour=0x5865F2,
        )
        for cog in self.bot.cogs.values():
            lines = []
            for command in cog.walk_app_commands():
                if isinstance(command, app_commands.Command):
                    lines.append(f"`/{command.qualified_name}` — {command.description}")
            if lines:
                embed.add_field(
                    name=cog.qualified_name,
                    value=clip("\n".join(lines), EMBED_FIELD_VALUE),
                    inline=False,
                )
        menus = self.bot.tree.get_commands(type=discord.AppCommandType.message)
        if menus:
            names = " · ".join(f"**{menu.name}**" for menu in menus)
            embed.add_field(
                name="On a message (right-click or long-press it → Apps)",
                value=clip(names, EMBED_FIELD_VALUE),
                inline=False,
            )
        await interaction.response.send_message(embed=embed, ephemeral=True)

    @app_commands.command(
        name="about", description="Version, uptime, latency and the health of Nexus"
    )
    async def about(self, interaction: discord.Interaction[Any]) -> None:
        bot = self.bot
        latency = bot.latency
        latency_text = f"{latency * 1000:.0f} ms" if math.isfinite(latency) else "measuring…"
        db_ok = await bot.db.ping()
        revision = await bot.schema_revision() if db_ok else None
        counts = bot.services.learnings.counts()
        report = bot.content_report
        embed = discord.Embed(title="About Nexus", colour=0x5865F2)
        embed.add_field(name="Version", value=f"{__version__} (Python {platform.python_version()})")
        embed.add_field(name="Uptime", value=_duration(bot.uptime_seconds))
        embed.add_field(name="Gateway", value=_gateway(bot, latency_text))
        database = f"{'✅ answering' if db_ok else '❌ not answering'} · schema {revision or '?'}"
        usage = await bot.db.usage() if db_ok else None
        if usage is not None:
            used, free = usage
            database += f"\n{_size(used)}"
            if free is not None:  # a SQLite file's disk (PostgreSQL's is the server's)
                warn = " ⚠️" if free < LOW_DISK_BYTES else ""
                database += f" · {_size(free)} free on its disk{warn}"
        embed.add_field(name="Database", value=database)
        embed.add_field(
            name="Learnings",
            value=(
                f"{counts.get('concept', 0)} concepts · {counts.get('challenge', 0)} challenges · "
                f"{counts.get('tip', 0)} tips"
            ),
        )
        if report is not None:
            embed.add_field(name="Last content sync", value=str(report), inline=False)
        for cog in bot.cogs.values():
            fields: Callable[[], list[tuple[str, str]]] | None = getattr(cog, "about_fields", None)
            for name, value in fields() if fields is not None else ():
                embed.add_field(name=name, value=value, inline=False)
        await interaction.response.send_message(embed=embed, ephemeral=True)


async def setup(bot: Nexus) -> None:
    await bot.add_cog(Meta(bot))
