"""Splitting Markdown into embed-sized pages without ever cutting a code block."""

from __future__ import annotations

import re

FENCE_RE = re.compile(r"^\s*```")
HEADING_RE = re.compile(r"^#{1,6}\s+(.*)$")


def blocks(markdown: str) -> list[str]:
    """Paragraphs, list groups and whole code blocks, in order."""
    out: list[str] = []
    current: list[str] = []
    in_fence = False
    for line in markdown.splitlines():
        if FENCE_RE.match(line):
            if not in_fence and current:
                out.append("\n".join(current))
                current = []
            current.append(line)
            in_fence = not in_fence
            if not in_fence:
                out.append("\n".join(current))
                current = []
            continue
        if in_fence:
            current.append(line)
        elif not line.strip():
            if current:
                out.append("\n".join(current))
                current = []
        elif HEADING_RE.match(line):
            if current:
                out.append("\n".join(current))
            current = [line]
        else:
            current.append(line)
    if current:
        out.append("\n".join(current))
    return out


def headings_to_bold(block: str) -> str:
    """`## Pitfalls` -> `**Pitfalls**` outside code (compact in an embed, readable everywhere)."""
    out: list[str] = []
    in_fence = False
    for line in block.split("\n"):
        if FENCE_RE.match(line):
            in_fence = not in_fence
        elif not in_fence and (match := HEADING_RE.match(line)):
            line = f"**{match.group(1).strip()}**"
        out.append(line)
    return "\n".join(out)


def _split_oversized(block: str, budget: int) -> list[str]:
    """Last resort for a block larger than a page: split by lines, re-fencing code."""
    lines = block.splitlines()
    fence = lines[0] if lines and lines[0].lstrip().startswith("```") else None
    body = lines[1:-1] if fence else lines
    pieces: list[str] = []
    chunk: list[str] = []
    overhead = (len(fence) + 5) if fence else 0
    for line in body:
        line = line[: budget - overhead - 1]
        if sum(len(x) + 1 for x in chunk) + len(line) + 1 + overhead > budget and chunk:
            pieces.append("\n".join(chunk))
            chunk = []
        chunk.append(line)
    if chunk:
        pieces.append("\n".join(chunk))
    return [f"{fence}\n{p}\n```" if fence else p for p in pieces]


def _glue_headings(items: list[str]) -> list[str]:
    """A heading alone is joined to the block after it, so no page ends on a bare heading."""
    out: list[str] = []
    pending = ""
    for item in items:
        if HEADING_RE.match(item) and "\n" not in item:
            pending = f"{pending}\n{item}" if pending else item
            continue
        out.append(f"{pending}\n{item}" if pending else item)
        pending = ""
    if pending:
        out.append(pending)
    return out


def paginate(markdown: str, budget: int, first_budget: int | None = None) -> list[str]:
    """Pack blocks into pages of at most `budget` characters (the first page may be smaller)."""
    pages: list[str] = []
    current = ""
    limit = first_budget if first_budget is not None else budget
    for raw in _glue_headings(blocks(markdown)):
        block = headings_to_bold(raw)
        parts = [block] if len(block) <= limit else _split_oversized(block, limit)
        for part in parts:
            candidate = f"{current}\n\n{part}" if current else part
            if len(candidate) <= limit:
                current = candidate
                continue
            if current:
                pages.append(current)
            limit = budget
            current = part if len(part) <= limit else part[:limit]
    if current or not pages:
        pages.append(current)
    return pages
