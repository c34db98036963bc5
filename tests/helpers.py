"""Builders shared by the tests."""

from __future__ import annotations

import textwrap
from pathlib import Path

import yaml

from bot.db.engine import Database

REPO = Path(__file__).resolve().parent.parent
CONTENT = REPO / "content"
TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4.GxYzAb.test-token-that-is-not-real-0123456789"


def write_entry(
    root: Path,
    slug: str,
    *,
    kind: str = "concept",
    title: str | None = None,
    body: str = "## What it is\n\nSomething worth knowing.",
    **fields: object,
) -> Path:
    """Write one content file; `fields` override or add front-matter fields."""
    folder = {"concept": "concepts", "challenge": "challenges", "tip": "tips"}[kind]
    meta: dict[str, object] = {
        "kind": kind,
        "title": title or slug.replace("-", " ").title(),
        "topic": "python",
        "summary": f"What {slug} is about, in one line.",
    }
    if kind == "concept":
        meta["docs"] = [{"title": "Docs", "url": "https://docs.python.org/3/"}]
    if kind == "tip":
        meta["why"] = "Because it saves time."
    meta.update(fields)
    meta = {k: v for k, v in meta.items() if v is not None}
    path = root / folder / f"{slug}.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    front = yaml.safe_dump(meta, sort_keys=False, allow_unicode=True)
    path.write_text(f"---\n{front}---\n{textwrap.dedent(body).strip()}\n", encoding="utf-8")
    return path


def index_table(db: Database, of: str) -> tuple[str, str]:
    """The full-text table holding the text of `of` ("entries" or "questions") in `db`, and
    its id column: SQLite's FTS5 table (rowid) or PostgreSQL's search table (id)."""
    tables = {
        ("sqlite", "entries"): ("entries_fts", "rowid"),
        ("sqlite", "questions"): ("qa_fts", "rowid"),
        ("sqlite", "titles"): ("qa_titles_fts", "rowid"),
        ("postgresql", "entries"): ("entries_search", "id"),
        ("postgresql", "questions"): ("qa_search", "id"),
        ("postgresql", "titles"): ("qa_search", "id"),
    }
    return tables[(db.engine.dialect.name, of)]
