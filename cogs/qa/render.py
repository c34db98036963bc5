"""Peer Q&A as embeds and short messages, inside Discord's limits, never pinging anybody."""

from __future__ import annotations

from collections.abc import Sequence

import discord

from bot.core.text import unmask_links
from bot.qa import (
    Answer,
    Draft,
    ForgetReport,
    Question,
    QuestionHit,
    QuestionList,
    QuestionTitle,
    SearchPage,
)
from bot.qa.followups import FollowupSettings
from bot.qa.forum import CLOSED_TEXT
from cogs._kit.limits import (
    CHOICE_NAME,
    EMBED_DESCRIPTION,
    EMBED_FIELD_NAME,
    EMBED_FIELD_VALUE,
    EMBED_TITLE,
    PAGE_BUDGET,
    clip,
)
from cogs._kit.text import backups_note, esc, when

STATUS_STYLE: dict[str, tuple[str, int, str]] = {
    "open": ("❓", 0x5865F2, "Waiting for an answer"),
    "answered": ("💬", 0xFEE75C, "Answered"),
    "accepted": ("✅", 0x2ECC71, "Answered · an answer was accepted"),
}
ANSWERS_PER_PAGE = 5
FORMER_MEMBER = "a former member"


def safe_title(title: str) -> str:
    """A member's title shown as plain text: Markdown characters escaped."""
    return esc(title)


def who(user_id: int | None) -> str:
    """A member as a mention (shown, never pinged: the bot sends with mentions off)."""
    return f"<@{user_id}>" if user_id is not None else FORMER_MEMBER


def heading(question: Question) -> str:
    emoji = STATUS_STYLE[question.status][0]
    return clip(f"{emoji} #{question.id} · {safe_title(question.title)}", EMBED_TITLE)


def tags_text(tags: Sequence[str]) -> str:
    return " ".join(f"`{tag}`" for tag in tags)


def answers_text(question: Question) -> str:
    count = question.answer_count
    text = f"{count} answer{'s' if count != 1 else ''}"
    return f"{text} · ✅ accepted" if question.accepted else text


def question_embed(question: Question) -> discord.Embed:
    """The question as it is posted (and redrawn after every change)."""
    _, colour, label = STATUS_STYLE[question.status]
    embed = discord.Embed(
        title=heading(question),
        description=clip(unmask_links(question.details), EMBED_DESCRIPTION),
        colour=colour,
        timestamp=question.created_at,
    )
    embed.add_field(name="Asked by", value=who(question.author_id))
    embed.add_field(name="Answers", value=answers_text(question))
    if question.tags:
        embed.add_field(name="Tags", value=tags_text(question.tags))
    footer = f"Question #{question.id} · {label}"
    if question.edited_at is not None:
        footer += " · edited"
    if question.close_reason is not None:
        embed.set_footer(text=f"{footer} · {closed_text(question)}")
        return embed
    embed.set_footer(text=f"{footer} · answer with the button or /answer")
    return embed


def closed_text(question: Question) -> str:
    """Why a question was closed, for its footer ("closed as a duplicate of #12")."""
    reason = question.close_reason or ""
    if reason == "duplicate" and question.duplicate_of is not None:
        return f"closed as a duplicate of #{question.duplicate_of}"
    return f"closed as {CLOSED_TEXT.get(reason, reason)}"


def followups_text(chosen: FollowupSettings) -> str:
    """What `/qa setup` says of the follow-ups now chosen (roles and channels shown, not pinged)."""
    hours = chosen.nudge_after_hours
    if hours == 0:
        text = "⏰ Unanswered questions are not nudged."
    else:
        plural_s = "" if hours == 1 else "s"
        text = f"⏰ An unanswered question is nudged after {hours} hour{plural_s}"
        role = chosen.helper_role_id
        text += f", mentioning <@&{role}>." if role is not None else "."
    if chosen.mentors_channel_id is not None:
        text += f" The open questions go to <#{chosen.mentors_channel_id}> once a week."
    if chosen.stale_after_days:
        days = chosen.stale_after_days
        text += f" A question quiet for {days} day{'' if days == 1 else 's'} is closed as stale."
    return text


def closed_note(question: Question, by: int, duplicate_url: str | None = None) -> str:
    """What is said in a post as it is closed (naming members, pinging nobody)."""
    text = f"🔒 {who(by)} closed this post as {CLOSED_TEXT.get(question.close_reason or '', '')}"
    if question.close_reason == "duplicate" and question.duplicate_of is not None:
        text += f" of #{question.duplicate_of}"
        if duplicate_url:
            text += f" ({duplicate_url})"
    if question.close_reason == "solved":
        return text + ". Thanks for closing the loop!"
    return text + ": it takes no more answers."


def message_url(guild_id: int, channel_id: int, message_id: int) -> str:
    """A link that opens a message in Discord."""
    return f"https://discord.com/channels/{guild_id}/{channel_id}/{message_id}"


def from_chat(embed: discord.Embed, url: str, saver: int | None) -> discord.Embed:
    """Mark a question or answer saved from a chat message: a link to it, and who saved it."""
    saved_by = f" · saved by {who(saver)}" if saver is not None else ""
    embed.add_field(name="From chat", value=f"[The message]({url}){saved_by}")
    return embed


def answer_embed(question: Question, answer: Answer) -> discord.Embed:
    mark = "✅ Accepted answer" if answer.accepted else "💬 Answer"
    embed = discord.Embed(
        title=clip(f"{mark} to #{question.id} · {safe_title(question.title)}", EMBED_TITLE),
        description=clip(unmask_links(answer.body), EMBED_DESCRIPTION),
        colour=STATUS_STYLE["accepted" if answer.accepted else "answered"][1],
        timestamp=answer.created_at,
    )
    embed.add_field(name="Answered by", value=who(answer.author_id))
    embed.set_footer(text=f"Answer #{answer.id}{' · edited' if answer.edited_at else ''}")
    return embed


def answer_notice(question: Question, answer: Answer) -> str:
    """The channel message that tells the asker (and only the asker) about a new answer."""
    about = f"**#{question.id} · {clip(safe_title(question.title), 150)}**"
    if question.author_id is None:
        return f"{who(answer.author_id)} answered question {about}."
    if question.author_id == answer.author_id:
        return f"{who(answer.author_id)} answered their own question {about}."
    return f"{who(question.author_id)} — {who(answer.author_id)} answered your question {about}."


def _answer_block(answer: Answer) -> str:
    mark = "✅ **Accepted** · " if answer.accepted else ""
    edited = " · edited" if answer.edited_at else ""
    return (
        f"{mark}**Answer #{answer.id}** by {who(answer.author_id)} {when(answer.created_at)}"
        f"{edited}\n{unmask_links(answer.body)}"
    )


def answer_pages(answers: Sequence[Answer]) -> list[list[Answer]]:
    """Answers packed into pages that fit one embed (at most five a page, never cut)."""
    pages: list[list[Answer]] = []
    current: list[Answer] = []
    size = 0
    for answer in answers:
        block = len(_answer_block(answer)) + 2
        if current and (size + block > PAGE_BUDGET or len(current) >= ANSWERS_PER_PAGE):
            pages.append(current)
            current, size = [], 0
        current.append(answer)
        size += block
    if current or not pages:
        pages.append(current)
    return pages


def answers_embed(
    question: Question, answers: Sequence[Answer], page: int
) -> tuple[discord.Embed, list[Answer], int, int]:
    """(embed, answers on the page, page, pages) for one page of a question's answers."""
    pages = answer_pages(answers)
    page = min(max(page, 1), len(pages))
    shown = pages[page - 1]
    embed = discord.Embed(title=heading(question), colour=STATUS_STYLE[question.status][1])
    if shown:
        embed.description = clip("\n\n".join(_answer_block(a) for a in shown), EMBED_DESCRIPTION)
    else:
        embed.description = "No answers yet. Be the first: press **Answer** on the question."
    embed.set_footer(text=f"{answers_text(question)} · page {page}/{len(pages)}")
    return embed, shown, page, len(pages)


def similar_embed(draft: Draft, hits: Sequence[QuestionHit]) -> discord.Embed:
    embed = discord.Embed(
        title="Before you post: were these asked already?",
        description=(
            f"You are asking **{clip(safe_title(draft.title), 200)}**. These answered questions "
            "look alike; if one answers yours, press **This answers it** and nothing is posted."
        ),
        colour=0xFEE75C,
    )
    for hit in hits:
        name, value = hit_field(hit)
        embed.add_field(name=name, value=value, inline=False)
    return embed


def hit_field(hit: QuestionHit, *, mark: str = "") -> tuple[str, str]:
    """One found question as an embed field (name, value)."""
    question = hit.question
    name = clip(f"{mark}{heading(question)}", EMBED_FIELD_NAME)
    details = [answers_text(question)]
    if question.tags:
        details.append(tags_text(question.tags))
    value = f"{hit.snippet}\n{' · '.join(details)} · `/qa show question:{question.id}`"
    return name, clip(value, EMBED_FIELD_VALUE)


def search_embed(page: SearchPage) -> discord.Embed:
    scope = {"open": "Unanswered questions", "answered": "Answered questions"}
    title = f"🔎 {scope.get(page.status, 'Questions')} about “{safe_title(page.query)}”"
    if page.tag:
        title += f" tagged {safe_title(page.tag)}"
    embed = discord.Embed(title=clip(title, EMBED_TITLE), colour=0x5865F2)
    if not page.hits:
        embed.description = (
            "No question mentions that yet. Try other words, or ask it yourself with `/ask`."
        )
        return embed
    for hit in page.hits:
        name, value = hit_field(hit)
        embed.add_field(name=name, value=value, inline=False)
    count = (
        f"{page.total}+ questions (the newest {page.total} ranked)"
        if page.more
        else (f"{page.total} question{'s' if page.total != 1 else ''}")
    )
    embed.set_footer(text=f"{count} · page {page.page}/{page.pages}")
    return embed


def list_embed(listing: QuestionList) -> discord.Embed:
    if listing.kind == "mine":
        title, empty = "🙋 Your questions", "You have not asked anything here yet: try `/ask`."
    else:
        title, empty = (
            "🆘 Questions waiting for an answer",
            "Every question has an answer. Nice work, everyone!",
        )
    embed = discord.Embed(title=title, colour=0x5865F2)
    lines = [
        f"**{heading(q)}** — {answers_text(q)} · {when(q.created_at)}"
        + (f" · by {who(q.author_id)}" if listing.kind == "open" else "")
        for q in listing.questions
    ]
    embed.description = clip("\n".join(lines), EMBED_DESCRIPTION) if lines else empty
    embed.set_footer(
        text=f"{listing.total} question{'s' if listing.total != 1 else ''} · "
        f"page {listing.page}/{listing.pages} · open one with /qa show"
    )
    return embed


def choice_name(question: QuestionTitle) -> str:
    """An autocomplete choice: plain text (choices show no Markdown), inside the limit."""
    flat = " ".join(question.title.split())
    return clip(f"#{question.id} · {flat}", CHOICE_NAME)


def answer_choice_name(answer: Answer) -> str:
    flat = " ".join(answer.body.split())
    return clip(f"#{answer.id} (on #{answer.question_id}) · {flat}", CHOICE_NAME)


def forget_prompt(questions: int, answers: int, votes: int = 0, saved: int = 0) -> str:
    voted = f" (and gave **{votes}** 👍, which are taken back either way)" if votes else ""
    kept = (
        f"You also saved **{saved}** message{'s' if saved != 1 else ''} of others as questions "
        "or answers: they stay theirs, without your name.\n"
        if saved
        else ""
    )
    return (
        f"You wrote **{questions}** question{'s' if questions != 1 else ''} and **{answers}** "
        f"answer{'s' if answers != 1 else ''} through Nexus, in every server we share{voted}.\n"
        f"{kept}\n"
        "• **Delete everything**: your questions (with every answer they got) and your "
        "answers are removed for good.\n"
        "• **Anonymise**: the text stays for others to learn from, shown as written by "
        f"*{FORMER_MEMBER}*; nothing links it to you any more.\n\n"
        "This cannot be undone."
    )


def forget_done(report: ForgetReport, backups_kept: int | None = None) -> str:
    """What forget-me did; when backups are kept, how long the older ones still hold it."""
    what = (
        f"{report.questions} question{'s' if report.questions != 1 else ''} and "
        f"{report.answers} answer{'s' if report.answers != 1 else ''}"
    )
    votes = f" Your {report.votes} 👍 are taken back." if report.votes else ""
    if report.mode != "delete":
        return f"🕶️ Done: {what} anonymised.{votes}"
    done = f"🗑️ Done: {what} deleted.{votes}"
    if backups_kept is None:
        return done
    return f"{done} {backups_note(backups_kept)}"
