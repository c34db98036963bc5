"""The stage: the real Nexus running against the local Discord emulator, on loopback only.

`Stage` starts the emulator, points discord.py at it, and starts the bot as `python -m bot`
builds it (same factory, cogs and content), with a clock that `wait` can move forward and its
log kept out of the terminal. It knows when the bot has settled after a turn.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import tempfile
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any, Required, Self, TypedDict, Unpack

from bot.client import Nexus, create_bot
from bot.config import Settings
from bot.db.types import utcnow
from bot.logs import TextFormatter
from localdiscord.emulator import FAST_CLIENT_OPTIONS, FakeDiscord
from localdiscord.emulator.patch import DiscordPatch
from localdiscord.emulator.state import LOADING, snowflake_time
from localdiscord.playground.clock import WarpClock, warp_services
from localdiscord.playground.command_tree import CommandTree
from localdiscord.playground.directory import Directory, Person, Place
from localdiscord.playground.guard import LoopbackGuard

log = logging.getLogger(__name__)

READY_TIMEOUT = 30.0
ANSWER_TIMEOUT = 15.0  # a deferred command may take this long to finish (Discord: 15 min)
QUIET = 0.15  # seconds without a request from the bot before a turn's output is shown
SETTLE_LIMIT = 3.0


@contextlib.contextmanager
def bot_log(path: Path | None) -> Iterator[list[logging.LogRecord]]:
    """Send the bot's log to `path` (not the terminal); collect its errors to point them out."""
    errors: list[logging.LogRecord] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            errors.append(record)

    root = logging.getLogger()
    handlers: list[logging.Handler] = [Collect(level=logging.ERROR)]
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        to_file = logging.FileHandler(path, encoding="utf-8")
        to_file.setFormatter(TextFormatter())
        handlers.append(to_file)
    saved = root.level
    quiet = logging.getLogger("sqlalchemy.engine")
    saved_quiet = quiet.level
    root.setLevel(logging.INFO)
    quiet.setLevel(logging.WARNING)
    for handler in handlers:
        root.addHandler(handler)
    try:
        yield errors
    finally:
        for handler in handlers:
            root.removeHandler(handler)
            handler.close()
        root.setLevel(saved)
        quiet.setLevel(saved_quiet)


class StageOptions(TypedDict, total=False):
    """How to set a stage up (given by keyword: `Stage(database=..., content_dir=...)`)."""

    database: Required[Path | None]  # None: a temporary database
    content_dir: Required[Path]
    log_file: Path | None  # where the bot logs (None: nowhere, its errors are still shown)
    files_from: tuple[Path, ...]  # folders a typed file name is looked for in (default: here)
    answer_timeout: float  # seconds the bot has to finish an answer (default: ANSWER_TIMEOUT)


class Stage:
    """The emulator and the bot, started by `async with` and stopped when it ends."""

    def __init__(self, **options: Unpack[StageOptions]) -> None:
        self.database = options["database"]
        self.content_dir = options["content_dir"]
        self.log_file = options.get("log_file")
        self.files_from = options.get("files_from", (Path(),))
        self.answer_timeout = options.get("answer_timeout", ANSWER_TIMEOUT)
        self.clock = WarpClock()
        self.guard = LoopbackGuard()
        self.errors: list[logging.LogRecord] = []
        self._warped: list[Any] = []
        self._stack = contextlib.AsyncExitStack()
        self._fake: FakeDiscord | None = None
        self._bot: Nexus | None = None
        self._runner: asyncio.Task[None] | None = None

    @property
    def fake(self) -> FakeDiscord:
        assert self._fake is not None, "the playground is not started"
        return self._fake

    @property
    def bot(self) -> Nexus:
        assert self._bot is not None, "the playground is not started"
        return self._bot

    async def __aenter__(self) -> Self:
        try:
            await self._start()
        except BaseException:
            await self._stack.aclose()
            raise
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._stack.aclose()

    async def _start(self) -> None:
        stack = self._stack
        stack.enter_context(self.guard)
        self.errors = stack.enter_context(bot_log(self.log_file))
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="nexus-pg-")))
        database = self.database or workdir / "playground.db"
        database.parent.mkdir(parents=True, exist_ok=True)
        fake = FakeDiscord(timeout=self.answer_timeout)
        await fake.start()
        stack.push_async_callback(fake.stop)
        stack.enter_context(DiscordPatch(fake))
        self._fake = fake
        settings = Settings(
            discord_token=fake.token,
            database_url=f"sqlite+aiosqlite:///{database}",
            dev_guild_id=fake.guild_id,
            content_dir=self.content_dir,
            health_file=workdir / "heartbeat",  # never the real bot's heartbeat
        )
        bot = create_bot(settings, force_command_sync=True, **FAST_CLIENT_OPTIONS)
        self._bot = bot
        runner = asyncio.create_task(bot.start(fake.token), name="nexus-playground")
        self._runner = runner
        stack.push_async_callback(self._stop_bot, bot, runner)
        ready = asyncio.create_task(bot.wait_until_ready())
        done, _ = await asyncio.wait(
            {runner, ready}, timeout=READY_TIMEOUT, return_when=asyncio.FIRST_COMPLETED
        )
        if ready not in done:
            ready.cancel()
            if runner.done():
                runner.result()  # raises what stopped the bot (ContentInvalid, ...)
            raise TimeoutError("Nexus did not become ready in time")
        self._warped = warp_services(bot.cogs.values(), self.clock)

    @staticmethod
    async def _stop_bot(bot: Nexus, runner: asyncio.Task[None]) -> None:
        await bot.close()
        try:
            async with asyncio.timeout(READY_TIMEOUT):
                await runner
        except Exception:  # it already said why in its log; leaving must not fail
            log.warning("Nexus stopped with an error", exc_info=True)

    def stopped_why(self) -> str | None:
        """None while the bot runs; once it has stopped, a sentence saying so (and why)."""
        runner = self._runner
        if runner is None or not runner.done():
            return None
        error = None if runner.cancelled() else runner.exception()
        why = f": {type(error).__name__}: {error}" if error else ""
        where = f" (see {self.log_file})" if self.log_file else ""
        return f"Nexus has stopped{why}{where}."

    # -- what exists -------------------------------------------------------------------------

    def directory(self) -> Directory:
        world = self.fake.world
        guild = self.fake.guild
        people = tuple(
            Person(key, user.username, user.global_name or user.username, user.id)
            for key, user in world.users.items()
            if not user.bot and user.id in guild.members
        )
        channels = tuple(Place(c.name, c.id, c.type) for c in guild.channels.values())
        roles = tuple(Place(r.name, r.id) for r in guild.roles.values() if r.name != "@everyone")
        return Directory(people, channels, roles, self.files_from)

    def tree(self) -> CommandTree:
        return CommandTree(self.fake.driver.registered(self.fake.guild_id))

    # -- waiting for the bot to finish -----------------------------------------------------

    async def settle(self, quiet: float = QUIET, limit: float = SETTLE_LIMIT) -> None:
        """Wait until the bot has made no request for `quiet` seconds (at most `limit`)."""
        loop = asyncio.get_running_loop()
        world = self.fake.world
        start = last_change = loop.time()
        seen = len(world.requests)
        while loop.time() - start < limit:
            await asyncio.sleep(0.03)
            now = loop.time()
            if len(world.requests) != seen:
                seen, last_change = len(world.requests), now
            elif now - last_change >= quiet and not self._loading():
                return

    def _loading(self) -> bool:
        """A reply is still "thinking" (one stuck past the answer timeout no longer counts)."""
        since = utcnow() - timedelta(seconds=self.answer_timeout)
        return any(
            int(m.get("flags") or 0) & LOADING and snowflake_time(int(m["id"])) > since
            for messages in self.fake.world.messages.values()
            for m in messages
        )
