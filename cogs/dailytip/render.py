"""The daily tip as Discord shows it: the post itself, its admin replies, and its /about line."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

import discord
from discord.utils import format_dt

from bot.core.localtime import utc_offset, zone_info
from bot.dailytip import DisabledNotice, GuildTipStatus, SchedulerStatus
from bot.learnings.model import Learning
from cogs._kit.limits import CHOICE_NAME, EMBED_FIELD_VALUE, EMBED_FOOTER, clip
from cogs.learnings.render import entry_pages

COLOUR = 0x2ECC71
WARNING_COLOUR = 0xE67E22
MARKER = "Daily tip"


def footer_marker(local_date: date) -> str:
    """The footer ending that identifies a server's tip of `local_date` in its channel."""
    return f"{MARKER} · {local_date.isoformat()}"


def daily_tip_embed(tip: Learning, local_date: date) -> discord.Embed:
    """The posted tip: the tip's own embed, titled as the tip of the day, dated in its footer."""
    embed = entry_pages(tip)[0]
    embed.set_author(name=f"💡 Tip of the day · {local_date:%A %d %B}")
    footer = embed.footer.text or ""
    marker = footer_marker(local_date)
    embed.set_footer(text=clip(footer, EMBED_FOOTER - len(marker) - 3) + f" · {marker}")
    return embed


def is_daily_tip(embeds: Iterable[discord.Embed], local_date: date) -> bool:
    """True when one of `embeds` is the daily tip of `local_date`."""
    marker = footer_marker(local_date)
    return any((e.footer.text or "").endswith(marker) for e in embeds)


def _when(dt: datetime) -> str:
    return f"{format_dt(dt, 'F')} ({format_dt(dt, 'R')})"


def schedule_line(status: GuildTipStatus) -> str:
    s = status.schedule
    return f"every day at **{s.at:%H:%M} {s.timezone}** in <#{s.channel_id}>"


def scheduled_message(status: GuildTipStatus) -> str:
    """The answer to /dailytip schedule."""
    s = status.schedule
    lines = [f"✅ Daily tip scheduled {schedule_line(status)}."]
    if status.next_post is not None:
        lines.append(f"Next tip: {_when(status.next_post)}, shown in each reader's own time.")
    if status.today is not None and status.today.status == "posted":
        lines.append("Today's tip is already out, so the new time starts tomorrow.")
    if s.log_channel_id is not None:
        lines.append(f"Problems will be reported in <#{s.log_channel_id}>.")
    return "\n".join(lines)


def status_embed(status: GuildTipStatus, now: datetime) -> discord.Embed:
    """The answer to /dailytip status."""
    s = status.schedule
    if s.enabled:
        state = "🟢 On"
        colour = COLOUR
    elif s.disabled_reason:
        state = "🔴 Switched off by Nexus"
        colour = WARNING_COLOUR
    else:
        state = "⏸️ Stopped"
        colour = 0x99AAB5
    embed = discord.Embed(title="💡 Daily tip", colour=colour)
    embed.add_field(name="State", value=state)
    embed.add_field(name="When", value=f"{s.at:%H:%M} {s.timezone} ({utc_offset(s.timezone, now)})")
    embed.add_field(name="Where", value=f"<#{s.channel_id}>")
    if s.disabled_reason and not s.enabled:
        embed.add_field(
            name="Why it stopped",
            value=clip(
                f"{s.disabled_reason}. Fix it, then run `/dailytip schedule` again.",
                EMBED_FIELD_VALUE,
            ),
            inline=False,
        )
    embed.add_field(
        name="Next tip",
        value=_when(status.next_post) if status.next_post else "none scheduled",
        inline=False,
    )
    today = status.today
    if today is not None and today.status == "pending" and today.last_error:
        embed.add_field(
            name="Today's tip",
            value=clip(f"retrying after: {today.last_error}", EMBED_FIELD_VALUE),
            inline=False,
        )
    last = status.last_post
    if last is not None and last.posted_at is not None:
        link = ""
        if last.message_id:
            url = f"https://discord.com/channels/{s.guild_id}/{last.channel_id}/{last.message_id}"
            link = f" — [open]({url})"
        embed.add_field(name="Last tip", value=f"{_when(last.posted_at)}{link}", inline=False)
    if s.log_channel_id is not None:
        embed.add_field(name="Problems reported in", value=f"<#{s.log_channel_id}>")
    return embed


def stopped_message() -> str:
    return (
        "⏸️ Daily tip stopped. Nothing more will be posted; `/dailytip schedule` starts it "
        "again and carries on through the tips not yet shown."
    )


def preview_embed(tip: Learning, status: GuildTipStatus) -> discord.Embed:
    """The next tip, as an admin sees it before it goes out."""
    day = status.next_post.astimezone(status.schedule.zone).date() if status.next_post else None
    embed = daily_tip_embed(tip, day) if day else entry_pages(tip)[0]
    when = _when(status.next_post) if status.next_post else "when the schedule is on again"
    embed.description = f"-# Preview, only you can see it. Goes out {when}.\n\n{embed.description}"
    return embed


def disabled_notice(notice: DisabledNotice) -> str:
    """What a server's admins are told when Nexus had to switch their daily tip off."""
    since = f" ({format_dt(notice.disabled_at, 'R')})" if notice.disabled_at else ""
    return (
        f"⚠️ **The daily tip for <#{notice.channel_id}> is switched off**{since}: "
        f"{notice.reason}. Give Nexus access again (or choose another channel), then run "
        "`/dailytip schedule`."
    )


def timezone_choice(zone: str, now: datetime) -> str:
    """An autocomplete label: the zone, its offset now, and its local time now."""
    local = now.astimezone(zone_info(zone))
    return clip(f"{zone} ({utc_offset(zone, now)}, now {local:%H:%M})", CHOICE_NAME)


def about_value(status: SchedulerStatus | None) -> str:
    """The daily-tip line of /about: next run, last post, last error."""
    if status is None:
        return "not loaded"
    parts = ["🟢 running" if status.running else "🔴 not running"]
    parts.append(
        f"next run {format_dt(status.next_run, 'R')}" if status.next_run else "nothing scheduled"
    )
    if status.last_post is not None:
        parts.append(f"last post {format_dt(status.last_post, 'R')}")
    text = " · ".join(parts)
    if status.last_error and status.last_error_at:
        text += f"\nlast error {format_dt(status.last_error_at, 'R')}: {status.last_error}"
    return clip(text, EMBED_FIELD_VALUE)
