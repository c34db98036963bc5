"""Browsing specs: one endpoint, a spec's listing by tag, changelogs, and suggestions as members
type. Read-only: every call is one read transaction.
"""

from __future__ import annotations

from sqlalchemy import func, select

from bot.core.paging import page_count, page_of, paginate
from bot.core.text import SUGGESTIONS
from bot.db.engine import Database
from bot.db.models import Spec, SpecChange, SpecEndpoint, SpecVersion
from bot.errors import BadInput, NotFound
from bot.specs.diff import SEVERITY_ORDER
from bot.specs.lookup import (
    endpoint_search,
    endpoint_view,
    find_spec,
    find_tag,
    find_version,
    latest_version,
    like,
    named_spec,
    resolve_key,
    spec_id_named,
    spec_ref,
    version_ref,
    version_tags,
)
from bot.specs.model import (
    CHOICE_TEXT_MAX,
    ChangesPage,
    Choice,
    EndpointView,
    ListingEntry,
    ListingPage,
    StoredChange,
    severity_counts,
)
from bot.specs.validation import choice_value

LIST_PER_PAGE = 15
CHANGES_PER_PAGE = 12
VERSIONS_SEARCHED = 100  # the newest versions a version suggestion looks through
SPEC_SEARCH_WORDS = 5
UNTAGGED = "other"
HAND_TYPED = "hand-typed"


def _group_pages(
    order: list[str], entries: list[tuple[ListingEntry, list[str]]]
) -> tuple[list[tuple[str, int, int, list[ListingEntry]]], list[tuple[str, int]]]:
    """Entries grouped by tag into pages: (tag, part, parts, entries) each, and the first page of
    every tag. Tags come in the document's order, then the others A-Z, untagged and hand-typed
    last.
    """
    groups: dict[str, list[ListingEntry]] = {}
    for entry, names in entries:
        for name in names:
            groups.setdefault(name, []).append(entry)
    ordered = [t for t in order if t in groups]
    ordered += sorted(t for t in groups if t not in ordered and t not in (UNTAGGED, HAND_TYPED))
    ordered += [t for t in (UNTAGGED, HAND_TYPED) if t in groups]
    chunks: list[tuple[str, int, int, list[ListingEntry]]] = []
    first_pages: list[tuple[str, int]] = []
    for name in ordered:
        grouped = groups[name]
        parts = page_count(len(grouped), LIST_PER_PAGE)
        first_pages.append((name, len(chunks) + 1))
        for part in range(1, parts + 1):
            chunks.append((name, part, parts, list(page_of(grouped, LIST_PER_PAGE, part))))
    return chunks, first_pages


class Catalog:
    """What members read: endpoints, listings, changelogs and autocomplete suggestions."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def endpoint(self, guild_id: int, spec_name: str, ref: str) -> EndpointView:
        """The endpoint picked or typed (`GET /bookings/{id}`, or words of it)."""
        async with self._db.read() as session:
            spec = await find_spec(session, guild_id, spec_name)
            key = await resolve_key(session, spec, ref)
            return await endpoint_view(session, spec, key)

    async def listing(
        self,
        guild_id: int,
        *,
        spec_name: str | None = None,
        spec_id: int | None = None,
        tag: str | None = None,
        page: int = 1,
    ) -> ListingPage:
        """A spec's endpoints grouped by tag, one tag (or part of one) per page."""
        async with self._db.read() as session:
            spec = await named_spec(session, guild_id, spec_name, spec_id)
            version = await latest_version(session, spec.id)
            rows = (
                await session.execute(
                    select(
                        SpecEndpoint.key,
                        SpecEndpoint.summary,
                        SpecEndpoint.tags,
                        SpecEndpoint.deprecated,
                        SpecEndpoint.version_id,
                    )
                    .where(SpecEndpoint.spec_id == spec.id)
                    .order_by(SpecEndpoint.path, SpecEndpoint.method)
                )
            ).all()
        order = version_tags(version)
        entries = []
        for row in rows:
            manual = row.version_id is None
            entry = ListingEntry(row.key, row.summary, row.deprecated, manual)
            entries.append((entry, [HAND_TYPED] if manual else (list(row.tags) or [UNTAGGED])))
        chunks, first_pages = _group_pages(order, entries)
        if tag is not None:
            page = dict(first_pages)[find_tag(spec, [name for name, _ in first_pages], tag)]
        total_pages, page = paginate(len(chunks), 1, page)
        if chunks:
            name, part, parts, chunk = chunks[page - 1]
        else:
            name, part, parts, chunk = "", 1, 1, []
        return ListingPage(
            spec=spec_ref(spec),
            version=version_ref(version) if version else None,
            tag=name,
            part=part,
            parts=parts,
            entries=tuple(chunk),
            page=page,
            pages=total_pages,
            total=len({r.key for r in rows}),
            tags=tuple(first_pages),
        )

    async def changes(
        self,
        guild_id: int,
        *,
        spec_name: str | None = None,
        spec_id: int | None = None,
        older: str | None = None,
        newer: str | None = None,
        page: int = 1,
    ) -> ChangesPage:
        """The changelog from version `older` to `newer` (default: the latest and the previous)."""
        async with self._db.read() as session:
            spec = await named_spec(session, guild_id, spec_name, spec_id)
            to = await find_version(session, spec, newer)
            if to is None:
                raise NotFound(f"`{spec.name}` has no imported version yet.")
            if older is None:
                frm = await session.scalar(
                    select(SpecVersion)
                    .where(SpecVersion.spec_id == spec.id, SpecVersion.number < to.number)
                    .order_by(SpecVersion.number.desc())
                    .limit(1)
                )
                if frm is None:
                    raise NotFound(
                        f"Version `{to.label}` is the first of `{spec.name}`: there is nothing "
                        "to compare it with yet."
                    )
            else:
                frm = await find_version(session, spec, older)
                assert frm is not None
            if frm.number >= to.number:
                raise BadInput("Pick an older version first, then a newer one.")
            rows = (
                await session.execute(
                    select(SpecChange, SpecVersion.number, SpecVersion.label)
                    .join(SpecVersion, SpecVersion.id == SpecChange.version_id)
                    .where(
                        SpecChange.spec_id == spec.id,
                        SpecVersion.number > frm.number,
                        SpecVersion.number <= to.number,
                    )
                )
            ).all()
        changes = sorted(
            (
                StoredChange(n, label, c.severity, c.rule, c.endpoint_key, c.message)
                for c, n, label in rows
            ),
            key=lambda c: (SEVERITY_ORDER.get(c.severity, 9), -c.version_number, c.endpoint),
        )
        count, page = paginate(len(changes), CHANGES_PER_PAGE, page)
        shown = page_of(changes, CHANGES_PER_PAGE, page)
        return ChangesPage(
            spec=spec_ref(spec),
            older=version_ref(frm),
            newer=version_ref(to),
            changes=tuple(shown),
            counts=severity_counts(changes),
            page=page,
            pages=count,
            total=len(changes),
        )

    # -- suggestions as members type ---------------------------------------------------------

    async def suggest_specs(
        self, guild_id: int, typed: str, limit: int = SUGGESTIONS
    ) -> list[Choice]:
        """The server's specs whose name or title holds every typed word."""
        query = select(Spec.name, Spec.title).where(Spec.guild_id == guild_id)
        for word in typed.lower().split()[:SPEC_SEARCH_WORDS]:
            query = query.where(
                func.lower(Spec.name + " " + Spec.title).like(like(word), escape="\\")
            )
        async with self._db.read() as session:
            rows = (await session.execute(query.order_by(Spec.name).limit(limit))).all()
        return [Choice(f"{r.name} · {r.title}", r.name) for r in rows]

    async def suggest_endpoints(
        self, guild_id: int, spec_name: str, typed: str, limit: int = SUGGESTIONS
    ) -> list[Choice]:
        """A spec's endpoints matching what was typed; hand-typed and deprecated ones marked."""
        async with self._db.read() as session:
            spec_id = await spec_id_named(session, guild_id, spec_name)
            if spec_id is None:
                return []
            rows = (await session.execute(endpoint_search(spec_id, typed, limit * 2))).all()
        seen: set[str] = set()
        out: list[Choice] = []
        for row in rows:
            if row.key in seen:
                continue
            seen.add(row.key)
            mark = "✍️ " if row.version_id is None else ("⚠️ " if row.deprecated else "")
            label = f"{mark}{row.key}" + (f" — {row.summary}" if row.summary else "")
            out.append(Choice(label, choice_value(row.key)))
            if len(out) >= limit:
                break
        return out

    async def suggest_tags(self, guild_id: int, spec_name: str, typed: str) -> list[Choice]:
        """The tags of a spec's latest version that hold what was typed."""
        async with self._db.read() as session:
            spec_id = await spec_id_named(session, guild_id, spec_name)
            if spec_id is None:
                return []
            version = await latest_version(session, spec_id)
        tags = version_tags(version)
        word = typed.strip().lower()
        return [
            Choice(t[:CHOICE_TEXT_MAX], t[:CHOICE_TEXT_MAX]) for t in tags if word in t.lower()
        ][:SUGGESTIONS]

    async def suggest_versions(self, guild_id: int, spec_name: str, typed: str) -> list[Choice]:
        """A spec's versions, newest first, whose number or label holds what was typed."""
        async with self._db.read() as session:
            rows = (
                await session.execute(
                    select(SpecVersion.number, SpecVersion.label, SpecVersion.imported_at)
                    .join(Spec, Spec.id == SpecVersion.spec_id)
                    .where(Spec.guild_id == guild_id, Spec.name == spec_name.lower())
                    .order_by(SpecVersion.number.desc())
                    .limit(VERSIONS_SEARCHED)
                )
            ).all()
        word = typed.strip().lower().lstrip("#")
        out = [
            Choice(
                f"#{r.number} · {r.label} · {r.imported_at:%Y-%m-%d}"[:CHOICE_TEXT_MAX],
                str(r.number),
            )
            for r in rows
            if word in f"{r.number} {r.label}".lower()
        ]
        return out[:SUGGESTIONS]
