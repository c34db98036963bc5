"""Peer Q&A: questions, answers, acceptance, search and privacy.

The Discord side imports what it needs from here; the modules below are split by use case:
model (plain data), validation (rules for member text), store (what the use cases share),
posting, saving (from chat messages), finding, privacy, settings, stats (the numbers operators
watch), and service (`QaService`, all of them together); fts writes the same searches as SQLite FTS5
expressions, for the benchmark.
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
    SearchPage,
    Status,
)
from bot.qa.saving import ChatMessage, Prefill, prefill
from bot.qa.service import QaService
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
    "ANSWER_MAX",
    "DETAILS_MAX",
    "FTS_WEIGHTS",
    "TAG_MAX_CHARS",
    "TITLE_MAX",
    "TITLE_MIN",
    "Actor",
    "Answer",
    "ChatMessage",
    "Draft",
    "ForgetMode",
    "ForgetReport",
    "Posted",
    "Prefill",
    "QaService",
    "Question",
    "QuestionHit",
    "QuestionList",
    "SearchPage",
    "Status",
    "make_draft",
    "may_change",
    "parse_ref",
    "parse_tag",
    "prefill",
    "prefix_query",
    "similarity_query",
]
