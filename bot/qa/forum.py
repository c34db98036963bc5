"""Forum mode: a question is a forum post that carries tags, is archived once solved and quiet,
and may be closed by its asker.

Which forum tags a post carries, and which tags a forum offers, are decided here, without
Discord: the forum offers **Solved** and the server's most used question tags, within
Discord's 20 tags a forum may have (tags someone else made are kept); a post carries at most 5.
An accepted answer sets when the post is archived (`archive_due_at`: the server's quiet period
later; a new answer starts the period again); the archiver claims each due post once
(`claim_archive` clears the due time in the same statement that finds it due), so a post is
archived once even when two bots run, and a post whose archive failed is put back.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.actor import Actor
from bot.core.values import rowcount
from bot.db.models import QaQuestion, QaSettings
from bot.errors import AlreadyExists, BadInput
from bot.qa.model import Question
from bot.qa.store import QaStore, to_question
from bot.qa.validation import require_change

CloseReason = Literal["solved", "duplicate", "outdated"]
CLOSE_REASONS: tuple[CloseReason, ...] = ("solved", "duplicate", "outdated")
SOLVED_TAG = "Solved"
QUIET_PERIOD = timedelta(hours=24)  # an accepted post stays open this long when quiet
QUIET_MAX_HOURS = 24 * 7  # the longest quiet period a server may choose
TAG_SOURCE_QUESTIONS = 1000  # the newest questions of a server whose tags are counted
DUE_BATCH = 50  # posts archived per round
ASKER_ONLY = "Only the member who asked (or a moderator) can close a post."
NOT_A_POST = (
    "Question #{id} was posted in a text channel, not a forum: only forum posts are closed. "
    "Accept an answer instead, or delete it with `/qa delete`."
)
CLOSED_TEXT = {
    "solved": "solved",
    "duplicate": "a duplicate",
    "outdated": "outdated",
    "stale": "stale",  # by Nexus, after the server's stale period (bot.qa.followups)
}


# -- forum tags (pure) ---------------------------------------------------------------------------


def plan_forum_tags(
    existing: Sequence[str],
    usage: Mapping[str, int],
    wanted: Iterable[str],
    *,
    most: int,
    longest: int,
) -> list[str] | None:
    """The tags a forum should offer so a new post can carry `wanted`; None when it already
    does (or cannot: nothing less used would make room). A forum offers at most `most` tags,
    each at most `longest` characters (Discord's limits: a longer question tag is left out).

    **Solved** comes first when missing. A missing question tag takes a free place, else the
    place of the least used tag of Nexus's (a question tag of this server, not **Solved**, not
    wanted now) when it is used less. Tags others made stay; the order of those kept stays.
    """
    tags = list(existing)
    names = {t.casefold() for t in tags}
    changed = False
    if SOLVED_TAG.casefold() not in names:
        if len(tags) >= most and not _make_room(tags, usage, set(), 10**9):
            return None
        tags.append(SOLVED_TAG)
        names.add(SOLVED_TAG.casefold())
        changed = True
    wanted_now = [t for t in dict.fromkeys(wanted) if 0 < len(t) <= longest]
    keep = {t.casefold() for t in wanted_now}
    for tag in wanted_now:
        if tag.casefold() in names:
            continue
        if len(tags) >= most and not _make_room(tags, usage, keep, usage.get(tag, 0)):
            continue
        tags.append(tag)
        names.add(tag.casefold())
        changed = True
    return tags if changed else None


def _make_room(tags: list[str], usage: Mapping[str, int], keep: set[str], uses: int) -> bool:
    """Drop the least used of Nexus's tags when it is used less than `uses`; whether it did."""
    ours = [
        t
        for t in tags
        if t in usage and t.casefold() not in keep and t.casefold() != SOLVED_TAG.casefold()
    ]
    if not ours:
        return False
    least = min(ours, key=lambda t: (usage[t], t))
    if usage[least] >= uses:
        return False
    tags.remove(least)
    return True


def post_tags(question: Question, offered: Sequence[str], *, solved: bool, most: int) -> list[str]:
    """The forum tags (names, among `offered`) a post carries: **Solved** first when solved,
    then the question's tags the forum offers, at most `most` in all (Discord's limit).
    """
    by_name = {t.casefold(): t for t in offered}
    chosen = []
    if solved and SOLVED_TAG.casefold() in by_name:
        chosen.append(by_name[SOLVED_TAG.casefold()])
    chosen += [by_name[t.casefold()] for t in question.tags if t.casefold() in by_name]
    return list(dict.fromkeys(chosen))[:most]


def post_name(title: str, limit: int) -> str:
    """A question's title as a post's name: one line, at most `limit` characters."""
    line = " ".join(title.split())
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"


# -- what the database keeps -------------------------------------------------------------------


async def quiet_period(session: AsyncSession, guild_id: int) -> timedelta:
    """How long a solved post of this server stays open when nobody writes in it."""
    minutes = await session.scalar(
        select(QaSettings.archive_after_minutes).where(QaSettings.guild_id == guild_id)
    )
    return QUIET_PERIOD if minutes is None else timedelta(minutes=minutes)


async def after_answer(session: AsyncSession, row: QaQuestion, now: datetime) -> None:
    """An answer is about to be written to `row`: refused when the question is closed as a
    duplicate or outdated; a solved post (its answer opens it again if it was archived) is
    archived again once quiet for the quiet period.
    """
    if row.close_reason in ("duplicate", "outdated"):
        raise BadInput(
            f"Question #{row.id} is closed as {CLOSED_TEXT[row.close_reason]}: it takes no "
            "more answers."
        )
    if row.close_reason == "stale":  # an answer brings a stale question back
        row.close_reason, row.closed_at = None, None
    row.nudged_at = row.nudged_at or now  # answered: it needs no nudge
    solved = row.accepted_answer_id is not None or row.close_reason == "solved"
    if row.forum_id is not None and solved:
        row.archive_due_at = now + await quiet_period(session, row.guild_id)


async def after_accept(session: AsyncSession, row: QaQuestion, now: datetime) -> None:
    """An answer of `row` was accepted: a forum post is archived after the quiet period; its
    asker needs no "is it solved?".
    """
    row.solved_check_at = row.solved_check_at or now
    row.nudged_at = row.nudged_at or now
    if row.forum_id is not None and row.closed_at is None:
        row.archive_due_at = now + await quiet_period(session, row.guild_id)


class Forum(QaStore):
    """Questions as forum posts: their tags, their archiving, and closing them."""

    async def attach_post(self, question_id: int, forum_id: int, thread_id: int) -> None:
        """Record the post that shows the question (its thread; its first message has the
        thread's id).
        """
        async with self._db.unit_of_work() as session:
            await session.execute(
                update(QaQuestion)
                .where(QaQuestion.id == question_id)
                .values(channel_id=thread_id, message_id=thread_id, forum_id=forum_id)
            )

    async def tag_usage(self, guild_id: int) -> dict[str, int]:
        """How many of the server's newest questions carry each tag."""
        async with self._db.read() as session:
            rows = (
                await session.scalars(
                    select(QaQuestion.tags)
                    .where(QaQuestion.guild_id == guild_id)
                    .order_by(QaQuestion.created_at.desc())
                    .limit(TAG_SOURCE_QUESTIONS)
                )
            ).all()
        return dict(Counter(tag for tags in rows for tag in tags))

    async def due_posts(self) -> list[Question]:
        """Forum posts whose time to be archived has come (a batch, the most overdue first)."""
        async with self._db.read() as session:
            rows = (
                await session.execute(
                    self._questions()
                    .where(QaQuestion.archive_due_at <= self._clock())
                    .order_by(QaQuestion.archive_due_at)
                    .limit(DUE_BATCH)
                )
            ).all()
        return [to_question(row, count) for row, count in rows]

    async def claim_archive(self, question_id: int) -> datetime | None:
        """Take a due post to archive it: its due time, cleared (None: not due, or already
        taken). Put it back with `release_archive` when archiving fails.
        """
        now = self._clock()
        async with self._db.unit_of_work() as session:
            due = await session.scalar(
                select(QaQuestion.archive_due_at).where(QaQuestion.id == question_id)
            )
            if due is None or due > now:
                return None
            result = await session.execute(
                update(QaQuestion)
                .where(QaQuestion.id == question_id, QaQuestion.archive_due_at == due)
                .values(archive_due_at=None)
            )
            return due if rowcount(result) == 1 else None

    async def release_archive(self, question_id: int, due: datetime) -> None:
        """Archiving a claimed post failed: it is due again (unless something set it since)."""
        async with self._db.unit_of_work() as session:
            await session.execute(
                update(QaQuestion)
                .where(QaQuestion.id == question_id, QaQuestion.archive_due_at.is_(None))
                .values(archive_due_at=due)
            )

    async def close(
        self,
        guild_id: int,
        question_id: int,
        actor: Actor,
        reason: CloseReason,
        duplicate_of: int | None = None,
    ) -> Question:
        """Close a forum post: its asker or a moderator; a duplicate names the question it
        repeats. Returns the question as it is now (to tag, archive and lock its post).
        """
        if reason not in CLOSE_REASONS:
            raise BadInput(f"Close a post as one of: {', '.join(CLOSE_REASONS)}.")
        async with self._db.unit_of_work() as session:
            row, _ = await self._load(session, guild_id, question_id)
            require_change(actor, row.author_id, ASKER_ONLY)
            if row.forum_id is None:
                raise BadInput(NOT_A_POST.format(id=question_id))
            if row.closed_at is not None and row.close_reason is not None:
                raise AlreadyExists(
                    f"Question #{question_id} is already closed as {CLOSED_TEXT[row.close_reason]}."
                )
            if reason == "duplicate":
                if duplicate_of is None:
                    raise BadInput(
                        "Name the question it duplicates with `duplicate_of:` (its number)."
                    )
                if duplicate_of == question_id:
                    raise BadInput("A question cannot be a duplicate of itself.")
                await self._load(session, guild_id, duplicate_of)  # NotFound when it is not
            row.close_reason = reason
            row.closed_at = self._clock()
            row.nudged_at = row.nudged_at or row.closed_at  # closed: no follow-up is needed
            row.solved_check_at = row.solved_check_at or row.closed_at
            row.duplicate_of = duplicate_of if reason == "duplicate" else None
            row.archive_due_at = None
            await session.flush()
            return (await self._load(session, guild_id, question_id))[1]
