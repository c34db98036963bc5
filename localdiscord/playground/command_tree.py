"""The slash commands the bot registered, as a tree that typed words are resolved against.

Read from the command payloads only (no Discord, no emulator): `CommandTree.resolve` answers
"is there such a command?" with the message the Discord client would give, as an `InputProblem`.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any


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
class Node:
    name: str
    description: str
    children: dict[str, Node] = field(default_factory=dict)
    command: CommandSpec | None = None


class CommandTree:
    """The chat-input commands of a set of registered payloads (guild + global)."""

    def __init__(self, payloads: Sequence[Mapping[str, Any]]) -> None:
        self.roots: dict[str, Node] = {}
        for payload in payloads:
            if int(payload.get("type", 1)) != 1 or payload["name"] in self.roots:
                continue  # context menus are not typed; a guild command shadows a global one
            self.roots[payload["name"]] = self._node(payload, ())

    def _node(self, payload: Mapping[str, Any], parent: tuple[str, ...]) -> Node:
        path = (*parent, str(payload["name"]))
        node = Node(path[-1], str(payload.get("description") or ""))
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

        def walk(node: Node) -> None:
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

    def node_at(self, path: Sequence[str]) -> Node | None:
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


def _by_name(node: Node) -> str:
    return node.name


def did_you_mean(word: str, candidates: Iterable[str], *, template: str = "`{}`") -> str:
    close = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.6)
    return f" Did you mean {template.format(close[0])}?" if close else ""
