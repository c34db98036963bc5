"""Reranking a search's candidates by their names (bot/learnings/ranking.py).

`rerank` keeps, per question, which asked words each word of a name matches, and each
entry's words split once. These tests hold it to the plain definition written out here: every
name's every word against every asked word, on the real content and the learners' questions.
"""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from bench.quality import load_questions
from bot.core.query import NAME_SPLIT_RE, STOPWORDS, Understood, fold, stem, understand
from bot.learnings.model import Learning
from bot.learnings.ranking import (
    COVER_WEIGHT,
    INDEX_WEIGHT,
    KIND_BONUS,
    NAME_WEIGHT,
    _matches,
    entry_words,
    holds,
    rerank,
    text_words,
    vocabulary,
)
from cogs.learnings.content import check_content
from tests.helpers import CONTENT

ENTRIES = check_content(CONTENT).learnings
KNOWN = vocabulary(ENTRIES)
SORTED_KNOWN = sorted(KNOWN)


def plain_rerank(
    candidates: list[tuple[Learning, float]], understood: Understood
) -> list[tuple[Learning, float]]:
    """The ranking as its docstrings define it, with nothing kept between names."""
    groups = [
        (t.context, [stem(p) for w in t.words for p in NAME_SPLIT_RE.split(w) if p])
        for t in understood.terms
    ]
    asked = [words for context, words in groups if not context]
    every = [w for _, words in groups for w in words]
    top = max(-score for _, score in candidates) or 1.0
    ranked = []
    for entry, score in candidates:
        best = 0.0
        for name in (*entry.names, entry.slug.replace("-", " ")):
            words = [stem(w) for w in NAME_SPLIT_RE.split(fold(name)) if w and w not in STOPWORDS]
            held = sum(1 for w in words if any(_matches(t, w) for t in every))
            if not words or not held:
                continue
            covered = sum(1 for g in asked if any(_matches(t, w) for t in g for w in words))
            best = max(best, held / len(words) * (0.5 + 0.5 * covered / len(asked)))
        text = text_words(entry)
        cover = sum(1 for g in asked if any(holds(text, w) for w in g)) / len(asked) if asked else 0
        strength = -score / top if top > 0 else 0.0
        total = (
            NAME_WEIGHT * (best if asked else 0.0)
            + INDEX_WEIGHT * strength
            + COVER_WEIGHT * cover
            + KIND_BONUS.get(entry.kind, 0.0)
        )
        ranked.append((entry, total))
    ranked.sort(key=lambda pair: (-pair[1], pair[0].title))
    return ranked


def candidates_for(seed: int, size: int = 50) -> list[tuple[Learning, float]]:
    chosen = random.Random(seed).sample(ENTRIES, min(size, len(ENTRIES)))
    return [(entry, -float(n + 1)) for n, entry in enumerate(chosen)]


def slugs_and_scores(ranked: list[tuple[Learning, float]]) -> list[tuple[str, float]]:
    return [(entry.slug, score) for entry, score in ranked]


def test_every_learners_question_is_ranked_as_the_plain_definition_ranks_it() -> None:
    questions = load_questions()
    assert len(questions) >= 80
    for n, question in enumerate(questions):
        understood = understand(question.text, KNOWN, SORTED_KNOWN)
        # The entries the question names are among the candidates, with 48 others.
        named = [e for e in ENTRIES if e.slug in question.answers]
        candidates = named + [e for e, _ in candidates_for(n, 48) if e not in named]
        scored = [(entry, -float(i + 1)) for i, entry in enumerate(candidates)]
        assert slugs_and_scores(rerank(scored, understood)) == slugs_and_scores(
            plain_rerank(scored, understood)
        ), question.text


def test_a_name_word_matching_several_asked_words_counts_once_per_word() -> None:
    # "caching" stems to "cach", as does "caches"; "cachin" (a typo) matches both fuzzily.
    entry = Learning("cache-aside", "concept", "Cache aside caching", "python", "S.", "Body.")
    understood = understand("caches cachin aside", KNOWN, SORTED_KNOWN)
    ranked = rerank([(entry, -1.0)], understood)
    assert slugs_and_scores(ranked) == slugs_and_scores(plain_rerank([(entry, -1.0)], understood))
    assert ranked[0][1] > INDEX_WEIGHT + KIND_BONUS["concept"]  # the name counted


def test_the_words_of_an_entry_hold_each_distinct_name_once() -> None:
    entry = Learning(
        "celery-beat", "concept", "Celery beat", "python", "S.", "Body.", aliases=("celery beat",)
    )
    assert entry_words(entry).names == (("celery", "beat"),)


words = st.sampled_from(sorted(KNOWN)[:: max(1, len(KNOWN) // 400)])


@settings(max_examples=60, deadline=None)
@given(st.lists(words | st.text(min_size=1, max_size=12), min_size=1, max_size=8), st.integers())
def test_any_question_is_ranked_as_the_plain_definition_ranks_it(
    asked: list[str], seed: int
) -> None:
    understood = understand(" ".join(asked), KNOWN, SORTED_KNOWN)
    candidates = candidates_for(seed)
    assert slugs_and_scores(rerank(candidates, understood)) == slugs_and_scores(
        plain_rerank(candidates, understood)
    )


def regex_text_words(entry: Learning) -> tuple[str, ...]:
    text = " ".join((*entry.names, *entry.tags, entry.summary, entry.body))
    return tuple(sorted({stem(w) for w in NAME_SPLIT_RE.split(fold(text)) if w}))


def test_the_words_of_every_real_learning_are_those_the_name_pattern_splits() -> None:
    assert [e.slug for e in ENTRIES if text_words(e) != regex_text_words(e)] == []


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60), st.text(max_size=300))
def test_the_words_of_any_text_are_those_the_name_pattern_splits(title: str, body: str) -> None:
    # Accents, ligatures, full-width letters, the Kelvin sign, "C++" and "C#" among them.
    summary = "C++ and C# Ｄｊａｎｇｏ ﬁle \u212aelvin İstanbul"
    entry = Learning("x", "tip", title, "python", summary, body)
    assert text_words(entry) == regex_text_words(entry)
