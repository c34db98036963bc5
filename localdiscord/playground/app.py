"""`python -m bot playground`: the prompt (prompt_toolkit), the script runner, the options."""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import sys
import threading
import traceback
from collections.abc import AsyncGenerator, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, cast

from prompt_toolkit import PromptSession
from prompt_toolkit.completion import CompleteEvent, Completer, Completion
from prompt_toolkit.document import Document
from prompt_toolkit.formatted_text import FormattedText
from prompt_toolkit.history import FileHistory, InMemoryHistory
from prompt_toolkit.patch_stdout import patch_stdout
from rich.console import Console
from rich.panel import Panel
from rich.text import Text

from bot.client import ContentInvalid
from localdiscord.playground import render
from localdiscord.playground.cli import DEFAULT_DATABASE
from localdiscord.playground.forms import ModalForm
from localdiscord.playground.script import ScriptError, read_script, run_steps
from localdiscord.playground.session import Playground
from localdiscord.playground.words import WORDS, Quit

PLAIN_WIDTH = 100


# -- output ------------------------------------------------------------------------------------


class TrimmedLines(io.TextIOBase):
    """Writes whole lines without trailing spaces (rich pads lines to the console's width)."""

    def __init__(self, out: IO[str]) -> None:
        self.out = out
        self.pending = ""

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        lines = (self.pending + text).split("\n")
        self.pending = lines.pop()
        for line in lines:
            self.out.write(line.rstrip() + "\n")
        return len(text)

    def flush(self) -> None:
        if self.pending:
            self.out.write(self.pending.rstrip())
            self.pending = ""
        self.out.flush()


def make_console(out: IO[str] | None = None) -> Console:
    """Colours and boxes on a terminal; plain text (no ANSI), 100 columns, anywhere else."""
    stream = out or sys.stdout
    if out is None and stream.isatty():
        return Console(highlight=False, emoji=False)
    return Console(
        file=cast(IO[str], TrimmedLines(stream)),
        force_terminal=False,
        no_color=True,
        highlight=False,
        emoji=False,
        width=PLAIN_WIDTH,
    )


# -- the prompt ------------------------------------------------------------------------------


class PlaygroundCompleter(Completer):
    """Tab: command names, subcommands, options, choices, and the bot's own suggestions."""

    def __init__(self, playground: Playground) -> None:
        self.playground = playground

    def get_completions(
        self, document: Document, complete_event: CompleteEvent
    ) -> Iterable[Completion]:
        return iter(())  # every completion needs the running bot: see get_completions_async

    async def get_completions_async(
        self, document: Document, complete_event: CompleteEvent
    ) -> AsyncGenerator[Completion, None]:
        text = document.text_before_cursor
        if text.startswith("/"):
            for found in await self.playground.suggest(text):
                yield Completion(
                    found.text, -found.replace, display=found.display, display_meta=found.meta
                )
            return
        for completion in self._word_completions(text):
            yield completion

    def _word_completions(self, text: str) -> Iterable[Completion]:
        head, space, tail = text.partition(" ")
        if not space:
            for word, meta in WORDS.items():
                if word.startswith(head.lower()):
                    yield Completion(word + " ", -len(head), display=word, display_meta=meta)
            return
        controls = list(self.playground.controls)
        if head == "click" and " " not in tail:
            for control in controls:
                if not control.is_select and str(control.number).startswith(tail):
                    yield Completion(str(control.number), -len(tail), display_meta=control.label)
        elif head == "select":
            number, _, typed = tail.partition(" ")
            menu = next((c for c in controls if str(c.number) == number), None)
            if menu is None or not menu.is_select:
                return
            for option in menu.component.get("options") or []:
                value, label = str(option["value"]), str(option["label"])
                if typed.lower() in label.lower() or typed.lower() in value.lower():
                    yield Completion(value, -len(typed), display=label)
        elif head in ("as", "/as"):
            for person in self.playground.directory().people:
                if person.key.startswith(tail.lower()):
                    yield Completion(person.key, -len(tail), display_meta=person.display)
        elif head in ("in", "/in"):
            for place in self.playground.directory().channels:
                if f"#{place.name}".startswith(tail.lower()):
                    yield Completion(f"#{place.name}", -len(tail))


class KeyboardForms:
    """Asks a modal's fields one by one; Ctrl-C or Ctrl-D closes the form without sending."""

    def __init__(self, playground: Playground) -> None:
        self.playground = playground
        self.session: PromptSession[str] = PromptSession(history=InMemoryHistory())

    async def fill(self, form: ModalForm) -> dict[str, str] | None:
        hints = "Enter moves on; Esc then Enter ends a multi-line field; Ctrl-C closes the form."
        self.playground.say(Panel(Text(hints, style="dim"), title=f"📝 {form.title}", expand=False))
        values: dict[str, str] = {}
        for field in form.fields:
            if field.placeholder:
                self.playground.say(render.note_view(f"  e.g. {field.placeholder}"))
            hint = field.hint()
            label = f"{field.label}{f' ({hint})' if hint else ''}: "
            while True:
                try:
                    value = await self.session.prompt_async(
                        label,
                        default=values.get(field.custom_id, field.default),
                        multiline=field.paragraph,
                        prompt_continuation=lambda width, line, soft: " " * width,
                    )
                except (KeyboardInterrupt, EOFError):
                    return None
                value = value.strip()
                problem = field.problem(value)
                if problem is None:
                    values[field.custom_id] = value
                    break
                self.playground.say(render.problem_view(problem))
        return values


def banner(playground: Playground, database: Path | None, log_file: Path | None) -> Text:
    fake = playground.fake
    me = playground.me
    channels = " ".join(f"#{name}" for name in fake.channels)
    stored = f"data: {database}" if database else "data: a temporary database (--fresh)"
    logged = f" · bot log: {log_file}" if log_file else ""
    lines = [
        ("Nexus playground", "bold"),
        (f" · the real bot on a local Discord at {fake.http_url} (no account, no token)\n", ""),
        (f"Server “{fake.guild.name}”: {channels}. ", ""),
        (f"You are {me.display} ({playground.role_of(me)}); `as member` to be someone else.\n", ""),
        ("Type / and Tab for commands, `help` for the playground's own; Ctrl-D leaves.\n", ""),
        (f"{stored}{logged}", "dim"),
    ]
    return Text.assemble(*lines)


async def interactive(playground: Playground, history: Path | None) -> int:
    session: PromptSession[str] = PromptSession(
        history=FileHistory(str(history)) if history else InMemoryHistory(),
        completer=PlaygroundCompleter(playground),
        complete_while_typing=True,
    )
    forms = KeyboardForms(playground)
    stop = asyncio.Event()
    for name in playground.shadowed_commands():
        playground.say(
            render.problem_view(f"Nexus has a /{name} command; here `/{name}` is the playground's.")
        )
    with patch_stdout(raw=True):
        watcher = asyncio.create_task(playground.watch(stop), name="playground-watch")
        playground.show_changes(new_turn=True)
        try:
            while True:
                prompt = FormattedText(
                    [("bold", playground.me.display), ("", f" #{playground.channel_name} › ")]
                )
                try:
                    line = await session.prompt_async(prompt)
                except (KeyboardInterrupt, EOFError):
                    break
                try:
                    await playground.run_line(line, forms)
                except Quit:
                    break
        finally:
            stop.set()
            await watcher
    return 0


# -- the command line ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Where:
    """Where the playground keeps its things (database None: a temporary one)."""

    content: Path
    database: Path | None
    script: Path | None

    @classmethod
    def of(cls, args: argparse.Namespace) -> Where:
        content = Path(args.content or os.environ.get("CONTENT_DIR") or "content")
        database = None if args.fresh else Path(args.db or DEFAULT_DATABASE)
        return cls(content, database, Path(args.script) if args.script else None)

    @property
    def log_file(self) -> Path | None:
        return self.database.with_suffix(".log") if self.database else None

    @property
    def history(self) -> Path | None:
        return self.database.with_suffix(".history") if self.database else None


async def _run(where: Where, console: Console) -> int:
    steps = None
    files_from: tuple[Path, ...] = (Path(),)
    if where.script is not None:
        steps = read_script(where.script.read_text(encoding="utf-8"))
        files_from = (Path(), where.script.parent)
    async with Playground(
        console,
        database=where.database,
        content_dir=where.content,
        log_file=where.log_file,
        files_from=files_from,
    ) as playground:
        try:
            if steps is not None:
                return await run_steps(playground, steps)
            console.print(banner(playground, where.database, where.log_file))
            return await interactive(playground, where.history)
        except asyncio.CancelledError:  # Ctrl-C: closing down gets a few seconds, no more
            leave_soon(LEAVE_GRACE, console)
            raise


LEAVE_GRACE = 8.0  # seconds the playground may take to close after a Ctrl-C


def leave_soon(grace: float, console: Console | None = None) -> threading.Timer:
    """Make sure the process ends within `grace` seconds, whatever the clean-up waits for.

    Closing normally (the bot, the local Discord, the database) takes well under a second; this
    is the bound for when something in there hangs, so a Ctrl-C always gives the terminal back.
    """

    def leave() -> None:
        if console is not None:
            console.print(render.note_view("Interrupted; the playground is closed."))
            console.file.flush()
        sys.stdout.flush()
        os._exit(130)

    timer = threading.Timer(grace, leave)
    timer.daemon = True
    timer.start()
    return timer


def _fail(message: str, status: int) -> int:
    print(f"nexus playground: {message}", file=sys.stderr)
    return status


def _keep_traceback(where: Where, error: BaseException) -> str:
    """Append the traceback to the playground's log; a pointer to it for the message."""
    if where.log_file is None:
        return ""
    where.log_file.parent.mkdir(parents=True, exist_ok=True)
    with where.log_file.open("a", encoding="utf-8") as log:
        log.write("".join(traceback.format_exception(error)))
    return f" (details in {where.log_file})"


def run(args: argparse.Namespace, out: IO[str] | None = None) -> int:
    """Start the playground (interactive, or `--script`); the process exit status."""
    where = Where.of(args)
    if not where.content.is_dir():
        return _fail(
            f"no content folder at {where.content}: run from the repository root or pass --content",
            2,
        )
    if where.script is not None and not where.script.is_file():
        return _fail(f"no script at {where.script}", 2)
    if args.fresh and args.db:
        return _fail("--fresh and --db exclude each other", 2)
    console = make_console(out)
    try:
        status = asyncio.run(_run(where, console))
    except KeyboardInterrupt:
        console.print(render.note_view("Interrupted; the playground is closed."))
        status = 130
    except ScriptError as error:
        return _fail(f"{where.script}: {error}", 2)
    except ContentInvalid as error:
        for problem in error.problems:
            print(problem, file=sys.stderr)
        return _fail(f"content has {len(error.problems)} problem(s); fix them first", 1)
    except Exception as error:  # one clear line, never a traceback on the terminal
        kept = _keep_traceback(where, error)
        return _fail(f"stopped by an unexpected error: {type(error).__name__}: {error}{kept}", 1)
    finally:
        console.file.flush()
    return status
