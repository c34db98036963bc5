"""Latency samples and their percentiles; timing helpers for the service layer."""

from __future__ import annotations

import math
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any


def percentile(sorted_ms: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100) by the nearest-rank method."""
    if not sorted_ms:
        return math.nan
    rank = max(1, math.ceil(q / 100 * len(sorted_ms)))
    return sorted_ms[min(rank, len(sorted_ms)) - 1]


@dataclass(frozen=True, slots=True)
class Summary:
    runs: int
    p50: float
    p95: float
    p99: float
    max: float
    mean: float

    @classmethod
    def of(cls, samples_ms: Sequence[float]) -> Summary:
        ordered = sorted(samples_ms)
        mean = sum(ordered) / len(ordered) if ordered else math.nan
        return cls(
            runs=len(ordered),
            p50=percentile(ordered, 50),
            p95=percentile(ordered, 95),
            p99=percentile(ordered, 99),
            max=ordered[-1] if ordered else math.nan,
            mean=mean,
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "runs": self.runs,
            "p50_ms": round(self.p50, 3),
            "p95_ms": round(self.p95, 3),
            "p99_ms": round(self.p99, 3),
            "max_ms": round(self.max, 3),
            "mean_ms": round(self.mean, 3),
        }


class _Samples:
    """The milliseconds of one measurement's calls, and whether its time budget is spent."""

    def __init__(self, budget_s: float | None, min_runs: int) -> None:
        self.budget_s = budget_s
        self.min_runs = min_runs
        self.ms: list[float] = []
        self.started = time.perf_counter()

    def add(self, begin: float) -> bool:
        """Record the call that began at `begin`; True once `min_runs` ran over the budget."""
        self.ms.append((time.perf_counter() - begin) * 1000)
        spent = time.perf_counter() - self.started
        return self.budget_s is not None and len(self.ms) >= self.min_runs and spent > self.budget_s


async def measure_async(
    call: Callable[[int], Awaitable[Any]],
    runs: int,
    *,
    warmup: int = 10,
    budget_s: float | None = None,
    min_runs: int = 30,
) -> Summary:
    """Time `call(i)` `runs` times (after `warmup` untimed calls).

    With `budget_s`, stops early once the budget is spent and at least `min_runs` ran: the
    slow baselines would otherwise take many minutes for the same information.
    """
    for i in range(warmup):
        await call(i)
    samples = _Samples(budget_s, min_runs)
    for i in range(runs):
        begin = time.perf_counter()
        await call(i)
        if samples.add(begin):
            break
    return Summary.of(samples.ms)


def measure_sync(
    call: Callable[[int], Any],
    runs: int,
    *,
    warmup: int = 10,
    budget_s: float | None = None,
    min_runs: int = 30,
) -> Summary:
    for i in range(warmup):
        call(i)
    samples = _Samples(budget_s, min_runs)
    for i in range(runs):
        begin = time.perf_counter()
        call(i)
        if samples.add(begin):
            break
    return Summary.of(samples.ms)
