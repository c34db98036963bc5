"""Alembic environment: runs on the connection handed over by bot.db.migrate.

The full-text tables (SQLite's `*_fts` and the tables it keeps behind them, PostgreSQL's
`*_search`) are not models: they are created by hand in the revisions, so comparing the models
with a database leaves them out.
"""

from typing import Any, Literal

from alembic import context

from bot.db.models import Base
from bot.db.types import UTCDateTime


def include_object(
    obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
) -> bool:
    """Whether autogenerate compares this object: everything but the full-text tables and
    their indexes.
    """
    table = obj.table.name if type_ == "index" else name if type_ == "table" else None
    return not (table is not None and ("_fts" in table or table.endswith("_search")))


def render_item(type_: str, obj: Any, autogen_context: Any) -> str | Literal[False]:
    """Autogenerate writes the shared column types as the revisions import them."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        autogen_context.imports.add("from bot.db.types import UTCDateTime")
        return "UTCDateTime()"
    return False


connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through `python -m bot db upgrade`")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=True,
    compare_type=True,
    include_object=include_object,
    render_item=render_item,
)
with context.begin_transaction():
    context.run_migrations()
