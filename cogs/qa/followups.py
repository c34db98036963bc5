"""Follow-ups on Discord: the nudge of a question nobody answered, the asker's "did an answer
solve it?", the mentors' weekly digest, and the note on a question closed as stale
(bot.qa.followups says what is due, once each).

A nudge is posted under the question (in its post, in a forum); it mentions the helper role
only when an admin chose one with `/qa setup helper_role:`, and then that role alone: the one
role ping Nexus sends. The solved check pings the asker alone and carries **Accept** (the
question's own button) and **Still open**. The digest names members and pings nobody.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import discord

from bot.qa import QaService, Question
from bot.qa.followups import DIGEST_SIZE, Digest, Nudge
from cogs._kit.interaction import actor, server, services
from cogs._kit.limits import EMBED_DESCRIPTION, clip
from cogs._kit.persistent import Action
from cogs._kit.text import plural
from cogs._kit.ui import SafeView
from cogs.qa import render
from cogs.qa.forum import update_post
from cogs.qa.question import ACCEPT, ID, WHERE, jump_url, redraw

log = logging.getLogger("cogs.qa")

Interaction = discord.Interaction[Any]
DIGEST_COLOUR = 0x5865F2


def _qa(client: discord.Client) -> QaService:
    qa: QaService = client.services.qa  # type: ignore[attr-defined]
    return qa


def _about(question: Question) -> str:
    return f"**#{question.id} · {clip(render.safe_title(question.title), 150)}**"


async def _reply(
    client: discord.Client,
    question: Question,
    content: str,
    mentions: discord.AllowedMentions,
    view: discord.ui.View | None = None,
) -> bool:
    """Post under the question; whether Discord took it."""
    if question.channel_id is None:
        return True  # nowhere to post: nothing will ever be, so it counts as done
    channel = client.get_partial_messageable(question.channel_id, guild_id=question.guild_id)
    reference = None
    if question.message_id is not None:
        reference = channel.get_partial_message(question.message_id).to_reference(
            fail_if_not_exists=False
        )
    try:
        if view is None:
            await channel.send(content, reference=reference, allowed_mentions=mentions)  # type: ignore[arg-type]
        else:
            await channel.send(
                content,
                reference=reference,  # type: ignore[arg-type]
                allowed_mentions=mentions,
                view=view,
            )
    except (discord.NotFound, discord.Forbidden):  # gone, or never allowed: not retried
        log.info("question %s cannot be followed up", question.id, exc_info=True)
        return True
    except discord.HTTPException:
        log.info("could not follow up question %s", question.id, exc_info=True)
        return False
    return True


# -- nudges -----------------------------------------------------------------------------------


async def send_nudge(client: discord.Client, nudge: Nudge) -> bool:
    """Nudge an unanswered question: the helper role mentioned (and pinged) if one is set."""
    question, role = nudge.question, nudge.helper_role_id
    text = (
        f"{_about(question)} has waited {plural(nudge.hours, 'hour')} for an answer. Can you "
        "help? Answer with the button on the question or `/answer`."
    )
    if role is None:
        return await _reply(client, question, f"⏰ {text}", discord.AllowedMentions.none())
    mentions = discord.AllowedMentions(
        everyone=False, users=False, roles=[discord.Object(role)], replied_user=False
    )
    return await _reply(client, question, f"<@&{role}> — ⏰ {text}", mentions)


# -- solved checks ---------------------------------------------------------------------------


async def _still_open(interaction: Interaction, state: Mapping[str, str]) -> None:
    question = await services(interaction).qa.can_accept(
        server(interaction, WHERE), int(state["qid"]), actor(interaction)
    )
    await interaction.response.edit_message(
        content=f"📌 {_about(question)} stays open: more answers are welcome.", view=None
    )


STILL_OPEN = Action("qa:still-open:{qid}", {"qid": ID}, _still_open)
StillOpenButton = STILL_OPEN.button


def solved_check_view(question: Question) -> SafeView:
    """Accept (the question's own: it opens the answers to pick one) and Still open."""
    view = SafeView(timeout=None)
    ids = {"qid": question.id}
    view.add_item(
        ACCEPT.make("Accept an answer", ids, emoji="✅", style=discord.ButtonStyle.success)
    )
    view.add_item(STILL_OPEN.make("Still open", ids, emoji="📌"))
    return view


async def send_solved_check(client: discord.Client, question: Question) -> bool:
    """Ask the asker, pinging them alone, whether an answer solved their question."""
    asker = question.author_id
    if asker is None:
        return True
    mentions = discord.AllowedMentions(
        everyone=False, roles=False, users=[discord.Object(asker)], replied_user=False
    )
    text = (
        f"{render.who(asker)} — your question {_about(question)} has "
        f"{plural(question.answer_count, 'answer')}. Did one solve it? Accept it, or say it is "
        "still open."
    )
    return await _reply(client, question, text, mentions, solved_check_view(question))


# -- the weekly digest ---------------------------------------------------------------------------


def digest_embed(digest: Digest) -> discord.Embed:
    """The open questions of a server, oldest first, with links (mentions shown, not pinged)."""
    lines = []
    for question in digest.questions:
        link = jump_url(question)
        title = clip(render.safe_title(question.title), 120)
        shown = f"[{title}]({link})" if link else title
        asked = discord.utils.format_dt(question.created_at, "R")
        lines.append(
            f"**#{question.id}** · {shown} · asked {asked} by {render.who(question.author_id)}"
        )
    more = digest.total - len(digest.questions)
    if more > 0:
        lines.append(f"…and {plural(more, 'more question')}: `/qa open` lists them all.")
    description = "\n".join(lines) or "Every question has an answer. 🎉"
    embed = discord.Embed(
        title=f"📋 Open questions · {digest.week}",
        description=clip(description, EMBED_DESCRIPTION),
        colour=DIGEST_COLOUR,
    )
    embed.set_footer(
        text=f"{plural(digest.total, 'question')} waiting for an answer · oldest first, "
        f"up to {DIGEST_SIZE}"
    )
    return embed


async def send_digest(client: discord.Client, digest: Digest) -> bool:
    channel = client.get_partial_messageable(digest.channel_id, guild_id=digest.guild_id)
    try:
        await channel.send(
            embed=digest_embed(digest), allowed_mentions=discord.AllowedMentions.none()
        )
    except discord.HTTPException:
        log.info("could not send the digest of server %s", digest.guild_id, exc_info=True)
        return False
    return True


# -- stale questions ---------------------------------------------------------------------------


async def close_as_stale(client: discord.Client, question: Question, days: int) -> None:
    """Say why a question was closed (pinging nobody), redraw it, archive its post."""
    text = (
        f"🕸️ {_about(question)} is closed as stale: no new answer and none accepted for "
        f"{plural(days, 'day')}. An answer opens it again; or ask afresh with `/ask`."
    )
    await _reply(client, question, text, discord.AllowedMentions.none())
    await redraw(client, question)
    if question.forum_id is not None:
        await update_post(client, question, solved=False, archived=True)


# -- one round ----------------------------------------------------------------------------------


async def run_followups(client: discord.Client) -> dict[str, int]:
    """Send every follow-up that is due, each once; how many of each were sent."""
    qa = _qa(client)
    sent = {"nudges": 0, "solved_checks": 0, "digests": 0, "stale": 0}
    for nudge in await qa.due_nudges():
        if await qa.claim(nudge.question.id, "nudged_at"):
            if await send_nudge(client, nudge):
                sent["nudges"] += 1
            else:
                await qa.release(nudge.question.id, "nudged_at")
    for question in await qa.due_solved_checks():
        if await qa.claim(question.id, "solved_check_at"):
            if await send_solved_check(client, question):
                sent["solved_checks"] += 1
            else:
                await qa.release(question.id, "solved_check_at")
    for guild_id, _, week in await qa.due_digests():
        digest = await qa.claim_digest(guild_id, week)
        if digest is None:
            continue
        if await send_digest(client, digest):
            sent["digests"] += 1
        else:
            await qa.release_digest(guild_id, week)
    for question, days in await qa.close_stale():
        await close_as_stale(client, question, days)
        sent["stale"] += 1
    return sent
