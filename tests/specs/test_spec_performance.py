"""Importing big documents never blocks the bot: the event loop keeps its turns meanwhile.

What keeps it free is checked without a clock: a 3 MB YAML document is read in the worker
process, never the bot's, and its rows are written in chunks with other tasks running between
them. How late the loop ran meanwhile is a reported figure: the lateness probe sleeps 5 ms again
and again and records how late each wake-up is (the first test shows it notices a blocked loop).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import itertools
import os
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import pytest

from bot.db.engine import Database
from bot.specs import Actor, SpecsService, importing
from bot.specs import analysis as analysis_module
from tests.figures import report as figures
from tests.fixtures.openapi.builders import as_json, marketplace, yaml_of_size

ADMIN = Actor(1, can_manage=True)
TICK = 0.005
ROWS_AT_ONCE = 500  # the most rows one import may write before other tasks get a turn


@dataclass
class Lateness:
    worst: float = 0.0
    ticks: int = 0


@asynccontextmanager
async def lateness_probe() -> AsyncIterator[Lateness]:
    loop = asyncio.get_running_loop()
    result = Lateness()
    stop = asyncio.Event()

    async def probe() -> None:
        while not stop.is_set():
            start = loop.time()
            await asyncio.sleep(TICK)
            result.worst = max(result.worst, loop.time() - start - TICK)
            result.ticks += 1

    task = asyncio.create_task(probe())
    await asyncio.sleep(0)
    try:
        yield result
    finally:
        stop.set()
        await task


async def test_the_probe_notices_a_blocked_loop() -> None:
    async with lateness_probe() as lateness:
        await asyncio.sleep(0.02)
        time.sleep(0.3)  # what parsing a document on the event loop would do  # noqa: ASYNC251
        await asyncio.sleep(0.02)
    assert lateness.worst >= 0.25


@pytest.mark.timeout(240)  # ~10 s alone; give a loaded CI machine room
async def test_a_3mb_yaml_import_reads_elsewhere_and_stores_in_turns(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What keeps the loop free, checked without a clock: the document is read in the worker
    process, never in the bot's, and its rows are written in chunks with the loop running other
    tasks between every two. How late the loop ran is reported as a figure, not asserted.
    """
    data, operations = yaml_of_size(3.0)
    assert len(data) >= 3_000_000

    def read_in_the_bots_process(*args: object) -> None:
        raise AssertionError("the document was read in the bot's own process")

    # The worker is spawned and imports its own copy of the module: only an analysis in this
    # process (inline or in a thread) would meet this.
    monkeypatch.setattr(analysis_module, "_analyse", read_in_the_bots_process)
    turns = LoopTurns()
    chunks: list[tuple[str, int, int]] = []  # (table, rows, loop turns so far)
    insert = importing._insert

    async def watched(session: Any, model: Any, chunk: list[dict[str, Any]]) -> None:
        chunks.append((model.__tablename__, len(chunk), turns.count))
        await insert(session, model, chunk)

    monkeypatch.setattr(importing, "_insert", watched)
    specs = SpecsService(db)  # production configuration: analysis in a separate process
    # As the bot does once started (Nexus.setup_hook): what is loaded by then is left out of
    # the garbage collector's full passes, which would otherwise walk the whole test process.
    gc.collect()
    gc.freeze()
    try:
        async with turns, lateness_probe() as lateness:
            started = time.perf_counter()
            report = await specs.import_document(GUILD, ADMIN, "market", "market.yaml", data)
            elapsed = time.perf_counter() - started
    finally:
        gc.unfreeze()
        specs.close()
    assert report.version.endpoint_count == operations
    endpoint_chunks = [rows for table, rows, _ in chunks if table == "spec_endpoints"]
    assert sum(endpoint_chunks) == operations
    assert max(rows for _, rows, _ in chunks) <= ROWS_AT_ONCE
    seen = [count for _, _, count in chunks]
    assert all(a < b for a, b in itertools.pairwise(seen)), seen
    print(
        f"\n3 MB YAML ({len(data) / 1e6:.2f} MB, {operations} operations): import {elapsed:.2f} s "
        f"(analysis {report.analyse_seconds:.2f} s, store {report.store_seconds:.2f} s) in "
        f"{len(chunks)} chunks; event loop late by at most {lateness.worst * 1000:.0f} ms over "
        f"{lateness.ticks} ticks"
    )
    figures(
        "spec import, 3 MB YAML",
        import_s=round(elapsed, 2),
        analysis_s=round(report.analyse_seconds, 2),
        store_s=round(report.store_seconds, 2),
        chunks=len(chunks),
        loop_late_worst_ms=round(lateness.worst * 1000),
    )


class LoopTurns:
    """A task that yields to the loop again and again, counting how often it got a turn."""

    def __init__(self) -> None:
        self.count = 0
        self._task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(0)
            self.count += 1

    async def __aenter__(self) -> LoopTurns:
        self._task = asyncio.create_task(self._run())
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._task is not None
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task


GUILD = 111


@pytest.mark.skipif(
    not os.environ.get("NEXUS_SPEC_BENCH"), reason="benchmark: set NEXUS_SPEC_BENCH=1"
)
@pytest.mark.timeout(240)
async def test_benchmark_1000_endpoints_import_and_diff(db: Database) -> None:
    specs = SpecsService(db)
    try:
        first = as_json(marketplace(200))  # 200 resources x 5 operations
        second = as_json(marketplace(201))
        async with lateness_probe() as lateness:
            started = time.perf_counter()
            one = await specs.import_document(GUILD, ADMIN, "market", "v1.json", first)
            middle = time.perf_counter()
            two = await specs.import_document(GUILD, ADMIN, "market", "v2.json", second)
            done = time.perf_counter()
    finally:
        specs.close()
    assert one.version.endpoint_count == 1000
    assert two.counts == {"breaking": 0, "warning": 0, "info": 5}  # one new resource
    print(
        f"\n1,000 endpoints ({len(first) / 1e6:.2f} MB JSON): first import {middle - started:.2f} s"
        f" (analysis {one.analyse_seconds:.2f} s, incl. process start), second import + diff "
        f"{done - middle:.2f} s (analysis {two.analyse_seconds:.2f} s, store "
        f"{two.store_seconds:.2f} s); event loop late by at most {lateness.worst * 1000:.0f} ms"
    )
