"""The frontend kit of a spec: an endpoint's TypeScript, fetch or curl, and a spec's module.

The code is written from the version's stored document away from the event loop (in the
analysis process by default), and read from the database in one short read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import select

from bot.db.engine import Database
from bot.db.models import SpecEndpoint
from bot.errors import BadInput, NotFound
from bot.specs.importing import OffLoop
from bot.specs.lookup import find_spec, find_version, latest_version, named_spec, version_ref
from bot.specs.model import ExportFile, VersionRef

if TYPE_CHECKING:  # the writers read documents: they load when code is first asked for
    from bot.specs.frontend import Kind

EXTENSIONS = {"typescript": "ts", "fetch": "ts", "curl": "sh"}
MAX_CODE_BYTES = 8 * 1024 * 1024  # what one attachment may carry


@dataclass(frozen=True, slots=True)
class KitCode:
    """Code for one endpoint: its text, the file name it goes by, what it was written from."""

    key: str
    kind: Kind
    text: str
    filename: str
    version: VersionRef


class FrontendKit:
    """Code for frontend peers, written from imported documents."""

    def __init__(self, db: Database, off_loop: OffLoop) -> None:
        self._db = db
        self._off_loop = off_loop

    async def endpoint_code(self, guild_id: int, spec_id: int, key_hash: str, kind: str) -> KitCode:
        """The TypeScript types, fetch call or curl command of one imported endpoint."""
        from bot.specs.frontend import KINDS, kit_text

        if kind not in KINDS:
            raise BadInput("That code is not one Nexus writes: TypeScript, fetch or curl.")
        async with self._db.read() as session:
            spec = await named_spec(session, guild_id, None, spec_id)
            key = await session.scalar(
                select(SpecEndpoint.key).where(
                    SpecEndpoint.spec_id == spec.id,
                    SpecEndpoint.key_hash == key_hash,
                    SpecEndpoint.version_id.is_not(None),
                )
            )
            version = await latest_version(session, spec.id)
            if key is None or version is None:
                raise NotFound(
                    f"That endpoint is no longer in `{spec.name}`'s latest version: look it up "
                    "again with /spec endpoint."
                )
            compressed, fmt, ref = version.document, version.source_format, version_ref(version)
        text = await self._off_loop(kit_text, compressed, fmt, key, kind)
        if text is None:
            raise NotFound(f"`{key}` is not in the document of `{spec.name}` {ref.label}.")
        name = re.sub(r"[^A-Za-z0-9]+", "-", key.lower()).strip("-")[:60] or "endpoint"
        return KitCode(key, kind, text, f"{name}.{EXTENSIONS[kind]}", ref)

    async def export_typescript(
        self, guild_id: int, spec_name: str, version: str | None
    ) -> ExportFile:
        """One TypeScript module for a version (the latest by default) of a spec."""
        from bot.specs.frontend import module_text

        async with self._db.read() as session:
            spec = await find_spec(session, guild_id, spec_name)
            row = await find_version(session, spec, version)
            if row is None:
                raise NotFound(f"`{spec.name}` has no imported document yet.")
            compressed, fmt, ref = row.document, row.source_format, version_ref(row)
        text: str = await self._off_loop(module_text, compressed, fmt)
        data = text.encode()
        if len(data) > MAX_CODE_BYTES:
            raise BadInput(
                f"The TypeScript of `{spec.name}` is {len(data) / 1024 / 1024:.1f} MB, more "
                "than one attachment holds: ask for one endpoint's code with /spec endpoint."
            )
        safe_label = re.sub(r"[^A-Za-z0-9._-]+", "-", ref.label).strip("-") or f"v{ref.number}"
        return ExportFile(f"{spec.name}-{safe_label}.ts", data, ref)
