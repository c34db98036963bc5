"""The Q&A service the Discord side holds: one object with every use case.

Each use case lives in its own module (posting, finding, privacy, settings) on top of what they
share (store); `QaService` puts them together. The plain data and rules are re-exported here
for code that imports them from this module.
"""

from __future__ import annotations

from bot.core.actor import Actor
from bot.errors import OnCooldown
from bot.qa.finding import Finding
from bot.qa.followups import Followups
from bot.qa.forum import Forum
from bot.qa.model import (
    Answer,
    Draft,
    ForgetMode,
    ForgetReport,
    Posted,
    Question,
    QuestionHit,
    QuestionList,
    Removed,
    SearchPage,
    Status,
)
from bot.qa.posting import Posting
from bot.qa.privacy import Privacy
from bot.qa.recognition import Recognition
from bot.qa.saving import Saving
from bot.qa.settings import Settings
from bot.qa.stats import QaHealth, Stats
from bot.qa.validation import make_answer, make_draft, may_change, parse_ref, parse_tag, parse_tags

__all__ = [
    "Actor",
    "Answer",
    "Draft",
    "ForgetMode",
    "ForgetReport",
    "OnCooldown",
    "Posted",
    "QaHealth",
    "QaService",
    "Question",
    "QuestionHit",
    "QuestionList",
    "Removed",
    "SearchPage",
    "Status",
    "make_answer",
    "make_draft",
    "may_change",
    "parse_ref",
    "parse_tag",
    "parse_tags",
]


class QaService(Posting, Saving, Finding, Forum, Followups, Privacy, Recognition, Settings, Stats):
    """The peer Q&A of every server, stored in the database.

    Asking, answering, accepting, editing (`Posting`); questions and answers saved from chat
    (`Saving`); search, autocomplete, lists and similar questions (`Finding`); counting and
    forgetting a member's text (`Privacy`); votes, points, leaderboard and profiles
    (`Recognition`); questions as forum posts, archived and closed (`Forum`); nudges, solved
    checks and weekly digests (`Followups`); the Q&A channel and cooldowns (`Settings`); the
    numbers operators and members watch (`Stats`). All share one database, clock and cooldown
    setting.
    """
