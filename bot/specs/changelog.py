"""What changed between two documents, without a bot: for a pull request's checks.

`python -m bot spec check OLD NEW` reads both documents as an import would (same reader, same
limits, same diff), prints the changelog as Markdown for a pull-request comment, and exits 1
when a change reaches `--fail-on` (breaking by default), so CI can hold a merge that would break
frontend peers.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.text import code_text
from bot.specs.analysis import analyse
from bot.specs.diff import SEVERITY_ORDER, Change
from bot.specs.model import severity_counts

ICON = {"breaking": "🔴", "warning": "🟡", "info": "🔵"}
NAME = {"breaking": "breaking", "warning": "warning", "info": "compatible"}
FAIL_LEVELS = ("breaking", "warning", "never")


@dataclass(frozen=True, slots=True)
class Changelog:
    """Two documents compared: their titles and versions, and every change, most severe first."""

    title: str
    old_version: str
    new_version: str
    changes: tuple[Change, ...]

    @property
    def counts(self) -> dict[str, int]:
        """How many changes of each severity."""
        return severity_counts(self.changes)

    def fails(self, level: str) -> bool:
        """Whether a change is as severe as `level` (breaking, warning) or more; never: no."""
        if level == "never":
            return False
        worst = SEVERITY_ORDER[level]
        return any(SEVERITY_ORDER[c.severity] <= worst for c in self.changes)


def compare(old: bytes, old_name: str, new: bytes, new_name: str) -> Changelog:
    """The changes from document `old` to document `new` (BadInput when one cannot be read)."""
    before = analyse(old, old_name, None, None)
    after = analyse(new, new_name, before.model, None)
    return Changelog(
        after.summary.title or before.summary.title,
        before.summary.api_version,
        after.summary.api_version,
        after.changes,
    )


def markdown(changelog: Changelog) -> str:
    """The changelog as Markdown (a list: table cells would need every `|` escaped)."""
    versions = f"{changelog.old_version or '?'} → {changelog.new_version or '?'}"
    lines = [f"### {changelog.title}: {versions}", ""]
    if not changelog.changes:
        lines.append("No change to any endpoint (descriptions and examples may differ).")
        return "\n".join(lines) + "\n"
    counts = changelog.counts
    lines.append(
        " · ".join(
            f"{ICON[s]} {counts[s]} {NAME[s]}" for s in ("breaking", "warning", "info") if counts[s]
        )
    )
    lines.append("")
    lines += [
        f"- {ICON[c.severity]} `{code_text(c.endpoint, 200)}` — {c.message}"
        for c in changelog.changes
    ]
    return "\n".join(lines) + "\n"
