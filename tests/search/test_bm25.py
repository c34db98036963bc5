"""PostgreSQL ranks by FTS5's own bm25: the same questions and learnings, indexed on SQLite and
on PostgreSQL, come back in the same order with the same scores (bot/db/search/ranking.py).

The texts are chosen so that both databases read the same words (stems that Porter and the
English Snowball stemmer agree on, and no column ending in a stop word, which PostgreSQL's
positions do not count in a row's length).
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from bot.db.engine import Database
from bot.db.models import Entry, QaQuestion
from bot.db.search.base import EntryText, Hit, QuestionFilter, QuestionText
from bot.db.search.ranking import IDF_FLOOR, rarity
from tests.postgres import PostgresDatabases

GUILD = 1
QUESTIONS = [
    QuestionText(
        1,
        "Celery retries keep piling",
        "Each failed task retries forever and the queue grows",
        ["celery", "python"],
        ["Set max_retries on the task and use exponential backoff"],
    ),
    QuestionText(
        2,
        "Celery worker timeout",
        "The worker dies after a long task",
        ["celery"],
        ["Raise the visibility timeout of the broker", "Split the task into smaller chunks"],
    ),
    QuestionText(
        3,
        "Node.js event loop blocked",
        "A synchronous loop in node js blocks every request",
        ["node", "javascript"],
        ["Move the heavy work into a worker thread"],
    ),
    QuestionText(
        4,
        "Deploy a node service",
        "The Node.js app runs behind nginx with a js bundle",
        ["deploy"],
        ["Use a process manager such as pm2 and restart the node process on crash"],
    ),
    QuestionText(
        5,
        "Retries with requests",
        "How to add retries to the requests library",
        ["python", "http"],
        ["Mount an HTTPAdapter with a Retry policy"],
    ),
    QuestionText(
        6,
        "Celery beat schedule drifts",
        "Periodic celery tasks run late after daylight saving",
        ["celery", "scheduling"],
        ["Store the schedule in UTC; celery beat then keeps time", "Check the celery timezone"],
    ),
    QuestionText(
        7,
        "Postgres connection limit",
        "Too many clients connect",
        ["postgres"],
        ["Put pgbouncer between the app and the database"],
    ),
    QuestionText(
        8,
        "State-of-the-art caching",
        "Which cache suits a state of the art python api",
        ["caching"],
        ["Redis covers most needs"],
    ),
    QuestionText(
        9,
        "Django migrations conflict",
        "Two branches added migrations with the same number",
        ["django"],
        ["Run makemigrations with merge"],
    ),
    QuestionText(
        10,
        "Docker image weighs a gigabyte",
        "The python image grows with every layer",
        ["docker"],
        ["Use a slim base image and multistage builds"],
    ),
]
# Learnings whose aliases hold none of the words searched: PostgreSQL's document gives the
# title and the aliases one weight label, so an alias weighs as the title there (8, not 6).
LEARNINGS = [
    EntryText(
        1,
        "Celery retries",
        ["autoretry"],
        ["celery", "python"],
        "Retry a failed task with exponential backoff",
        "Set max_retries and retry_backoff on the task; celery waits longer between tries",
    ),
    EntryText(
        2,
        "Message queues",
        ["brokers"],
        ["queues"],
        "Why a queue sits between producers and workers",
        "A celery worker reads tasks from the broker; retries go back to the queue",
    ),
    EntryText(
        3,
        "The Node.js event loop",
        ["libuv"],
        ["node", "javascript"],
        "One thread runs every callback",
        "Blocking the loop in node js stalls every request; move heavy work to workers",
    ),
    EntryText(
        4,
        "Caching with Redis",
        ["cache aside"],
        ["caching"],
        "Keep hot data in memory",
        "Expire keys, and never let a celery result backend grow without bounds",
    ),
    EntryText(
        5,
        "Python packaging",
        ["wheels"],
        ["python"],
        "Build and publish a package",
        "A pyproject file declares the build backend and the dependencies",
    ),
]
LEARNING_SEARCHES = ["celery", "retries backoff", "node.js", "python", "celery zzyzx"]
SEARCHES = [
    "celery",  # one word, in titles, tags, details and answers
    "celery retries",  # every word
    "node.js",  # a phrase: node followed by js
    "state-of-the-art",  # a phrase with stop words inside
    "python",
    "celery zzyzx",  # nothing holds both: any of them
]


async def indexed(url: str) -> Database:
    db = Database(url)
    await db.upgrade()
    async with db.unit_of_work() as session:
        for question in QUESTIONS:
            session.add(
                QaQuestion(
                    id=question.id,
                    guild_id=GUILD,
                    title=question.title,
                    details=question.details,
                    tags=list(question.tags),
                )
            )
        await session.flush()
        for question in QUESTIONS:
            await db.search.questions.put(session, question)
    return db


async def learnings(url: str) -> dict[str, list[Hit]]:
    """Each search of the learnings, indexed in a new database at `url`: its hits."""
    db = Database(url)
    try:
        await db.upgrade()
        async with db.unit_of_work() as session:
            for entry in LEARNINGS:
                session.add(
                    Entry(
                        id=entry.id,
                        slug=f"e{entry.id}",
                        kind="concept",
                        title=entry.title,
                        topic="python",
                        aliases=list(entry.aliases),
                        tags=list(entry.tags),
                        summary=entry.summary,
                        body=entry.body,
                        source_path="p",
                        content_hash="h",
                    )
                )
            await session.flush()
            for entry in LEARNINGS:
                await db.search.entries.put(session, entry)
        async with db.read() as session:
            return {
                query: list((await db.search.entries.search(session, query, limit=20)).hits)
                for query in LEARNING_SEARCHES
            }
    finally:
        await db.close()


def assert_same(expected: dict[str, list[Hit]], got: dict[str, list[Hit]]) -> None:
    """The same rows, in the same order, with the same scores (as far as doubles go)."""
    for query, hits in expected.items():
        assert [h.id for h in got[query]] == [h.id for h in hits], query
        assert [h.score for h in got[query]] == pytest.approx([h.score for h in hits], rel=1e-9)


async def ranked(db: Database) -> dict[str, list[Hit]]:
    """Each search's hits (with their scores), and /ask's similar questions for two words."""
    questions = db.search.questions
    found: dict[str, list[Hit]] = {}
    async with db.read() as session:
        for query in SEARCHES:
            page = await questions.search(
                session, query, QuestionFilter(GUILD), window=100, page=1, per_page=20
            )
            assert page.total == len(page.hits), query
            found[query] = list(page.hits)
        for words in (["celery", "task"], ["celery", "retries", "task"]):
            found[f"similar: {' '.join(words)}"] = await questions.similar(
                session, words, QuestionFilter(GUILD), title_window=100, window=100, limit=20
            )
    return found


async def test_postgresql_scores_questions_as_fts5_bm25_does(
    postgres: PostgresDatabases, tmp_path: Path
) -> None:
    on_sqlite = await indexed(f"sqlite+aiosqlite:///{tmp_path / 'nexus.db'}")
    try:
        expected = await ranked(on_sqlite)
    finally:
        await on_sqlite.close()
    async with postgres.migrated() as url:
        on_postgres = await indexed(url)
        try:
            got = await ranked(on_postgres)
        finally:
            await on_postgres.close()
    assert [len(expected[q]) for q in SEARCHES] == [3, 1, 2, 1, 4, 3]
    assert len(expected["similar: celery task"]) == 3  # "task" is in no title
    # Question 1's title holds two of the words: first, ranked among titles; then details.
    assert expected["similar: celery retries task"][0].id == 1
    assert len(expected["similar: celery retries task"]) == 3
    assert_same(expected, got)


async def test_postgresql_scores_learnings_as_fts5_bm25_does(
    postgres: PostgresDatabases, tmp_path: Path
) -> None:
    expected = await learnings(f"sqlite+aiosqlite:///{tmp_path / 'nexus.db'}")
    async with postgres.migrated() as url:
        got = await learnings(url)
    assert [len(expected[q]) for q in LEARNING_SEARCHES] == [3, 1, 1, 2, 3]
    assert_same(expected, got)


def test_a_phrase_half_the_rows_hold_weighs_as_little_as_on_fts5() -> None:
    assert rarity(10, 1) == math.log(9.5 / 1.5)
    assert rarity(10, 4) == math.log(6.5 / 4.5)
    assert rarity(10, 5) == rarity(10, 10) == IDF_FLOOR
    # Rows counted before a phrase was: more rows hold it than there were, no error.
    assert rarity(1, 3) == rarity(0, 0) == IDF_FLOOR
