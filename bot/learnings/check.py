"""Validates the whole of content/: every file alone, then all of them together."""

from __future__ import annotations

import hashlib
import math
import os
import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from bot.core.text import normalise
from bot.learnings.loader import ParsedFile, Problem, content_files, content_parts, parse_file
from bot.learnings.model import Learning

CODE_RE = re.compile(r"^```([\w+-]*)[^\n]*\n(.*?)^```", re.S | re.M)
MAX_BODY = 5500
MAX_SECTION = 3000
MAX_CODE = 1500
MAX_TIP_BODY = 700
# The sections of a concept and of a challenge, in their order (any may be left out).
SECTIONS = {
    "concept": ("What it is", "When to use it", "When not to", "Pitfalls", "Example"),
    "challenge": ("Problem", "Why it happens", "Solution", "Example"),
}
HEADING_RE = re.compile(r"^\s{0,3}(#{1,6})\s+(.*)$")
# A line that starts a block of its own (not a paragraph's wrapped continuation): a list item,
# a heading, a quote or a code fence.
BLOCK_START_RE = re.compile(r"^\s*(?:[-*+]\s|\d+[.)]\s|#|>|```)")

# The problems of one entry as it will be shown (its rendered pages), from the Discord side.
PageCheck = Callable[[Learning], Iterable[str]]


@dataclass(frozen=True, slots=True)
class ContentReport:
    """The learnings read from content/ and every problem found in them."""

    learnings: tuple[Learning, ...]
    problems: tuple[Problem, ...]

    @property
    def ok(self) -> bool:
        """Whether content/ has no problem."""
        return not self.problems


def _layout_problems(parsed: ParsedFile) -> list[Problem]:
    """Headings and line breaks as Discord will show them.

    Discord keeps every line break a writer types, so a paragraph or list item wrapped onto a
    second line shows ragged; concepts and challenges use their own `## ` sections, in order;
    a tip is plain advice with no heading.
    """
    entry = parsed.learning
    out: list[Problem] = []
    sections = SECTIONS.get(entry.kind)
    seen: list[str] = []
    in_code = False
    previous = ""  # the prose line before this one, "" after a blank line, heading or fence
    for number, line in enumerate(entry.body.split("\n"), start=parsed.body_line):
        if line.lstrip().startswith("```"):
            in_code, previous = not in_code, ""
            continue
        if in_code:
            continue
        if not line.strip():
            previous = ""
            continue
        heading = HEADING_RE.match(line)
        if heading:
            previous = ""
            name = heading.group(2).strip()
            if sections is None:
                if entry.kind == "tip":
                    out.append(Problem(entry.source_path, number, "a tip has no headings"))
            elif heading.group(1) != "##" or name not in sections:
                out.append(
                    Problem(
                        entry.source_path,
                        number,
                        f"unknown section {line.strip()!r} (a {entry.kind} uses "
                        + ", ".join(f"'## {s}'" for s in sections)
                        + ")",
                    )
                )
            elif seen and sections.index(name) <= sections.index(seen[-1]):
                out.append(
                    Problem(
                        entry.source_path,
                        number,
                        f"section '## {name}' comes after '## {seen[-1]}' "
                        f"(order: {', '.join(sections)})",
                    )
                )
            else:
                seen.append(name)
            continue
        if previous and not BLOCK_START_RE.match(line):
            out.append(
                Problem(
                    entry.source_path,
                    number,
                    "a paragraph or list item is wrapped onto this line (Discord shows every "
                    "line break): write it on one line",
                )
            )
        previous = line
    return out


def _body_problems(parsed: ParsedFile) -> list[Problem]:
    entry = parsed.learning
    out: list[Problem] = _layout_problems(parsed)

    def at(offset_chars: int, message: str) -> None:
        line = parsed.body_line + entry.body.count("\n", 0, offset_chars)
        out.append(Problem(entry.source_path, line, message))

    if len(entry.body) > MAX_BODY:
        at(0, f"the body has {len(entry.body)} characters (limit {MAX_BODY})")
    if entry.kind == "tip" and len(entry.body) > MAX_TIP_BODY:
        at(0, f"a tip body has at most {MAX_TIP_BODY} characters, this one {len(entry.body)}")
    offset = 0
    for section in re.split(r"(?m)^(?=## )", entry.body):
        if len(section) > MAX_SECTION:
            at(offset, f"section of {len(section)} characters (limit {MAX_SECTION})")
        offset += len(section)
    if entry.body.count("```") % 2:
        at(entry.body.rfind("```"), "a code block is opened and never closed")
    for match in CODE_RE.finditer(entry.body):
        language, code = match.group(1).lower(), match.group(2)
        if len(code) > MAX_CODE:
            at(match.start(), f"code block of {len(code)} characters (limit {MAX_CODE})")
        if language in {"python", "py"}:
            try:
                compile(code, entry.source_path, "exec", dont_inherit=True)
            except SyntaxError as exc:
                line = (
                    parsed.body_line + entry.body.count("\n", 0, match.start()) + (exc.lineno or 1)
                )
                out.append(
                    Problem(entry.source_path, line, f"Python code does not compile: {exc.msg}")
                )
    return out


def _oldest_first(
    parsed_files: list[ParsedFile], root: Path, slugs: Counter[str]
) -> list[ParsedFile]:
    """The files in path order, except that files sharing a slug come oldest first (by when
    they were last modified), so the clash is reported against the file that made it.
    """
    sharing = [p for p in parsed_files if slugs[p.learning.slug] > 1]
    if not sharing:
        return parsed_files
    age: dict[str, tuple[float, str]] = {}
    for parsed in sharing:
        path = root.parent / parsed.learning.source_path
        modified = path.stat().st_mtime if path.exists() else math.inf
        age[parsed.learning.source_path] = (modified, parsed.learning.source_path)
    ordered = iter(sorted(sharing, key=lambda p: age[p.learning.source_path]))
    return [next(ordered) if slugs[p.learning.slug] > 1 else p for p in parsed_files]


def check_content(root: Path, *, pages: PageCheck | None = None) -> ContentReport:
    """Parse and validate every file under `root`; problems are sorted by path and line.

    `pages` adds the problems of each entry as it will be shown (the Discord side knows how).
    """
    problems: list[Problem] = []
    parsed_files: list[ParsedFile] = []
    if not root.is_dir():
        return ContentReport((), (Problem(str(root), 1, "the content folder does not exist"),))
    for path in content_files(root):
        parsed, file_problems = parse_file(path, root)
        problems.extend(file_problems)
        if parsed is not None:
            parsed_files.append(parsed)

    by_slug: dict[str, ParsedFile] = {}
    names: dict[str, str] = {}
    clashing = Counter(parsed.learning.slug for parsed in parsed_files)
    for parsed in _oldest_first(parsed_files, root, clashing):
        entry = parsed.learning
        if entry.slug in by_slug:
            other = by_slug[entry.slug].learning.source_path
            problems.append(
                Problem(entry.source_path, 1, f"slug {entry.slug!r} is already taken by {other}")
            )
            continue
        by_slug[entry.slug] = parsed
    for parsed in by_slug.values():
        entry = parsed.learning
        for name in dict.fromkeys(normalise(n) for n in entry.names):
            owner = names.setdefault(name, entry.slug)
            if owner != entry.slug:
                line = parsed.key_lines.get(
                    "aliases" if name != normalise(entry.title) else "title", 1
                )
                problems.append(
                    Problem(entry.source_path, line, f"name {name!r} is already used by {owner!r}")
                )
    for parsed in by_slug.values():
        entry = parsed.learning
        line = parsed.key_lines.get("related", 1)
        for slug in entry.related:
            if slug == entry.slug:
                problems.append(
                    Problem(entry.source_path, line, "an entry cannot relate to itself")
                )
            elif slug not in by_slug:
                problems.append(
                    Problem(entry.source_path, line, f"related {slug!r} does not exist")
                )
        problems.extend(_body_problems(parsed))
        if pages is not None:
            problems.extend(Problem(entry.source_path, 1, issue) for issue in pages(entry))

    problems.sort(key=lambda p: (p.path, p.line, p.message))
    learnings = tuple(p.learning for p in by_slug.values())
    return ContentReport(learnings, tuple(problems))


# The code whose verdict `check_content` is: a change to it may change what is valid.
_VALIDATORS = tuple(
    Path(__file__).resolve().parent / name for name in ("check.py", "loader.py", "model.py")
)


def content_fingerprint(root: Path, *, code: Iterable[Path] = ()) -> tuple[str, int]:
    """A digest of every content file and of the code that validates them, and the number of
    files.

    Two equal fingerprints mean `check_content` would give the same verdict and the same
    learnings, so a start-up on content that was checked and synced before can skip both.
    """
    digest = hashlib.sha256()
    for path in (*_VALIDATORS, *code):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    files = content_parts(root) if root.is_dir() else []
    for parts in files:
        digest.update("/".join(parts).encode() + b"\0")
        with open(os.path.join(root, *parts), "rb") as file:
            digest.update(hashlib.sha256(file.read()).digest())
    return digest.hexdigest(), len(files)
