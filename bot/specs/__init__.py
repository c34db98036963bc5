"""API specs: OpenAPI documents imported, compared between versions, browsed, noted and followed.

The Discord side imports what it needs from here. The modules below are split by use case:

- `model`: the plain values the services return;
- `validation`: what members type (the spec name rule, labels, notes, hand-typed endpoints);
- `lookup`: finding a spec, a version or an endpoint inside an open session;
- `settings`, `importing`, `catalog`, `notes`, `following`, `privacy`, `kit`: one use case
  each (`kit`: code for frontend peers, written by `frontend` from a stored document);
- `listing`: a spec's listing by tag, filed as endpoints are written and read a page at a time;
- `service`: `SpecsService`, the one object over them that the Discord side holds;
- `analysis`, `diff` and `openapi`: reading and comparing documents (no database).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bot.core.actor import Actor
from bot.core.text import SUGGESTIONS
from bot.specs.model import (
    CHOICE_TEXT_MAX,
    ChangesPage,
    Choice,
    EndpointView,
    FollowList,
    ImportReport,
    ListingPage,
    PersonalData,
    SpecContents,
    SpecSettingsView,
    StoredChange,
)
from bot.specs.validation import (
    EXAMPLE_MAX,
    LABEL_MAX,
    NOTE_MAX,
    SPEC_NAME_MAX,
    SPEC_NAME_PATTERN,
    SUMMARY_MAX,
    key_hash,
    make_manual_draft,
    parse_spec_name,
)

if TYPE_CHECKING:
    from bot.specs.service import SpecsService


def __getattr__(name: str) -> Any:
    """`SpecsService` is imported on first use: the spec worker process imports this package
    for its reading code, and starting it must not load the database layer it never uses.
    """
    if name == "SpecsService":
        from bot.specs.service import SpecsService

        return SpecsService
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "CHOICE_TEXT_MAX",
    "EXAMPLE_MAX",
    "LABEL_MAX",
    "NOTE_MAX",
    "SPEC_NAME_MAX",
    "SPEC_NAME_PATTERN",
    "SUGGESTIONS",
    "SUMMARY_MAX",
    "Actor",
    "ChangesPage",
    "Choice",
    "EndpointView",
    "FollowList",
    "ImportReport",
    "ListingPage",
    "PersonalData",
    "SpecContents",
    "SpecSettingsView",
    "SpecsService",
    "StoredChange",
    "key_hash",
    "make_manual_draft",
    "parse_spec_name",
]
