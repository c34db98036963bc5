"""The bot under test, in its own process: `python -m bench.botproc CONFIG_JSON`.

The production bot (`create_bot`, every cog, the real discord.py) connects to the emulator the
benchmark runs in the parent process, exactly as it would to Discord. Keeping it apart makes
its numbers its own: the resident memory is the bot's, the event-loop ticker sees only the
bot's stalls, and the emulator gets the machine's other core, as Discord would be remote.

The parent talks to it over stdin/stdout, one JSON object per line:
  -> {"cmd": "stalls"}   <- {"max_stall_ms": ..., "ticks": ...}   (and resets the maximum)
  -> {"cmd": "quit"}     the bot closes cleanly and the process exits
and it announces {"event": "ready", ...timings} once the bot is ready.
"""

from __future__ import annotations

import time

STARTED = time.monotonic()  # before the heavy imports: they are part of start-up

import os  # noqa: E402

if os.environ.get("NEXUS_BENCH_TRACEMALLOC"):  # from the first import on (slows the bot)
    import tracemalloc

    tracemalloc.start()

import asyncio  # noqa: E402
import atexit  # noqa: E402
import cProfile  # noqa: E402
import gc  # noqa: E402
import json  # noqa: E402
import logging  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import discord.gateway  # noqa: E402
import discord.http  # noqa: E402
import yarl  # noqa: E402

from bot.__main__ import event_loop_factory  # noqa: E402
from bot.client import create_bot  # noqa: E402
from bot.config import Settings  # noqa: E402

IMPORTED = time.monotonic()
TICK = 0.005


def rss_mb() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) // 1024
    return 0


RSS_AFTER_IMPORTS = rss_mb()


class GcClock:
    """How long the cyclic garbage collector pauses the process (it runs on the loop's thread
    whenever allocations trigger it, so its pauses are loop stalls too)."""

    def __init__(self) -> None:
        self.max_pause = 0.0
        self.total = 0.0
        self.collections = [0, 0, 0]
        self._began = 0.0
        gc.callbacks.append(self._callback)

    def _callback(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._began = time.perf_counter()
            return
        pause = time.perf_counter() - self._began
        self.total += pause
        self.collections[info["generation"]] += 1
        self.max_pause = max(self.max_pause, pause)

    def take(self) -> dict[str, Any]:
        out = {
            "gc_max_pause_ms": round(self.max_pause * 1000, 2),
            "gc_total_ms": round(self.total * 1000, 2),
            "gc_collections": list(self.collections),
        }
        self.max_pause, self.total, self.collections = 0.0, 0.0, [0, 0, 0]
        return out


def describe(handle: asyncio.Handle) -> str:
    """What a loop step ran: the task's coroutine when it was a task step."""
    callback = getattr(handle, "_callback", None)
    task = getattr(callback, "__self__", None)
    if isinstance(task, asyncio.Task):
        coro = task.get_coro()
        return f"task {task.get_name()}: {getattr(coro, '__qualname__', coro)!s}"[:300]
    return repr(handle)[:300]


class CallbackClock:
    """The longest single step the event loop ran (one callback or one step of a task), and
    what it was: a long one is code blocking the loop, not just a busy loop."""

    def __init__(self) -> None:
        self.longest = 0.0
        self.what = ""
        original = asyncio.events.Handle._run
        clock = self

        def timed_run(handle: asyncio.Handle) -> None:
            begin = time.perf_counter()
            original(handle)
            spent = time.perf_counter() - begin
            if spent > clock.longest:
                clock.longest = spent
                clock.what = describe(handle)

        asyncio.events.Handle._run = timed_run  # type: ignore[method-assign,assignment]

    def take(self) -> dict[str, Any]:
        out = {"longest_step_ms": round(self.longest * 1000, 2), "longest_step": self.what}
        self.longest, self.what = 0.0, ""
        return out


class StallTicker:
    """A task that asks to wake every 5 ms and records how late it wakes: a stalled loop
    (CPU work or a blocking call on it) shows up as lateness."""

    def __init__(self) -> None:
        self.max_late = 0.0
        self.ticks = 0
        self.gc = GcClock()
        self.steps = CallbackClock()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(), name="stall-ticker")

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            due = loop.time() + TICK
            await asyncio.sleep(TICK)
            late = loop.time() - due
            self.ticks += 1
            if late > self.max_late:
                self.max_late = late

    def take(self) -> dict[str, Any]:
        out = {
            "max_stall_ms": self.max_late * 1000,
            "ticks": self.ticks,
            **self.gc.take(),
            **self.steps.take(),
        }
        self.max_late, self.ticks = 0.0, 0
        return out

    def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()


def emit(payload: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(payload) + "\n")
    sys.stdout.flush()


async def commands(ticker: StallTicker, stop: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    while not stop.is_set():
        line = await reader.readline()
        if not line:
            break
        cmd = json.loads(line).get("cmd")
        if cmd == "stalls":
            emit({"event": "stalls", **ticker.take()})
        elif cmd == "quit":
            break
    stop.set()


async def main(config: dict[str, Any]) -> None:
    discord.http.Route.BASE = config["base_url"]
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(config["gateway_url"])
    settings = Settings(
        discord_token=config["token"],
        database_url=config["database_url"],
        dev_guild_id=config["guild_id"],
        content_dir=Path(config["content_dir"]),
        health_file=Path(config["health_file"]),
        log_level="WARNING",
    )
    ticker = StallTicker()
    ticker.start()
    bot = create_bot(settings, **config["client_options"])
    setup_hook = bot.setup_hook
    phases: dict[str, float] = {}

    async def timed_setup() -> None:
        begin = time.monotonic()
        await setup_hook()
        phases["setup_hook_s"] = time.monotonic() - begin

    bot.setup_hook = timed_setup  # type: ignore[method-assign]
    stop = asyncio.Event()
    runner = asyncio.create_task(bot.start(settings.discord_token), name="nexus")
    ready = asyncio.create_task(bot.wait_until_ready())
    await asyncio.wait({runner, ready}, return_when=asyncio.FIRST_COMPLETED)
    if not ready.done():
        ready.cancel()
        await bot.close()
        runner.result()  # raises what stopped the bot
        raise RuntimeError("the bot stopped before it was ready")
    emit(
        {
            "event": "ready",
            "started": STARTED,
            "imported": IMPORTED,
            "ready": time.monotonic(),
            "content_report": str(bot.content_report),
            "rss_after_imports_mb": RSS_AFTER_IMPORTS,
            "rss_when_ready_mb": rss_mb(),
            "commands_synced": bot.commands_synced,
            **phases,
            "startup_stall": ticker.take(),
        }
    )
    control = asyncio.create_task(commands(ticker, stop))
    done, _ = await asyncio.wait({runner, control}, return_when=asyncio.FIRST_COMPLETED)
    ticker.stop()
    await bot.close()
    if runner in done:
        runner.result()
    else:
        await runner


def memory_report(path: str) -> None:
    """What the bot's memory holds as it stops, by the line that allocated it (tracemalloc),
    in `path`.PID (each bot process of a run writes its own).
    """
    import tracemalloc

    current, peak = tracemalloc.get_traced_memory()
    stats = tracemalloc.take_snapshot().statistics("lineno")
    lines = [f"traced now {current / 2**20:.1f} MiB, at most {peak / 2**20:.1f} MiB"]
    lines += [str(stat) for stat in stats[:40]]
    Path(f"{path}.{os.getpid()}").write_text("\n".join(lines) + "\n")


def run() -> None:
    config = json.loads(sys.argv[1])
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    traced = os.environ.get("NEXUS_BENCH_TRACEMALLOC")  # a file: where the bot's memory goes
    if traced:
        atexit.register(memory_report, traced)
    profile = config.get("profile")
    if profile:
        profiler = cProfile.Profile()
        profiler.enable()
        try:
            asyncio.run(main(config))
        finally:
            profiler.disable()
            profiler.dump_stats(profile)
    else:
        # The loop `python -m bot` runs on (uvloop where installed), so the numbers are its own.
        with asyncio.Runner(loop_factory=event_loop_factory()) as runner:
            runner.run(main(config))


if __name__ == "__main__":
    run()
