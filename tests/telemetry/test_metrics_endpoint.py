"""The metrics endpoint scraped while the real bot is used through the local Discord: the
counters move as members use commands, buttons, forms and autocompletes."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import replace
from typing import Any

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot.client import Nexus
from bot.config import Settings
from localdiscord.emulator import FakeDiscord, Upload
from tests.dailytip.test_dailytip import owed_since_yesterday, schedule, wait_for_tips
from tests.harness import Harness, running_bot, stop_bot
from tests.helpers import REPO
from tests.qa.test_qa import answer_by_button, ask, posted_id

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


@pytest.fixture
async def observed(
    fake: FakeDiscord, settings: Settings, caplog: pytest.LogCaptureFixture
) -> AsyncIterator[Harness]:
    """The real bot with metrics on (any free port on the loopback address)."""
    caplog.set_level(logging.WARNING)
    async with running_bot(fake, replace(settings, metrics_port=0)) as harness:
        yield harness
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []


async def scrape(harness: Harness) -> Samples:
    server = harness.bot.metrics_server
    assert server is not None
    url = f"http://127.0.0.1:{server.port}/metrics"
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/plain")
        text = await response.text()
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


async def scrape_until(harness: Harness, check: Callable[[Samples], bool], what: str) -> Samples:
    """Scrape until `check` holds (what is counted when a handler ends may lag its answer)."""
    for _ in range(200):  # 10 s
        samples = await scrape(harness)
        if check(samples):
            return samples
        await asyncio.sleep(0.05)
    raise AssertionError(f"never counted: {what}")


def value(samples: Samples, name: str, **labels: str) -> float:
    """A sample's value; 0 when the bot has not exported it (yet)."""
    return samples.get((name, frozenset(labels.items())), 0.0)


def moved(before: Samples, after: Samples, name: str, **labels: str) -> float:
    return value(after, name, **labels) - value(before, name, **labels)


def interactions(kind: str, command: str, outcome: str) -> dict[str, str]:
    return {"kind": kind, "command": command, "outcome": outcome}


async def test_counters_move_as_members_use_nexus(observed: Harness) -> None:
    fake = observed.fake
    before = await scrape(observed)
    assert value(before, "nexus_gateway_connected") == 1
    assert value(before, "nexus_database_bytes") > 0

    looked_up = await fake.slash("concept", {"name": "jwt"})
    assert looked_up.embeds
    await fake.slash("concept", {"name": "redis"})
    refused = await fake.slash("search", {"query": "!!! ..."})
    assert refused.ephemeral
    await fake.autocomplete("concept", {"name": "decoratr"}, focused="name")
    tip = await fake.slash("tips", {"topic": "caching"})
    another = next(c for c in tip.custom_ids() if c.startswith("tips:next:"))
    await tip.click(another)

    after = await scrape(observed)
    total = "nexus_interactions_total"
    assert moved(before, after, total, **interactions("command", "/concept", "ok")) == 2
    assert moved(before, after, total, **interactions("command", "/search", "refused")) == 1
    assert moved(before, after, total, **interactions("autocomplete", "/concept", "ok")) == 1
    assert moved(before, after, total, **interactions("component", "tips:next", "ok")) == 1
    timed = {"kind": "command", "command": "/concept"}
    assert moved(before, after, "nexus_interaction_seconds_count", **timed) == 2
    assert moved(before, after, "nexus_interaction_seconds_bucket", **timed, le="+Inf") == 2
    assert value(after, "nexus_interaction_seconds_sum", **timed) > 0
    # Ids never become labels: one series per kind of button, not one per button.
    assert not any("1" in dict(labels).get("command", "") for _, labels in after)


async def test_questions_waiting_and_the_time_to_a_first_answer(observed: Harness) -> None:
    fake = observed.fake
    before = await scrape(observed)
    assert value(before, "nexus_qa_open_questions") == 0

    first = posted_id(await ask(fake, "How do I retry a Celery task that failed?"))
    posted_id(await ask(fake, "Why does my Django cache serve stale pages?", user="member2"))
    waiting = await scrape(observed)
    assert value(waiting, "nexus_qa_open_questions") == 2
    assert value(waiting, "nexus_qa_oldest_open_question_seconds") >= 0
    form = interactions("form", "qa:input:title", "ok")
    assert moved(before, waiting, "nexus_interactions_total", **form) == 2

    await answer_by_button(fake, first, "Bind the task and call self.retry(exc=exc).")
    answered = await scrape(observed)
    assert value(answered, "nexus_qa_open_questions") == 1
    assert value(answered, "nexus_qa_answered_recent_questions") == 1
    assert value(answered, "nexus_qa_first_answer_seconds", quantile="0.5") >= 0
    clicked = interactions("component", "qa:answer", "ok")
    assert moved(before, answered, "nexus_interactions_total", **clicked) == 1


async def test_an_incident_is_an_error_and_a_slow_answer_is_deferred(
    observed: Harness, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from bot.learnings.service import LearningsService

    fake = observed.fake
    before = await scrape(observed)
    search = LearningsService.search

    async def broken(self: LearningsService, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("the index is gone")

    monkeypatch.setattr(LearningsService, "search", broken)
    failed = await fake.slash("search", {"query": "celery retries"})
    assert "Incident" in (failed.content or "")
    caplog.clear()  # the incident's ERROR line was the point

    async def slow(self: LearningsService, *args: Any, **kwargs: Any) -> Any:
        await asyncio.sleep(0.2)
        return await search(self, *args, **kwargs)

    # Discord's window shrunk to nothing for Nexus: every answer that waits is deferred first.
    monkeypatch.setattr(LearningsService, "search", slow)
    monkeypatch.setattr("cogs._kit.ui.ANSWER_DEADLINE", 0.0)
    deferred = await fake.slash("search", {"query": "celery retries"})
    assert deferred.type == 5
    assert deferred.errors == []

    after = await scrape(observed)
    total, search_command = "nexus_interactions_total", {"kind": "command", "command": "/search"}
    assert moved(before, after, total, **search_command, outcome="error") == 1
    assert moved(before, after, total, **search_command, outcome="ok") == 1
    assert moved(before, after, "nexus_interactions_deferred_total", **search_command) == 1
    assert value(after, "nexus_interactions_late_total", **search_command) == 0


async def test_an_answer_past_discords_window_is_late(
    observed: Harness, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from bot.learnings.service import LearningsService

    fake = observed.fake
    search = LearningsService.search

    async def slow(self: LearningsService, *args: Any, **kwargs: Any) -> Any:
        await asyncio.sleep(0.5)
        return await search(self, *args, **kwargs)

    monkeypatch.setattr(LearningsService, "search", slow)
    fake.rest.interaction_deadline = 0.2  # Discord's 3 s, as if the bot were 15 times slower
    with pytest.raises(AssertionError, match="Discord would reject"):
        await fake.slash("search", {"query": "celery retries"}, timeout=5)
    late = {"kind": "command", "command": "/search"}
    samples = await scrape_until(
        observed, lambda s: value(s, "nexus_interactions_late_total", **late) == 1, "late"
    )
    assert value(samples, "nexus_interactions_total", **late, outcome="error") == 1
    caplog.clear()  # Discord refused the answer: the incident is logged, as it should be


async def test_gateway_drops_resumes_and_reconnects(observed: Harness) -> None:
    fake = observed.fake
    await fake.drop_connection()
    await fake.wait_until_connected(timeout=10)
    await fake.world.wait_for(lambda: observed.bot.gateway.resumes == 1, "the resume", 10.0)
    await fake.invalidate_session(resumable=False)
    await fake.world.wait_for(lambda: observed.bot.gateway.connects == 2, "a new session", 10.0)
    samples = await scrape(observed)
    assert value(samples, "nexus_gateway_disconnects_total") >= 1
    assert value(samples, "nexus_gateway_resumes_total") == 1
    assert value(samples, "nexus_gateway_reconnects_total") == 1


async def test_daily_tip_posts_and_spec_import_durations(observed: Harness) -> None:
    fake = observed.fake
    before = await scrape(observed)
    await schedule(observed)
    await owed_since_yesterday(observed)
    await wait_for_tips(observed, 1)
    fixture = REPO / "tests" / "fixtures" / "openapi" / "bookings-v1.yaml"
    imported = await fake.slash(
        "spec import",
        {"name": "bookings", "file": Upload(fixture.name, fixture.read_bytes())},
        user="admin",
        timeout=30,
    )
    assert imported.errors == []
    after = await scrape_until(
        observed, lambda s: value(s, "nexus_dailytip_posts_total") == 1, "the tip counted"
    )
    assert value(before, "nexus_dailytip_posts_total") == 0
    for phase in ("analyse", "store"):
        assert value(after, "nexus_spec_import_seconds_count", phase=phase) == 1
    command = {"kind": "command", "command": "/spec import"}
    assert moved(before, after, "nexus_interactions_total", **command, outcome="ok") == 1
    assert moved(before, after, "nexus_interactions_deferred_total", **command) == 1


async def test_metrics_are_off_unless_a_port_is_set(nexus: Harness) -> None:
    assert nexus.settings.metrics_port is None
    assert nexus.bot.metrics is None
    assert nexus.bot.metrics_server is None
    parse = nexus.bot._connection.parsers["INTERACTION_CREATE"]
    assert parse.__module__ == "bot.logs", "no span per interaction when nothing observes"


async def test_a_button_nothing_handles_any_more_is_counted_unanswered(
    fake: FakeDiscord,
    settings: Settings,
    restart: Callable[[Settings], Awaitable[tuple[Nexus, asyncio.Task[None]]]],
) -> None:
    """A prompt's buttons live in memory: after a restart, Discord says "interaction failed"."""
    settings = replace(settings, metrics_port=0)
    async with running_bot(fake, settings):
        await ask(fake, "A question I will want forgotten")
        prompt = await fake.slash("qa forget-me")
    bot, task = await restart(settings)
    try:
        with pytest.raises(AssertionError, match="never respond"):
            await fake.click(prompt, "qa:forget:cancel", timeout=1.0)
        harness = Harness(bot, fake, settings)
        unanswered = interactions("component", "qa:forget", "unanswered")
        await scrape_until(
            harness, lambda s: value(s, "nexus_interactions_total", **unanswered) == 1, "it"
        )
    finally:
        await stop_bot(bot, task)
