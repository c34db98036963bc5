"""Taking turns at the one analysis process: fairly across servers, with a cap per server.

Analysing a document runs in one worker process, one document at a time. With one lock for
everyone, a server that queues several large imports makes every other server wait behind all
of them. `ImportQueue` instead lets one job run at a time and, when it ends, hands the turn to
the server that was served least recently (round-robin across servers, first come first served
within one). A server may have only `MAX_WAITING_PER_SERVER` imports waiting: the next one is
refused at once with a friendly message, so nothing waits unseen and nothing is dropped.
"""

from __future__ import annotations

import asyncio
import itertools
from collections import deque
from collections.abc import AsyncIterator, Hashable
from contextlib import asynccontextmanager

from bot.errors import BadInput

MAX_WAITING_PER_SERVER = 3


class QueueFull(BadInput):
    """The server has as many imports waiting as it may; the next is refused at once."""


class ImportQueue:
    """One job at a time; the next taken round-robin across keys (servers)."""

    def __init__(self, max_waiting: int = MAX_WAITING_PER_SERVER) -> None:
        """`max_waiting`: how many jobs one key may have waiting behind the running one."""
        self.max_waiting = max_waiting
        self._busy = False
        self._waiting: dict[Hashable, deque[tuple[int, asyncio.Future[None]]]] = {}
        self._last_served: dict[Hashable, int] = {}  # key -> turn number, while anyone waits
        self._arrivals = itertools.count()
        self._turns = itertools.count()

    def waiting(self, key: Hashable) -> int:
        """How many jobs of `key` are waiting for their turn."""
        return len(self._waiting.get(key, ()))

    @asynccontextmanager
    async def turn(self, key: Hashable) -> AsyncIterator[None]:
        """Wait for `key`'s turn, hold it for the body, and hand it on (also on error)."""
        await self._acquire(key)
        try:
            yield
        finally:
            self._hand_on()

    async def _acquire(self, key: Hashable) -> None:
        if not self._busy:
            self._busy = True
            self._last_served[key] = next(self._turns)
            return
        line = self._waiting.setdefault(key, deque())
        if len(line) >= self.max_waiting:
            raise QueueFull(
                f"{len(line)} imports are already waiting for this server; "
                "try again when they finish."
            )
        entry = (next(self._arrivals), asyncio.get_running_loop().create_future())
        line.append(entry)
        try:
            await entry[1]
        except asyncio.CancelledError:
            if entry[1].done() and not entry[1].cancelled():
                self._hand_on()  # the turn came just as the caller gave up: pass it on
            else:
                self._leave(key, entry)
            raise

    def _leave(self, key: Hashable, entry: tuple[int, asyncio.Future[None]]) -> None:
        line = self._waiting.get(key)
        if line is not None and entry in line:
            line.remove(entry)
            if not line:
                del self._waiting[key]

    def _hand_on(self) -> None:
        """Give the turn to the least recently served key with a job waiting, or go idle."""
        while self._waiting:
            key = min(
                self._waiting,
                key=lambda k: (self._last_served.get(k, -1), self._waiting[k][0][0]),
            )
            line = self._waiting[key]
            _, future = line.popleft()
            if not line:
                del self._waiting[key]
            if future.done():  # its caller was cancelled and has not left the line yet
                continue
            self._last_served[key] = next(self._turns)
            future.set_result(None)
            return
        self._busy = False
        self._last_served.clear()  # idle: the next round starts afresh
