"""Storage: models, engine and session factory, migrations, full-text search."""

from bot.db.engine import Database
from bot.db.search import Search

__all__ = ["Database", "Search"]
