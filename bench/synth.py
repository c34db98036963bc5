"""Synthetic content/ folders: the real learnings plus N-1 variants of each, all valid.

A variant of a real entry ("Caching" -> "Caching in FastAPI", "Debugging caching", ...) keeps
its topic, tags, docs and related entries, and gets a body assembled from real sentences of it
and of its related entries, in the section layout of its kind. `python -m bot content check`
accepts every file, so the bot starts on the folder exactly as it would on real content.
"""

from __future__ import annotations

import random
import re
import shutil
from pathlib import Path

import yaml

from bench.vocab import FRAMEWORK_NAMES, PROJECTS, Vocabulary
from bot.core.text import normalise
from bot.learnings.check import SECTIONS as CHECKED_SECTIONS
from bot.learnings.model import Learning

VARIANTS = (
    "{T} in {fw}", "{T} for {proj}", "{T}: common pitfalls", "Debugging {t}", "{T} at scale",
    "Testing {t}", "{T} in production", "Migrating to {t}", "{T} checklist",
    "{T} for beginners", "Advanced {t}", "{T} anti-patterns", "Securing {t}", "Monitoring {t}",
    "{T} performance tuning", "{T} with {fw}", "{T} in code review", "{T} on a small team",
    "{T} trade-offs", "Refactoring {t}", "{T} in a monolith", "{T} in microservices",
    "Teaching {t}", "{T} by example", "{T} in legacy code", "Observability for {t}",
    "{T} FAQ", "{T} recipes", "{T} in {proj}", "{T} explained", "{T} gotchas", "{T} basics",
    "{T} deep dive", "{T} in CI", "{T} on {fw}", "{T} war stories", "{T} cheat sheet",
    "{T} mistakes", "{T} patterns", "{T} myths", "Why {t} matters", "{T} in interviews",
    "{T} 101", "{T} notes", "{T} primer", "{T} Q&A", "{T} tips", "{T} lab", "{T} drills",
    "{T} review", "{T} quiz", "{T} kata", "{T} sketch", "{T} memo", "{T} walkthrough",
)  # fmt: skip
# The sections content check allows for each kind, in its order, but the example (code).
SECTIONS = {
    kind: tuple(name for name in names if name != "Example")
    for kind, names in CHECKED_SECTIONS.items()
}
SLUG_JUNK_RE = re.compile(r"[^a-z0-9]+")


def _slugify(text: str) -> str:
    return SLUG_JUNK_RE.sub("-", text.lower()).strip("-")


def _body(rng: random.Random, vocab: Vocabulary, base: Learning) -> str:
    pool = list(vocab.sentences[base.slug])
    for other in vocab.related(base)[:3]:
        pool += vocab.sentences[other.slug]
    # A sentence that would read as a heading, a quote or a code fence at a line's start.
    pool = [s for s in pool if not s.lstrip().startswith(("#", ">", "```"))]
    rng.shuffle(pool)
    if base.kind == "tip":
        text = ""
        for sentence in pool:
            if len(text) + len(sentence) > 600:
                break
            text = f"{text} {sentence}".strip()
        return text or base.summary
    parts: list[str] = []
    size = 0
    for heading in SECTIONS[base.kind]:
        lines = []
        for _ in range(rng.randint(2, 5)):
            if not pool:
                break
            sentence = pool.pop()
            lines.append(f"- {sentence}" if rng.random() < 0.5 else sentence)
        section = f"## {heading}"
        for line in lines or [base.summary]:
            # A line of prose after another line would read as one wrapped paragraph (content
            # check refuses it): it starts a paragraph of its own; list items follow each other.
            section += ("\n" if line.startswith("- ") else "\n\n") + line
        if size + len(section) > 4800:
            break
        parts.append(section)
        size += len(section) + 2
    return "\n\n".join(parts)


def write_content(dst: Path, vocab: Vocabulary, source: Path, multiplier: int, seed: int) -> int:
    """Copy `source` into `dst` and add `multiplier - 1` variants of every entry.

    Returns how many learnings `dst` holds.
    """
    if dst.exists():
        shutil.rmtree(dst)
    shutil.copytree(source, dst)
    count = len(vocab.entries)
    if multiplier <= 1:
        return count
    rng = random.Random(seed)
    taken_names = {normalise(n) for e in vocab.entries for n in e.names}
    taken_slugs = {e.slug for e in vocab.entries}
    folders = {"concept": "concepts", "challenge": "challenges", "tip": "tips"}
    for base in vocab.entries:
        templates = list(VARIANTS)
        rng.shuffle(templates)
        made = 0
        for template in templates:
            if made >= multiplier - 1:
                break
            name = base.title if base.kind == "concept" else vocab.terms[base.slug][0]
            fw = rng.choice(list(FRAMEWORK_NAMES.values()))
            title = template.format(
                T=name[:1].upper() + name[1:], t=name, fw=fw, proj=rng.choice(PROJECTS)
            )
            slug = _slugify(title)[:60].strip("-")
            names = {normalise(title), normalise(slug)}
            if len(title) > 80 or names & taken_names or slug in taken_slugs:
                continue
            taken_names |= names
            taken_slugs.add(slug)
            sentences = vocab.sentences[base.slug]
            summary = rng.choice(sentences) if sentences else base.summary
            if not 10 <= len(summary) <= 200:
                summary = base.summary
            meta: dict[str, object] = {
                "kind": base.kind,
                "title": title,
                "aliases": [],
                "topic": base.topic,
                "tags": list(base.tags),
                "summary": summary,
                "related": [base.slug, *list(base.related)[:3]],
            }
            if base.kind == "concept":
                meta["docs"] = [{"title": d.title, "url": d.url} for d in base.docs]
            if base.kind == "tip":
                meta["why"] = base.why or base.summary[:200]
            front = yaml.safe_dump(meta, sort_keys=False, allow_unicode=True, width=1000)
            path = dst / folders[base.kind] / f"{slug}.md"
            path.write_text(f"---\n{front}---\n{_body(rng, vocab, base)}\n", encoding="utf-8")
            made += 1
            count += 1
    return count
