"""The plain values the spec services return: specs, versions, endpoints, pages and follows.

Nothing here touches the database; every value is frozen and safe to hand to the Discord side.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from bot.core.text import code_text
from bot.specs.keys import endpoint_key

if TYPE_CHECKING:  # the reader and the diff load only where a document is read or compared
    from bot.specs.diff import Change
    from bot.specs.openapi import OperationInfo, Problem

CHOICE_TEXT_MAX = 100  # the longest label or value of one suggestion
FOLLOW_TARGET_SHOWN = 120  # characters of a followed tag or endpoint shown in a message


@dataclass(frozen=True, slots=True)
class SpecSettingsView:
    """A server's spec settings: where imports are announced, and who may change specs."""

    guild_id: int
    channel_id: int | None
    editor_role_id: int | None


@dataclass(frozen=True, slots=True)
class SpecRef:
    """A spec by its id, name and the title of its latest document."""

    id: int
    name: str
    title: str


@dataclass(frozen=True, slots=True)
class VersionRef:
    """One imported version of a spec: its number, label and when and by whom it came."""

    id: int
    number: int
    label: str
    openapi: str
    endpoint_count: int
    imported_at: datetime
    imported_by: int | None


@dataclass(frozen=True, slots=True)
class StoredChange:
    """A change between two versions, as stored, with the version that brought it."""

    version_number: int
    version_label: str
    severity: str
    rule: str
    endpoint: str
    message: str


def severity_counts(changes: Iterable[Change | StoredChange]) -> dict[str, int]:
    """How many changes of each severity (breaking, warning, info), zeros included."""
    from bot.specs.diff import SEVERITY_ORDER  # counted only after an import or a comparison

    counts = dict.fromkeys(SEVERITY_ORDER, 0)
    for change in changes:
        counts[change.severity] = counts.get(change.severity, 0) + 1
    return counts


@dataclass(frozen=True, slots=True)
class FollowerNotice:
    """A follower whose follows a new version touched, and how much of it."""

    user_id: int
    reasons: tuple[str, ...]
    counts: dict[str, int]
    first_import: bool = False

    @property
    def total(self) -> int:
        """The number of changes that touched this follower's follows."""
        return sum(self.counts.values())


@dataclass(frozen=True, slots=True)
class ImportReport:
    """What an import stored, what changed since the previous version, and who hears of it."""

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
        """The changes of this version, counted by severity."""
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
    """A validated hand-typed endpoint, ready to be stored."""

    method: str
    path: str
    summary: str
    request_example: str | None
    response_example: str | None

    @property
    def key(self) -> str:
        """The endpoint key (`GET /bookings/{id}`)."""
        return endpoint_key(self.method, self.path)


@dataclass(frozen=True, slots=True)
class NoteView:
    """A member's note on an endpoint."""

    id: int
    author_id: int | None
    body: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class EndpointView:
    """One endpoint as imported and/or typed by hand, with its latest notes."""

    spec: SpecRef
    version: VersionRef | None
    key: str
    operation: OperationInfo | None
    manual: ManualEndpoint | None
    notes: tuple[NoteView, ...]
    note_count: int


@dataclass(frozen=True, slots=True)
class ListingEntry:
    """One line of a spec's listing."""

    key: str
    summary: str
    deprecated: bool
    manual: bool


@dataclass(frozen=True, slots=True)
class ListingPage:
    """One page of a spec's endpoints: one tag, or one part of a long tag."""

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
class ChangesPage:
    """One page of the changelog between two versions, most severe first."""

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
    """An imported document given back as it was uploaded."""

    filename: str
    data: bytes
    version: VersionRef


@dataclass(frozen=True, slots=True)
class FollowView:
    """One follow: the whole spec, a tag or an endpoint."""

    scope: str
    target: str

    def describe(self) -> str:
        """The follow in words: every change, a tag, or one endpoint."""
        if self.scope == "spec":
            return "every change"
        # The target comes from a document: a backtick in it must not end the code span.
        target = code_text(self.target, FOLLOW_TARGET_SHOWN)
        if self.scope == "tag":
            return f"tag `{target}`"
        return f"`{target}`"


@dataclass(frozen=True, slots=True)
class FollowList:
    """What a member follows in a spec, and whether the last action changed it."""

    spec: SpecRef
    follows: tuple[FollowView, ...]
    changed: bool


@dataclass(frozen=True, slots=True)
class Choice:
    """An autocomplete choice: a label to show and the value sent back."""

    label: str
    value: str


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
