"""Brings the database index in line with content/: insert, update, delete, in one transaction."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.engine import Database
from bot.db.models import Entry
from bot.db.search import EntryText
from bot.db.types import utcnow
from bot.learnings.model import Learning

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class SyncReport:
    """How many learnings a sync added, updated, removed and left alone."""

    inserted: int = 0
    updated: int = 0
    deleted: int = 0
    unchanged: int = 0

    @property
    def changed(self) -> bool:
        """Whether the sync wrote anything."""
        return bool(self.inserted or self.updated or self.deleted)

    def __str__(self) -> str:
        return (
            f"{self.inserted} added, {self.updated} updated, {self.deleted} removed, "
            f"{self.unchanged} unchanged"
        )


def _fill(row: Entry, entry: Learning) -> None:
    row.slug = entry.slug
    row.kind = entry.kind
    row.title = entry.title
    row.topic = entry.topic
    row.summary = entry.summary
    row.body = entry.body
    row.aliases = list(entry.aliases)
    row.tags = list(entry.tags)
    row.related = list(entry.related)
    row.docs = [{"title": d.title, "url": d.url} for d in entry.docs]
    row.why = entry.why
    row.source_path = entry.source_path
    row.content_hash = entry.content_hash
    row.updated_at = utcnow()


def _searchable(row: Entry) -> EntryText:
    """The text of a stored learning that full-text search reads."""
    return EntryText(row.id, row.title, tuple(row.aliases), tuple(row.tags), row.summary, row.body)


Current = dict[str, tuple[int, str, str]]  # slug -> (id, content hash, source path)


async def _current(session: AsyncSession) -> Current:
    rows = await session.execute(
        select(Entry.slug, Entry.id, Entry.content_hash, Entry.source_path)
    )
    return {row.slug: (row.id, row.content_hash, row.source_path) for row in rows.all()}


@dataclass(frozen=True, slots=True)
class _Plan:
    insert: list[Learning]
    update: list[Learning]
    delete: list[int]
    report: SyncReport


def _plan(current: Current, wanted: dict[str, Learning]) -> _Plan:
    insert = [e for slug, e in wanted.items() if slug not in current]
    update = [
        e
        for slug, e in wanted.items()
        if slug in current and current[slug][1:] != (e.content_hash, e.source_path)
    ]
    delete = [current[slug][0] for slug in current if slug not in wanted]
    unchanged = len(wanted) - len(insert) - len(update)
    return _Plan(
        insert, update, delete, SyncReport(len(insert), len(update), len(delete), unchanged)
    )


async def sync_content(db: Database, learnings: Sequence[Learning]) -> SyncReport:
    """Make the `entries` table (and its full-text index) match `learnings` exactly.

    When nothing changed, nothing is written. The changes are planned again under the write
    lock: two bots starting together on a fresh database do not insert the same entries twice.
    """
    wanted = {e.slug: e for e in learnings}
    async with db.read() as session:
        first_look = _plan(await _current(session), wanted)
    if not first_look.report.changed:
        return first_look.report
    index = db.search.entries
    async with db.exclusive() as session:
        plan = _plan(await _current(session), wanted)
        if plan.delete:
            await index.remove(session, plan.delete)
            await session.execute(delete(Entry).where(Entry.id.in_(plan.delete)))
        for entry in plan.update:
            row = await session.scalar(select(Entry).where(Entry.slug == entry.slug))
            assert row is not None
            _fill(row, entry)
            await session.flush()
            await index.put(session, _searchable(row))
        for entry in plan.insert:
            row = Entry()
            _fill(row, entry)
            session.add(row)
            await session.flush()
            await index.put(session, _searchable(row))
    log.info("content synced: %s", plan.report)
    return plan.report
