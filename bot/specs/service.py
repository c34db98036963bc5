"""API specs: importing OpenAPI documents, browsing endpoints, notes, changelogs and followers.

Every user action is one transaction. Reading, validating and diffing a document is CPU work
(seconds for a large one), so it runs in a worker thread (`analyse`), one import at a time, and
only its small, prepared results touch the event loop: rows go to the database in chunks.
"""

from __future__ import annotations

import asyncio
import json
import math
import re
import time
import unicodedata
import zlib
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import Select, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.actor import Actor
from bot.core.text import clean_text, refuse_mass_mentions
from bot.db.engine import Database
from bot.db.models import (
    Spec,
    SpecChange,
    SpecEndpoint,
    SpecFollow,
    SpecNote,
    SpecSettings,
    SpecVersion,
)
from bot.db.types import utcnow
from bot.errors import AlreadyExists, BadInput, NotAllowed, NotFound
from bot.specs.analysis import Analysis, AnalysisPool, analyse, key_hash
from bot.specs.diff import SEVERITY_ORDER, Change
from bot.specs.openapi import (
    MAX_PATH_CHARS,
    METHODS,
    OperationInfo,
    Problem,
    check_size,
    document_format,
    endpoint_key,
)

SPEC_NAME_RE = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?")
LABEL_MAX = 40
NOTE_MAX = 500
SUMMARY_MAX = 200
EXAMPLE_MAX = 1500
FOLLOWS_PER_SPEC = 25
LIST_PER_PAGE = 15
CHANGES_PER_PAGE = 12
INSERT_CHUNK = 200
NOTES_SHOWN = 5
ANNOUNCE_CHANGES = 15
PATH_RE = re.compile(r"/[^\s]*")
UNTAGGED = "other"
HAND_TYPED = "hand-typed"

Severity = Literal["breaking", "warning", "info"]
FollowScope = Literal["spec", "tag", "endpoint"]
OffLoop = Callable[..., Awaitable[Any]]


# -- plain data -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SpecSettingsView:
    guild_id: int
    channel_id: int | None
    editor_role_id: int | None


@dataclass(frozen=True, slots=True)
class SpecRef:
    id: int
    name: str
    title: str


@dataclass(frozen=True, slots=True)
class VersionRef:
    id: int
    number: int
    label: str
    openapi: str
    endpoint_count: int
    imported_at: datetime
    imported_by: int | None


@dataclass(frozen=True, slots=True)
class FollowerNotice:
    """A follower whose follows a new version touched, and how much of it."""

    user_id: int
    reasons: tuple[str, ...]
    counts: dict[str, int]
    first_import: bool = False

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass(frozen=True, slots=True)
class ImportReport:
    spec: SpecRef
    version: VersionRef
    previous: VersionRef | None
    source_format: str
    warnings: tuple[Problem, ...]
    warning_count: int
    changes: tuple[Change, ...]
    announce_channel_id: int | None
    followers: tuple[FollowerNotice, ...]
    analyse_seconds: float
    store_seconds: float

    @property
    def counts(self) -> dict[str, int]:
        return severity_counts(self.changes)


@dataclass(frozen=True, slots=True)
class ManualEndpoint:
    """An endpoint typed by hand before (or beside) any OpenAPI document."""

    summary: str
    request_example: str | None
    response_example: str | None
    author_id: int | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class ManualDraft:
    method: str
    path: str
    summary: str
    request_example: str | None
    response_example: str | None

    @property
    def key(self) -> str:
        return endpoint_key(self.method, self.path)


@dataclass(frozen=True, slots=True)
class NoteView:
    id: int
    author_id: int | None
    body: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class EndpointView:
    spec: SpecRef
    version: VersionRef | None
    key: str
    operation: OperationInfo | None
    manual: ManualEndpoint | None
    notes: tuple[NoteView, ...]
    note_count: int


@dataclass(frozen=True, slots=True)
class ListingEntry:
    key: str
    summary: str
    deprecated: bool
    manual: bool


@dataclass(frozen=True, slots=True)
class ListingPage:
    spec: SpecRef
    version: VersionRef | None
    tag: str
    part: int
    parts: int
    entries: tuple[ListingEntry, ...]
    page: int
    pages: int
    total: int
    tags: tuple[tuple[str, int], ...]  # (tag, its first page)


@dataclass(frozen=True, slots=True)
class StoredChange:
    version_number: int
    version_label: str
    severity: str
    rule: str
    endpoint: str
    message: str


@dataclass(frozen=True, slots=True)
class ChangesPage:
    spec: SpecRef
    older: VersionRef
    newer: VersionRef
    changes: tuple[StoredChange, ...]
    counts: dict[str, int]
    page: int
    pages: int
    total: int


@dataclass(frozen=True, slots=True)
class ExportFile:
    filename: str
    data: bytes
    version: VersionRef


@dataclass(frozen=True, slots=True)
class FollowView:
    scope: str
    target: str

    def describe(self) -> str:
        if self.scope == "spec":
            return "every change"
        if self.scope == "tag":
            return f"tag `{self.target}`"
        return f"`{self.target}`"


@dataclass(frozen=True, slots=True)
class FollowList:
    spec: SpecRef
    follows: tuple[FollowView, ...]
    changed: bool


@dataclass(frozen=True, slots=True)
class Choice:
    """An autocomplete choice: a label to show and the value sent back."""

    label: str
    value: str


# -- validation (pure) ------------------------------------------------------------------------


def parse_spec_name(raw: str) -> str:
    """`Bookings API` is refused with a hint; `bookings-api` is a name."""
    name = raw.strip().lower()
    if SPEC_NAME_RE.fullmatch(name):
        return name
    hint = re.sub(r"[^a-z0-9]+", "-", unicodedata.normalize("NFKD", raw).lower()).strip("-")[:40]
    example = f" such as `{hint}`" if hint and SPEC_NAME_RE.fullmatch(hint) else ""
    raise BadInput(
        f"A spec name is 1-40 lowercase letters, digits and dashes{example} (e.g. `bookings-api`)."
    )


def clean_label(raw: str) -> str:
    label = clean_text(raw, multiline=False)
    if not label:
        raise BadInput("Give the version a label, e.g. `2.1.0`, or leave it out.")
    if len(label) > LABEL_MAX:
        raise BadInput(f"A version label is at most {LABEL_MAX} characters.")
    if re.fullmatch(r"#?\d+", label):
        raise BadInput(
            "A version label cannot be a bare number (those are version numbers): try `v2` "
            "or `2.0.0`."
        )
    return label


def make_note(raw: str) -> str:
    text = clean_text(raw, multiline=True)
    refuse_mass_mentions(text, "note")
    if not text:
        raise BadInput("The note is empty: write what a peer should know about this endpoint.")
    if len(text) > NOTE_MAX:
        raise BadInput(f"A note is at most {NOTE_MAX} characters (yours has {len(text)}).")
    return text


def _example(raw: str | None, what: str) -> str | None:
    if raw is None:
        return None
    text = clean_text(raw, multiline=True)
    if not text:
        return None
    refuse_mass_mentions(text, what)
    if len(text) > EXAMPLE_MAX:
        raise BadInput(f"The {what} is at most {EXAMPLE_MAX} characters.")
    try:  # JSON is pretty-printed; anything else is kept as typed
        return json.dumps(json.loads(text), indent=1, ensure_ascii=False)[:EXAMPLE_MAX]
    except ValueError:
        return text


def make_manual_draft(
    method: str,
    path: str,
    summary: str,
    request_example: str | None = None,
    response_example: str | None = None,
) -> ManualDraft:
    """Validate a hand-typed endpoint (the fields of the `/spec add` form)."""
    verb = method.strip().upper()
    if verb.lower() not in METHODS:
        raise BadInput(
            f"`{clean_text(method, multiline=False)[:12]}` is not an HTTP method: use one of "
            f"{', '.join(m.upper() for m in METHODS)}."
        )
    where = path.strip()
    if not PATH_RE.fullmatch(where) or len(where) > MAX_PATH_CHARS:
        raise BadInput(
            f"The path must start with `/` and have no spaces (at most {MAX_PATH_CHARS} "
            "characters), e.g. `/api/v1/bookings/{id}/`."
        )
    refuse_mass_mentions(where, "path")
    text = clean_text(summary, multiline=False)
    refuse_mass_mentions(text, "summary")
    if not text:
        raise BadInput("Add a one-line summary of what the endpoint does.")
    if len(text) > SUMMARY_MAX:
        raise BadInput(f"The summary is at most {SUMMARY_MAX} characters.")
    return ManualDraft(
        verb,
        where,
        text,
        _example(request_example, "request example"),
        _example(response_example, "response example"),
    )


def parse_endpoint_ref(raw: str) -> tuple[str | None, str]:
    """(exact key or None, the text to search by) for what was picked or typed."""
    text = " ".join(raw.split())
    if text.startswith("~") and re.fullmatch(r"~[0-9a-f]{16}", text):
        return None, text
    parts = text.split(" ", 1)
    if len(parts) == 2 and parts[0].lower() in METHODS and parts[1].startswith("/"):
        return endpoint_key(parts[0], parts[1]), text
    return None, text


def choice_value(key: str) -> str:
    """An autocomplete value: the key itself, or `~hash` when it exceeds Discord's 100 chars."""
    return key if len(key) <= 100 else f"~{key_hash(key)}"


def severity_counts(changes: Iterable[Change | StoredChange]) -> dict[str, int]:
    counts = {"breaking": 0, "warning": 0, "info": 0}
    for change in changes:
        counts[change.severity] = counts.get(change.severity, 0) + 1
    return counts


def match_followers(
    follows: Iterable[tuple[int, str, str]],
    changes: Sequence[Change],
    *,
    first_import: bool,
) -> list[FollowerNotice]:
    """Followers (user, scope, target) whose follows the changes touch, one notice each.

    A first import has nothing to diff: followers of the whole spec hear that it arrived.
    """
    by_user: dict[int, list[tuple[str, str]]] = {}
    for user_id, scope, target in follows:
        by_user.setdefault(user_id, []).append((scope, target))
    notices: list[FollowerNotice] = []
    for user_id, scopes in sorted(by_user.items()):
        if first_import:
            if any(scope == "spec" for scope, _ in scopes):
                notices.append(FollowerNotice(user_id, ("every change",), {}, first_import=True))
            continue
        matched: dict[int, Change] = {}
        reasons: list[str] = []
        for scope, target in scopes:
            hits = [
                (i, c)
                for i, c in enumerate(changes)
                if scope == "spec"
                or (scope == "tag" and target in c.tags)
                or (scope == "endpoint" and c.endpoint == target)
            ]
            if hits:
                reasons.append(FollowView(scope, target).describe())
                matched.update(hits)
        if matched:
            notices.append(
                FollowerNotice(user_id, tuple(reasons), severity_counts(matched.values()))
            )
    return notices


# -- the service ------------------------------------------------------------------------------


def _version_ref(row: SpecVersion) -> VersionRef:
    return VersionRef(
        row.id,
        row.number,
        row.label,
        row.openapi,
        row.endpoint_count,
        row.imported_at,
        row.imported_by,
    )


def _spec_ref(row: Spec) -> SpecRef:
    return SpecRef(row.id, row.name, row.title)


def _like(word: str) -> str:
    escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _pages(total: int, per_page: int, page: int) -> tuple[int, int]:
    pages = max(1, math.ceil(total / per_page))
    return pages, min(max(page, 1), pages)


@dataclass(frozen=True, slots=True)
class SpecContents:
    """What a spec holds (and what deleting it removes)."""

    name: str
    versions: int
    endpoints: int
    notes: int
    follows: int


@dataclass(frozen=True, slots=True)
class PersonalData:
    """A member's notes and follows; `anonymised` counts rows that keep their content."""

    notes: int
    follows: int
    anonymised: int = 0


class SpecsService:
    """The API specs of every server, stored in the database."""

    def __init__(
        self,
        db: Database,
        *,
        clock: Callable[[], datetime] = utcnow,
        off_loop: OffLoop | None = None,
    ) -> None:
        """`off_loop(function, *args)` runs document analysis away from the event loop: by
        default in a separate process (see bot/specs/analysis.py).
        """
        self._db = db
        self._clock = clock
        self._pool = AnalysisPool() if off_loop is None else None
        self._off_loop: OffLoop = off_loop or self._pool  # type: ignore[assignment]
        self._import_lock = asyncio.Lock()

    def close(self) -> None:
        """Stop the analysis process, if one was started."""
        if self._pool is not None:
            self._pool.close()

    # -- settings and permissions ----------------------------------------------------------

    async def settings(self, guild_id: int) -> SpecSettingsView:
        async with self._db.read() as session:
            row = await session.get(SpecSettings, guild_id)
        if row is None:
            return SpecSettingsView(guild_id, None, None)
        return SpecSettingsView(guild_id, row.channel_id, row.editor_role_id)

    async def configure(
        self,
        guild_id: int,
        actor: Actor,
        *,
        channel_id: int | None = None,
        role_id: int | None = None,
        clear_channel: bool = False,
        clear_role: bool = False,
    ) -> SpecSettingsView:
        """Set (or clear) the spec channel and the editor role. Manage Server only."""
        if not actor.can_manage:
            raise NotAllowed("Only members with the **Manage Server** permission can do that.")
        async with self._db.unit_of_work() as session:
            row = await session.get(SpecSettings, guild_id)
            if row is None:
                row = SpecSettings(guild_id=guild_id)
                session.add(row)
            if channel_id is not None:
                row.channel_id = channel_id
            elif clear_channel:
                row.channel_id = None
            if role_id is not None:
                row.editor_role_id = role_id
            elif clear_role:
                row.editor_role_id = None
            row.updated_by = actor.user_id
            row.updated_at = self._clock()
            return SpecSettingsView(guild_id, row.channel_id, row.editor_role_id)

    async def require_editor(self, guild_id: int, actor: Actor) -> None:
        """Importing and adding endpoints: the editor role, or Manage Server."""
        if actor.can_manage:
            return
        settings = await self.settings(guild_id)
        if settings.editor_role_id is not None and settings.editor_role_id in actor.role_ids:
            return
        if settings.editor_role_id is None:
            raise NotAllowed(
                "Only members with **Manage Server** can change specs here until an admin "
                "picks a role for it with `/spec setup role:`."
            )
        raise NotAllowed(
            f"Only members with the <@&{settings.editor_role_id}> role (or **Manage Server**) "
            "can change specs."
        )

    # -- import ----------------------------------------------------------------------------

    @staticmethod
    def precheck(filename: str, size: int) -> None:
        """The checks that need no download: the file's type and size."""
        document_format(filename)
        check_size(size)

    async def import_document(
        self,
        guild_id: int,
        actor: Actor,
        name: str,
        filename: str,
        data: bytes,
        version_label: str | None = None,
    ) -> ImportReport:
        """Import a document as the next version of spec `name` (created on first import)."""
        spec_name = parse_spec_name(name)
        label = clean_label(version_label) if version_label is not None else None
        self.precheck(filename, len(data))
        await self.require_editor(guild_id, actor)
        async with self._import_lock:  # one CPU-heavy analysis at a time per process
            previous = await self._current(guild_id, spec_name)
            prev_id = previous[0].id if previous else None
            model = previous[1] if previous else None
            identity = (previous[2], previous[0].label) if previous else None
            analysis: Analysis = await self._off_loop(analyse, data, filename, model, identity)
            started = time.perf_counter()
            try:
                report = await self._store(
                    guild_id, actor, spec_name, filename, len(data), label, analysis, prev_id
                )
            except IntegrityError:
                raise BadInput(
                    f"Another version of `{spec_name}` was imported at the same moment; "
                    "import yours again to compare it with that one."
                ) from None
        return replace(report, store_seconds=time.perf_counter() - started)

    async def _current(self, guild_id: int, spec_name: str) -> tuple[VersionRef, bytes, str] | None:
        async with self._db.read() as session:
            row = (
                await session.execute(
                    select(SpecVersion)
                    .join(Spec, Spec.id == SpecVersion.spec_id)
                    .where(Spec.guild_id == guild_id, Spec.name == spec_name)
                    .order_by(SpecVersion.number.desc())
                    .limit(1)
                )
            ).scalar_one_or_none()
        if row is None:
            return None
        return _version_ref(row), row.model, row.sha256

    async def _store(
        self,
        guild_id: int,
        actor: Actor,
        spec_name: str,
        filename: str,
        size: int,
        label: str | None,
        analysis: Analysis,
        previous_id: int | None,
    ) -> ImportReport:
        parsed = analysis.summary
        now = self._clock()
        async with self._db.unit_of_work() as session:
            spec = await session.scalar(
                select(Spec).where(Spec.guild_id == guild_id, Spec.name == spec_name)
            )
            if spec is None:
                spec = Spec(
                    guild_id=guild_id,
                    name=spec_name,
                    title=parsed.title,
                    created_by=actor.user_id,
                    created_at=now,
                    updated_at=now,
                )
                session.add(spec)
                await session.flush()
            latest = await session.scalar(
                select(SpecVersion)
                .where(SpecVersion.spec_id == spec.id)
                .order_by(SpecVersion.number.desc())
                .limit(1)
            )
            if (latest.id if latest else None) != previous_id:
                raise BadInput(
                    f"Another version of `{spec_name}` was imported while yours was being read; "
                    "import yours again to compare it with that one."
                )
            labels = set(
                (
                    await session.scalars(
                        select(SpecVersion.label).where(SpecVersion.spec_id == spec.id)
                    )
                ).all()
            )
            number = (latest.number if latest else 0) + 1
            if label is not None and label in labels:
                raise AlreadyExists(
                    f"`{spec_name}` already has a version `{label}`; pick another label or "
                    "leave it out."
                )
            if label is None:
                label = parsed.api_version[:LABEL_MAX] or f"v{number}"
                if label in labels or re.fullmatch(r"#?\d+", label):
                    label = f"{label[: LABEL_MAX - 8]} (#{number})"
            counts = severity_counts(analysis.changes)
            version = SpecVersion(
                guild_id=guild_id,
                spec_id=spec.id,
                number=number,
                label=label,
                openapi=parsed.openapi[:24],
                source_format=parsed.source_format,
                filename=filename[:200],
                size_bytes=size,
                sha256=analysis.sha256,
                document=analysis.document,
                model=analysis.model,
                info=analysis.info,
                warnings=[w.as_dict() for w in parsed.warnings],
                warning_count=parsed.warning_count,
                endpoint_count=len(analysis.endpoint_rows),
                breaking_count=counts["breaking"],
                change_count=len(analysis.changes),
                imported_by=actor.user_id,
                imported_at=now,
            )
            session.add(version)
            spec.title = parsed.title
            spec.updated_at = now
            await session.flush()
            await session.execute(
                delete(SpecEndpoint).where(
                    SpecEndpoint.spec_id == spec.id, SpecEndpoint.version_id.is_not(None)
                )
            )
            base = {"guild_id": guild_id, "spec_id": spec.id, "version_id": version.id}
            await _insert_chunks(
                session,
                SpecEndpoint,
                ({**base, **row, "created_at": now} for row in analysis.endpoint_rows),
            )
            await _insert_chunks(
                session,
                SpecChange,
                (
                    {
                        **base,
                        "position": i,
                        "severity": change.severity,
                        "rule": change.rule,
                        "endpoint_key": change.endpoint[:410],
                        "tags": list(change.tags),
                        "message": change.message[:500],
                    }
                    for i, change in enumerate(analysis.changes)
                ),
            )
            follows = (
                await session.execute(
                    select(SpecFollow.user_id, SpecFollow.scope, SpecFollow.target).where(
                        SpecFollow.spec_id == spec.id
                    )
                )
            ).all()
            settings = await session.get(SpecSettings, guild_id)
            notices = match_followers(
                [(r.user_id, r.scope, r.target) for r in follows],
                analysis.changes,
                first_import=previous_id is None,
            )
            previous = await session.get(SpecVersion, previous_id) if previous_id else None
            return ImportReport(
                spec=_spec_ref(spec),
                version=_version_ref(version),
                previous=_version_ref(previous) if previous else None,
                source_format=parsed.source_format,
                warnings=parsed.warnings,
                warning_count=parsed.warning_count,
                changes=analysis.changes,
                announce_channel_id=settings.channel_id if settings else None,
                followers=tuple(notices),
                analyse_seconds=analysis.seconds,
                store_seconds=0.0,
            )

    # -- finding specs and endpoints -------------------------------------------------------

    async def _spec(self, session: AsyncSession, guild_id: int, name: str) -> Spec:
        spec_name = name.strip().lower()
        spec = await session.scalar(
            select(Spec).where(Spec.guild_id == guild_id, Spec.name == spec_name)
        )
        if spec is not None:
            return spec
        names = (
            await session.scalars(
                select(Spec.name).where(Spec.guild_id == guild_id).order_by(Spec.name).limit(10)
            )
        ).all()
        known = ", ".join(f"`{n}`" for n in names)
        shown = clean_text(name, multiline=False)[:40].replace("`", "'")
        if known:
            raise NotFound(f"There is no spec `{shown}` here. Specs: {known}.")
        raise NotFound(
            f"There is no spec `{shown}` here yet. Import one with `/spec import`, or type "
            "endpoints by hand with `/spec add`."
        )

    async def _spec_by_id(self, session: AsyncSession, guild_id: int, spec_id: int) -> Spec:
        spec = await session.get(Spec, spec_id)
        if spec is None or spec.guild_id != guild_id:
            raise NotFound("That spec was deleted.")
        return spec

    async def _latest_version(self, session: AsyncSession, spec_id: int) -> SpecVersion | None:
        return await session.scalar(
            select(SpecVersion)
            .where(SpecVersion.spec_id == spec_id)
            .order_by(SpecVersion.number.desc())
            .limit(1)
        )

    async def suggest_specs(self, guild_id: int, typed: str, limit: int = 25) -> list[Choice]:
        query = select(Spec.name, Spec.title).where(Spec.guild_id == guild_id)
        for word in typed.lower().split()[:5]:
            query = query.where(
                func.lower(Spec.name + " " + Spec.title).like(_like(word), escape="\\")
            )
        async with self._db.read() as session:
            rows = (await session.execute(query.order_by(Spec.name).limit(limit))).all()
        return [Choice(f"{r.name} · {r.title}", r.name) for r in rows]

    async def suggest_endpoints(
        self, guild_id: int, spec_name: str, typed: str, limit: int = 25
    ) -> list[Choice]:
        async with self._db.read() as session:
            spec_id = await session.scalar(
                select(Spec.id).where(Spec.guild_id == guild_id, Spec.name == spec_name.lower())
            )
            if spec_id is None:
                return []
            rows = (await session.execute(self._endpoint_search(spec_id, typed, limit * 2))).all()
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

    def _endpoint_search(
        self, spec_id: int, typed: str, limit: int
    ) -> Select[str, str, bool, int | None]:
        query = select(
            SpecEndpoint.key,
            SpecEndpoint.summary,
            SpecEndpoint.deprecated,
            SpecEndpoint.version_id,
        ).where(SpecEndpoint.spec_id == spec_id)
        for word in typed.lower().split()[:6]:
            query = query.where(
                func.lower(SpecEndpoint.key + " " + SpecEndpoint.summary).like(
                    _like(word), escape="\\"
                )
            )
        return query.order_by(
            SpecEndpoint.version_id.is_(None), SpecEndpoint.path, SpecEndpoint.method
        ).limit(limit)

    async def _resolve_key(self, session: AsyncSession, spec: Spec, ref: str) -> str:
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
        rows = (await session.execute(self._endpoint_search(spec.id, text, 6))).all()
        keys = list(dict.fromkeys(r.key for r in rows))
        if len(keys) == 1:
            return keys[0]
        shown = clean_text(ref, multiline=False)[:80].replace("`", "'")
        if keys:
            listed = "\n".join(f"• `{k[:120]}`" for k in keys[:5])
            raise NotFound(f"`{shown}` matches several endpoints of `{spec.name}`:\n{listed}")
        raise NotFound(
            f"`{spec.name}` has no endpoint `{shown}`. Pick one from the list as you type."
        )

    async def endpoint(self, guild_id: int, spec_name: str, ref: str) -> EndpointView:
        async with self._db.read() as session:
            spec = await self._spec(session, guild_id, spec_name)
            key = await self._resolve_key(session, spec, ref)
            return await self._endpoint_view(session, spec, key)

    async def _endpoint_view(self, session: AsyncSession, spec: Spec, key: str) -> EndpointView:
        rows = (
            await session.scalars(
                select(SpecEndpoint).where(SpecEndpoint.spec_id == spec.id, SpecEndpoint.key == key)
            )
        ).all()
        imported = next((r for r in rows if r.version_id is not None), None)
        typed = next((r for r in rows if r.version_id is None), None)
        version = await self._latest_version(session, spec.id)
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
            spec=_spec_ref(spec),
            version=_version_ref(version) if version else None,
            key=key,
            operation=json.loads(imported.detail) if imported else None,
            manual=manual,
            notes=tuple(NoteView(n.id, n.author_id, n.body, n.created_at) for n in notes),
            note_count=int(note_count or 0),
        )

    # -- listing ---------------------------------------------------------------------------

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
            if spec_id is not None:
                spec = await self._spec_by_id(session, guild_id, spec_id)
            else:
                spec = await self._spec(session, guild_id, spec_name or "")
            version = await self._latest_version(session, spec.id)
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
        order: list[str] = list(version.info.get("tags") or []) if version else []
        groups: dict[str, list[ListingEntry]] = {}
        for row in rows:
            manual = row.version_id is None
            entry = ListingEntry(row.key, row.summary, row.deprecated, manual)
            names = [HAND_TYPED] if manual else (list(row.tags) or [UNTAGGED])
            for name in names:
                groups.setdefault(name, []).append(entry)
        ordered = [t for t in order if t in groups]
        ordered += sorted(t for t in groups if t not in ordered and t not in (UNTAGGED, HAND_TYPED))
        ordered += [t for t in (UNTAGGED, HAND_TYPED) if t in groups]
        chunks: list[tuple[str, int, int, list[ListingEntry]]] = []
        first_pages: list[tuple[str, int]] = []
        for name in ordered:
            entries = groups[name]
            parts = max(1, math.ceil(len(entries) / LIST_PER_PAGE))
            first_pages.append((name, len(chunks) + 1))
            for part in range(parts):
                chunk = entries[part * LIST_PER_PAGE : (part + 1) * LIST_PER_PAGE]
                chunks.append((name, part + 1, parts, chunk))
        if tag is not None:
            wanted = tag.strip()
            start = next((p for name, p in first_pages if name.lower() == wanted.lower()), None)
            if start is None:
                known = ", ".join(f"`{name}`" for name, _ in first_pages[:15])
                raise NotFound(
                    f"`{spec.name}` has no tag `{clean_text(wanted, multiline=False)[:40]}`. "
                    f"Tags: {known or 'none yet'}."
                )
            page = start
        total_pages = max(1, len(chunks))
        page = min(max(page, 1), total_pages)
        if chunks:
            name, part, parts, chunk = chunks[page - 1]
        else:
            name, part, parts, chunk = "", 1, 1, []
        return ListingPage(
            spec=_spec_ref(spec),
            version=_version_ref(version) if version else None,
            tag=name,
            part=part,
            parts=parts,
            entries=tuple(chunk),
            page=page,
            pages=total_pages,
            total=len({r.key for r in rows}),
            tags=tuple(first_pages),
        )

    async def suggest_tags(self, guild_id: int, spec_name: str, typed: str) -> list[Choice]:
        async with self._db.read() as session:
            spec_id = await session.scalar(
                select(Spec.id).where(Spec.guild_id == guild_id, Spec.name == spec_name.lower())
            )
            if spec_id is None:
                return []
            version = await self._latest_version(session, spec_id)
        tags = list(version.info.get("tags") or []) if version else []
        word = typed.strip().lower()
        return [Choice(t[:100], t[:100]) for t in tags if word in t.lower()][:25]

    # -- hand-typed endpoints and notes ----------------------------------------------------

    async def add_manual(
        self, guild_id: int, actor: Actor, spec_name: str, draft: ManualDraft
    ) -> EndpointView:
        """Store a hand-typed endpoint (creating the spec if needed); its author may redo it."""
        name = parse_spec_name(spec_name)
        await self.require_editor(guild_id, actor)
        now = self._clock()
        async with self._db.unit_of_work() as session:
            spec = await session.scalar(
                select(Spec).where(Spec.guild_id == guild_id, Spec.name == name)
            )
            if spec is None:
                spec = Spec(
                    guild_id=guild_id,
                    name=name,
                    title=name,
                    created_by=actor.user_id,
                    created_at=now,
                    updated_at=now,
                )
                session.add(spec)
                await session.flush()
            rows = (
                await session.scalars(
                    select(SpecEndpoint).where(
                        SpecEndpoint.spec_id == spec.id, SpecEndpoint.key == draft.key
                    )
                )
            ).all()
            if any(r.version_id is not None for r in rows):
                raise AlreadyExists(
                    f"`{draft.key}` is already in the imported document of `{name}`; add what "
                    "you know with `/spec note` instead."
                )
            existing = next(iter(rows), None)
            detail = json.dumps(
                {
                    "request_example": draft.request_example,
                    "response_example": draft.response_example,
                },
                ensure_ascii=False,
            )
            if existing is not None:
                if existing.author_id != actor.user_id and not actor.can_manage:
                    raise AlreadyExists(
                        f"<@{existing.author_id}> already typed `{draft.key}` in `{name}`; add "
                        "what you know with `/spec note`."
                    )
                existing.summary = draft.summary
                existing.detail = detail
                existing.author_id = actor.user_id
                existing.created_at = now
            else:
                session.add(
                    SpecEndpoint(
                        guild_id=guild_id,
                        spec_id=spec.id,
                        version_id=None,
                        method=draft.method,
                        path=draft.path,
                        key=draft.key,
                        key_hash=key_hash(draft.key),
                        summary=draft.summary,
                        tags=[],
                        deprecated=False,
                        detail=detail,
                        author_id=actor.user_id,
                        created_at=now,
                    )
                )
            spec.updated_at = now
            await session.flush()
            return await self._endpoint_view(session, spec, draft.key)

    async def add_note(
        self, guild_id: int, actor: Actor, spec_name: str, ref: str, text: str
    ) -> EndpointView:
        body = make_note(text)
        async with self._db.unit_of_work() as session:
            spec = await self._spec(session, guild_id, spec_name)
            key = await self._resolve_key(session, spec, ref)
            session.add(
                SpecNote(
                    guild_id=guild_id,
                    spec_id=spec.id,
                    endpoint_key=key,
                    author_id=actor.user_id,
                    body=body,
                    created_at=self._clock(),
                )
            )
            await session.flush()
            return await self._endpoint_view(session, spec, key)

    # -- versions and changes --------------------------------------------------------------

    async def _version(
        self, session: AsyncSession, spec: Spec, ref: str | None
    ) -> SpecVersion | None:
        if ref is None:
            return await self._latest_version(session, spec.id)
        text = ref.strip()
        match = re.fullmatch(r"(?:#|v)?(\d{1,6})", text, re.IGNORECASE)
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
            shown = clean_text(text, multiline=False)[:40].replace("`", "'")
            raise NotFound(f"`{spec.name}` has no version `{shown}`. Pick one from the list.")
        return row

    async def suggest_versions(self, guild_id: int, spec_name: str, typed: str) -> list[Choice]:
        async with self._db.read() as session:
            rows = (
                await session.execute(
                    select(SpecVersion.number, SpecVersion.label, SpecVersion.imported_at)
                    .join(Spec, Spec.id == SpecVersion.spec_id)
                    .where(Spec.guild_id == guild_id, Spec.name == spec_name.lower())
                    .order_by(SpecVersion.number.desc())
                    .limit(100)
                )
            ).all()
        word = typed.strip().lower().lstrip("#")
        out = [
            Choice(f"#{r.number} · {r.label} · {r.imported_at:%Y-%m-%d}"[:100], str(r.number))
            for r in rows
            if word in f"{r.number} {r.label}".lower()
        ]
        return out[:25]

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
            if spec_id is not None:
                spec = await self._spec_by_id(session, guild_id, spec_id)
            else:
                spec = await self._spec(session, guild_id, spec_name or "")
            to = await self._version(session, spec, newer)
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
                frm = await self._version(session, spec, older)
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
        pages, page = _pages(len(changes), CHANGES_PER_PAGE, page)
        shown = changes[(page - 1) * CHANGES_PER_PAGE : page * CHANGES_PER_PAGE]
        return ChangesPage(
            spec=_spec_ref(spec),
            older=_version_ref(frm),
            newer=_version_ref(to),
            changes=tuple(shown),
            counts=severity_counts(changes),
            page=page,
            pages=pages,
            total=len(changes),
        )

    async def export(self, guild_id: int, spec_name: str, version: str | None) -> ExportFile:
        async with self._db.read() as session:
            spec = await self._spec(session, guild_id, spec_name)
            row = await self._version(session, spec, version)
            if row is None:
                raise NotFound(f"`{spec.name}` has no imported document yet.")
            compressed, ref, fmt = row.document, _version_ref(row), row.source_format
        data = await asyncio.to_thread(zlib.decompress, compressed)
        safe_label = re.sub(r"[^A-Za-z0-9._-]+", "-", ref.label).strip("-") or f"v{ref.number}"
        extension = "json" if fmt == "json" else "yaml"
        return ExportFile(f"{spec_name}-{safe_label}.{extension}", data, ref)

    # -- follows ---------------------------------------------------------------------------

    async def _follow_target(
        self,
        session: AsyncSession,
        spec: Spec,
        tag: str | None,
        endpoint: str | None,
    ) -> tuple[FollowScope, str]:
        if tag is not None and endpoint is not None:
            raise BadInput("Follow a tag or an endpoint, not both at once.")
        if endpoint is not None:
            return "endpoint", await self._resolve_key(session, spec, endpoint)
        if tag is not None:
            version = await self._latest_version(session, spec.id)
            tags = list(version.info.get("tags") or []) if version else []
            wanted = tag.strip()
            found = next((t for t in tags if t.lower() == wanted.lower()), None)
            if found is None:
                known = ", ".join(f"`{t}`" for t in tags[:15]) or "none yet"
                shown = clean_text(wanted, multiline=False)[:40].replace("`", "'")
                raise NotFound(f"`{spec.name}` has no tag `{shown}`. Tags: {known}.")
            return "tag", found
        return "spec", ""

    async def _follow_list(
        self, session: AsyncSession, spec: Spec, user_id: int, changed: bool
    ) -> FollowList:
        rows = (
            await session.execute(
                select(SpecFollow.scope, SpecFollow.target)
                .where(SpecFollow.spec_id == spec.id, SpecFollow.user_id == user_id)
                .order_by(SpecFollow.scope, SpecFollow.target)
            )
        ).all()
        return FollowList(
            _spec_ref(spec), tuple(FollowView(r.scope, r.target) for r in rows), changed
        )

    async def follow(
        self,
        guild_id: int,
        user_id: int,
        spec_name: str,
        *,
        tag: str | None = None,
        endpoint: str | None = None,
    ) -> FollowList:
        async with self._db.unit_of_work() as session:
            spec = await self._spec(session, guild_id, spec_name)
            scope, target = await self._follow_target(session, spec, tag, endpoint)
            existing = await session.scalar(
                select(SpecFollow.id).where(
                    SpecFollow.spec_id == spec.id,
                    SpecFollow.user_id == user_id,
                    SpecFollow.scope == scope,
                    SpecFollow.target == target,
                )
            )
            if existing is not None:
                return await self._follow_list(session, spec, user_id, changed=False)
            count = await session.scalar(
                select(func.count(SpecFollow.id)).where(
                    SpecFollow.spec_id == spec.id, SpecFollow.user_id == user_id
                )
            )
            if int(count or 0) >= FOLLOWS_PER_SPEC:
                raise BadInput(
                    f"You follow {FOLLOWS_PER_SPEC} things in `{spec.name}` already; follow the "
                    "whole spec instead, or unfollow something first."
                )
            session.add(
                SpecFollow(
                    guild_id=guild_id,
                    spec_id=spec.id,
                    user_id=user_id,
                    scope=scope,
                    target=target,
                    created_at=self._clock(),
                )
            )
            await session.flush()
            return await self._follow_list(session, spec, user_id, changed=True)

    async def unfollow(
        self,
        guild_id: int,
        user_id: int,
        spec_name: str,
        *,
        tag: str | None = None,
        endpoint: str | None = None,
        everything: bool = False,
    ) -> FollowList:
        async with self._db.unit_of_work() as session:
            spec = await self._spec(session, guild_id, spec_name)
            query = delete(SpecFollow).where(
                SpecFollow.spec_id == spec.id, SpecFollow.user_id == user_id
            )
            if not everything:
                if endpoint is not None:
                    # An endpoint may be gone from the spec already: match the typed key too.
                    exact, _ = parse_endpoint_ref(endpoint)
                    try:
                        key = await self._resolve_key(session, spec, endpoint)
                    except NotFound:
                        if exact is None:
                            raise
                        key = exact
                    query = query.where(SpecFollow.scope == "endpoint", SpecFollow.target == key)
                elif tag is not None:
                    query = query.where(
                        SpecFollow.scope == "tag",
                        func.lower(SpecFollow.target) == tag.strip().lower(),
                    )
                else:
                    query = query.where(SpecFollow.scope == "spec")
            result = await session.execute(query)
            removed = int(getattr(result, "rowcount", 0) or 0)
            if removed == 0:
                raise NotFound(
                    f"You were not following that in `{spec.name}`. "
                    "`/spec follow` shows what you follow."
                )
            return await self._follow_list(session, spec, user_id, changed=True)

    # -- deleting ----------------------------------------------------------------------------

    async def _contents(self, session: AsyncSession, spec: Spec) -> SpecContents:
        async def count(model: Any) -> int:
            return int(
                await session.scalar(
                    select(func.count()).select_from(model).where(model.spec_id == spec.id)
                )
                or 0
            )

        return SpecContents(
            spec.name,
            versions=await count(SpecVersion),
            endpoints=await count(SpecEndpoint),
            notes=await count(SpecNote),
            follows=await count(SpecFollow),
        )

    async def contents(self, guild_id: int, actor: Actor, spec_name: str) -> SpecContents:
        """What deleting `spec_name` would remove (editors only: the same right as importing)."""
        await self.require_editor(guild_id, actor)
        async with self._db.read() as session:
            return await self._contents(session, await self._spec(session, guild_id, spec_name))

    async def delete_spec(self, guild_id: int, actor: Actor, spec_name: str) -> SpecContents:
        """Delete a spec with its versions, endpoints, changes, notes and follows, at once."""
        await self.require_editor(guild_id, actor)
        async with self._db.unit_of_work() as session:
            spec = await self._spec(session, guild_id, spec_name)
            removed = await self._contents(session, spec)
            # Rows of a spec reference it with ON DELETE CASCADE (foreign keys are on).
            await session.execute(delete(Spec).where(Spec.id == spec.id))
            return removed

    async def written_by(self, user_id: int) -> PersonalData:
        """The notes and follows of `user_id`, in every server (for /spec forget-me)."""
        async with self._db.read() as session:
            notes = await session.scalar(
                select(func.count()).select_from(SpecNote).where(SpecNote.author_id == user_id)
            )
            follows = await session.scalar(
                select(func.count()).select_from(SpecFollow).where(SpecFollow.user_id == user_id)
            )
        return PersonalData(notes=int(notes or 0), follows=int(follows or 0))

    async def forget(self, user_id: int) -> PersonalData:
        """Delete `user_id`'s notes and follows; keep what they imported or typed for the
        others, without their name on it.
        """
        async with self._db.unit_of_work() as session:
            notes = await session.execute(delete(SpecNote).where(SpecNote.author_id == user_id))
            follows = await session.execute(delete(SpecFollow).where(SpecFollow.user_id == user_id))
            anonymised = 0
            named: tuple[tuple[Any, Any], ...] = (
                (SpecEndpoint, SpecEndpoint.author_id),
                (Spec, Spec.created_by),
                (SpecVersion, SpecVersion.imported_by),
                (SpecSettings, SpecSettings.updated_by),
            )
            for model, column in named:
                done = await session.execute(
                    update(model).where(column == user_id).values({column: None})
                )
                anonymised += _rowcount(done)
        return PersonalData(_rowcount(notes), _rowcount(follows), anonymised)


def _rowcount(result: Any) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


async def _insert_chunks(
    session: AsyncSession,
    model: type[SpecEndpoint] | type[SpecChange],
    rows: Iterable[dict[str, Any]],
) -> None:
    """Insert in chunks, so a thousand endpoints never hold the event loop in one go."""
    chunk: list[dict[str, Any]] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= INSERT_CHUNK:
            await session.execute(insert(model), chunk)
            chunk = []
            await asyncio.sleep(0)
    if chunk:
        await session.execute(insert(model), chunk)
