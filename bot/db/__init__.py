"""Storage: models, engine and session factory, migrations, full-text search."""

from bot.db.engine import Database

__all__ = ["Database"]
