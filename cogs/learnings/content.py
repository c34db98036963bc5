"""content/ checked as Discord will show it: the core's checks, and every rendered page of
every entry within Discord's limits.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from bot.core import markdown
from bot.learnings import check
from bot.learnings.check import ContentReport
from bot.learnings.model import Learning
from cogs._kit import limits
from cogs.learnings import render

# The rendering code whose output the check measures: a change to it may change the verdict.
RENDER_CODE = tuple(Path(m.__file__ or "") for m in (render, markdown, limits))


def page_problems(entry: Learning) -> Iterator[str]:
    """Every way a rendered page of `entry` breaks Discord's embed limits."""
    for number, embed in enumerate(render.entry_pages(entry), start=1):
        for issue in limits.embed_problems(embed):
            yield f"rendered page {number}: {issue}"


def check_content(root: Path) -> ContentReport:
    """`bot.learnings.check.check_content` with the rendered pages checked too."""
    return check.check_content(root, pages=page_problems)


def content_fingerprint(root: Path) -> tuple[str, int]:
    """The content files' and their validators' digest, rendering code included."""
    return check.content_fingerprint(root, code=RENDER_CODE)
