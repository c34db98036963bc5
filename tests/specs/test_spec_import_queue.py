"""Imports wait their turn fairly: one analysis at a time, the next taken round-robin across
servers, and a server's waiting imports capped so one server cannot fill the queue.

The analysis here is held at a gate the test opens, so the order is decided by the scheduler
alone (no timings): which import is let into the analysis next, and which completes next.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import pytest

from bot.db.engine import Database
from bot.errors import BadInput
from bot.specs import Actor, ImportReport, SpecsService
from bot.specs.analysis import in_thread
from bot.specs.scheduling import ImportQueue

ADMIN = Actor(1, can_manage=True)
SERVER_A, SERVER_B = 111, 222
MAX_WAITING_PER_SERVER = 3  # imports a server may have waiting behind the running one


def document(title: str) -> bytes:
    return json.dumps(
        {
            "openapi": "3.0.3",
            "info": {"title": title, "version": "1"},
            "paths": {"/ping": {"get": {"responses": {"200": {"description": "pong"}}}}},
        }
    ).encode()


class GatedAnalysis:
    """An `off_loop` that records which import reached the analysis and holds it at a gate."""

    def __init__(self) -> None:
        self.started: list[str] = []
        self.gates: dict[str, asyncio.Event] = {}

    def gate(self, filename: str) -> asyncio.Event:
        return self.gates.setdefault(filename, asyncio.Event())

    async def __call__(self, function: Callable[..., Any], *args: Any) -> Any:
        filename = args[1]
        self.started.append(filename)
        await self.gate(filename).wait()
        return await in_thread(function, *args)


async def until(condition: Callable[[], bool]) -> None:
    """Wait until `condition` holds (the imports read the database in a thread meanwhile)."""
    async with asyncio.timeout(30):
        while not condition():  # noqa: ASYNC110 - the imports give no event to wait on
            await asyncio.sleep(0.01)


@pytest.fixture
def gated() -> GatedAnalysis:
    return GatedAnalysis()


@pytest.fixture
def specs(db: Database, gated: GatedAnalysis) -> SpecsService:
    return SpecsService(db, off_loop=gated)


def start(specs: SpecsService, server: int, name: str) -> asyncio.Task[ImportReport]:
    return asyncio.create_task(
        specs.import_document(server, ADMIN, name, f"{name}.json", document(name))
    )


async def queue_up(
    specs: SpecsService, gated: GatedAnalysis, server: int, names: list[str]
) -> list[asyncio.Task[ImportReport]]:
    """Start imports one after the other, each in line before the next is started."""
    tasks = []
    for name in names:
        busy = len(gated.started)
        waiting = specs.imports_waiting(server)
        tasks.append(start(specs, server, name))
        await until(
            lambda b=busy, w=waiting: len(gated.started) > b or specs.imports_waiting(server) > w
        )
    return tasks


@pytest.mark.finding("7 one server's document stalls every server's imports")
async def test_another_servers_import_runs_before_the_busy_servers_next_one(
    specs: SpecsService, gated: GatedAnalysis
) -> None:
    a_names = [f"a{i}" for i in range(1, MAX_WAITING_PER_SERVER + 2)]  # one running, cap waiting
    tasks = await queue_up(specs, gated, SERVER_A, a_names)
    tasks += await queue_up(specs, gated, SERVER_B, ["b1"])
    assert gated.started == ["a1.json"]
    completed: list[str] = []
    for task in tasks:
        task.add_done_callback(lambda t: completed.append(t.result().spec.name))

    while len(completed) < len(tasks):
        current = gated.started[-1]
        gated.gate(current).set()
        await until(lambda c=current: c.removesuffix(".json") in completed)
        await until(lambda: len(gated.started) > len(completed) or len(completed) == len(tasks))

    assert completed == ["a1", "b1", *a_names[1:]]
    assert gated.started == [f"{name}.json" for name in completed]


@pytest.mark.finding("7 one server's document stalls every server's imports")
async def test_a_server_over_its_cap_is_told_at_once_and_the_others_are_not_lost(
    specs: SpecsService, gated: GatedAnalysis
) -> None:
    a_names = [f"a{i}" for i in range(1, MAX_WAITING_PER_SERVER + 2)]
    tasks = await queue_up(specs, gated, SERVER_A, a_names)
    assert specs.imports_waiting(SERVER_A) == MAX_WAITING_PER_SERVER

    with pytest.raises(BadInput) as caught:
        await specs.import_document(
            SERVER_A, ADMIN, "one-too-many", "extra.json", document("one-too-many")
        )
    assert caught.value.message == (
        f"{MAX_WAITING_PER_SERVER} imports are already waiting for this server; "
        "try again when they finish."
    )
    tasks += await queue_up(specs, gated, SERVER_B, ["b1"])  # another server still gets in line

    for name in [*a_names, "b1"]:
        gated.gate(f"{name}.json").set()
    reports = await asyncio.gather(*tasks)
    assert sorted(r.spec.name for r in reports) == sorted([*a_names, "b1"])
    assert specs.imports_waiting(SERVER_A) == 0


async def test_a_cancelled_or_failed_import_hands_its_turn_on(
    specs: SpecsService, gated: GatedAnalysis
) -> None:
    [running, cancelled] = await queue_up(specs, gated, SERVER_A, ["a1", "a2"])
    failing = asyncio.create_task(
        specs.import_document(SERVER_B, ADMIN, "broken", "broken.json", b'{"openapi": "9"}')
    )
    await until(lambda: specs.imports_waiting(SERVER_B) == 1)
    [last] = await queue_up(specs, gated, SERVER_A, ["a3"])
    cancelled.cancel()
    await until(lambda: specs.imports_waiting(SERVER_A) == 1)

    for name in ("a1", "broken", "a3"):
        gated.gate(f"{name}.json").set()
    assert (await running).spec.name == "a1"
    with pytest.raises(BadInput, match="not supported"):
        await failing
    assert (await last).spec.name == "a3"
    assert cancelled.cancelled()
    assert gated.started == ["a1.json", "broken.json", "a3.json"]


async def test_turns_go_round_the_servers_that_are_waiting() -> None:
    queue = ImportQueue()
    order: list[str] = []
    hold = asyncio.Event()

    async def job(server: str, number: int) -> None:
        async with queue.turn(server):
            order.append(f"{server}{number}")
            await hold.wait()

    first = asyncio.create_task(job("a", 1))
    await until(lambda: order == ["a1"])
    jobs = [("a", 2), ("a", 3), ("b", 1), ("b", 2), ("c", 1), ("a", 4)]
    tasks = [first, *(asyncio.create_task(job(server, number)) for server, number in jobs)]
    await until(lambda: sum(queue.waiting(s) for s in "abc") == len(jobs))
    assert (queue.waiting("a"), queue.waiting("b"), queue.waiting("c")) == (3, 2, 1)
    hold.set()
    await asyncio.gather(*tasks)
    assert order == ["a1", "b1", "c1", "a2", "b2", "a3", "a4"]
    assert (queue.waiting("a"), queue.waiting("b"), queue.waiting("c")) == (0, 0, 0)
