"""The floor under Q&A search quality: answered threads found again by how learners look.

Thirty answered threads of a server (tests/fixtures/search/qa_threads.yaml); for each, the words
another learner types in `/qa search`, and the title of a new `/ask` that should be shown the
thread as a similar question. `python -m bench search-quality` prints the same figures.
"""

from __future__ import annotations

from pathlib import Path

from bench.quality import load_threads, qa_quality, qa_with_threads
from tests.figures import report

SEARCH_HIT1_FLOOR = 0.9
SIMILAR_HIT1_FLOOR = 0.9


async def test_answered_threads_are_found_first(tmp_path: Path, database_url: str) -> None:
    threads = load_threads()
    assert len(threads) >= 30
    db, qa = await qa_with_threads(tmp_path, threads, database_url)
    try:
        search, similar = await qa_quality(qa, threads)
    finally:
        await db.close()
    report(
        f"search ({db.engine.dialect.name})",
        qa_search_hit1=f"{search.hit1:.3f}",
        ask_similar_hit1=f"{similar.hit1:.3f}",
    )
    assert search.hit1 >= SEARCH_HIT1_FLOOR, search.misses
    assert similar.hit1 >= SIMILAR_HIT1_FLOOR, similar.misses


async def test_question_words_do_not_decide_what_a_search_finds(
    tmp_path: Path, database_url: str
) -> None:
    """In a server where most questions start "how do I", those words find nothing by
    themselves: the thread holding the words that matter comes first."""
    threads = load_threads()
    db, qa = await qa_with_threads(tmp_path, threads, database_url)
    try:
        page = await qa.search(1, "how do i make my docker image smaller?")
        assert page.hits, "found"
        assert page.hits[0].question.title == "Docker image is 1.2 GB"
        assert page.total <= 3, "not every question that says how, do or I"
    finally:
        await db.close()
