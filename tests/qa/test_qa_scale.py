"""Search on 100,000 stored questions (slow: run with NEXUS_QA_SCALE=1): what each search
finds at that size, and (printed, never asserted: `python -m bench` measures speed) how long it
takes.

NEXUS_QA_SCALE=1 pytest -q -s tests/qa/test_qa_scale.py
"""

from __future__ import annotations

import os
import random
import statistics
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from bot.db.engine import Database
from bot.qa.service import Draft, QaService

pytestmark = pytest.mark.skipif(
    not os.environ.get("NEXUS_QA_SCALE"), reason="slow benchmark: set NEXUS_QA_SCALE=1"
)

QUESTIONS = 100_000
GUILD = 1
WORDS = """
    django celery redis postgres docker kubernetes nginx gunicorn api rest graphql jwt oauth
    token cache queue worker retry timeout migration model serializer viewset router index
    query join transaction deadlock pool connection async await thread process deploy ci
    pipeline test fixture mock logging metrics tracing error exception status header cookie
    session cors csrf upload file storage s3 bucket cron schedule beat broker rabbitmq kafka
    stream websocket channel signal middleware settings environment secret config python
    pip poetry venv typing dataclass generator decorator context manager orm prefetch select
    related annotate aggregate pagination filter search ranking slow fast memory leak cpu
""".split()  # noqa: SIM905 - a word list reads better as prose
FILLER = "how do i why does my the a with when after in on for is not".split()  # noqa: SIM905


def sentence(rng: random.Random, low: int, high: int) -> str:
    words = [
        rng.choice(WORDS) if rng.random() < 0.6 else rng.choice(FILLER)
        for _ in range(rng.randint(low, high))
    ]
    return " ".join(words).capitalize()


async def fill(db: Database) -> None:
    rng = random.Random(7)
    start = datetime(2025, 1, 1, tzinfo=UTC)
    questions, answers = [], []
    for qid in range(1, QUESTIONS + 1):
        created = (start + timedelta(minutes=qid)).replace(tzinfo=None)
        questions.append(
            {
                "id": qid,
                "guild": GUILD,
                "author": rng.randint(1, 5000),
                "title": sentence(rng, 6, 14)[:150] + "?",
                "details": sentence(rng, 20, 80),
                "tags": '["' + rng.choice(WORDS) + '"]',
                "created": created,
            }
        )
        if rng.random() < 0.4:
            answers.append(
                {
                    "question": qid,
                    "guild": GUILD,
                    "author": rng.randint(1, 5000),
                    "body": sentence(rng, 15, 60),
                    "created": created + timedelta(hours=1),
                }
            )
    async with db.unit_of_work() as session:
        await session.execute(
            text(
                "INSERT INTO qa_questions (id, guild_id, author_id, title, details, tags, "
                "created_at) VALUES (:id, :guild, :author, :title, :details, :tags, :created)"
            ),
            questions,
        )
        await session.execute(
            text(
                "INSERT INTO qa_answers (question_id, guild_id, author_id, body, created_at) "
                "VALUES (:question, :guild, :author, :body, :created)"
            ),
            answers,
        )
        await db.search.questions.rebuild(session)


async def timed(call: Callable[[], Awaitable[object]], runs: int = 15) -> tuple[float, float]:
    samples = []
    for _ in range(runs):
        begin = time.perf_counter()
        await call()
        samples.append((time.perf_counter() - begin) * 1000)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.9)]


async def test_search_latency_on_100k_questions(db: Database) -> None:
    begin = time.perf_counter()
    await fill(db)
    print(f"\nfilled {QUESTIONS} questions in {time.perf_counter() - begin:.1f} s")
    qa = QaService(db)
    cases: dict[str, Callable[[], Awaitable[object]]] = {
        "search two words": lambda: qa.search(GUILD, "deadlock rabbitmq"),
        "search common word": lambda: qa.search(GUILD, "django"),
        "search common, page 40": lambda: qa.search(GUILD, "django", page=40),
        "search answered + tag": lambda: qa.search(
            GUILD, "celery retry", tag="redis", status="answered"
        ),
        "search nothing found": lambda: qa.search(GUILD, "zzzz qqqq"),
        "similar (ask)": lambda: qa.similar(
            GUILD, Draft("Celery retry with redis broker timeout", "x")
        ),
        "answered matches (/search)": lambda: qa.answered_matches(GUILD, "celery beat"),
        "autocomplete prefix": lambda: qa.suggest(GUILD, "celery ret", unaccepted_only=True),
        "autocomplete empty": lambda: qa.suggest(GUILD, "", unaccepted_only=True),
        "/qa open page 1": lambda: qa.unanswered(GUILD),
    }
    for name, call in cases.items():
        median, p90 = await timed(call)
        print(f"{name:30} median {median:7.1f} ms   p90 {p90:7.1f} ms")
    page = await qa.search(GUILD, "django")
    print(f"'django' matches {page.total} questions")
    # A common word: the newest window is ranked, and the page says there is more.
    assert page.hits
    assert page.more
    assert (await qa.search(GUILD, "zzzz qqqq")).hits == ()
    late = await qa.search(GUILD, "django", page=40)
    assert late.hits
    assert late.page <= late.pages
    suggested = await qa.suggest(GUILD, "celery ret", unaccepted_only=True)
    assert 0 < len(suggested) <= 25
    similar = await qa.similar(GUILD, Draft("Celery retry with redis broker timeout", "x"))
    assert 0 < len(similar) <= 3
