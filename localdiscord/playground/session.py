"""One playground: the real Nexus against the local Discord emulator, driven by typed lines.

A `Playground` is a `Stage` (the emulator and the bot) plus who you are, where you are, and
what has been shown: each typed line is a slash command sent as an interaction, or one of the
playground's own words (`words`), and what Nexus did is shown after it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any, Unpack

from rich.console import Console, RenderableType
from rich.table import Table
from rich.text import Text

from localdiscord.emulator import InteractionResult, Upload
from localdiscord.emulator.message_limits import walk_components
from localdiscord.emulator.state import JSON
from localdiscord.playground import render
from localdiscord.playground.clock import caught_up, next_due, wake_all
from localdiscord.playground.command_tree import InputProblem
from localdiscord.playground.controls import Controls, no_numbers, select_values
from localdiscord.playground.directory import Person
from localdiscord.playground.feed import Feed, dm_names
from localdiscord.playground.forms import FormSource, ModalForm
from localdiscord.playground.parse import (
    FileValue,
    convert_all,
    parse_duration,
    parse_invocation,
    split_command,
)
from localdiscord.playground.stage import Stage, StageOptions
from localdiscord.playground.suggest import Suggestion, suggestions
from localdiscord.playground.words import (
    ANSWERED_QUIETLY,
    HELP,
    ROLE_WORDS,
    SLASH_WORDS,
    WORDS,
    Outcome,
    Quit,
    Turn,
    failure_text,
    span,
)

log = logging.getLogger(__name__)

WAIT_LIMIT = 10.0


class Playground(Stage):
    """The emulator, the bot, who you are and where, and what has been shown so far."""

    def __init__(self, console: Console, **options: Unpack[StageOptions]) -> None:
        super().__init__(**options)
        self.console = console
        self.user_key = "admin"
        self.channel_name = "general"
        self.controls = Controls()
        self._errors_reported = 0
        self._feed: Feed | None = None
        self._turn_lock = asyncio.Lock()

    @property
    def feed(self) -> Feed:
        assert self._feed is not None, "the playground is not started"
        return self._feed

    async def _start(self) -> None:
        await super()._start()
        self._feed = Feed(self.fake)

    def _check_alive(self) -> None:
        """Leave, saying why, when the bot has stopped (everything typed would go unanswered)."""
        stopped = self.stopped_why()
        if stopped is not None:
            self.say(render.problem_view(stopped))
            raise Quit

    # -- who and where -----------------------------------------------------------------------

    @property
    def me(self) -> Person:
        person = self.directory().person(self.user_key)
        assert person is not None
        return person

    @property
    def channel_id(self) -> int:
        return self.fake.channel(self.channel_name).id

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

    def show_changes(self, *, new_turn: bool) -> int:
        """Render what changed in the world since the last time; the number of changes."""
        changes = self.feed.changes()
        if new_turn:
            self.controls.new_turn()
        directory = self.directory()
        names = dm_names(self.fake)
        for kind, message in changes:
            if kind == "deleted":
                self.say(render.deleted_view(message, directory))
                continue
            has_controls = any(
                c.get("custom_id") for c in walk_components(message.get("components") or [])
            )
            numberer = self.controls.numberer() if has_controls else no_numbers
            self.say(
                render.message_view(
                    message,
                    directory,
                    numberer,
                    current_channel_id=self.channel_id,
                    edited=kind == "edited",
                    dm_names=names,
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

    async def _dispatch(self, text: str, forms: FormSource) -> Turn:
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
        return Turn()

    async def _word(self, word: str, rest: str, forms: FormSource) -> Turn:
        handlers: dict[str, Callable[[str, FormSource], Awaitable[Turn]]] = {
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
            return Turn()

    # -- slash commands --------------------------------------------------------------------

    async def _slash(self, text: str, forms: FormSource) -> Turn:
        try:
            invocation = parse_invocation(text, self.tree())
            values = convert_all(invocation, self.directory())
        except InputProblem as problem:
            self.say(render.problem_view(problem.message))
            return Turn()
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
    ) -> Turn:
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
                    return Turn()
                result = await result.submit_modal(values)
        except AssertionError as error:  # the emulator's words for what Discord would not do
            text, the_bots_fault = failure_text(what, error)
            self.say(render.problem_view(text))
            return Turn(Outcome(failed=the_bots_fault))
        if result.errors:  # it answered, but some request of it Discord would have refused
            self.say(
                render.problem_view(f"Discord would refuse what Nexus sent: {result.errors[0]}")
            )
            return Turn(Outcome(failed=True))
        return Turn(quiet_note=ANSWERED_QUIETLY)

    # -- components --------------------------------------------------------------------------

    async def _click(self, rest: str, forms: FormSource) -> Turn:
        control = self.controls.pick(rest, select=False)
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

    async def _select(self, rest: str, forms: FormSource) -> Turn:
        number, _, picked = rest.strip().partition(" ")
        control = self.controls.pick(number, select=True)
        values = select_values(control, picked, self.directory())
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

    # -- playground words ------------------------------------------------------------------

    async def _become(self, rest: str, forms: FormSource) -> Turn:
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
        return Turn()

    async def _move(self, rest: str, forms: FormSource) -> Turn:
        directory = self.directory()
        place = directory.channel(rest) if rest.strip() else None
        if place is None:
            raise InputProblem(f"Go where? Channels: {directory.channel_list()}.")
        self.channel_name = place.name
        self.say(render.note_view(f"You are now in #{place.name}."))
        return Turn()

    async def _wait(self, rest: str, forms: FormSource) -> Turn:
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
        self.say(render.note_view(f"⏩ {span(delta)} later: it is now {moment} in the playground."))
        wake_all(self._warped)
        with contextlib.suppress(AssertionError):  # a scheduler still busy: show what there is
            await self.fake.world.wait_for(
                lambda: caught_up(self._warped, self.clock.now()), "the schedulers", WAIT_LIMIT
            )
        return Turn(quiet_note="(nothing arrived meanwhile)")

    async def _complete(self, rest: str, forms: FormSource) -> Turn:
        found = await self.suggest(rest)
        if not found:
            self.say(render.note_view(f"No suggestions for `{rest}`."))
            return Turn()
        table = Table.grid(padding=(0, 2))
        table.add_column(style="bold")
        table.add_column(style="dim")
        for suggestion in found:
            table.add_row(suggestion.display, suggestion.meta)
        self.say(Text(f"Tab after `{rest}` offers:", style="dim"))
        self.say(table)
        return Turn()

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

    async def _help(self, rest: str, forms: FormSource) -> Turn:
        self.say(Text(HELP))
        return Turn()

    async def _list_commands(self, rest: str, forms: FormSource) -> Turn:
        for command in self.tree().commands():
            self.say(
                Text.assemble((command.usage(), "bold"), (f"\n    {command.description}", "dim"))
            )
        return Turn()

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
