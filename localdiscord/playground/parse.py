"""Typed lines -> slash-command invocations, read from the command payloads the bot registered.

Pure: no Discord, no emulator. The playground asks Discord's questions here before sending
anything (is there such a command, is every required option given, is `3x` a whole number?),
so bad input gets the clear message the Discord client would show instead of an interaction.
The commands are read in `command_tree`; the names a value may refer to in `directory`.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar

from localdiscord.playground.command_tree import (
    CommandSpec,
    CommandTree,
    InputProblem,
    OptionSpec,
    OptionType,
    did_you_mean,
)
from localdiscord.playground.directory import Directory

T = TypeVar("T")

# `word:` where a word could be an option name (Discord: lowercase letters, digits, - and _).
OPTION_TOKEN = re.compile(r"(?<!\S)([A-Za-z_][\w-]{0,31}):(?!//)")
DURATION_PART = re.compile(r"(\d+)\s*(d|h|m|s)", re.IGNORECASE)
CLOSE_ENOUGH = 0.66  # how alike a typed `word:` and an option name must be to be a typo of it
TRUE_WORDS = frozenset({"true", "yes", "y", "on", "1"})
FALSE_WORDS = frozenset({"false", "no", "n", "off", "0"})


# -- parsing a typed command ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Invocation:
    command: CommandSpec
    raw: dict[str, str]  # option name -> the text typed for it, in typed order


def split_command(line: str) -> list[str]:
    return line.strip().removeprefix("/").split()


def _strip_quotes(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1]
    return value


def _option_tokens(text: str, command: CommandSpec) -> list[re.Match[str]]:
    """The `name:` tokens in `text` that name (or clearly try to name) an option."""
    names = [o.name for o in command.options]
    found = []
    for match in OPTION_TOKEN.finditer(text):
        word = match.group(1).lower()
        if word in names:
            found.append(match)
            continue
        at_start = not text[: match.start()].strip()
        typo = difflib.get_close_matches(word, names, n=1, cutoff=CLOSE_ENOUGH)
        if (at_start and command.options) or typo:
            hint = f" Did you mean `{typo[0]}:`?" if typo else ""
            listed = ", ".join(f"`{n}:`" for n in names)
            raise InputProblem(
                f"`/{command.name}` has no option `{word}`.{hint} Options: {listed}."
            )
    return found


def split_options(text: str, command: CommandSpec) -> tuple[str, dict[str, str]]:
    """Bare leading text, and the typed `name:value` pairs (values run to the next option)."""
    tokens = _option_tokens(text, command)
    leading = text[: tokens[0].start()] if tokens else text
    given: dict[str, str] = {}
    for index, match in enumerate(tokens):
        end = tokens[index + 1].start() if index + 1 < len(tokens) else len(text)
        name = match.group(1).lower()
        if name in given:
            raise InputProblem(f"`{name}:` is given twice; give each option once.")
        given[name] = text[match.end() : end]
    return leading.strip(), given


def parse_invocation(line: str, tree: CommandTree) -> Invocation:
    """`/qa search query:celery retries` -> the command and the raw text of each option."""
    words = split_command(line)
    command, taken = tree.resolve(words)
    rest = line.strip().removeprefix("/").lstrip()
    for _ in range(taken):  # drop the command words, keep the spacing of the values
        rest = rest.split(None, 1)[1] if len(rest.split(None, 1)) > 1 else ""
    leading, given = split_options(rest, command)
    raw: dict[str, str] = {}
    if leading:
        target = command.positional_target(given)
        if target is None:
            raise InputProblem(
                f"`/{command.name}` takes no more options, so `{leading}` has nowhere to go. "
                f"Usage: `{command.usage()}`"
            )
        raw[target.name] = leading
    raw.update(given)
    raw = {k: _strip_quotes(v) for k, v in raw.items() if _strip_quotes(v)}
    missing = [o for o in command.options if o.required and o.name not in raw]
    if missing:
        needed = ", ".join(f"`{o.name}:`" for o in missing)
        what = missing[0].description or missing[0].kind
        raise InputProblem(f"`/{command.name}` needs {needed} ({what}). Usage: `{command.usage()}`")
    return Invocation(command, raw)


@dataclass(frozen=True, slots=True)
class FileValue:
    """An attachment option: a local file the playground uploads to the emulator."""

    path: Path


def convert(option: OptionSpec, raw: str, directory: Directory) -> Any:
    """The value to send for `option` typed as `raw`, checked as the Discord client checks it."""
    name = f"`{option.name}:`"
    text = raw.strip()
    if option.choices and not option.autocomplete:
        return _choice(option, text)
    kind = option.type
    if kind is OptionType.STRING:
        lo, hi = option.min_length, option.max_length
        if lo is not None and len(text) < lo:
            raise InputProblem(f"{name} must be at least {lo} characters long.")
        if hi is not None and len(text) > hi:
            raise InputProblem(f"{name} must be {hi} characters or fewer (it has {len(text)}).")
        return text
    if kind in (OptionType.INTEGER, OptionType.NUMBER):
        return _number(option, text)
    if kind is OptionType.BOOLEAN:
        lowered = text.lower()
        if lowered in TRUE_WORDS:
            return True
        if lowered in FALSE_WORDS:
            return False
        raise InputProblem(f"{name} takes True or False, not `{text}`.")
    if kind is OptionType.USER:
        return _found(
            directory.person(text),
            f"{name} takes a member; nobody here is called `{text}`. "
            f"Members: {directory.people_list()}.",
        ).username
    if kind is OptionType.ROLE:
        return _found(
            directory.role(text),
            f"{name} takes a role; there is no role `{text}`. Roles: {directory.role_list()}.",
        ).name
    if kind is OptionType.MENTIONABLE:
        role = directory.role(text)  # `@Admin` is the role, even though Alan is `admin`
        if role is not None:
            return role.name
        person = directory.person(text)
        if person is not None:
            return person.username
        raise InputProblem(
            f"{name} takes a member or a role; `{text}` is neither. "
            f"Members: {directory.people_list()}. Roles: {directory.role_list()}."
        )
    if kind is OptionType.CHANNEL:
        hint = did_you_mean(text.lstrip("#").lower(), [c.name for c in directory.channels])
        channel = _found(
            directory.channel(text),
            f"{name} takes a channel; there is no `{text}` here.{hint} "
            f"Channels: {directory.channel_list()}.",
        )
        allowed = option.channel_types
        if allowed and channel.type not in allowed:
            raise InputProblem(f"{name} does not accept #{channel.name} (wrong kind of channel).")
        return channel.name
    if kind is OptionType.ATTACHMENT:
        path = _found(
            directory.file(text), f"{name} takes a file to attach; there is no file `{text}`."
        )
        return FileValue(path)
    raise InputProblem(f"{name}: the playground cannot type options of type {int(kind)} yet.")


def _choice(option: OptionSpec, text: str) -> str | int | float:
    lowered = text.lower()
    for choice in option.choices:
        if lowered in (choice.name.lower(), str(choice.value).lower()):
            return choice.value
    listed = ", ".join(c.name for c in option.choices)
    hint = did_you_mean(lowered, [c.name.lower() for c in option.choices])
    raise InputProblem(f"`{option.name}:` is one of: {listed}; `{text}` is not.{hint}")


def _number(option: OptionSpec, text: str) -> int | float:
    name = f"`{option.name}:`"
    value: int | float
    try:
        value = int(text) if option.type is OptionType.INTEGER else float(text)
    except ValueError:
        raise InputProblem(f"{name} takes a {option.kind}; `{text}` is not one.") from None
    lo, hi = option.min_value, option.max_value
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        if lo is not None and hi is not None:
            raise InputProblem(f"{name} must be between {lo:g} and {hi:g}.")
        bound = f"at least {lo:g}" if lo is not None else f"at most {hi:g}"
        raise InputProblem(f"{name} must be {bound}.")
    return value


def _found(found: T | None, problem: str) -> T:
    """`found`, or the `problem` of there being no such thing."""
    if found is None:
        raise InputProblem(problem)
    return found


def convert_all(invocation: Invocation, directory: Directory) -> dict[str, Any]:
    """Every typed option converted (raises the first problem, as Discord highlights it)."""
    values: dict[str, Any] = {}
    for name, raw in invocation.raw.items():
        option = invocation.command.option(name)
        assert option is not None  # split_options only keeps known names
        values[name] = convert(option, raw, directory)
    return values


# -- a line being typed (for completion) ------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Partial:
    """What the cursor is in: a command word, or an option's value (and which option)."""

    stage: str  # "command", "subcommand" or "options"
    word: str  # the word being typed (command, subcommand or option name fragment)
    path: tuple[str, ...] = ()
    command: CommandSpec | None = None
    focused: OptionSpec | None = None
    value: str = ""  # the focused option's value typed so far
    given: dict[str, str] = field(default_factory=dict)  # the other options typed

    def unused(self) -> list[OptionSpec]:
        if self.command is None:
            return []
        taken = set(self.given) | ({self.focused.name} if self.focused and self.value else set())
        return [o for o in self.command.options if o.name not in taken]


def analyse(text: str, tree: CommandTree) -> Partial | None:
    """Where the cursor is in a line typed so far (None: not a command line)."""
    if not text.startswith("/"):
        return None
    body = text[1:]
    words = body.split(" ")
    if len(words) == 1:
        return Partial("command", words[0])
    path: list[str] = []  # the command words typed completely (a space follows them)
    node_children = tree.children([])
    consumed = 0
    for index, word in enumerate(words[:-1]):
        names = [n for n, _ in node_children]
        if word.lower() not in names:
            break
        path.append(word.lower())
        consumed = index + 1
        node = tree.node_at(path)
        if node is None or node.command is not None:
            break
        node_children = tree.children(path)
    node = tree.node_at(path) if path else None
    if node is None:
        return None
    if node.command is None:
        if consumed == len(words) - 1:
            return Partial("subcommand", words[-1], tuple(path))
        return None
    command = node.command
    rest = " ".join(words[consumed:])
    try:
        tokens = _option_tokens(rest, command)
    except InputProblem:
        tokens = [m for m in OPTION_TOKEN.finditer(rest) if command.option(m.group(1).lower())]
    # The word under the cursor may be the start of an option name (`qu` -> `query:`); once it
    # has a colon it is a value being typed, and option names are no longer offered for it.
    last_word = rest.rsplit(" ", 1)[-1]
    if last_word and OPTION_TOKEN.fullmatch(last_word) is None and ":" in last_word:
        last_word = ""
    given: dict[str, str] = {}
    for index, match in enumerate(tokens[:-1]):
        end = tokens[index + 1].start()
        given[match.group(1).lower()] = _strip_quotes(rest[match.end() : end])
    if tokens:
        last = tokens[-1]
        focused = command.option(last.group(1).lower())
        value = rest[last.end() :]
        leading = rest[: tokens[0].start()].strip()
    else:
        leading = ""
        value = rest.lstrip()
        focused = command.positional_target(given)
    if leading:
        target = command.positional_target([*given, *(t.group(1).lower() for t in tokens)])
        if target is not None:
            given[target.name] = _strip_quotes(leading)
    return Partial(
        "options",
        last_word,
        tuple(path),
        command,
        focused,
        value,
        {k: v for k, v in given.items() if v},
    )


# -- playground words ------------------------------------------------------------------------


def parse_duration(text: str) -> timedelta:
    """`1d`, `2h30m`, `90s` -> a timedelta (positive, at most a year)."""
    cleaned = text.strip().lower().replace(" ", "")
    if not cleaned or DURATION_PART.sub("", cleaned):
        raise InputProblem(f"`{text}` is not a duration; write e.g. `1d`, `3h`, `2h30m` or `next`.")
    units = {"d": "days", "h": "hours", "m": "minutes", "s": "seconds"}
    total = timedelta()
    for amount, unit in DURATION_PART.findall(cleaned):
        total += timedelta(**{units[unit.lower()]: int(amount)})
    if total <= timedelta(0) or total > timedelta(days=366):
        raise InputProblem("Wait between 1 second and a year.")
    return total
