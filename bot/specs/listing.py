"""A spec's listing, read one page at a time: endpoints by tag, one tag (or part of one) a page.

Tags come in the document's order, then any others A-Z, then "other" (imported endpoints
without a tag) and "hand-typed" last; a tag longer than a page is split in parts. Each endpoint
is filed under its tags in `spec_endpoint_tags` when it is written (`tag_rows`), so a page
turn reads the size of every tag (one GROUP BY, a row per tag) and the page's endpoints
(LIMIT/OFFSET along the index of one tag): a page and the tags, however big the spec.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.paging import page_count, paginate
from bot.db.models import Spec, SpecEndpoint, SpecEndpointTag, SpecVersion
from bot.specs.lookup import find_tag, spec_ref, version_ref, version_tags
from bot.specs.model import ListingEntry, ListingPage

LIST_PER_PAGE = 15
UNTAGGED = "other"
HAND_TYPED = "hand-typed"
LAST = (UNTAGGED, HAND_TYPED)


def listed_under(tags: Sequence[str], *, manual: bool) -> list[str]:
    """The tags the listing shows an endpoint under: its own, "other" when it has none,
    "hand-typed" when it was typed by hand.
    """
    if manual:
        return [HAND_TYPED]
    return list(dict.fromkeys(tags)) or [UNTAGGED]


def tag_rows(
    spec_id: int, endpoint_id: int, row: Mapping[str, Any], *, manual: bool
) -> list[dict[str, Any]]:
    """The `spec_endpoint_tags` rows filing an endpoint (its `method`, `path` and `tags`)."""
    return [
        {
            "endpoint_id": endpoint_id,
            "tag": tag,
            "spec_id": spec_id,
            "path": row["path"],
            "method": row["method"],
        }
        for tag in listed_under(row.get("tags") or [], manual=manual)
    ]


async def insert_imported(session: AsyncSession, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert imported endpoints (rows of one version: one per key) and file each under its
    tags.
    """
    inserted = await session.execute(
        insert(SpecEndpoint).returning(SpecEndpoint.key, SpecEndpoint.id), rows
    )
    ids = dict(inserted.all())
    filed = [t for r in rows for t in tag_rows(r["spec_id"], ids[r["key"]], r, manual=False)]
    await session.execute(insert(SpecEndpointTag), filed)


async def file_typed(session: AsyncSession, endpoint: SpecEndpoint) -> None:
    """File a new hand-typed endpoint (flushed: it has its id) under "hand-typed"."""
    row = {"path": endpoint.path, "method": endpoint.method}
    filed = tag_rows(endpoint.spec_id, endpoint.id, row, manual=True)
    await session.execute(insert(SpecEndpointTag), filed)


@dataclass(frozen=True, slots=True)
class TagPages:
    """Where one tag sits in the listing: its first page and how many pages it takes."""

    tag: str
    first: int
    parts: int


def tag_pages(order: Sequence[str], sizes: Mapping[str, int]) -> list[TagPages]:
    """Every tag that has endpoints (`sizes`: how many), in the listing's order, with its pages."""
    ordered = [t for t in dict.fromkeys(order) if t in sizes and t not in LAST]
    placed = set(ordered)
    ordered += sorted(t for t in sizes if t not in placed and t not in LAST)
    ordered += [t for t in LAST if t in sizes]
    out: list[TagPages] = []
    first = 1
    for tag in ordered:
        parts = page_count(sizes[tag], LIST_PER_PAGE)
        out.append(TagPages(tag, first, parts))
        first += parts
    return out


async def listing_page(
    session: AsyncSession, spec: Spec, version: SpecVersion | None, tag: str | None, page: int
) -> ListingPage:
    """Page `page` of the spec's listing (the first page of `tag`, when one is typed)."""
    counted = await session.execute(
        select(SpecEndpointTag.tag, func.count())
        .where(SpecEndpointTag.spec_id == spec.id)
        .group_by(SpecEndpointTag.tag)
    )
    sizes: dict[str, int] = dict(counted.all())
    tags = tag_pages(version_tags(version), sizes)
    if tag is not None:
        wanted = find_tag(spec, [t.tag for t in tags], tag)
        page = next(t.first for t in tags if t.tag == wanted)
    pages, page = paginate(sum(t.parts for t in tags), 1, page)
    here = next((t for t in tags if t.first <= page < t.first + t.parts), None)
    entries: list[ListingEntry] = []
    if here is not None:
        entries = await _entries(session, spec.id, here.tag, page - here.first)
    total = await session.scalar(
        select(func.count(func.distinct(SpecEndpoint.key))).where(SpecEndpoint.spec_id == spec.id)
    )
    return ListingPage(
        spec=spec_ref(spec),
        version=version_ref(version) if version else None,
        tag=here.tag if here else "",
        part=page - here.first + 1 if here else 1,
        parts=here.parts if here else 1,
        entries=tuple(entries),
        page=page,
        pages=pages,
        total=int(total or 0),
        tags=tuple((t.tag, t.first) for t in tags),
    )


async def _entries(session: AsyncSession, spec_id: int, tag: str, part: int) -> list[ListingEntry]:
    """Part `part` (from 0) of a tag's endpoints, by path then method."""
    order = (SpecEndpointTag.path, SpecEndpointTag.method, SpecEndpointTag.endpoint_id)
    shown = (
        select(*order)
        .where(SpecEndpointTag.spec_id == spec_id, SpecEndpointTag.tag == tag)
        .order_by(*order)
        .limit(LIST_PER_PAGE)
        .offset(part * LIST_PER_PAGE)
        .subquery()
    )
    rows = await session.execute(
        select(
            SpecEndpoint.key,
            SpecEndpoint.summary,
            SpecEndpoint.deprecated,
            SpecEndpoint.version_id,
        )
        .join(shown, shown.c.endpoint_id == SpecEndpoint.id)
        .order_by(shown.c.path, shown.c.method, shown.c.endpoint_id)
    )
    return [ListingEntry(r.key, r.summary, r.deprecated, r.version_id is None) for r in rows]
