"""Typed lines -> slash-command invocations, read from the command payloads the bot registered.

Pure: no Discord, no emulator. The playground asks Discord's questions here before sending
anything (is there such a command, is every required option given, is `3x` a whole number?),
so bad input gets the clear message the Discord client would show instead of an interaction.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from enum import IntEnum
from pathlib import Path
from typing import Any

JSON = dict[str, Any]

# `word:` where a word could be an option name (Discord: lowercase letters, digits, - and _).
OPTION_TOKEN = re.compile(r"(?<!\S)([A-Za-z_][\w-]{0,31}):(?!//)")
DURATION_PART = re.compile(r"(\d+)\s*(d|h|m|s)", re.IGNORECASE)
CLOSE_ENOUGH = 0.66  # how alike a typed `word:` and an option name must be to be a typo of it


class OptionType(IntEnum):
    SUB_COMMAND = 1
    SUB_COMMAND_GROUP = 2
    STRING = 3
    INTEGER = 4
    BOOLEAN = 5
    USER = 6
    CHANNEL = 7
    ROLE = 8
    MENTIONABLE = 9
    NUMBER = 10
    ATTACHMENT = 11


KIND_WORDS = {
    OptionType.STRING: "text",
    OptionType.INTEGER: "whole number",
    OptionType.BOOLEAN: "True or False",
    OptionType.USER: "member",
    OptionType.CHANNEL: "channel",
    OptionType.ROLE: "role",
    OptionType.MENTIONABLE: "member or role",
    OptionType.NUMBER: "number",
    OptionType.ATTACHMENT: "file",
}
TRUE_WORDS = frozenset({"true", "yes", "y", "on", "1"})
FALSE_WORDS = frozenset({"false", "no", "n", "off", "0"})
TEXT_CHANNEL_TYPES = frozenset({0, 5})


class InputProblem(Exception):
    """Input that Discord would not send; `message` says what is wrong, in the user's words."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# -- the registered commands -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Choice:
    name: str
    value: str | int | float


@dataclass(frozen=True, slots=True)
class OptionSpec:
    name: str
    type: OptionType
    description: str = ""
    required: bool = False
    autocomplete: bool = False
    choices: tuple[Choice, ...] = ()
    min_length: int | None = None
    max_length: int | None = None
    min_value: float | None = None
    max_value: float | None = None
    channel_types: tuple[int, ...] = ()

    @classmethod
    def of(cls, payload: Mapping[str, Any]) -> OptionSpec:
        return cls(
            name=str(payload["name"]),
            type=OptionType(int(payload["type"])),
            description=str(payload.get("description") or ""),
            required=bool(payload.get("required")),
            autocomplete=bool(payload.get("autocomplete")),
            choices=tuple(Choice(str(c["name"]), c["value"]) for c in payload.get("choices") or []),
            min_length=payload.get("min_length"),
            max_length=payload.get("max_length"),
            min_value=payload.get("min_value"),
            max_value=payload.get("max_value"),
            channel_types=tuple(int(t) for t in payload.get("channel_types") or []),
        )

    @property
    def kind(self) -> str:
        return "choice" if self.choices else KIND_WORDS.get(self.type, "value")

    def usage(self) -> str:
        text = f"{self.name}:<{self.kind}>"
        return text if self.required else f"[{text}]"


@dataclass(frozen=True, slots=True)
class CommandSpec:
    """One invocable slash command: a top-level command, a subcommand or a grouped one."""

    path: tuple[str, ...]
    description: str
    options: tuple[OptionSpec, ...]

    @property
    def name(self) -> str:
        return " ".join(self.path)

    def option(self, name: str) -> OptionSpec | None:
        return next((o for o in self.options if o.name == name), None)

    def positional_target(self, given: Iterable[str]) -> OptionSpec | None:
        """Where bare text after the command goes: the first required option still missing,
        else the first option still missing.
        """
        taken = set(given)
        free = [o for o in self.options if o.name not in taken]
        return next((o for o in free if o.required), free[0] if free else None)

    def usage(self) -> str:
        return " ".join([f"/{self.name}", *(o.usage() for o in self.options)])


@dataclass
class _Node:
    name: str
    description: str
    children: dict[str, _Node] = field(default_factory=dict)
    command: CommandSpec | None = None


class CommandTree:
    """The chat-input commands of a set of registered payloads (guild + global)."""

    def __init__(self, payloads: Sequence[Mapping[str, Any]]) -> None:
        self.roots: dict[str, _Node] = {}
        for payload in payloads:
            if int(payload.get("type", 1)) != 1 or payload["name"] in self.roots:
                continue  # context menus are not typed; a guild command shadows a global one
            self.roots[payload["name"]] = self._node(payload, ())

    def _node(self, payload: Mapping[str, Any], parent: tuple[str, ...]) -> _Node:
        path = (*parent, str(payload["name"]))
        node = _Node(path[-1], str(payload.get("description") or ""))
        options = list(payload.get("options") or [])
        subs = [o for o in options if int(o["type"]) in (1, 2)]
        if subs:
            for sub in subs:
                node.children[sub["name"]] = self._node(sub, path)
        else:
            node.command = CommandSpec(
                path, node.description, tuple(OptionSpec.of(o) for o in options)
            )
        return node

    def __contains__(self, name: str) -> bool:
        return name in self.roots

    def names(self) -> list[str]:
        return sorted(self.roots)

    def commands(self) -> list[CommandSpec]:
        found: list[CommandSpec] = []

        def walk(node: _Node) -> None:
            if node.command is not None:
                found.append(node.command)
            for child in node.children.values():
                walk(child)

        for root in self.roots.values():
            walk(root)
        return sorted(found, key=lambda c: c.path)

    def children(self, path: Sequence[str]) -> list[tuple[str, str]]:
        """(name, description) of what may follow `path` ([] for the top level)."""
        if not path:
            return [(n.name, n.description) for n in sorted(self.roots.values(), key=_by_name)]
        node = self.node_at(path)
        if node is None:
            return []
        return [(n.name, n.description) for n in node.children.values()]

    def node_at(self, path: Sequence[str]) -> _Node | None:
        node = self.roots.get(path[0])
        for word in path[1:]:
            if node is None:
                return None
            node = node.children.get(word)
        return node

    def resolve(self, words: Sequence[str]) -> tuple[CommandSpec, int]:
        """The command the leading `words` name and how many words it took."""
        if not words or not words[0]:
            raise InputProblem("Type a command after the `/`, e.g. `/help`.")
        first = words[0].lower()
        node = self.roots.get(first)
        if node is None:
            hint = did_you_mean(first, self.roots, template="`/{}`")
            raise InputProblem(
                f"`/{first}` is not a command here.{hint} "
                "Type `/` and press Tab to see every command, or `commands` to list them."
            )
        taken = 1
        while node.command is None:
            path = " ".join(words[:taken]).lower()
            subs = list(node.children)
            if taken >= len(words):
                raise InputProblem(
                    f"`/{path}` needs a subcommand: {', '.join(subs)}. E.g. `/{path} {subs[0]}`."
                )
            word = words[taken].lower()
            child = node.children.get(word)
            if child is None:
                hint = did_you_mean(word, subs)
                raise InputProblem(
                    f"`/{path}` has no subcommand `{word}`.{hint} Its subcommands: "
                    f"{', '.join(subs)}."
                )
            node, taken = child, taken + 1
        return node.command, taken


def _by_name(node: _Node) -> str:
    return node.name


def did_you_mean(word: str, candidates: Iterable[str], *, template: str = "`{}`") -> str:
    close = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.6)
    return f" Did you mean {template.format(close[0])}?" if close else ""


# -- who and where: the names a value may refer to --------------------------------------------


@dataclass(frozen=True, slots=True)
class Person:
    key: str  # the emulator's key: admin, member, ...
    username: str
    display: str
    id: int


@dataclass(frozen=True, slots=True)
class Place:
    name: str
    id: int
    type: int = 0


@dataclass(frozen=True, slots=True)
class Directory:
    """The demo server's members, channels and roles, for converting and completing values."""

    people: tuple[Person, ...] = ()
    channels: tuple[Place, ...] = ()
    roles: tuple[Place, ...] = ()
    files_from: tuple[Path, ...] = (Path(),)

    def person(self, text: str) -> Person | None:
        wanted = _mention_id(text, "@") or text.strip().lstrip("@").lower()
        for person in self.people:
            if wanted in (str(person.id), person.key, person.username.lower()):
                return person
        for person in self.people:
            if wanted == person.display.lower():
                return person
        return None

    def channel(self, text: str) -> Place | None:
        wanted = _mention_id(text, "#") or text.strip().lstrip("#").lower()
        return next((c for c in self.channels if wanted in (c.name, str(c.id))), None)

    def role(self, text: str) -> Place | None:
        wanted = _mention_id(text, "@&") or text.strip().lstrip("@").lower()
        return next((r for r in self.roles if wanted in (r.name.lower(), str(r.id))), None)

    def file(self, text: str) -> Path | None:
        raw = Path(text.strip()).expanduser()
        candidates = [raw] if raw.is_absolute() else [base / raw for base in self.files_from]
        return next((p for p in candidates if p.is_file()), None)

    def people_list(self) -> str:
        return ", ".join(f"@{p.username} ({p.display})" for p in self.people)

    def channel_list(self) -> str:
        return ", ".join(f"#{c.name}" for c in self.channels)

    def role_list(self) -> str:
        return ", ".join(f"@{r.name}" for r in self.roles)


def _mention_id(text: str, sigil: str) -> str | None:
    match = re.fullmatch(rf"<{re.escape(sigil)}!?(\d+)>", text.strip())
    return match.group(1) if match else None


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
        return _person(option, text, directory).username
    if kind is OptionType.ROLE:
        return _role(option, text, directory).name
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
        channel = directory.channel(text)
        if channel is None:
            hint = did_you_mean(text.lstrip("#").lower(), [c.name for c in directory.channels])
            raise InputProblem(
                f"{name} takes a channel; there is no `{text}` here.{hint} "
                f"Channels: {directory.channel_list()}."
            )
        allowed = option.channel_types
        if allowed and channel.type not in allowed:
            raise InputProblem(f"{name} does not accept #{channel.name} (wrong kind of channel).")
        return channel.name
    if kind is OptionType.ATTACHMENT:
        path = directory.file(text)
        if path is None:
            raise InputProblem(f"{name} takes a file to attach; there is no file `{text}`.")
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


def _person(option: OptionSpec, text: str, directory: Directory) -> Person:
    person = directory.person(text)
    if person is None:
        raise InputProblem(
            f"`{option.name}:` takes a member; nobody here is called `{text}`. "
            f"Members: {directory.people_list()}."
        )
    return person


def _role(option: OptionSpec, text: str, directory: Directory) -> Place:
    role = directory.role(text)
    if role is None:
        raise InputProblem(
            f"`{option.name}:` takes a role; there is no role `{text}`. "
            f"Roles: {directory.role_list()}."
        )
    return role


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
