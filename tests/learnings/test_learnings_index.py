"""The in-memory name index of the learnings: per kind, distinct names, prefix fast path.

These guard the changes that keep /concept and its autocomplete fast with thousands of
learnings (bench/: 4,500 of them): results must be what the fuzzy pass alone would give.
"""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st
from rapidfuzz import fuzz

from bot.core.query import WORD_RE, fold
from bot.core.text import normalise
from bot.db.engine import Database
from bot.learnings.model import Learning
from bot.learnings.names import name_score
from bot.learnings.ranking import vocabulary
from bot.learnings.service import Found, LearningsService
from cogs.learnings.content import check_content
from tests.helpers import CONTENT


def entry(slug: str, title: str, kind: str = "concept", aliases: tuple[str, ...] = ()) -> Learning:
    return Learning(slug, kind, title, "python", "A summary of it.", "Body.", aliases=aliases)


def service(db: Database, entries: list[Learning]) -> LearningsService:
    learnings = LearningsService(db)
    learnings.load(entries)
    return learnings


def brute_force(entries: list[Learning], query: str, kind: str) -> list[tuple[str, float]]:
    """Every name of `kind` scored by `name_score`, best per entry: what the index must find."""
    key = normalise(query)
    best: dict[str, float] = {}
    titles = {e.slug: e.title for e in entries}
    for e in entries:
        if e.kind != kind:
            continue
        for name in e.names:
            score = name_score(key, normalise(name))
            best[e.slug] = max(best.get(e.slug, 0.0), score)
    return sorted(best.items(), key=lambda item: (-item[1], titles[item[0]]))


async def test_other_kinds_never_crowd_out_the_asked_kind(db: Database) -> None:
    # 80 tips whose names resemble the query: a shortlist over every kind (60 names) held only
    # tips, and the one concept was lost.
    entries = [entry(f"celery-tip-{i}", f"Celery tip number {i}", "tip") for i in range(80)]
    entries.append(entry("celery-beat", "Celery beat scheduler"))
    learnings = service(db, entries)
    assert [e.slug for e in learnings.suggest("celery tip", "concept")] == ["celery-beat"]
    assert learnings.suggest("celery tip", "tip")[0].kind == "tip"


async def test_typing_a_prefix_gives_what_the_fuzzy_scores_rank_first(db: Database) -> None:
    entries = [entry(f"cache-{i}", f"Cache strategy {i:02d}") for i in range(40)]
    entries += [entry(f"cached-{i}", f"Cached views, part {i}") for i in range(10)]
    entries += [entry("caching", "Caching", aliases=("cache aside",)), entry("jwt", "JWT")]
    entries += [entry(f"tip-cache-{i}", f"Cache tip {i}", "tip") for i in range(30)]
    learnings = service(db, entries)
    # Over 25 concept names start with these: the binary search alone answers, and must give
    # exactly the top 25 of scoring every name.
    for typed in ("c", "ca", "cach", "cache"):
        expected = [slug for slug, score in brute_force(entries, typed, "concept") if score >= 60]
        got = [e.slug for e in learnings.suggest(typed, "concept")]
        assert got == expected[:25], typed
    assert [e.slug for e in learnings.suggest("j", "concept")] == ["jwt"]
    assert learnings.suggest("cx", "concept") == []


async def test_slug_and_title_that_read_alike_are_scored_once(db: Database) -> None:
    learnings = service(db, [entry("api-pagination", "API pagination")])
    index = learnings._indexes["concept"]
    assert index.names.count("api pagination") == 1
    assert index.slugs[index.names.index("api pagination")] == ["api-pagination"]


async def test_typos_still_find_the_entry(db: Database) -> None:
    entries = [entry("decorators", "Decorators"), entry("descriptors", "Descriptors")]
    entries += [entry(f"filler-{i}", f"Filler topic {i}") for i in range(50)]
    learnings = service(db, entries)
    found = learnings.lookup("decoratrs", "concept")
    assert isinstance(found, Found)
    assert found.entry.slug == "decorators"
    assert fuzz.ratio("decoratrs", "decorators") > 90  # the premise of the test


def typed_forms(name: str, rng: random.Random) -> list[str]:
    """What a learner types for `name`: its start, and the name with a letter lost, doubled
    or swapped."""
    forms = [name[: rng.randint(1, len(name))]]
    if len(name) > 3:
        at = rng.randrange(1, len(name) - 1)
        forms.append(name[:at] + name[at + 1 :])
        forms.append(name[:at] + name[at] + name[at:])
        forms.append(name[: at - 1] + name[at] + name[at - 1] + name[at + 1 :])
    return forms


async def test_every_name_scoring_enough_is_found_on_the_real_content(db: Database) -> None:
    # Each part of the score is a pass over every name: the suggestions must be exactly the
    # best of scoring every name one by one, typos included.
    entries = check_content(CONTENT).learnings
    learnings = service(db, entries)
    rng = random.Random(20)
    names = sorted({name for e in entries for name in e.names})
    typed = [form for name in rng.sample(names, 60) for form in typed_forms(name, rng)]
    typed += ["djnago orm", "celry", "n+1", "api versioinng", "docker compose", "x"]
    for query in typed:
        for kind in ("concept", "challenge", "tip"):
            expected = [slug for slug, score in brute_force(entries, query, kind) if score >= 60]
            got = [e.slug for e in learnings.suggest(query, kind)]
            assert got == expected[:25], (query, kind)


def regex_vocabulary(entries: list[Learning]) -> frozenset[str]:
    """The knowledge base's words as `WORD_RE` finds them, one text at a time."""
    return frozenset(
        word
        for e in entries
        for text in (*e.names, *e.tags, e.summary, e.body)
        for word in WORD_RE.findall(fold(text))
    )


def test_the_vocabulary_holds_exactly_the_words_the_word_pattern_finds() -> None:
    """Spelling reads a misspelt word as one of these: the start-up's fast split must give the
    same words as the pattern, on the real content and on text no content holds."""
    real = check_content(CONTENT).learnings
    assert vocabulary(real) == regex_vocabulary(real)
    assert len(vocabulary(real)) > 1000


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=80), st.text(max_size=300))
def test_the_vocabulary_splits_any_text_as_the_word_pattern_does(title: str, body: str) -> None:
    """Accents, ligatures, full-width digits, the Kelvin sign, dotted İ, emoji, NUL."""
    text = f"{title} ﬁle Ｎ０ K İstanbul café 🙂 \x00 snake_case {body}"
    entries = [Learning("a-slug", "concept", text, "python", title, body, tags=(title,))]
    assert vocabulary(entries) == regex_vocabulary(entries)
