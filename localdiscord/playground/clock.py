"""The playground's clock: real time plus an offset, so `wait 1d` makes a day pass at once."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from bot.core.clock import SystemClock
from bot.db.types import utcnow


class WarpClock(SystemClock):
    """The system clock, moved forward on request (it never goes back)."""

    def __init__(self) -> None:
        super().__init__()
        self.offset = timedelta(0)

    def now(self) -> datetime:
        return utcnow() + self.offset

    def advance(self, delta: timedelta) -> None:
        if delta < timedelta(0):
            raise ValueError("the playground clock never goes back")
        self.offset += delta


def warp_services(cogs: Iterable[Any], clock: WarpClock) -> list[Any]:
    """Hand `clock` to every cog helper that tells time through a SystemClock; return them.

    Services take their clock as a dependency (`bot.core.clock.Clock`), so the running bot
    needs no playground code: its daily-tip service and scheduler simply get this clock.
    """
    warped: list[Any] = []
    for cog in cogs:
        for value in vars(cog).values():
            if isinstance(getattr(value, "clock", None), SystemClock):
                value.clock = clock
                warped.append(value)
    wake_all(warped)
    return warped


def wake_all(warped: Iterable[Any]) -> None:
    """Make sleeping schedulers look at the (new) time now."""
    for value in warped:
        wake = getattr(value, "wake", None)
        if callable(wake):
            wake()


def _next_runs(warped: Iterable[Any]) -> list[datetime | None]:
    """Each warped scheduler's next planned instant (a scheduler: it has `wake` and `status`)."""
    runs: list[datetime | None] = []
    for value in warped:
        status, wake = getattr(value, "status", None), getattr(value, "wake", None)
        if not (callable(status) and callable(wake)):
            continue
        state = status()
        if getattr(state, "running", True):
            runs.append(getattr(state, "next_run", None))
    return runs


def next_due(warped: Iterable[Any]) -> datetime | None:
    """The soonest instant a warped scheduler planned to act at (None: nothing planned)."""
    return min((r for r in _next_runs(warped) if r is not None), default=None)


def caught_up(warped: Iterable[Any], now: datetime) -> bool:
    """Every warped scheduler has done what was due at `now`."""
    return all(r is None or r > now for r in _next_runs(warped))
