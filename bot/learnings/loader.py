"""Reads content/ files into Learnings, reporting every problem as `path:line: message`."""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from bot.learnings.model import FOLDERS, TOPICS, DocLink, Learning

SLUG_RE = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
FRONT_MATTER_RE = re.compile(r"\A---\r?\n(.*?)\r?\n---\r?\n?(.*)\Z", re.S)
FIELDS = {"kind", "title", "aliases", "topic", "tags", "summary", "related", "docs", "why"}
# libyaml's safe loader when PyYAML has it: the same safe constructors, about ten times faster
# (start-up reads the front matter of every file).
SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True, slots=True)
class Problem:
    """Something wrong in a content file, at a line."""

    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


@dataclass(slots=True)
class ParsedFile:
    """A content file read into a learning, with where its parts are (to report problems)."""

    learning: Learning
    body_line: int  # line number where the body starts (1-based)
    key_lines: dict[str, int]


def _key_lines(front: str) -> dict[str, int]:
    lines: dict[str, int] = {}
    for number, line in enumerate(front.splitlines(), start=2):
        match = re.match(r"([A-Za-z_]+)\s*:", line)
        if match and match.group(1) not in lines:
            lines[match.group(1)] = number
    return lines


def _str_list(value: Any) -> list[str] | None:
    if value is None:
        return []
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return [v.strip() for v in value]
    return None


def parse_file(path: Path, root: Path) -> tuple[ParsedFile | None, list[Problem]]:
    """Parse one file; returns the learning (when readable) and the problems found."""
    rel = (
        path.relative_to(root.parent).as_posix() if path.is_relative_to(root.parent) else str(path)
    )
    problems: list[Problem] = []

    def problem(line: int, message: str) -> None:
        problems.append(Problem(rel, line, message))

    try:
        raw = path.read_bytes()
        text = raw.decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        problem(1, f"cannot read the file as UTF-8 text ({exc.__class__.__name__})")
        return None, problems
    match = FRONT_MATTER_RE.match(text)
    if not match:
        problem(1, "expected YAML front matter between '---' lines at the top")
        return None, problems
    front, body = match.group(1), match.group(2)
    key_lines = _key_lines(front)
    body_line = front.count("\n") + 4
    try:
        meta = yaml.load(front, Loader=SafeLoader)  # noqa: S506 - CSafeLoader or SafeLoader
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem((mark.line + 2) if mark else 1, f"front matter is not valid YAML: {exc}")
        return None, problems
    if not isinstance(meta, dict):
        problem(1, "front matter must be a mapping of fields")
        return None, problems

    def at(key: str) -> int:
        return key_lines.get(key, 1)

    for key in sorted(set(meta) - FIELDS):
        problem(at(key), f"unknown field {key!r} (allowed: {', '.join(sorted(FIELDS))})")

    slug = path.stem
    if not SLUG_RE.fullmatch(slug) or len(slug) > 60:
        problem(1, f"file name {slug!r} is not a slug (lower-case words joined by '-', ≤ 60)")
    expected_kind = FOLDERS.get(path.parent.name)
    kind = meta.get("kind")
    if expected_kind is None:
        problem(1, f"files belong in one of {', '.join(f'content/{f}/' for f in FOLDERS)}")
    elif kind != expected_kind:
        problem(at("kind"), f"kind must be {expected_kind!r} for a file in {path.parent.name}/")

    def text_field(key: str, low: int, high: int, required: bool = True) -> str:
        value = meta.get(key)
        if value is None:
            if required:
                problem(1, f"missing field {key!r}")
            return ""
        if not isinstance(value, str):
            problem(at(key), f"{key!r} must be text")
            return ""
        value = " ".join(value.split())
        if not low <= len(value) <= high:
            problem(at(key), f"{key!r} must be {low}-{high} characters, it has {len(value)}")
        return value

    title = text_field("title", 3, 80)
    summary = text_field("summary", 10, 200)
    why = text_field("why", 5, 200, required=(kind == "tip")) or None
    topic = meta.get("topic")
    if topic not in TOPICS:
        problem(at("topic"), f"topic must be one of {', '.join(TOPICS)}, got {topic!r}")

    lists: dict[str, list[str]] = {}
    for key in ("aliases", "tags", "related"):
        items = _str_list(meta.get(key))
        if items is None:
            problem(at(key), f"{key!r} must be a list of text")
            items = []
        lists[key] = items
    for alias in lists["aliases"]:
        if alias != alias.lower() or not 1 <= len(alias) <= 60:
            problem(at("aliases"), f"alias {alias!r} must be lower-case, 1-60 characters")
    if len(lists["tags"]) > 8:
        problem(at("tags"), "at most 8 tags")
    for tag in lists["tags"]:
        if tag != tag.lower() or not 1 <= len(tag) <= 30:
            problem(at("tags"), f"tag {tag!r} must be lower-case, 1-30 characters")

    docs: list[DocLink] = []
    raw_docs = meta.get("docs") or []
    if not isinstance(raw_docs, list):
        problem(at("docs"), "'docs' must be a list of {title, url}")
        raw_docs = []
    for item in raw_docs:
        if (
            isinstance(item, dict)
            and isinstance(item.get("title"), str)
            and isinstance(item.get("url"), str)
            and item["url"].startswith("https://")
        ):
            docs.append(DocLink(item["title"].strip(), item["url"].strip()))
        else:
            problem(at("docs"), f"each doc link needs a title and an https:// url, got {item!r}")
    if kind == "concept" and not docs:
        problem(at("kind"), "a concept links to its official documentation in 'docs'")

    # Lines are counted from the body's first non-blank line (problems point into the file).
    body_line += body.count("\n", 0, len(body) - len(body.lstrip()))
    body = body.strip()
    if not body:
        problem(body_line, "the body is empty")

    learning = Learning(
        slug=slug,
        kind=kind if isinstance(kind, str) else "",
        title=title,
        topic=topic if isinstance(topic, str) else "",
        summary=summary,
        body=body,
        aliases=tuple(lists["aliases"]),
        tags=tuple(lists["tags"]),
        related=tuple(lists["related"]),
        docs=tuple(docs),
        why=why,
        source_path=rel,
        content_hash=hashlib.sha256(raw).hexdigest(),
    )
    return ParsedFile(learning, body_line, key_lines), problems


def content_parts(root: Path) -> list[tuple[str, ...]]:
    """Every learning file under `root` (a `.md` file in a folder of it, at any depth) as the
    parts of its path from `root`, in a stable order: `content_files`'s. A start-up lists
    thousands of them; `os.walk` does it in a fifth of `Path.rglob`'s time.
    """
    top = os.fspath(root)
    found: list[tuple[str, ...]] = []
    for folder, _subfolders, names in os.walk(top):  # symlinked folders are not entered
        if folder != top:
            at = tuple(os.path.relpath(folder, top).split(os.sep))
            found += [(*at, name) for name in names if name.endswith(".md")]
    found.sort()  # what sorting the paths does: part by part
    return found


def content_files(root: Path) -> list[Path]:
    """Every learning file under `root`, in a stable order."""
    return [root.joinpath(*parts) for parts in content_parts(root)]
