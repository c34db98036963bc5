"""The spec service the Discord side holds: one object over the use cases of API specs.

Every user action is one transaction. Each use case lives in its own module (settings,
importing, catalog, notes, following, privacy); this facade builds them over one database and
one clock, and offers their methods under the names the Discord side calls.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from bot.db.engine import Database
from bot.db.types import utcnow
from bot.specs.analysis import AnalysisPool
from bot.specs.catalog import Catalog
from bot.specs.following import Following
from bot.specs.importing import Importing, OffLoop, precheck
from bot.specs.kit import FrontendKit
from bot.specs.notes import Notes
from bot.specs.privacy import Privacy
from bot.specs.settings import SpecSettingsService
from bot.specs.tokens import SpecTokens


class SpecsService:
    """The API specs of every server, stored in the database."""

    precheck = staticmethod(precheck)

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
        self._pool = AnalysisPool() if off_loop is None else None
        analyse_with: OffLoop = off_loop or self._pool  # type: ignore[assignment]
        settings = SpecSettingsService(db, clock)
        importing = Importing(db, clock, settings, analyse_with)
        catalog = Catalog(db)
        notes = Notes(db, clock, settings)
        following = Following(db, clock)
        privacy = Privacy(db, settings)
        kit = FrontendKit(db, analyse_with)
        tokens = SpecTokens(db, clock, settings)
        # settings and permissions
        self.settings = settings.settings
        self.configure = settings.configure
        self.require_editor = settings.require_editor
        # documents in and out
        self.import_document = importing.import_document
        self.imports_waiting = importing.waiting
        self.export = importing.export
        # pushes from CI: a token per spec, shown once, then documents pushed with it
        self.create_token = tokens.create
        self.revoke_token = tokens.revoke
        self.authorize_push = tokens.authorize
        self.push_document = importing.push_document
        # code for frontend peers: an endpoint's TypeScript, fetch or curl; a spec's module
        self.endpoint_code = kit.endpoint_code
        self.export_typescript = kit.export_typescript
        # browsing, and suggestions as members type
        self.endpoint = catalog.endpoint
        self.listing = catalog.listing
        self.changes = catalog.changes
        self.suggest_specs = catalog.suggest_specs
        self.suggest_endpoints = catalog.suggest_endpoints
        self.suggest_tags = catalog.suggest_tags
        self.suggest_versions = catalog.suggest_versions
        # hand-typed endpoints and notes
        self.add_manual = notes.add_manual
        self.add_note = notes.add_note
        # follows
        self.follow = following.follow
        self.unfollow = following.unfollow
        # deleting, and a member's own data
        self.contents = privacy.contents
        self.delete_spec = privacy.delete_spec
        self.written_by = privacy.written_by
        self.forget = privacy.forget
        self.wipe_traces = privacy.wipe_traces

    def close(self) -> None:
        """Stop the analysis process, if one was started."""
        if self._pool is not None:
            self._pool.close()
