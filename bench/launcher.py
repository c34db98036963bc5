"""Launching the bot under test (bench/botproc.py) in its own process and talking to it.

The benchmark and the load test both run the production bot apart from the emulator, as
Discord would be remote: the bot gets a core of its own, and its numbers (CPU, memory, event
loop stalls) are its own.

    fake = FakeDiscord(...); await fake.start()
    bot = await BotProcess.start(bot_config(fake, db_path, content, work), work / "bot.log")
    ...                      # drive it through `fake`
    await bot.stop()
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from localdiscord.emulator import FAST_CLIENT_OPTIONS, FakeDiscord

REPO = Path(__file__).resolve().parent.parent


def bot_config(
    fake: FakeDiscord, database: Path | str, content: Path, work: Path
) -> dict[str, Any]:
    """What bench/botproc.py needs to connect to `fake` (started) with the given database: a
    SQLite file, or a database URL."""
    url = database if isinstance(database, str) else f"sqlite+aiosqlite:///{database}"
    return {
        "base_url": fake.base_url,
        "gateway_url": fake.gateway_url,
        "token": fake.token,
        "guild_id": fake.guild_id,
        "database_url": url,
        "content_dir": str(content),
        "health_file": str(work / "heartbeat"),
        # Read here: importing the emulator in the bot's process would count its memory there.
        "client_options": FAST_CLIENT_OPTIONS,
    }


def _proc_status(pid: int) -> dict[str, int]:
    out: dict[str, int] = {}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                out[key] = int(value.split()[0]) // 1024
    except OSError:
        pass
    return out


def _children(pid: int) -> list[int]:
    found: list[int] = []
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            raw = (task / "children").read_text().split()
            found += [int(p) for p in raw]
    except OSError:
        return found
    return found + [g for c in found for g in _children(c)]


def _cmdline(pid: int) -> str:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return "?"
    return raw.strip()[:120]


def _cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class BotProcess:
    """The bot under test (bench/botproc.py), driven over its stdin/stdout."""

    proc: asyncio.subprocess.Process
    spawned: float
    ready: dict[str, Any] = field(default_factory=dict)

    @classmethod
    async def start(cls, config: dict[str, Any], log: Path, within: float = 120) -> BotProcess:
        env = {**os.environ, "PYTHONUNBUFFERED": "1", "PYTHONPATH": str(REPO)}
        # As deployed: the image installs the bot's modules compiled, so a restart reads them
        # as bytecode. A shell with PYTHONDONTWRITEBYTECODE would have every start compile
        # ~200 modules again (0.2-0.3 s here); the first start here writes them, as Python does.
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        spawned = time.monotonic()
        with log.open("ab") as stderr:
            proc = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bench.botproc",
                json.dumps(config),
                cwd=REPO,
                env=env,
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=stderr,
            )
        bot = cls(proc, spawned)
        try:
            bot.ready = await asyncio.wait_for(bot._event("ready"), within)
        except (TimeoutError, EOFError):
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            await proc.wait()
            tail = log.read_text(errors="replace")[-3000:]
            raise RuntimeError(
                f"the bot did not become ready; its log ends with:\n{tail}"
            ) from None
        bot.ready["seen"] = time.monotonic()
        return bot

    async def _event(self, name: str) -> dict[str, Any]:
        assert self.proc.stdout is not None
        while True:
            line = await self.proc.stdout.readline()
            if not line:
                raise EOFError("the bot process exited")
            try:
                event = json.loads(line)
            except json.JSONDecodeError:
                continue  # something printed by a library; not ours
            if event.get("event") == name:
                return dict(event)

    async def _send(self, cmd: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write((json.dumps({"cmd": cmd}) + "\n").encode())
        await self.proc.stdin.drain()

    async def stalls(self) -> dict[str, Any]:
        """The longest event-loop stall since the last call (and resets it)."""
        await self._send("stalls")
        return await asyncio.wait_for(self._event("stalls"), 30)

    def startup(self) -> dict[str, Any]:
        r = self.ready
        return {
            "spawn_to_ready_s": round(r["seen"] - self.spawned, 3),
            "interpreter_and_imports_s": round(r["imported"] - self.spawned, 3),
            "setup_hook_s": round(r.get("setup_hook_s", 0.0), 3),
            "content": r.get("content_report"),
            "commands_synced": r.get("commands_synced"),
            "max_stall_ms": round(r["startup_stall"]["max_stall_ms"], 1),
            "rss_after_imports_mb": r.get("rss_after_imports_mb"),
            "rss_when_ready_mb": r.get("rss_when_ready_mb"),
        }

    def memory(self) -> dict[str, Any]:
        status = _proc_status(self.proc.pid)
        helpers = []
        for child in _children(self.proc.pid):
            info = _proc_status(child)
            if info:
                helpers.append({"cmd": _cmdline(child), "peak_rss_mb": info.get("VmHWM")})
        return {
            "rss_mb": status.get("VmRSS"),
            "peak_rss_mb": status.get("VmHWM"),
            "helper_processes": helpers,
        }

    def cpu_seconds(self) -> float:
        return _cpu_seconds(self.proc.pid)

    async def stop(self) -> None:
        if self.proc.returncode is None:
            with contextlib.suppress(ConnectionError):
                await self._send("quit")
            try:
                await asyncio.wait_for(self.proc.wait(), 30)
            except TimeoutError:
                self.proc.kill()
                await self.proc.wait()
