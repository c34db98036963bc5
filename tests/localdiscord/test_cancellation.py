"""A Ctrl-C (a task cancellation) is never lost while something waits with a time limit.

Python 3.11's `asyncio.wait_for` returns normally when the awaited thing finishes in the same
loop turn as the cancellation, so the cancellation vanishes; `asyncio.timeout` keeps it. This
is what made Ctrl-C in the middle of a playground script sometimes do nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import timedelta

import pytest

from bot.core.clock import SystemClock
from bot.db.types import utcnow
from localdiscord.emulator.state import World
from localdiscord.playground.script import interrupted


async def cancelled_while_woken(wait: asyncio.Task[object], wake: object) -> None:
    await asyncio.sleep(0.01)  # it is waiting now
    wake()  # the thing it waits for happens...
    wait.cancel()  # ...in the same turn as the Ctrl-C
    with pytest.raises(asyncio.CancelledError):
        await wait
    assert wait.cancelled()


async def test_the_emulator_wait_keeps_a_cancellation() -> None:
    world = World(None)
    task = asyncio.create_task(world.wait_for(lambda: None, "nothing", timeout=5))
    await cancelled_while_woken(task, world.notify)


async def test_the_scheduler_sleep_keeps_a_cancellation() -> None:
    wake = asyncio.Event()
    clock = SystemClock()
    task = asyncio.create_task(clock.sleep_until(utcnow() + timedelta(seconds=5), wake))
    await cancelled_while_woken(task, wake.set)


async def test_a_script_stops_at_the_next_line_after_a_swallowed_ctrl_c() -> None:
    async def library_that_swallows() -> None:
        with contextlib.suppress(asyncio.CancelledError):  # what a careless library does
            await asyncio.sleep(1)

    async def script() -> str:
        interrupted()  # nothing asked it to stop yet
        await library_that_swallows()
        interrupted()
        return "ran on"

    task = asyncio.create_task(script())
    await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
