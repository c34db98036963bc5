"""Full-text search behind one interface (`Search`), one implementation per database.

Services reach it as `db.search` (see `Database`) and never write its queries themselves:
`bot.db.search.base` says what they may ask (all of it exported here), `bot.db.search.sqlite`
answers with FTS5, `bot.db.search.postgresql` with tsvector columns.
"""

from bot.db.search import base
from bot.db.search.base import *  # noqa: F403
from bot.db.search.base import Search
from bot.db.search.postgresql import PostgresSearch
from bot.db.search.sqlite import SqliteSearch

__all__ = ["search_for"]
__all__ += base.__all__


def search_for(backend: str) -> Search:
    """The full-text search of a database of this SQLAlchemy backend ("sqlite", "postgresql")."""
    if backend == "sqlite":
        return SqliteSearch()
    if backend == "postgresql":
        return PostgresSearch()
    # Settings accept these two only (bot.config): another backend is a programming error.
    raise ValueError(f"no full-text search is written for {backend!r} databases")
