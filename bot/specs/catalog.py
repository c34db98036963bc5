"""Browsing specs: one endpoint, a spec's listing by tag, changelogs, and suggestions as members
type. Read-only: every call is one read transaction.
"""

from __future__ import annotations

from sqlalchemy import case, func, select

from bot.core.paging import paginate
from bot.core.text import SUGGESTIONS
from bot.db.engine import Database
from bot.db.models import Spec, SpecChange, SpecVersion
from bot.errors import BadInput, NotFound
from bot.specs.listing import listing_page
from bot.specs.lookup import (
    endpoint_search,
    endpoint_view,
    find_spec,
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
    ListingPage,
    StoredChange,
)
from bot.specs.validation import choice_value

CHANGES_PER_PAGE = 12
VERSIONS_SEARCHED = 100  # the newest versions a version suggestion looks through
SPEC_SEARCH_WORDS = 5


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
        """A spec's endpoints grouped by tag, one tag (or part of one) per page: read a page at
        a time (see bot.specs.listing).
        """
        async with self._db.read() as session:
            spec = await named_spec(session, guild_id, spec_name, spec_id)
            version = await latest_version(session, spec.id)
            return await listing_page(session, spec, version, tag, page)

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
        from bot.specs.diff import (
            SEVERITY_ORDER,  # the diff's module loads when a changelog is read
        )

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
            brought = (
                select()
                .select_from(SpecChange)
                .join(SpecVersion, SpecVersion.id == SpecChange.version_id)
                .where(
                    SpecChange.spec_id == spec.id,
                    SpecVersion.number > frm.number,
                    SpecVersion.number <= to.number,
                )
            )
            counted = await session.execute(
                brought.add_columns(SpecChange.severity, func.count()).group_by(SpecChange.severity)
            )
            counts = dict.fromkeys(SEVERITY_ORDER, 0) | dict(counted.all())
            total = sum(counts.values())
            pages, page = paginate(total, CHANGES_PER_PAGE, page)
            rank = case(SEVERITY_ORDER, value=SpecChange.severity, else_=len(SEVERITY_ORDER))
            rows = await session.execute(
                brought.add_columns(
                    SpecVersion.number,
                    SpecVersion.label,
                    SpecChange.severity,
                    SpecChange.rule,
                    SpecChange.endpoint_key,
                    SpecChange.message,
                )
                .order_by(
                    rank,
                    SpecVersion.number.desc(),
                    SpecChange.endpoint_key,
                    SpecChange.position,
                )
                .limit(CHANGES_PER_PAGE)
                .offset((page - 1) * CHANGES_PER_PAGE)
            )
            shown = [StoredChange(*row) for row in rows]
        return ChangesPage(
            spec=spec_ref(spec),
            older=version_ref(frm),
            newer=version_ref(to),
            changes=tuple(shown),
            counts=counts,
            page=page,
            pages=pages,
            total=total,
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
