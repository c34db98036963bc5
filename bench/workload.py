"""What members send, prepared once per database: the same inputs drive the full stack, the
service layer, the baselines and the FTS5 floor, so their numbers compare like for like."""

from __future__ import annotations

import random
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from bench.vocab import Vocabulary, Writer
from bot.learnings.model import Learning

T = TypeVar("T")


def nth(inputs: Sequence[T], i: int) -> T:
    """The input of the i-th call: the list is used round and round."""
    return inputs[i % len(inputs)]


@dataclass(frozen=True, slots=True)
class Draft:
    title: str
    details: str
    tags: str


@dataclass
class Workload:
    concept_names: list[str]  # what is sent as /concept name:
    concept_typed: list[str]  # what is in the box while /concept autocompletes
    searches: list[str]  # /search query:
    qa_searches: list[str]  # /qa search query:
    qa_typed: list[str]  # what is typed into a question option (autocomplete)
    drafts: list[Draft]  # /ask modals
    spec_refs: list[tuple[str, str]]  # (spec, endpoint) for /spec endpoint
    spec_typed: list[tuple[str, str]]  # (spec, typed) for its autocomplete
    mix: dict[str, str] = field(default_factory=dict)  # how each list was made


def _concept_names(
    rng: random.Random, writer: Writer, concepts: list[Learning], n: int
) -> list[str]:
    out = []
    for _ in range(n):
        entry = rng.choice(concepts)
        name = rng.choice(entry.names[1:])  # title or an alias, as typed
        roll = rng.random()
        if roll < 0.55:
            out.append(name.lower())
        elif roll < 0.75:
            out.append(writer.typo(name.lower()))
        elif roll < 0.9:
            out.append(name.split()[0].lower())
        else:
            out.append(f"{rng.choice(['kafka', 'grpc', 'terraform', 'elixir'])} {name.lower()}")
    return [s[:100] for s in out]


def _endpoint_keys(db_path: Path) -> dict[str, list[tuple[str, str]]]:
    conn = sqlite3.connect(db_path)
    rows = conn.execute(
        "SELECT s.name, e.key, e.summary FROM spec_endpoints e JOIN specs s ON s.id = e.spec_id"
    ).fetchall()
    conn.close()
    by_spec: dict[str, list[tuple[str, str]]] = {}
    for name, key, summary in rows:
        by_spec.setdefault(name, []).append((key, summary))
    return by_spec


def build_workload(vocab: Vocabulary, db_path: Path, runs: int, seed: int) -> Workload:
    rng = random.Random(seed)
    writer = Writer(vocab, seed + 11)
    n = runs + 50  # warm-up calls draw from the same lists
    concepts = [e for e in vocab.entries if e.kind == "concept"]
    names = _concept_names(rng, writer, concepts, n)
    typed = []
    for _ in range(n):
        name = rng.choice(rng.choice(concepts).names[1:]).lower()
        typed.append(writer.typo(writer.typed_prefix(name)) if rng.random() < 0.1 else
                     writer.typed_prefix(name))  # fmt: skip
    searches = [writer.search_words()[:80] for _ in range(n)]
    qa_searches = []
    for _ in range(n):
        roll = rng.random()
        words = writer.search_words()
        if roll < 0.08:
            words = writer.typo(words)  # nothing found, then the any-word retry
        qa_searches.append(words[:60])
    qa_typed = [writer.typed_prefix(writer.search_words()) for _ in range(n)]
    drafts = []
    for _ in range(n):
        q = writer.question()
        drafts.append(Draft(q.title[:150], q.details[:2000] or "Details.", ", ".join(q.tags)))
    by_spec = _endpoint_keys(db_path)
    refs: list[tuple[str, str]] = []
    spec_typed: list[tuple[str, str]] = []
    if by_spec:
        specs = sorted(by_spec)
        for _ in range(n):
            spec = rng.choice(specs)
            key, summary = rng.choice(by_spec[spec])
            roll = rng.random()
            if roll < 0.7:
                refs.append((spec, key))  # picked from the autocomplete list
            else:
                refs.append((spec, key.split(" ", 1)[1].strip("/").split("/")[-1] or key))
            word = rng.choice((summary or key).split())
            spec_typed.append((spec, word[: rng.randint(1, len(word))].lower()))
    return Workload(
        concept_names=names,
        concept_typed=typed,
        searches=searches,
        qa_searches=qa_searches,
        qa_typed=qa_typed,
        drafts=drafts,
        spec_refs=refs,
        spec_typed=spec_typed,
        mix={
            "concept": "55% exact names, 20% with a typo, 15% first word only, 10% unknown",
            "concept autocomplete": "prefixes of concept names (1..n chars), 10% with a typo",
            "search": "1-3 subject words, Zipf-weighted popular subjects",
            "qa search": "like search; 8% with a typo (nothing found, then any-word retry)",
            "qa autocomplete": "prefixes of searches as they are typed",
            "ask similar": "fresh generated questions (title, details, tags)",
            "spec endpoint": "70% a key picked from autocomplete, 30% a typed path word",
            "spec autocomplete": "a prefix of a word of the endpoint's path or summary",
        },
    )
