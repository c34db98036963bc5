"""One playground: the real Nexus against the local Discord emulator, driven by typed lines."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import shlex
import tempfile
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from rich.console import Console, RenderableType
from rich.table import Table
from rich.text import Text

from bot.client import Nexus, create_bot
from bot.config import Settings
from bot.db.types import utcnow
from bot.logs import TextFormatter
from localdiscord.emulator import FAST_CLIENT_OPTIONS, FakeDiscord, InteractionResult, Upload
from localdiscord.emulator.patch import DiscordPatch
from localdiscord.emulator.state import JSON, EmulatorTimeout, snowflake_time
from localdiscord.playground import render
from localdiscord.playground.clock import WarpClock, caught_up, next_due, wake_all, warp_services
from localdiscord.playground.command_tree import CommandTree, InputProblem
from localdiscord.playground.directory import Directory, Person, Place
from localdiscord.playground.forms import FormSource, ModalForm
from localdiscord.playground.guard import LoopbackGuard
from localdiscord.playground.parse import (
    FileValue,
    convert_all,
    parse_duration,
    parse_invocation,
    split_command,
)
from localdiscord.playground.suggest import Suggestion, suggestions

log = logging.getLogger(__name__)

READY_TIMEOUT = 30.0
ANSWER_TIMEOUT = 15.0  # a deferred command may take this long to finish (Discord: 15 min)
QUIET = 0.15  # seconds without a request from the bot before a turn's output is shown
SETTLE_LIMIT = 3.0
WAIT_LIMIT = 10.0
# Words the playground answers itself; the first three may also be typed with a `/`.
SLASH_WORDS = {
    "as": "Become someone else: /as admin, /as member",
    "in": "Move to another channel: /in #qa",
    "wait": "Let time pass at once: /wait 1d, /wait 3h, /wait next",
}
WORDS = {
    **SLASH_WORDS,
    "click": "Press a button by its number or label: click 2",
    "select": "Pick in a select menu: select 1 caching",
    "complete": "Show what Tab would offer: complete /concept name:cach",
    "commands": "List every command the bot registered",
    "help": "What you can type here",
    "quit": "Leave the playground (Ctrl-D works too)",
    "exit": "Leave the playground",
}
ROLE_WORDS = {"owner": "the server owner", "admin": "an admin", "moderator": "a moderator"}
HELP = """\
Type slash commands as in Discord: /concept name:caching, /concept caching, /qa search query:celery
Tab completes command names, options, choices and the bot's own suggestions.

  click 2 | click Next     press a button of the last reply (by number or label)
  select 1 caching         pick an option in a select menu
  as admin | as member     switch who you are (also moderator, owner, member2)
  in #qa                   move to another channel
  wait 1d | wait next      let time pass at once (the daily tip fires when due)
  complete /concept doc    show the suggestions Tab would offer
  commands                 list every command Nexus registered
  quit                     leave (Ctrl-D and Ctrl-C work too)

A form (modal) is asked field by field; in a script, give its fields on indented lines
below the command: `    title: How do I retry a task?`."""


class Quit(Exception):
    """The user asked to leave."""


@dataclass
class Outcome:
    """How a typed line went: `failed` when the bot misbehaved (not when the input was bad)."""

    failed: bool = False


@dataclass
class Feed:
    """Which messages were already shown (and as what), so each turn shows only what changed."""

    fake: FakeDiscord
    shown: dict[int, str] = field(default_factory=dict)
    deleted_seen: int = 0

    @staticmethod
    def fingerprint(message: JSON) -> str:
        keys = ("content", "embeds", "components", "attachments", "flags")
        return json.dumps([message.get(k) for k in keys], sort_keys=True, default=str)

    def changes(self) -> list[tuple[str, JSON]]:
        """New and edited messages (oldest first), and deleted ones that were shown."""
        world = self.fake.world
        found: list[tuple[str, JSON]] = []
        for messages in world.messages.values():
            for message in messages:
                if int(message.get("flags") or 0) & render.LOADING:
                    continue  # "Nexus is thinking…": shown when it is done
                mid = int(message["id"])
                print_ = self.fingerprint(message)
                before = self.shown.get(mid)
                if before != print_:
                    found.append(("new" if before is None else "edited", message))
                    self.shown[mid] = print_
        found.sort(key=lambda change: int(change[1]["id"]))
        for message in world.deleted_messages[self.deleted_seen :]:
            if self.shown.pop(int(message["id"]), None) is not None:
                found.append(("deleted", message))
        self.deleted_seen = len(world.deleted_messages)
        return found


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


class Playground:
    """The emulator, the bot, who you are and where, and what has been shown so far."""

    def __init__(
        self,
        console: Console,
        *,
        database: Path | None,
        content_dir: Path,
        log_file: Path | None = None,
        files_from: tuple[Path, ...] = (Path(),),
        answer_timeout: float = ANSWER_TIMEOUT,
    ) -> None:
        self.console = console
        self.database = database
        self.content_dir = content_dir
        self.log_file = log_file
        self.files_from = files_from
        self.answer_timeout = answer_timeout
        self.user_key = "admin"
        self.channel_name = "general"
        self.clock = WarpClock()
        self.guard = LoopbackGuard()
        self.controls: dict[int, render.Control] = {}
        self.errors: list[logging.LogRecord] = []
        self._errors_reported = 0
        self._warped: list[Any] = []
        self._stack = contextlib.AsyncExitStack()
        self._fake: FakeDiscord | None = None
        self._bot: Nexus | None = None
        self._feed: Feed | None = None
        self._runner: asyncio.Task[None] | None = None
        self._turn_lock = asyncio.Lock()
        self._numbering_open = False

    # -- lifecycle -----------------------------------------------------------------------------

    @property
    def fake(self) -> FakeDiscord:
        assert self._fake is not None, "the playground is not started"
        return self._fake

    @property
    def bot(self) -> Nexus:
        assert self._bot is not None, "the playground is not started"
        return self._bot

    @property
    def feed(self) -> Feed:
        assert self._feed is not None, "the playground is not started"
        return self._feed

    async def __aenter__(self) -> Playground:
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
        self._feed = Feed(fake)

    @staticmethod
    async def _stop_bot(bot: Nexus, runner: asyncio.Task[None]) -> None:
        await bot.close()
        try:
            async with asyncio.timeout(READY_TIMEOUT):
                await runner
        except Exception:  # it already said why in its log; leaving must not fail
            log.warning("Nexus stopped with an error", exc_info=True)

    def _check_alive(self) -> None:
        """Leave, saying why, when the bot has stopped (everything typed would go unanswered)."""
        runner = self._runner
        if runner is None or not runner.done():
            return
        error = None if runner.cancelled() else runner.exception()
        why = f": {type(error).__name__}: {error}" if error else ""
        where = f" (see {self.log_file})" if self.log_file else ""
        self.say(render.problem_view(f"Nexus has stopped{why}{where}."))
        raise Quit

    # -- who, where, what exists -----------------------------------------------------------

    @property
    def me(self) -> Person:
        person = self.directory().person(self.user_key)
        assert person is not None
        return person

    @property
    def channel_id(self) -> int:
        return self.fake.channel(self.channel_name).id

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

    def shadowed_commands(self) -> list[str]:
        """Registered commands hidden behind a playground word (`/as`, `/in`, `/wait`)."""
        return [name for name in SLASH_WORDS if name in self.tree()]

    def role_of(self, person: Person) -> str:
        if person.key in ROLE_WORDS:
            return ROLE_WORDS[person.key]
        return "a member"

    # -- output ----------------------------------------------------------------------------

    def say(self, renderable: RenderableType) -> None:
        self.console.print(renderable)

    def _numberer(self) -> Callable[[int, JSON], int]:
        if not self._numbering_open:
            self.controls = {}
            self._numbering_open = True

        def number(message_id: int, component: JSON) -> int:
            index = len(self.controls) + 1
            self.controls[index] = render.Control(index, message_id, component)
            return index

        return number

    def show_changes(self, *, new_turn: bool) -> int:
        """Render what changed in the world since the last time; the number of changes."""
        changes = self.feed.changes()
        if new_turn:
            self._numbering_open = False
        directory = self.directory()
        dm_names = {
            cid: self.fake.world.user(ch.recipient_ids[0]).global_name or "someone"
            for cid, ch in self.fake.world.dm_channels.items()
            if ch.recipient_ids
        }
        for kind, message in changes:
            if kind == "deleted":
                self.say(render.deleted_view(message, directory))
                continue
            has_controls = any(
                c.get("custom_id") for c in render.walk_components(message.get("components") or [])
            )
            numberer = self._numberer() if has_controls else _no_numbers
            self.say(
                render.message_view(
                    message,
                    directory,
                    numberer,
                    current_channel_id=self.channel_id,
                    edited=kind == "edited",
                    dm_names=dm_names,
                )
            )
        self._report_errors()
        return len(changes)

    def _report_errors(self) -> None:
        new = self.errors[self._errors_reported :]
        self._errors_reported = len(self.errors)
        if new:
            where = f" (see {self.log_file})" if self.log_file else ""
            self.say(
                render.problem_view(
                    f"Nexus logged {len(new)} error(s): {new[-1].getMessage()}{where}"
                )
            )

    @property
    def bot_errors(self) -> int:
        return len(self.errors)

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
            int(m.get("flags") or 0) & render.LOADING and snowflake_time(int(m["id"])) > since
            for messages in self.fake.world.messages.values()
            for m in messages
        )

    # -- a typed line ----------------------------------------------------------------------

    async def run_line(self, line: str, forms: FormSource) -> Outcome:
        """Do what one typed line says and show what happened."""
        text = line.strip()
        if not text or text.startswith("#"):
            return Outcome()
        async with self._turn_lock:
            self._check_alive()
            turn = await self._dispatch(text, forms)
            await self.settle()
            count = self.show_changes(new_turn=True)
            if count == 0 and turn.quiet_note:
                self.say(render.note_view(turn.quiet_note))
            return turn.outcome

    async def _dispatch(self, text: str, forms: FormSource) -> _Turn:
        words = split_command(text)
        word = words[0].lower() if words else ""
        rest = text.strip().removeprefix("/").lstrip()[len(word) :].strip()
        if text.startswith("/") and word in SLASH_WORDS:
            return await self._word(word, rest, forms)
        if text.startswith("/"):
            return await self._slash(text, forms)
        if word in WORDS:
            return await self._word(word, rest, forms)
        hint = render.problem_view(
            f"`{text}` is not something the playground knows. Slash commands start with `/` "
            "(Tab lists them); type `help` for the rest."
        )
        self.say(hint)
        return _Turn()

    async def _word(self, word: str, rest: str, forms: FormSource) -> _Turn:
        handlers: dict[str, Callable[[str, FormSource], Awaitable[_Turn]]] = {
            "help": self._help,
            "commands": self._list_commands,
            "as": self._become,
            "in": self._move,
            "wait": self._wait,
            "complete": self._complete,
            "click": self._click,
            "select": self._select,
        }
        if word in ("quit", "exit"):
            raise Quit
        try:
            return await handlers[word](rest, forms)
        except InputProblem as problem:
            self.say(render.problem_view(problem.message))
            return _Turn()

    # -- slash commands --------------------------------------------------------------------

    async def _slash(self, text: str, forms: FormSource) -> _Turn:
        try:
            invocation = parse_invocation(text, self.tree())
            values = convert_all(invocation, self.directory())
        except InputProblem as problem:
            self.say(render.problem_view(problem.message))
            return _Turn()
        for name, value in values.items():
            if isinstance(value, FileValue):
                values[name] = Upload(value.path.name, value.path.read_bytes())
        name = invocation.command.name
        return await self._interact(
            lambda: self.fake.slash(
                name,
                values,
                user=self.user_key,
                channel=self.channel_name,
                timeout=self.answer_timeout,
            ),
            f"/{name}",
            forms,
        )

    async def _interact(
        self, act: Callable[[], Awaitable[InteractionResult]], what: str, forms: FormSource
    ) -> _Turn:
        """Send one interaction; fill and submit the modals it opens; report failures."""
        try:
            result = await act()
            while result.modal is not None:
                form = ModalForm.of(result.modal)
                values = await forms.fill(form)
                if values is None:
                    self.say(
                        render.note_view(f"You closed the form “{form.title}”; nothing was sent.")
                    )
                    return _Turn()
                result = await result.submit_modal(values)
        except AssertionError as error:  # the emulator's words for what Discord would not do
            text, the_bots_fault = _failure_text(what, error)
            self.say(render.problem_view(text))
            return _Turn(Outcome(failed=the_bots_fault))
        if result.errors:  # it answered, but some request of it Discord would have refused
            self.say(
                render.problem_view(f"Discord would refuse what Nexus sent: {result.errors[0]}")
            )
            return _Turn(Outcome(failed=True))
        return _Turn(quiet_note=ANSWERED_QUIETLY)

    # -- components --------------------------------------------------------------------------

    def _control(self, ref: str, *, select: bool) -> render.Control:
        verb = "select" if select else "click"
        if not self.controls:
            raise InputProblem("There is nothing to press: no reply shown has buttons or menus.")
        ref = ref.strip()
        if not ref:
            raise InputProblem(f"Say which one: `{verb} 1` ({self._control_list()}).")
        control = None
        if ref.isdigit():
            control = self.controls.get(int(ref))
        else:
            wanted = ref.lower()
            matches = [c for c in self.controls.values() if wanted in c.label.lower()]
            exact = [c for c in matches if c.label.lower().endswith(wanted)]
            found = exact or matches
            control = found[0] if len(found) == 1 else None
            if len(found) > 1:
                raise InputProblem(f"`{ref}` matches several: {self._control_list(found)}.")
        if control is None:
            raise InputProblem(f"There is no `{ref}` to {verb}; there are {self._control_list()}.")
        if select and not control.is_select:
            raise InputProblem(
                f"[{control.number}] {control.label} is a button: `click {control.number}`."
            )
        if not select and control.is_select:
            raise InputProblem(
                f"[{control.number}] {control.label} is a menu: `select {control.number} VALUE`."
            )
        return control

    def _control_list(self, controls: list[render.Control] | None = None) -> str:
        shown = controls if controls is not None else list(self.controls.values())
        return ", ".join(f"[{c.number}] {c.label}" for c in shown)

    async def _click(self, rest: str, forms: FormSource) -> _Turn:
        control = self._control(rest, select=False)
        return await self._interact(
            lambda: self.fake.click(
                control.message_id,
                control.custom_id,
                user=self.user_key,
                timeout=self.answer_timeout,
            ),
            f"a click on {control.label}",
            forms,
        )

    async def _select(self, rest: str, forms: FormSource) -> _Turn:
        number, _, picked = rest.strip().partition(" ")
        control = self._control(number, select=True)
        component = control.component
        most = int(component.get("max_values", 1))
        picked = picked.strip()
        if not picked:
            raise InputProblem(f"Say what to pick: `select {control.number} VALUE`.")
        wanted = [p.strip() for p in picked.split(",")] if most > 1 else [picked]
        values: list[Any] = []
        for item in wanted:
            values.append(self._select_value(component, item))
        return await self._interact(
            lambda: self.fake.select(
                control.message_id,
                control.custom_id,
                values,
                user=self.user_key,
                timeout=self.answer_timeout,
            ),
            f"a pick in {control.label}",
            forms,
        )

    def _select_value(self, component: JSON, item: str) -> Any:
        ctype = int(component.get("type", 3))
        item = _unquote(item)
        if ctype == 3:
            options = component.get("options") or []
            for option in options:
                if item.lower() in (str(option["value"]).lower(), str(option["label"]).lower()):
                    return option["value"]
            listed = " · ".join(str(o["label"]) for o in options)
            raise InputProblem(f"The menu has no option `{item}`. Options: {listed}.")
        directory = self.directory()
        if ctype in (5, 7):
            person = directory.person(item)
            if person is not None:
                return person.username
        if ctype in (6, 7):
            role = directory.role(item)
            if role is not None:
                return role.name
        if ctype == 8:
            channel = directory.channel(item)
            if channel is not None:
                return channel.name
        raise InputProblem(f"Nothing called `{item}` can be picked there.")

    # -- playground words ------------------------------------------------------------------

    async def _become(self, rest: str, forms: FormSource) -> _Turn:
        wanted = rest.strip()
        directory = self.directory()
        person = directory.person(wanted) if wanted else None
        if person is None:
            keys = ", ".join(p.key for p in directory.people)
            raise InputProblem(f"Be whom? `as admin` or `as member` (or: {keys}).")
        self.user_key = person.key
        self.say(
            render.note_view(
                f"You are now {person.display} (@{person.username}), {self.role_of(person)}."
            )
        )
        return _Turn()

    async def _move(self, rest: str, forms: FormSource) -> _Turn:
        directory = self.directory()
        place = directory.channel(rest) if rest.strip() else None
        if place is None:
            raise InputProblem(f"Go where? Channels: {directory.channel_list()}.")
        self.channel_name = place.name
        self.say(render.note_view(f"You are now in #{place.name}."))
        return _Turn()

    async def _wait(self, rest: str, forms: FormSource) -> _Turn:
        target = rest.strip().lower()
        now = self.clock.now()
        if target in ("next", "tip"):
            due = next_due(self._warped)
            if due is None:
                raise InputProblem(
                    "Nothing is scheduled to happen. Schedule a daily tip first, e.g. "
                    "`/dailytip schedule channel:#general time:09:00 timezone:UTC`."
                )
            delta = max(due - now, timedelta(0))
        else:
            delta = parse_duration(target or "")
        self.clock.advance(delta)
        moment = self.clock.now().strftime("%A %d %B %Y, %H:%M UTC")
        self.say(
            render.note_view(f"⏩ {_span(delta)} later: it is now {moment} in the playground.")
        )
        wake_all(self._warped)
        with contextlib.suppress(AssertionError):  # a scheduler still busy: show what there is
            await self.fake.world.wait_for(
                lambda: caught_up(self._warped, self.clock.now()), "the schedulers", WAIT_LIMIT
            )
        return _Turn(quiet_note="(nothing arrived meanwhile)")

    async def _complete(self, rest: str, forms: FormSource) -> _Turn:
        found = await self.suggest(rest)
        if not found:
            self.say(render.note_view(f"No suggestions for `{rest}`."))
            return _Turn()
        table = Table.grid(padding=(0, 2))
        table.add_column(style="bold")
        table.add_column(style="dim")
        for suggestion in found:
            table.add_row(suggestion.display, suggestion.meta)
        self.say(Text(f"Tab after `{rest}` offers:", style="dim"))
        self.say(table)
        return _Turn()

    async def suggest(self, text: str) -> list[Suggestion]:
        """What Tab offers after `text` (the bot is asked for its autocomplete choices)."""

        async def ask(command: str, options: dict[str, Any], focused: str) -> list[JSON]:
            return await self.fake.autocomplete(
                command,
                options,
                focused=focused,
                user=self.user_key,
                channel=self.channel_name,
                timeout=self.answer_timeout,
            )

        try:
            return await suggestions(text, self.tree(), self.directory(), ask, SLASH_WORDS)
        except AssertionError as error:
            log.warning("autocomplete of %r failed: %s", text, error)
            return []

    async def _help(self, rest: str, forms: FormSource) -> _Turn:
        self.say(Text(HELP))
        return _Turn()

    async def _list_commands(self, rest: str, forms: FormSource) -> _Turn:
        for command in self.tree().commands():
            self.say(
                Text.assemble((command.usage(), "bold"), (f"\n    {command.description}", "dim"))
            )
        return _Turn()

    # -- things that happen on their own ---------------------------------------------------

    async def watch(self, stop: asyncio.Event) -> None:
        """Show messages that arrive between turns (a daily tip, a post by the scheduler)."""
        world = self.fake.world
        while not stop.is_set():
            seen = len(world.requests)

            def changed(seen: int = seen) -> bool:
                return len(world.requests) != seen or stop.is_set()

            with contextlib.suppress(AssertionError):  # nothing for a second: look again
                await world.wait_for(changed, "a change", 1.0)
            if stop.is_set() or self._turn_lock.locked():
                continue
            async with self._turn_lock:
                await self.settle()
                self.show_changes(new_turn=False)


@dataclass
class _Turn:
    outcome: Outcome = field(default_factory=Outcome)
    quiet_note: str = ""  # said when the turn changed nothing on screen


ANSWERED_QUIETLY = "(Nexus answered without showing anything new)"


def _no_numbers(message_id: int, component: JSON) -> None:
    return None


def _failure_text(what: str, error: AssertionError) -> tuple[str, bool]:
    """What to say about an interaction that went wrong, and whether the bot is to blame."""
    detail = str(error).splitlines()[0] if str(error) else type(error).__name__
    if isinstance(error, EmulatorTimeout):
        return f"The application did not respond to {what} ({detail}).", True
    if "would reject" in detail:
        return f"Discord would refuse Nexus's answer to {what}: {detail}", True
    return f"Could not send {what}: {detail}", False


def _span(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    parts = []
    for size, unit in ((86_400, "day"), (3_600, "hour"), (60, "minute"), (1, "second")):
        if seconds >= size:
            count, seconds = divmod(seconds, size)
            parts.append(f"{count} {unit}{'s' if count != 1 else ''}")
    return " ".join(parts[:2]) or "No time"


def _unquote(text: str) -> str:
    try:
        parts = shlex.split(text)
    except ValueError:
        return text
    return " ".join(parts) if parts else text
