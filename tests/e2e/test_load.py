"""Load: hundreds of interactions in flight through the real bot; none times out, none errors.

CI runs a short mode (a few waves of 200); `NEXUS_LOAD_SECONDS=60` holds 200 in flight for a
minute. The figures are printed (run with -s to see them).
"""

from __future__ import annotations

import asyncio
import os
import random
import statistics
import time
from collections.abc import Awaitable, Callable
from typing import Any

from tests.e2e.conftest import Harness

IN_FLIGHT = 200
SECONDS = float(os.environ.get("NEXUS_LOAD_SECONDS", "0"))
SHORT_WAVES = 3


def workload(nexus: Harness, rng: random.Random) -> list[Callable[[], Awaitable[Any]]]:
    fake = nexus.fake
    concepts = [e.slug for e in nexus.bot.learnings.all("concept")]
    words = ["celery retries", "cache invalidation", "jwt refresh", "n+1", "docker compose"]
    users = ["member", "member2", "moderator", "admin"]

    def pick(seq: list[str]) -> str:
        return rng.choice(seq)

    return [
        lambda: fake.slash("concept", {"name": pick(concepts)}, user=pick(users)),
        lambda: fake.autocomplete("concept", {"name": pick(concepts)[:4]}, focused="name"),
        lambda: fake.slash("search", {"query": pick(words)}, user=pick(users)),
        lambda: fake.slash("tips", user=pick(users)),
        lambda: fake.slash("qa search", {"query": pick(words)}, user=pick(users)),
        lambda: fake.slash("challenge", user=pick(users)),
    ]


async def test_two_hundred_in_flight(nexus: Harness) -> None:
    rng = random.Random(7)
    actions = workload(nexus, rng)
    latencies: list[float] = []
    failures: list[str] = []
    stop_at = time.monotonic() + SECONDS

    async def one() -> None:
        started = time.perf_counter()
        try:
            result = await rng.choice(actions)()
        except Exception as error:  # a timeout or a refused request is a failure to count
            failures.append(f"{type(error).__name__}: {error}")
            return
        latencies.append(time.perf_counter() - started)
        errors = getattr(result, "errors", [])
        if errors:
            failures.append(str(errors))

    async def worker() -> None:
        while time.monotonic() < stop_at:
            await one()

    began = time.perf_counter()
    if SECONDS > 0:
        await asyncio.gather(*(worker() for _ in range(IN_FLIGHT)))
    else:
        for _ in range(SHORT_WAVES):
            await asyncio.gather(*(one() for _ in range(IN_FLIGHT)))
    elapsed = time.perf_counter() - began

    assert failures == []
    held = len(latencies)
    p99 = statistics.quantiles(latencies, n=100)[98] * 1000
    print(
        f"\nload: {held} interactions, {IN_FLIGHT} in flight, {held / elapsed:.0f}/s, "
        f"p50 {statistics.median(latencies) * 1000:.0f} ms, p99 {p99:.0f} ms"
    )
    assert held >= IN_FLIGHT * SHORT_WAVES
    assert max(latencies) < 3.0, "every interaction answered inside Discord's 3 s"
