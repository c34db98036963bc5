"""The Q&A's searches as SQLite FTS5 expressions, and the windows they are ranked in.

For the benchmark and the tests that run FTS5 statements themselves: the service never builds
these (it asks `db.search`, whatever the database).
"""

from __future__ import annotations

from bot.db.search.sqlite import QUESTION_WEIGHTS, TITLE_WEIGHTS, pairs_query, prefix_query
from bot.qa.finding import (
    RANK_WINDOW,
    SIMILAR_COMMON_WINDOW,
    SIMILAR_TITLE_WINDOW,
    SIMILAR_WINDOW,
    SUGGEST_WINDOW,
    TOP_WINDOW,
)
from bot.qa.model import Draft
from bot.qa.validation import similarity_keywords

FTS_WEIGHTS = QUESTION_WEIGHTS  # qa_fts: title, details, tags, answers

__all__ = [
    "FTS_WEIGHTS",
    "RANK_WINDOW",
    "SIMILAR_COMMON_WINDOW",
    "SIMILAR_TITLE_WINDOW",
    "SIMILAR_WINDOW",
    "SUGGEST_WINDOW",
    "TITLE_WEIGHTS",
    "TOP_WINDOW",
    "prefix_query",
    "similarity_query",
]


def similarity_query(draft: Draft) -> str | None:
    """An FTS5 expression matching questions that share two keywords with `draft` (one if it
    has only one), looking at titles, details and tags.
    """
    return pairs_query(similarity_keywords(draft))
