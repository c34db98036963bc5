"""How much one member may ask at once (cogs/_kit/gate.py), through the real bot and the local
Discord, and the gate's own arithmetic.

A member who floods Nexus (150 searches at the same moment) is told to slow down, in a message
only they see, while another member's searches are all answered; a flood of keystrokes gets no
suggestions instead of an error; a flood of clicks is refused like a flood of commands. Counts
are asserted, never timings; the other member's median alone and during the flood is printed
as a figure.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Callable

import pytest

from bot.errors import NotAllowed
from cogs._kit.gate import ACTIONS, SLOW_DOWN, SUGGESTIONS, SWEEP_AT, MemberGate, SlowDown
from localdiscord.emulator import FakeDiscord, InteractionResult
from tests.figures import report
from tests.harness import Harness

FLOOD = 150
CALM = 20  # the other member's searches alone, one after another
QUERIES = ("cache", "celery retry", "database index", "jwt", "docker layers")


class StepClock:
    """The gate's clock, moved by the test: refills happen only when it says."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def slowed(result: InteractionResult) -> bool:
    return result.ephemeral and (result.content or "").startswith(SLOW_DOWN)


def served(result: InteractionResult) -> bool:
    return not result.ephemeral and bool(result.embeds) and result.errors == []


def real_limits(nexus: Harness, clock: Callable[[], float] = time.monotonic) -> None:
    """The bot's own limits back (the test harness lifts them)."""
    nexus.bot.gate = MemberGate(clock=clock)


async def search(fake: FakeDiscord, user: str, i: int) -> tuple[InteractionResult, float]:
    """One /search by `user`; its result and how long it took (ms)."""
    began = time.perf_counter()
    result = await fake.slash("search", {"query": QUERIES[i % len(QUERIES)]}, user=user)
    return result, (time.perf_counter() - began) * 1000


# -- through the bot -----------------------------------------------------------------------


@pytest.mark.finding("9 no limits on reads and notes")
async def test_a_flood_of_searches_is_refused_politely_and_others_are_served(
    nexus: Harness,
) -> None:
    clock = StepClock()  # one allowance back for everyone before each of the other's searches
    real_limits(nexus, clock)
    fake = nexus.fake

    async def calm(i: int) -> tuple[InteractionResult, float]:
        clock.now += 1 / ACTIONS.per_second
        return await search(fake, "member2", i)

    alone = [await calm(i) for i in range(CALM)]
    flood = asyncio.gather(*(search(fake, "member", i) for i in range(FLOOD)))
    during = []  # the other member searches, one after another, as long as the flood lasts
    while not flood.done() or not during:
        during.append(await calm(len(during)))
    flooded = [result for result, _ in await flood]

    refused = [r for r in flooded if slowed(r)]
    answered = [r for r in flooded if served(r)]
    alone_p50 = statistics.median(ms for _, ms in alone)
    during_p50 = statistics.median(ms for _, ms in during)
    print(
        f"\nlimits: {len(refused)} of {FLOOD} searches refused, {len(answered)} answered; "
        f"the other member's p50 {alone_p50:.0f} ms alone, {during_p50:.0f} ms during the "
        f"flood ({len(during)} searches)"
    )
    report(
        "load",
        flood_refused=len(refused),
        flood_answered=len(answered),
        other_p50_alone_ms=round(alone_p50, 1),
        other_p50_during_flood_ms=round(during_p50, 1),
        other_p50_ratio=round(during_p50 / alone_p50, 2),
    )
    assert len(refused) + len(answered) == FLOOD, "every search is answered or refused"
    assert len(answered) <= ACTIONS.burst + len(during), "no more than the allowance given"
    assert len(refused) > FLOOD // 2, "most of a flood is refused"
    assert all(served(r) for r, _ in alone + during), "the other member's are all answered"


@pytest.mark.finding("9 no limits on reads and notes")
async def test_a_flood_of_keystrokes_gets_no_suggestions_but_no_error(nexus: Harness) -> None:
    real_limits(nexus, StepClock())
    fake = nexus.fake
    flood = await asyncio.gather(
        *(
            fake.autocomplete("concept", {"name": "ca"}, focused="name", user="member")
            for _ in range(FLOOD)
        )
    )
    empty = sum(1 for choices in flood if not choices)
    assert FLOOD - empty <= SUGGESTIONS.burst, "suggestions stop past the allowance"
    assert empty > FLOOD // 2
    other = await fake.autocomplete("concept", {"name": "ca"}, focused="name", user="member2")
    assert other, "another member still gets suggestions"


@pytest.mark.finding("9 no limits on reads and notes")
async def test_a_flood_of_clicks_is_refused_like_commands(nexus: Harness) -> None:
    real_limits(nexus, StepClock())
    fake = nexus.fake
    tip = await fake.slash("tips", user="member")
    button = next(c for c in tip.custom_ids() if c.startswith("learn:open:"))
    clicks = await asyncio.gather(*(fake.click(tip, button, user="member") for _ in range(60)))
    refused = [r for r in clicks if slowed(r)]
    assert refused, "a flood of clicks is refused too"
    assert len(clicks) - len(refused) <= ACTIONS.burst - 1  # /tips took one
    assert all(r.errors == [] for r in clicks)
    other = await fake.click(tip, button, user="member2")
    assert not slowed(other), "another member's click still works"


# -- the gate's arithmetic -----------------------------------------------------------------


def test_a_burst_then_the_rate() -> None:
    clock = StepClock()
    gate = MemberGate(clock=clock)
    for _ in range(ACTIONS.burst):
        gate.enter(1)
        gate.leave(1)
    with pytest.raises(SlowDown, match=r"try again in 1 s") as refused:
        gate.enter(1)
    assert isinstance(refused.value, NotAllowed)  # answered by the one error handler
    assert refused.value.retry_after == pytest.approx(1 / ACTIONS.per_second)
    gate.enter(2)  # another member is not touched by the first one's burst
    gate.enter(1, suggestion=True)  # nor are the first member's suggestions
    clock.now += 1 / ACTIONS.per_second
    gate.enter(1)  # one allowance came back...
    with pytest.raises(SlowDown):
        gate.enter(1)  # ...and only one


def test_in_flight_is_counted_until_handled() -> None:
    gate = MemberGate(clock=StepClock())
    for _ in range(ACTIONS.in_flight):
        gate.enter(1)
    with pytest.raises(SlowDown, match="still answering your last 4 requests"):
        gate.enter(1)
    gate.leave(1)
    gate.enter(1)


def test_idle_members_are_forgotten() -> None:
    clock = StepClock()
    gate = MemberGate(clock=clock)
    for user in range(SWEEP_AT):
        gate.enter(user)
        gate.leave(user)
    gate.enter(0)  # still in flight: kept
    clock.now += ACTIONS.burst / ACTIONS.per_second  # every allowance is full again
    gate.enter(SWEEP_AT)  # the table is full: idle members are swept
    assert gate.tracked() == 2
