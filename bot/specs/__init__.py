"""API specs: OpenAPI documents imported, compared between versions, browsed, noted and followed.

The Discord side imports what it needs from here; the modules below are split by use case.
"""

from bot.specs.service import (
    EXAMPLE_MAX,
    LABEL_MAX,
    NOTE_MAX,
    SUMMARY_MAX,
    Actor,
    ChangesPage,
    Choice,
    EndpointView,
    FollowList,
    ImportReport,
    ListingPage,
    PersonalData,
    SpecContents,
    SpecSettingsView,
    SpecsService,
    StoredChange,
    make_manual_draft,
    parse_spec_name,
)

__all__ = [
    "EXAMPLE_MAX",
    "LABEL_MAX",
    "NOTE_MAX",
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
    "make_manual_draft",
    "parse_spec_name",
]
