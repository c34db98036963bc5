"""Documents in and out: importing one as a spec's next version, and exporting a version.

Reading, validating and diffing a document is CPU work (seconds for a large one), so it runs
away from the event loop (`analyse`), one import at a time, taken in turn fairly across servers
(`ImportQueue`), and only its small, prepared results touch the event loop: rows go to the
database in chunks, in one transaction.
"""

from __future__ import annotations

import asyncio
import re
import time
import zlib
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.actor import Actor
from bot.core.values import rowcount
from bot.db.engine import Database
from bot.db.models import (
    Spec,
    SpecChange,
    SpecEndpoint,
    SpecFollow,
    SpecSettings,
    SpecToken,
    SpecVersion,
)
from bot.errors import AlreadyExists, BadInput, NotFound
from bot.specs.analysis import DOCUMENT_LEVEL, Analysis, analyse_packed, model_details
from bot.specs.following import match_followers
from bot.specs.listing import insert_imported
from bot.specs.lookup import (
    find_spec,
    find_version,
    latest_version,
    spec_ref,
    spec_to_write,
    version_ref,
)
from bot.specs.model import ExportFile, ImportReport, VersionRef, severity_counts
from bot.specs.openapi.problems import Problem, check_size, code, document_format
from bot.specs.scheduling import ImportQueue
from bot.specs.settings import SpecSettingsService
from bot.specs.tokens import BadToken, PushGrant
from bot.specs.validation import LABEL_MAX, clean_label, is_bare_number, parse_spec_name

INSERT_CHUNK = 200  # rows per INSERT, with a pause for the event loop between them
FILENAME_MAX = 200
OPENAPI_MAX = 24  # characters of the `openapi:` / `swagger:` version kept
CHANGE_ENDPOINT_MAX = 410
CHANGE_MESSAGE_MAX = 500

OffLoop = Callable[..., Awaitable[Any]]


def precheck(filename: str, size: int) -> None:
    """The checks that need no download: the file's type and size. Reading the document is the
    analysis process's (bot/specs/analysis.py): the bot's own never loads the validators.
    """
    document_format(filename)
    check_size(size)


class Importing:
    """Imports documents as versions (one analysis at a time, fair across servers) and exports
    them back.
    """

    def __init__(
        self,
        db: Database,
        clock: Callable[[], datetime],
        settings: SpecSettingsService,
        off_loop: OffLoop,
    ) -> None:
        """`off_loop(function, *args)` runs document analysis away from the event loop."""
        self._db = db
        self._clock = clock
        self._settings = settings
        self._off_loop = off_loop
        self._queue = ImportQueue()

    def waiting(self, guild_id: int) -> int:
        """How many of the server's imports are waiting for their turn at the analysis."""
        return self._queue.waiting(guild_id)

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
        precheck(filename, len(data))
        await self._settings.require_editor(guild_id, actor)
        return await self._import(guild_id, actor.user_id, spec_name, filename, data, label)

    async def push_document(
        self, grant: PushGrant, filename: str, data: bytes, version_label: str | None = None
    ) -> ImportReport:
        """Import a document pushed with a token as the next version of the token's spec: the
        same checks, queue and store as an import, in the name of the token's maker.
        """
        label = clean_label(version_label) if version_label is not None else None
        precheck(filename, len(data))
        return await self._import(
            grant.guild_id,
            grant.created_by,
            grant.spec_name,
            filename,
            data,
            label,
            token_id=grant.token_id,
        )

    async def _import(
        self,
        guild_id: int,
        by: int | None,
        spec_name: str,
        filename: str,
        data: bytes,
        label: str | None,
        *,
        token_id: int | None = None,
    ) -> ImportReport:
        async with self._queue.turn(guild_id):  # one analysis at a time, servers in turn
            previous = await self._current(guild_id, spec_name)
            prev_id = previous[0].id if previous else None
            model = previous[1] if previous else None
            identity = (previous[2], previous[0].label) if previous else None
            # Compressed as it is stored before it crosses to the worker (zlib lets go of the
            # GIL, so a thread keeps the loop free meanwhile).
            packed = await asyncio.to_thread(zlib.compress, data, DOCUMENT_LEVEL)
            analysis: Analysis = await self._off_loop(
                analyse_packed, packed, filename, model, identity
            )
            started = time.perf_counter()
            try:
                report = await self._store(
                    guild_id, by, spec_name, filename, len(data), label, analysis, prev_id, token_id
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
        return version_ref(row), row.model, row.sha256

    async def _store(
        self,
        guild_id: int,
        by: int | None,
        spec_name: str,
        filename: str,
        size: int,
        label: str | None,
        analysis: Analysis,
        previous_id: int | None,
        token_id: int | None,
    ) -> ImportReport:
        parsed = analysis.summary
        warnings, warning_count = parsed.warnings, parsed.warning_count
        if label is not None and not parsed.api_version:
            missing = Problem(
                "The document has no `info.version`; this version is labelled "
                f"`{code(label, 40)}` as given to the import. Put the version in the document "
                "too, so tools agree.",
                "/info/version",
            )
            warnings, warning_count = (missing, *warnings), warning_count + 1
        now = self._clock()
        async with self._db.unit_of_work() as session:
            spec = await spec_to_write(
                session, guild_id, spec_name, title=parsed.title, by=by, now=now
            )
            if token_id is not None:
                await _still_allowed(session, token_id, spec.id, now)
            latest = await latest_version(session, spec.id)
            if (latest.id if latest else None) != previous_id:
                raise BadInput(
                    f"Another version of `{spec_name}` was imported while yours was being read; "
                    "import yours again to compare it with that one."
                )
            number = (latest.number if latest else 0) + 1
            label = await _version_label(session, spec, number, label, parsed.api_version)
            counts = severity_counts(analysis.changes)
            version = SpecVersion(
                guild_id=guild_id,
                spec_id=spec.id,
                number=number,
                label=label,
                openapi=parsed.openapi[:OPENAPI_MAX],
                source_format=parsed.source_format,
                filename=filename[:FILENAME_MAX],
                size_bytes=size,
                sha256=analysis.sha256,
                document=analysis.document,
                model=analysis.model,
                info=analysis.info,
                warnings=[w.as_dict() for w in warnings],
                warning_count=warning_count,
                endpoint_count=len(analysis.endpoint_rows),
                breaking_count=counts["breaking"],
                change_count=len(analysis.changes),
                imported_by=by,
                imported_at=now,
            )
            session.add(version)
            spec.title = parsed.title
            spec.updated_at = now
            await session.flush()
            await _write_rows(session, spec, version, analysis, now)
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
                spec=spec_ref(spec),
                version=version_ref(version),
                previous=version_ref(previous) if previous else None,
                source_format=parsed.source_format,
                warnings=warnings,
                warning_count=warning_count,
                changes=analysis.changes,
                announce_channel_id=settings.channel_id if settings else None,
                followers=tuple(notices),
                analyse_seconds=analysis.seconds,
                store_seconds=0.0,
            )

    async def export(self, guild_id: int, spec_name: str, version: str | None) -> ExportFile:
        """The document of a version (the latest by default), as it was uploaded."""
        async with self._db.read() as session:
            spec = await find_spec(session, guild_id, spec_name)
            row = await find_version(session, spec, version)
            if row is None:
                raise NotFound(f"`{spec.name}` has no imported document yet.")
            compressed, ref, fmt = row.document, version_ref(row), row.source_format
        data = await asyncio.to_thread(zlib.decompress, compressed)
        safe_label = re.sub(r"[^A-Za-z0-9._-]+", "-", ref.label).strip("-") or f"v{ref.number}"
        extension = "json" if fmt == "json" else "yaml"
        return ExportFile(f"{spec_name}-{safe_label}.{extension}", data, ref)


async def _still_allowed(session: AsyncSession, token_id: int, spec_id: int, now: datetime) -> None:
    """Mark the push token used, in the push's transaction; refused (and nothing stored) when
    it was revoked, or its spec deleted, while the document was read.
    """
    used = await session.execute(
        update(SpecToken)
        .where(SpecToken.id == token_id, SpecToken.spec_id == spec_id)
        .values(last_used_at=now)
    )
    if not rowcount(used):
        raise BadToken(
            "The token was revoked, or its spec deleted, while the document was read; nothing "
            "was stored."
        )


async def _version_label(
    session: AsyncSession, spec: Spec, number: int, label: str | None, api_version: str
) -> str:
    """The label given (refused if taken), else the document's version, made unique."""
    labels = set(
        await session.scalars(select(SpecVersion.label).where(SpecVersion.spec_id == spec.id))
    )
    if label is not None and label in labels:
        raise AlreadyExists(
            f"`{spec.name}` already has a version `{label}`; pick another label or leave it out."
        )
    if label is None:
        label = api_version[:LABEL_MAX] or f"v{number}"
        if label in labels or is_bare_number(label):
            label = f"{label[: LABEL_MAX - 8]} (#{number})"
    return label


async def _write_rows(
    session: AsyncSession, spec: Spec, version: SpecVersion, analysis: Analysis, now: datetime
) -> None:
    """Replace the spec's imported endpoints with this version's, and store its changes."""
    await session.execute(
        delete(SpecEndpoint).where(
            SpecEndpoint.spec_id == spec.id, SpecEndpoint.version_id.is_not(None)
        )
    )
    base = {"guild_id": spec.guild_id, "spec_id": spec.id, "version_id": version.id}
    details = model_details(analysis.model)  # read as the chunks are written
    await _insert_chunks(
        session,
        SpecEndpoint,
        (
            {**base, **row, "detail": detail, "created_at": now}
            for row, detail in zip(analysis.endpoint_rows, details, strict=True)
        ),
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
                "endpoint_key": change.endpoint[:CHANGE_ENDPOINT_MAX],
                "tags": list(change.tags),
                "message": change.message[:CHANGE_MESSAGE_MAX],
            }
            for i, change in enumerate(analysis.changes)
        ),
    )


async def _insert_chunks(
    session: AsyncSession,
    model: type[SpecEndpoint] | type[SpecChange],
    rows: Iterable[dict[str, Any]],
) -> None:
    """Insert in chunks, so a thousand endpoints never hold the event loop in one go;
    endpoints are filed under their tags for the listing as they go.
    """
    chunk: list[dict[str, Any]] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= INSERT_CHUNK:
            await _insert(session, model, chunk)
            chunk = []
            await asyncio.sleep(0)
    if chunk:
        await _insert(session, model, chunk)


async def _insert(
    session: AsyncSession, model: type[SpecEndpoint] | type[SpecChange], chunk: list[dict[str, Any]]
) -> None:
    if model is SpecEndpoint:
        await insert_imported(session, chunk)
    else:
        await session.execute(insert(model), chunk)
