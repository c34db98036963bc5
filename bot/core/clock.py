"""Time, injectable: the real clock in production, a controlled one in tests (no real waiting)."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import datetime, timedelta
from typing import Protocol

from bot.db.types import utcnow

# A long sleep is cut into pieces this long, so a wall-clock jump (NTP, a suspended host) or a
# schedule edited by another process sharing the database is noticed within this time.
MAX_SLEEP_SECONDS = 15 * 60


class Clock(Protocol):
    """Tells the time and waits for it."""

    def now(self) -> datetime:
        """The current time, aware, in UTC."""
        ...

    async def sleep_until(self, when: datetime | None, wake: asyncio.Event) -> None:
        """Return at `when` (never, if None) or as soon as `wake` is set, whichever is first."""
        ...


class SystemClock:
    """The real clock."""

    def __init__(self, max_sleep: float = MAX_SLEEP_SECONDS) -> None:
        self.max_sleep = max_sleep

    def now(self) -> datetime:
        """The current time, aware, in UTC."""
        return utcnow()

    async def sleep_until(self, when: datetime | None, wake: asyncio.Event) -> None:
        """Sleep until `when` or until `wake` is set, never longer than `max_sleep` at once."""
        delay = self.max_sleep
        if when is not None:
            delay = min(max((when - self.now()).total_seconds(), 0.0), self.max_sleep)
        # asyncio.timeout, not wait_for: on 3.11 wait_for loses a cancellation that arrives
        # in the same loop turn as the wake-up, and the scheduler would never stop.
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(delay):
                await wake.wait()


class ClockStopped(Exception):
    """A ManualClock was asked to sleep past its end: the simulation is over."""


class ManualClock:
    """A clock that moves only when told, or by jumping to the end of each sleep.

    For tests and simulations: a scheduler on it lives through a year in milliseconds, and each
    instant it was asked to sleep until is kept in `sleeps` (so polling would show).
    """

    def __init__(self, start: datetime, *, stop_at: datetime | None = None) -> None:
        if start.tzinfo is None:
            raise ValueError("ManualClock needs an aware start time")
        self._now = start
        self.stop_at = stop_at
        self.sleeps: list[datetime | None] = []

    def now(self) -> datetime:
        """The clock's current time (it moves only by `set`, `advance` and `sleep_until`)."""
        return self._now

    def set(self, when: datetime) -> None:
        """Move the clock forward to `when` (never back)."""
        if when < self._now:
            raise ValueError("a ManualClock never goes back")
        self._now = when

    def advance(self, delta: timedelta) -> None:
        """Move the clock forward by `delta`."""
        self.set(self._now + delta)

    async def sleep_until(self, when: datetime | None, wake: asyncio.Event) -> None:
        """Jump to `when` at once (unless `wake` is set); past `stop_at`, raise ClockStopped."""
        self.sleeps.append(when)
        await asyncio.sleep(0)  # let whatever is runnable run, as a real sleep would
        if wake.is_set():
            return
        if when is None or (self.stop_at is not None and when > self.stop_at):
            if self.stop_at is not None and self.stop_at > self._now:
                self._now = self.stop_at
            raise ClockStopped(f"asked to sleep until {when}, after the end {self.stop_at}")
        if when > self._now:
            self._now = when
