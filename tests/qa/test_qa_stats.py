"""The Q&A numbers the metrics read: questions waiting, and how long recent ones waited for
their first answer (earlier answers only count once, old questions not at all)."""

from __future__ import annotations

from datetime import timedelta

from bot.qa.service import QaService
from tests.qa.test_qa_service import GUILD, OTHER_GUILD, Clock, answer, ask


async def test_nothing_asked_nothing_waits(qa: QaService) -> None:
    health = await qa.health()
    assert (health.open_questions, health.oldest_open_at, health.first_answer_seconds) == (
        0,
        None,
        (),
    )


async def test_waiting_questions_and_time_to_a_first_answer(qa: QaService, clock: Clock) -> None:
    old = await ask(qa, clock, "An old question answered long ago")
    await answer(qa, clock, old, "An answer an hour later.")
    clock.advance(timedelta(days=40).total_seconds())  # out of the 30 days the numbers cover

    first = await ask(qa, clock, "How do I retry a Celery task?")
    asked_first = clock.now
    await ask(qa, clock, "Why is my cache stale?", guild=OTHER_GUILD)  # every server counts
    await answer(qa, clock, first, "Bind the task and call self.retry.")  # 2 h after it
    await answer(qa, clock, first, "Or use autoretry_for.")  # a second answer: not the first
    await ask(qa, clock, "What is a JWT?", guild=GUILD)

    health = await qa.health()
    assert health.open_questions == 2
    assert health.oldest_open_at is not None
    assert health.oldest_open_at == asked_first + timedelta(hours=1)  # the other server's
    assert health.first_answer_seconds == (2 * 3600.0,)
