"""The plain data of the Q&A: drafts, questions, answers, search pages, forget reports."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

Status = Literal["open", "answered", "all"]
ForgetMode = Literal["delete", "anonymise"]


@dataclass(frozen=True, slots=True)
class Draft:
    """A question's text, cleaned and validated, not yet stored."""

    title: str
    details: str
    tags: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class QuestionTitle:
    """What an autocomplete choice shows of a question: its number and its title."""

    id: int
    title: str


@dataclass(frozen=True, slots=True)
class Question:
    """A stored question, with how many answers it has and which one was accepted."""

    id: int
    guild_id: int
    author_id: int | None
    channel_id: int | None
    message_id: int | None
    title: str
    details: str
    tags: tuple[str, ...]
    answer_count: int
    accepted_answer_id: int | None
    created_at: datetime
    edited_at: datetime | None
    # A forum post: the forum it is in (`channel_id` is its thread); None in a text channel.
    forum_id: int | None = None
    # Closed by its asker or a moderator: "solved", "duplicate" (of `duplicate_of`), "outdated".
    close_reason: str | None = None
    duplicate_of: int | None = None

    @property
    def accepted(self) -> bool:
        """Whether one of its answers was accepted."""
        return self.accepted_answer_id is not None

    @property
    def status(self) -> str:
        """One of "accepted", "answered" (has answers, none accepted) or "open" (no answer yet)."""
        if self.accepted:
            return "accepted"
        return "answered" if self.answer_count else "open"


@dataclass(frozen=True, slots=True)
class Answer:
    """A stored answer; `notice_message_id` is the message that told the asker about it."""

    id: int
    guild_id: int
    question_id: int
    author_id: int | None
    body: str
    created_at: datetime
    edited_at: datetime | None
    accepted: bool = False
    notice_message_id: int | None = None


@dataclass(frozen=True, slots=True)
class QuestionHit:
    """A question found by a search, the snippet that matched (Markdown) and its score."""

    question: Question
    snippet: str
    score: float


@dataclass(frozen=True, slots=True)
class SearchPage:
    """One page of search results, as `/qa search` shows it."""

    query: str
    tag: str | None
    status: Status
    hits: tuple[QuestionHit, ...]
    total: int
    page: int
    pages: int
    more: bool = False  # more than `total` questions match (only the newest were ranked)


@dataclass(frozen=True, slots=True)
class QuestionList:
    """One page of a member's questions ("mine") or of unanswered ones ("open")."""

    kind: Literal["mine", "open"]
    questions: tuple[Question, ...]
    total: int
    page: int
    pages: int


@dataclass(frozen=True, slots=True)
class Posted:
    """A stored answer and the question it answers, as it is now."""

    question: Question
    answer: Answer


@dataclass(frozen=True, slots=True)
class Removed:
    """A deleted question, as it was, and the answer notices (channel, message) to remove."""

    question: Question
    notices: tuple[tuple[int, int], ...] = ()


@dataclass(frozen=True, slots=True)
class Recount:
    """An answer's number of 👍 now, and its notice (channel id, message id) that shows it."""

    answer_id: int
    votes: int
    channel_id: int
    notice_message_id: int


@dataclass(frozen=True, slots=True)
class ForgetReport:
    """What forgetting a member changed, so their Discord messages can follow."""

    mode: ForgetMode
    questions: int = 0
    answers: int = 0
    votes: int = 0  # 👍 the member had given, taken back
    recounted: tuple[Recount, ...] = ()  # notices of the answers those votes were on
    deleted: tuple[Question, ...] = ()  # question messages to delete
    changed: tuple[Question, ...] = ()  # question messages to redraw
    deleted_notices: tuple[tuple[int, int], ...] = ()  # (channel id, message id)
    changed_notices: tuple[Posted, ...] = ()  # answer notices to redraw
