"""Peer Q&A: questions, answers, acceptance, search and privacy.

The Discord side imports what it needs from here; the modules below are split by use case:
model (plain data), validation (rules for member text), store (what the use cases share),
posting, saving (from chat messages), finding, privacy, recognition (votes, points,
leaderboard, profiles), settings, stats (the numbers operators and members watch), and service
(`QaService`, all of them together); fts writes the same searches as SQLite FTS5 expressions,
for the benchmark.
"""

from bot.core.actor import Actor
from bot.qa.fts import FTS_WEIGHTS, prefix_query, similarity_query
from bot.qa.model import (
    Answer,
    Draft,
    ForgetMode,
    ForgetReport,
    Posted,
    Question,
    QuestionHit,
    QuestionList,
    QuestionTitle,
    Recount,
    SearchPage,
    Status,
)
from bot.qa.recognition import (
    ACCEPTED_POINTS,
    LEADERBOARD_SIZE,
    PERIODS,
    VOTE_POINTS,
    Leaderboard,
    Period,
    Profile,
    Standing,
    Vote,
)
from bot.qa.saving import ChatMessage, Prefill, prefill
from bot.qa.service import QaService
from bot.qa.stats import Community
from bot.qa.validation import (
    ANSWER_MAX,
    DETAILS_MAX,
    TAG_MAX_CHARS,
    TITLE_MAX,
    TITLE_MIN,
    make_draft,
    may_change,
    parse_ref,
    parse_tag,
)

__all__ = [
    "ACCEPTED_POINTS",
    "ANSWER_MAX",
    "DETAILS_MAX",
    "FTS_WEIGHTS",
    "LEADERBOARD_SIZE",
    "PERIODS",
    "TAG_MAX_CHARS",
    "TITLE_MAX",
    "TITLE_MIN",
    "VOTE_POINTS",
    "Actor",
    "Answer",
    "ChatMessage",
    "Community",
    "Draft",
    "ForgetMode",
    "ForgetReport",
    "Leaderboard",
    "Period",
    "Posted",
    "Prefill",
    "Profile",
    "QaService",
    "Question",
    "QuestionHit",
    "QuestionList",
    "QuestionTitle",
    "Recount",
    "SearchPage",
    "Standing",
    "Status",
    "Vote",
    "make_draft",
    "may_change",
    "parse_ref",
    "parse_tag",
    "prefill",
    "prefix_query",
    "similarity_query",
]
