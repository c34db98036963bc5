"""The floor under search quality: learners' questions, asked through the real bot.

163 questions as learners type them (tests/fixtures/search/learner_questions.yaml: plain
English, chat style, typos) go through `/search` on the local Discord; the first result must
answer at least 90% of them, one of the first three at least 97%. `python -m bench
search-quality` prints the same figures beside the plain full-text ranking.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bench.fullstack import add_members
from bench.quality import Quality, Question, load_questions, score, slugs_of_results
from cogs.learnings.content import check_content
from localdiscord.emulator import FakeDiscord, patched_discord
from tests.figures import report
from tests.harness import Harness, bot_settings, running_bot
from tests.helpers import CONTENT

HIT1_FLOOR = 0.9
HIT3_FLOOR = 0.97
LEARNERS = 40  # the questions come from many members, as in a real server


@pytest.fixture
async def learners(tmp_path: Path, database_url: str) -> AsyncIterator[tuple[Harness, list[str]]]:
    async with FakeDiscord() as fake, patched_discord(fake):
        members = add_members(fake, LEARNERS, prefix="learner")
        settings = bot_settings(fake, tmp_path, database_url=database_url)
        async with running_bot(fake, settings) as harness:
            yield harness, members


def figures(quality: Quality) -> dict[str, float]:
    return {"hit1": quality.hit1, "hit3": quality.hit3, "mrr": quality.mrr}


def test_the_set_is_large_and_names_real_entries() -> None:
    questions = load_questions()
    slugs = {entry.slug for entry in check_content(CONTENT).learnings}
    assert len(questions) >= 80
    assert [q.text for q in questions if not q.answers <= slugs] == []
    assert len({q.text for q in questions}) == len(questions), "no question twice"


async def test_learners_questions_find_their_answer_first(
    learners: tuple[Harness, list[str]],
) -> None:
    harness, members = learners
    slug_by_title = {entry.title: entry.slug for entry in check_content(CONTENT).learnings}
    ranked: list[tuple[Question, list[str]]] = []
    for n, question in enumerate(load_questions()):
        reply = await harness.fake.slash(
            "search", {"query": question.text}, user=members[n % len(members)]
        )
        assert reply.embeds, reply
        ranked.append(
            (question, slugs_of_results(reply.embeds[0].get("fields", []), slug_by_title))
        )
    quality = score(ranked)
    dialect = harness.bot.db.engine.dialect.name
    shown = {k: f"{v:.3f}" for k, v in figures(quality).items()}
    report(f"search ({dialect})", questions=quality.n, **shown)
    misses = "\n".join(f"{text!r}: rank {rank}, top {top}" for text, rank, top in quality.misses)
    assert quality.hit1 >= HIT1_FLOOR, misses
    assert quality.hit3 >= HIT3_FLOOR, misses


async def test_a_concept_nothing_names_says_so_or_offers_what_covers_it(
    learners: tuple[Harness, list[str]],
) -> None:
    fake = learners[0].fake
    nothing = await fake.slash("concept", {"name": "blockchain"})
    assert nothing.ephemeral
    assert "I know no concept close to `blockchain`" in (nothing.content or ""), nothing
    assert "/search" in (nothing.content or "")

    covered = await fake.slash("concept", {"name": "error handling"})
    assert covered.ephemeral
    [embed] = covered.embeds
    # The entry named for it, then those whose text covers it.
    assert "Celery retries and error handling" in embed["description"]
    assert "Catch specific exceptions" in embed["description"]

    # A name sharing one word with the lookup is not offered as a match for it.
    other = await fake.slash("concept", {"name": "machine learning"})
    assert "I know no concept close" in (other.content or ""), other

    # What learners call it is an alias of the tip that covers it.
    learning = await fake.slash("concept", {"name": "continuous learning"})
    assert learning.embeds, learning
    assert learning.embeds[0]["title"].endswith("Keep learning deliberately")


async def test_snippets_keep_identifiers_and_come_from_the_text(
    tmp_path: Path, database_url: str
) -> None:
    from bench.quality import knowledge_base

    db, learnings = await knowledge_base(tmp_path, database_url)
    try:
        page = await learnings.search("select_related prefetch_related", per_page=3)
    finally:
        await db.close()
    top = page.hits[0]
    assert top.slug == "select-related-prefetch-related"
    assert "select\\_related" in top.snippet, top.snippet  # escaped, not "selectrelated"
    assert "selectrelated" not in top.snippet
    entry = next(e for e in check_content(CONTENT).learnings if e.slug == top.slug)
    shown = top.snippet.replace("**", "").replace("\\", "").strip("…").split("…")[0].strip()
    assert shown[:40] in " ".join(entry.body.split()), "from the body, not the list of aliases"


async def test_a_lookup_miss_slower_than_discord_allows_is_deferred_then_answered(
    learners: tuple[Harness, list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Under load, what covers a lookup (a database search) may take seconds: the private
    answer is deferred before the 3 s are up, then given. A name found in memory is answered
    at once."""
    from bot.learnings.service import LearningsService

    fake = learners[0].fake
    covering = LearningsService.covering

    async def slow_covering(self: LearningsService, *args: Any, **kwargs: Any) -> Any:
        await asyncio.sleep(3.2)
        return await covering(self, *args, **kwargs)

    monkeypatch.setattr(LearningsService, "covering", slow_covering)
    late = await fake.slash("concept", {"name": "error handling"})
    assert late.errors == []
    assert late.type == 5  # deferred
    assert late.ephemeral
    assert "Celery retries and error handling" in late.embeds[0]["description"]
    found = await fake.slash("concept", {"name": "celery"})
    assert found.type == 4, "found in memory: answered at once, no database"
