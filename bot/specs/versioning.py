"""Whether a document's `info.version` announces the breaking changes it brings.

Clients upgrade by the version: a caret range (`^1.4`) takes every 1.x as safe, so a breaking
change shipped as 1.5 reaches them unannounced. The rule, by the shape of the versions:
- numbers (semver `1.4.2`, `v2`, `1.2`, with or without a pre-release or build tag): breaking
  changes need a greater major number; under 1.0 (`0.y.z`) the minor number plays the major's
  part, as in semver's "anything may change" and npm's and Cargo's caret ranges; a version
  after a pre-release of the same major (`2.0.0-rc.1` → `2.0.0`) may still break;
- dates (`2024-01-01`, `2024.01`, `20240101`, as Stripe and others version): every dated
  release may break, so breaking changes need a later date;
- anything else (`beta`, `latest`), or a switch between numbers and dates: only an unchanged
  version is flagged, since Nexus cannot tell which way it moved.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_NUMBERS_RE = re.compile(
    r"^[vV]?(?P<major>\d+)(?:\.(?P<minor>\d+))?(?:\.\d+)*(?P<pre>-[0-9A-Za-z.-]+)?(?:\+.*)?$"
)
_DATE_RE = re.compile(
    r"^[vV]?(?P<year>(?:19|20|21)\d\d)(?P<sep>[-._]?)(?P<month>0[1-9]|1[0-2])"
    r"(?:(?P=sep)(?P<day>0[1-9]|[12]\d|3[01]))?(?:[-+._][0-9A-Za-z.-]*)?$"
)


@dataclass(frozen=True, slots=True)
class VersionBump:
    """What a version change says about compatibility: whether it allows breaking changes,
    and, when it does not, why (for the change's message).
    """

    allows_breaking: bool
    reason: str = ""


def _date(text: str) -> tuple[int, int, int] | None:
    match = _DATE_RE.match(text)
    if match is None:
        return None
    return int(match["year"]), int(match["month"]), int(match["day"] or 0)


def _numbers(text: str) -> tuple[int, int, bool] | None:
    """(major, minor, is a pre-release) of a numeric version; None when it is not one."""
    match = _NUMBERS_RE.match(text)
    if match is None:
        return None
    return int(match["major"]), int(match["minor"] or 0), match["pre"] is not None


def _release_line(major: int, minor: int) -> tuple[int, int]:
    """The part of a numeric version that must grow for breaking changes (0.y: the minor)."""
    return (0, minor) if major == 0 else (major, 0)


def next_major(old: str) -> str:
    """The version a breaking release after `old` would take (`1.4.2` → `2.0.0`)."""
    numbers = _numbers(old.strip())
    if numbers is None or _date(old.strip()) is not None:
        return ""
    major, minor, _ = numbers
    return f"0.{minor + 1}.0" if major == 0 else f"{major + 1}.0.0"


def judge(old: str, new: str) -> VersionBump:
    """Whether going from version `old` to `new` announces breaking changes."""
    old, new = old.strip(), new.strip()
    if old == new:
        return VersionBump(False, "did not change")
    old_date, new_date = _date(old), _date(new)
    if old_date is not None and new_date is not None:
        if new_date > old_date:
            return VersionBump(True)
        return VersionBump(False, "is not a later date")
    old_numbers = None if old_date else _numbers(old)
    new_numbers = None if new_date else _numbers(new)
    if old_numbers is None or new_numbers is None:
        return VersionBump(True)  # unreadable, or dates against numbers: cannot tell
    old_line = _release_line(old_numbers[0], old_numbers[1])
    new_line = _release_line(new_numbers[0], new_numbers[1])
    if new_line > old_line or (old_numbers[2] and new_line == old_line):
        return VersionBump(True)
    if new_line < old_line:
        return VersionBump(False, "went down")
    return VersionBump(False, "is not a new major version")
