"""Recognition on Discord: the 👍 button on answers (a persistent `Action`: "qa:vote:{aid}"),
`/qa leaderboard`, `/qa profile` and `/qa stats`.

A 👍 is one per member and answer; pressing it again takes the vote back. The answer's notice
(the message that told the asker) shows how many an answer has, and is redrawn after every
vote, wherever it was cast. The commands are methods of `RecognitionCommands`, taken into the
`/qa` group by the Q&A cog.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.qa import (
    ACCEPTED_POINTS,
    PERIODS,
    VOTE_POINTS,
    Community,
    Leaderboard,
    Period,
    Profile,
    Recount,
    Standing,
    Vote,
)
from cogs._kit.interaction import actor, server, services
from cogs._kit.limits import EMBED_DESCRIPTION, clip
from cogs._kit.persistent import Action, ActionButton
from cogs._kit.text import plural
from cogs._kit.ui import QUIET_EDIT, SafeView, in_time, respond

log = logging.getLogger("cogs.qa")

Interaction = discord.Interaction[Any]
WHERE = "Questions and answers"  # what lives in a server, for refusals in DMs
ID = r"\d{1,18}"
WINDOWS = (("Last 7 days", timedelta(days=7)), ("Last 30 days", timedelta(days=30)))
PERIOD_NAMES: dict[Period, str] = {
    "week": "last 7 days",
    "month": "last 30 days",
    "all": "all time",
}
DEFAULT_PERIOD: Period = "week"
MEDALS = ("🥇", "🥈", "🥉")
COLOUR = 0xF1C40F


# -- the 👍 button ------------------------------------------------------------------------------


def vote_button(
    answer_id: int, votes: int | None = None, *, row: int | None = None
) -> ActionButton:
    """A 👍 for one answer: with its count (on the answer's notice) or its number (on a page
    of answers, where several sit side by side).
    """
    label = f"Helpful · {votes}" if votes is not None else f"#{answer_id}"
    return VOTE.make(label, {"aid": answer_id}, emoji="👍", row=row)


def notice_view(answer_id: int, votes: int) -> SafeView:
    """The components of an answer's notice: its 👍 with the count."""
    view = SafeView(timeout=None)
    view.add_item(vote_button(answer_id, votes))
    return view


def vote_text(vote: Vote) -> str:
    """What the voter is told (only them)."""
    count = plural(vote.votes, "vote")
    if vote.added:
        return (
            f"👍 Thanks! Answer #{vote.answer.id} now has {count}. Changed your mind? Press 👍 "
            "again to take your vote back."
        )
    return f"↩️ Your vote is taken back: answer #{vote.answer.id} now has {count}."


async def show_votes(client: discord.Client, recount: Recount) -> None:
    """Show an answer's number of 👍 on its notice."""
    channel = client.get_partial_messageable(recount.channel_id)
    try:
        await channel.get_partial_message(recount.notice_message_id).edit(
            view=notice_view(recount.answer_id, recount.votes), allowed_mentions=QUIET_EDIT
        )
    except discord.HTTPException:
        log.info("could not redraw the votes of answer %s", recount.answer_id, exc_info=True)


async def _vote(interaction: Interaction, state: Mapping[str, str]) -> None:
    vote = await services(interaction).qa.vote(
        server(interaction, WHERE), int(state["aid"]), actor(interaction)
    )
    await interaction.response.send_message(vote_text(vote), ephemeral=True)
    notice = vote.answer.notice_message_id
    if vote.channel_id is not None and notice is not None:
        recount = Recount(vote.answer.id, vote.votes, vote.channel_id, notice)
        await show_votes(interaction.client, recount)


VOTE = Action("qa:vote:{aid}", {"aid": ID}, _vote)
VoteButton = VOTE.button


# -- drawing -----------------------------------------------------------------------------------


def duration(seconds: float) -> str:
    """A wait in the two largest units that matter: "40 s", "12 min", "3 h 5 min", "2 d 4 h"."""
    whole = round(seconds)
    if whole < 60:
        return f"{whole} s"
    minutes, hours, days = whole // 60, whole // 3600, whole // 86400
    if hours == 0:
        return f"{minutes} min"
    if days == 0:
        return f"{hours} h {minutes % 60} min" if minutes % 60 else f"{hours} h"
    return f"{days} d {hours % 24} h" if hours % 24 else f"{days} d"


def standing_line(standing: Standing) -> str:
    place = MEDALS[standing.rank - 1] if standing.rank <= len(MEDALS) else f"**#{standing.rank}**"
    earned = f"{plural(standing.accepted, 'accepted answer')} · {standing.votes} 👍"
    return f"{place} <@{standing.user_id}> — **{standing.points}** points ({earned})"


def points_rule() -> str:
    return f"✅ accepted answer = {ACCEPTED_POINTS} points · 👍 received = {VOTE_POINTS} points"


def leaderboard_embed(board: Leaderboard) -> discord.Embed:
    """The top members for a period, and the member who asked when they are further down."""
    embed = discord.Embed(title=f"🏆 Q&A leaderboard · {PERIOD_NAMES[board.period]}", colour=COLOUR)
    if not board.top:
        embed.description = (
            f"Nobody has earned points here ({PERIOD_NAMES[board.period]}) yet. Answer a "
            "question with `/answer`: an accepted answer or a 👍 puts you on the board."
        )
    else:
        lines = [standing_line(s) for s in board.top]
        if board.me is not None:
            lines += ["…", standing_line(board.me) + " ← you"]
        embed.description = clip("\n".join(lines), EMBED_DESCRIPTION)
    ranked = plural(board.ranked, "member")
    embed.set_footer(text=f"{points_rule()} · {ranked} with points · ties: who got there first")
    return embed


def profile_embed(profile: Profile) -> discord.Embed:
    """A member's questions, answers, accepted answers, 👍 received and points."""
    embed = discord.Embed(
        title="🧑‍🎓 Q&A profile", description=f"<@{profile.user_id}>", colour=COLOUR
    )
    embed.add_field(name="Questions asked", value=str(profile.questions))
    embed.add_field(name="Answers", value=str(profile.answers))
    embed.add_field(name="Accepted", value=str(profile.accepted))
    embed.add_field(name="👍 received", value=str(profile.votes))
    rank = f" · rank #{profile.rank}" if profile.rank is not None else ""
    embed.add_field(name="Points", value=f"**{profile.points}**{rank}")
    embed.set_footer(text=f"{points_rule()} (answers accepted by their own author earn none)")
    return embed


def health_text(community: Community) -> str:
    """One window of a server's Q&A health, as an embed field's value."""
    if community.asked == 0:
        return "No questions asked."
    share = community.answered_share or 0.0
    first, accept = community.median_first_answer, community.median_accept
    return "\n".join(
        [
            f"Questions asked: **{community.asked}**",
            f"Answered: **{share:.0%}** ({community.answered} of {community.asked})",
            f"Accepted: **{community.accepted}**",
            f"Median time to a first answer: **{duration(first) if first is not None else '—'}**",
            f"Median time to accept: **{duration(accept) if accept is not None else '—'}**",
        ]
    )


def stats_embed(windows: list[tuple[str, Community]]) -> discord.Embed:
    embed = discord.Embed(title="📊 Q&A health of this server", colour=0x5865F2)
    for name, community in windows:
        embed.add_field(name=name, value=health_text(community), inline=False)
    embed.set_footer(text="Counted over the questions asked in each window")
    return embed


# -- /qa leaderboard, /qa profile, /qa stats ------------------------------------------------


PERIOD_CHOICES = [
    app_commands.Choice(name="This week (last 7 days)", value="week"),
    app_commands.Choice(name="This month (last 30 days)", value="month"),
    app_commands.Choice(name="All time", value="all"),
]
PERIOD_BY_VALUE: dict[str, Period] = {p: p for p in PERIODS}


class RecognitionCommands(commands.Cog):
    """The callbacks of `/qa leaderboard`, `profile` and `stats` (the Q&A cog registers them
    in its `/qa` group; they use nothing of the cog but the interaction).
    """

    @app_commands.describe(period="Whose points count: the last 7 days (default), 30 days, ever")
    @app_commands.choices(period=PERIOD_CHOICES)
    async def leaderboard(
        self, interaction: Interaction, period: app_commands.Choice[str] | None = None
    ) -> None:
        chosen = PERIOD_BY_VALUE.get(period.value, DEFAULT_PERIOD) if period else DEFAULT_PERIOD
        qa, guild_id = services(interaction).qa, server(interaction, WHERE)
        board = await in_time(interaction, qa.leaderboard(guild_id, chosen, interaction.user.id))
        await respond(interaction, embed=leaderboard_embed(board))

    @app_commands.describe(member="Whose profile (yours if empty)")
    async def profile(self, interaction: Interaction, member: discord.Member | None = None) -> None:
        qa, guild_id = services(interaction).qa, server(interaction, WHERE)
        user_id = member.id if member is not None else interaction.user.id
        found = await in_time(interaction, qa.profile(guild_id, user_id))
        if found.empty:
            whose = "You have" if user_id == interaction.user.id else f"<@{user_id}> has"
            await respond(
                interaction,
                content=f"{whose} not asked or answered anything here yet.",
                ephemeral=True,
            )
            return
        await respond(interaction, embed=profile_embed(found))

    async def stats(self, interaction: Interaction) -> None:
        qa, guild_id = services(interaction).qa, server(interaction, WHERE)

        async def read() -> list[tuple[str, Community]]:
            return [(name, await qa.community(guild_id, window)) for name, window in WINDOWS]

        windows = await in_time(interaction, read())
        await respond(interaction, embed=stats_embed(windows))
