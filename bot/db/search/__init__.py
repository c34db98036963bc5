"""Full-text search behind one interface (`Search`), one implementation per database.

Services reach it as `db.search` (see `Database`) and never write its queries themselves:
`bot.db.search.base` says what they may ask, `bot.db.search.sqlite` answers with FTS5.
"""

from bot.db.search.base import (
    HIGHLIGHT_CLOSE,
    HIGHLIGHT_OPEN,
    EntryIndex,
    EntryText,
    Hit,
    HitPage,
    Hits,
    QuestionFilter,
    QuestionIndex,
    QuestionText,
    Search,
)
from bot.db.search.sqlite import SqliteSearch

__all__ = [
    "HIGHLIGHT_CLOSE",
    "HIGHLIGHT_OPEN",
    "EntryIndex",
    "EntryText",
    "Hit",
    "HitPage",
    "Hits",
    "QuestionFilter",
    "QuestionIndex",
    "QuestionText",
    "Search",
    "search_for",
]


def search_for(backend: str) -> Search:
    """The full-text search of a database of this SQLAlchemy backend ("sqlite", ...)."""
    if backend == "sqlite":
        return SqliteSearch()
    raise NotImplementedError(f"Nexus has no full-text search for {backend} databases yet.")
