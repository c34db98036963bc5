from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event, select, text

from bot.db.engine import Database
from bot.db.models import Entry
from bot.learnings.sync import sync_content
from cogs.learnings.content import check_content
from tests.helpers import CONTENT, index_table, write_entry


@contextmanager
def writes(db: Database) -> Iterator[list[str]]:
    """Collects every INSERT/UPDATE/DELETE statement sent to the database."""
    seen: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.lstrip().split(" ", 1)[0].upper() in {"INSERT", "UPDATE", "DELETE"}:
            seen.append(statement)

    event.listen(db.engine.sync_engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", record)


async def fts_titles(db: Database, word: str) -> list[str]:
    async with db.read() as session:
        found = await db.search.entries.search(session, word, limit=100, every_term_only=True)
        ids = [hit.id for hit in found.hits]
        titles = await session.scalars(select(Entry.title).where(Entry.id.in_(ids)))
        return sorted(titles)


async def sync(db: Database, root: Path) -> Any:
    report = check_content(root)
    assert report.ok, report.problems
    return await sync_content(db, report.learnings)


async def test_insert_update_delete_and_nothing_when_unchanged(
    db: Database, tmp_path: Path
) -> None:
    write_entry(tmp_path, "generators", body="Lazy sequences with yield.")
    write_entry(tmp_path, "decorators", body="Wrapping functions.")
    first = await sync(db, tmp_path)
    assert (first.inserted, first.updated, first.deleted) == (2, 0, 0)
    assert await fts_titles(db, "yield") == ["Generators"]

    with writes(db) as statements:
        again = await sync(db, tmp_path)
    assert not again.changed
    assert again.unchanged == 2
    assert statements == []

    write_entry(tmp_path, "generators", body="Lazy sequences, now with send().")
    (tmp_path / "concepts" / "decorators.md").unlink()
    write_entry(tmp_path, "context-managers", body="with statements.")
    third = await sync(db, tmp_path)
    assert (third.inserted, third.updated, third.deleted) == (1, 1, 1)
    async with db.read() as session:
        slugs = sorted((await session.scalars(select(Entry.slug))).all())
    assert slugs == ["context-managers", "generators"]
    assert await fts_titles(db, "yield") == []
    assert await fts_titles(db, "send") == ["Generators"]
    assert await fts_titles(db, "wrapping") == []


async def test_real_content_syncs_and_is_searchable(db: Database) -> None:
    report = check_content(CONTENT)
    result = await sync_content(db, report.learnings)
    assert result.inserted == len(report.learnings) > 0
    async with db.read() as session:
        table, _ = index_table(db, "entries")
        fts_rows = (await session.execute(text(f"SELECT count(*) FROM {table}"))).scalar_one()
    assert fts_rows == len(report.learnings)
