"""Finding what a member names inside an open session: a spec, a version, an endpoint.

Shared by the use cases; each lookup that fails raises NotFound with what there is instead.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.values import from_row
from bot.db.models import Spec, SpecEndpoint, SpecNote, SpecVersion
from bot.errors import NotFound
from bot.specs.model import EndpointView, ManualEndpoint, NoteView, SpecRef, VersionRef
from bot.specs.validation import VERSION_NUMBER_RE, parse_endpoint_ref, shown

NOTES_SHOWN = 5
SPECS_NAMED = 10  # specs listed when a name matches none
TAGS_NAMED = 15  # tags listed when a tag matches none
ENDPOINTS_NAMED = 5  # endpoints listed when a reference matches several
SEARCH_WORDS = 6  # words of a search that narrow it (the rest are ignored)


def version_ref(row: SpecVersion) -> VersionRef:
    """The plain view of a version row."""
    return from_row(VersionRef, row)


def spec_ref(row: Spec) -> SpecRef:
    """The plain view of a spec row."""
    return from_row(SpecRef, row)


def like(word: str) -> str:
    """A LIKE pattern matching `word` anywhere, its wildcards escaped with a backslash."""
    escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


async def find_spec(session: AsyncSession, guild_id: int, name: str) -> Spec:
    """The spec called `name` in the server; NotFound lists the ones there are."""
    spec_name = name.strip().lower()
    spec = await session.scalar(
        select(Spec).where(Spec.guild_id == guild_id, Spec.name == spec_name)
    )
    if spec is not None:
        return spec
    names = (
        await session.scalars(
            select(Spec.name)
            .where(Spec.guild_id == guild_id)
            .order_by(Spec.name)
            .limit(SPECS_NAMED)
        )
    ).all()
    known = ", ".join(f"`{n}`" for n in names)
    if known:
        raise NotFound(f"There is no spec `{shown(name)}` here. Specs: {known}.")
    raise NotFound(
        f"There is no spec `{shown(name)}` here yet. Import one with `/spec import`, or type "
        "endpoints by hand with `/spec add`."
    )


async def spec_id_named(session: AsyncSession, guild_id: int, name: str) -> int | None:
    """The id of the spec called `name` (any case) in the server, if there is one."""
    return await session.scalar(
        select(Spec.id).where(Spec.guild_id == guild_id, Spec.name == name.lower())
    )


async def spec_to_write(
    session: AsyncSession,
    guild_id: int,
    name: str,
    *,
    title: str,
    by: int | None,
    now: datetime,
) -> Spec:
    """The spec called `name` (a checked name), created with `title` when there is none yet."""
    spec = await session.scalar(select(Spec).where(Spec.guild_id == guild_id, Spec.name == name))
    if spec is None:
        spec = Spec(
            guild_id=guild_id,
            name=name,
            title=title,
            created_by=by,
            created_at=now,
            updated_at=now,
        )
        session.add(spec)
        await session.flush()
    return spec


async def spec_by_id(session: AsyncSession, guild_id: int, spec_id: int) -> Spec:
    """The spec a button or menu points to; NotFound once it was deleted."""
    spec = await session.get(Spec, spec_id)
    if spec is None or spec.guild_id != guild_id:
        raise NotFound("That spec was deleted.")
    return spec


async def named_spec(
    session: AsyncSession, guild_id: int, spec_name: str | None, spec_id: int | None
) -> Spec:
    """The spec by id when one is given (a button), else by name (a command)."""
    if spec_id is not None:
        return await spec_by_id(session, guild_id, spec_id)
    return await find_spec(session, guild_id, spec_name or "")


async def latest_version(session: AsyncSession, spec_id: int) -> SpecVersion | None:
    """The spec's newest version, if it has any."""
    return await session.scalar(
        select(SpecVersion)
        .where(SpecVersion.spec_id == spec_id)
        .order_by(SpecVersion.number.desc())
        .limit(1)
    )


async def find_version(session: AsyncSession, spec: Spec, ref: str | None) -> SpecVersion | None:
    """The version numbered (`3`, `#3`, `v3`) or labelled `ref`; the latest when `ref` is None."""
    if ref is None:
        return await latest_version(session, spec.id)
    text = ref.strip()
    match = VERSION_NUMBER_RE.fullmatch(text)
    row = None
    if match is not None:
        row = await session.scalar(
            select(SpecVersion).where(
                SpecVersion.spec_id == spec.id, SpecVersion.number == int(match.group(1))
            )
        )
    if row is None:
        row = await session.scalar(
            select(SpecVersion).where(SpecVersion.spec_id == spec.id, SpecVersion.label == text)
        )
    if row is None:
        raise NotFound(f"`{spec.name}` has no version `{shown(text)}`. Pick one from the list.")
    return row


def version_tags(version: SpecVersion | None) -> list[str]:
    """The tags a version's document declares, in its order (none without a version)."""
    return list(version.info.get("tags") or []) if version else []


def find_tag(spec: Spec, tags: Sequence[str], typed: str) -> str:
    """The tag among `tags` typed in any case; NotFound names the first tags there are."""
    wanted = typed.strip()
    found = next((t for t in tags if t.lower() == wanted.lower()), None)
    if found is None:
        known = ", ".join(f"`{t}`" for t in tags[:TAGS_NAMED]) or "none yet"
        raise NotFound(f"`{spec.name}` has no tag `{shown(wanted)}`. Tags: {known}.")
    return found


def endpoint_search(spec_id: int, typed: str, limit: int) -> Select[str, str, bool, int | None]:
    """Endpoints whose key or summary holds every typed word, imported ones first."""
    query = select(
        SpecEndpoint.key,
        SpecEndpoint.summary,
        SpecEndpoint.deprecated,
        SpecEndpoint.version_id,
    ).where(SpecEndpoint.spec_id == spec_id)
    for word in typed.lower().split()[:SEARCH_WORDS]:
        query = query.where(
            func.lower(SpecEndpoint.key + " " + SpecEndpoint.summary).like(like(word), escape="\\")
        )
    return query.order_by(
        SpecEndpoint.version_id.is_(None), SpecEndpoint.path, SpecEndpoint.method
    ).limit(limit)


async def resolve_key(session: AsyncSession, spec: Spec, ref: str) -> str:
    """The endpoint key for what was picked or typed; NotFound with candidates if unclear."""
    exact, text = parse_endpoint_ref(ref)
    if text.startswith("~"):
        key = await session.scalar(
            select(SpecEndpoint.key)
            .where(SpecEndpoint.spec_id == spec.id, SpecEndpoint.key_hash == text[1:])
            .limit(1)
        )
        if key is not None:
            return key
    if exact is not None:
        found = await session.scalar(
            select(SpecEndpoint.key)
            .where(SpecEndpoint.spec_id == spec.id, SpecEndpoint.key == exact)
            .limit(1)
        )
        if found is not None:
            return found
    rows = (await session.execute(endpoint_search(spec.id, text, ENDPOINTS_NAMED + 1))).all()
    keys = list(dict.fromkeys(r.key for r in rows))
    if len(keys) == 1:
        return keys[0]
    typed = shown(ref, 80)
    if keys:
        listed = "\n".join(f"• `{k[:120]}`" for k in keys[:ENDPOINTS_NAMED])
        raise NotFound(f"`{typed}` matches several endpoints of `{spec.name}`:\n{listed}")
    raise NotFound(f"`{spec.name}` has no endpoint `{typed}`. Pick one from the list as you type.")


async def endpoint_view(session: AsyncSession, spec: Spec, key: str) -> EndpointView:
    """An endpoint as imported and/or typed by hand, with its latest notes."""
    rows = (
        await session.scalars(
            select(SpecEndpoint).where(SpecEndpoint.spec_id == spec.id, SpecEndpoint.key == key)
        )
    ).all()
    imported = next((r for r in rows if r.version_id is not None), None)
    typed = next((r for r in rows if r.version_id is None), None)
    version = await latest_version(session, spec.id)
    notes = (
        await session.scalars(
            select(SpecNote)
            .where(SpecNote.spec_id == spec.id, SpecNote.endpoint_key == key)
            .order_by(SpecNote.created_at.desc(), SpecNote.id.desc())
            .limit(NOTES_SHOWN)
        )
    ).all()
    note_count = await session.scalar(
        select(func.count(SpecNote.id)).where(
            SpecNote.spec_id == spec.id, SpecNote.endpoint_key == key
        )
    )
    manual = None
    if typed is not None:
        detail = json.loads(typed.detail)
        manual = ManualEndpoint(
            typed.summary,
            detail.get("request_example"),
            detail.get("response_example"),
            typed.author_id,
            typed.created_at,
        )
    return EndpointView(
        spec=spec_ref(spec),
        version=version_ref(version) if version else None,
        key=key,
        operation=json.loads(imported.detail) if imported else None,
        manual=manual,
        notes=tuple(NoteView(n.id, n.author_id, n.body, n.created_at) for n in notes),
        note_count=int(note_count or 0),
    )
