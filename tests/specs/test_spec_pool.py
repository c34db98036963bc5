"""The analysis process: a runaway or crashing job costs one import, never the bot."""

from __future__ import annotations

import os
import time

import pytest

from bot.errors import BadInput
from bot.specs.analysis import AnalysisPool, analyse
from bot.specs.openapi import DocumentRejected


def square(value: int) -> tuple[int, int]:
    return value * value, os.getpid()


def stall(seconds: float) -> None:
    time.sleep(seconds)


def crash() -> None:
    os._exit(3)  # a hard crash, like a segfault in a C parser


@pytest.mark.timeout(60)
async def test_a_job_runs_in_another_process() -> None:
    pool = AnalysisPool()
    try:
        result, pid = await pool(square, 12)
    finally:
        pool.close()
    assert result == 144
    assert pid != os.getpid()


@pytest.mark.timeout(60)
async def test_a_rejection_in_the_worker_reaches_the_bot_whole() -> None:
    pool = AnalysisPool()
    try:
        with pytest.raises(DocumentRejected) as caught:
            await pool(analyse, b"openapi: 3.2.0\n", "api.yaml", None, None)
    finally:
        pool.close()
    assert caught.value.problems[0].pointer == "/openapi"
    assert "OpenAPI 3.2.0 is not supported" in caught.value.message


@pytest.mark.timeout(60)
async def test_a_runaway_job_is_stopped_and_the_next_one_gets_a_new_process() -> None:
    pool = AnalysisPool(timeout=1.0)
    try:
        started = time.monotonic()
        with pytest.raises(BadInput, match="took longer than 1 s"):
            await pool(stall, 30)
        assert time.monotonic() - started < 10
        # The next job's own time counts from a new process's start: give it room to spawn on a
        # busy machine (1 s was not always enough for the spawn alone).
        pool.timeout = 60.0
        assert (await pool(square, 3))[0] == 9
    finally:
        pool.close()


@pytest.mark.timeout(60)
async def test_a_crashed_worker_is_replaced() -> None:
    pool = AnalysisPool()
    try:
        with pytest.raises(BadInput, match="stopped unexpectedly"):
            await pool(crash)
        assert (await pool(square, 4))[0] == 16
    finally:
        pool.close()
