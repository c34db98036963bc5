"""Buttons and menus of the replies shown: numbered as shown, picked by number or label.

Each reply with controls is shown with [1], [2]... on its buttons and menus; `click 2`,
`click Next` or `select 1 caching` name one of them. A select menu's typed values become what
the Discord client would send: an option's value, or a member, role or channel name.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from localdiscord.emulator.state import JSON
from localdiscord.playground.command_tree import InputProblem
from localdiscord.playground.directory import Directory
from localdiscord.playground.render import Control


class Controls:
    """The controls of the replies shown in the last turn that showed any, by number."""

    def __init__(self) -> None:
        self.shown: dict[int, Control] = {}
        self._numbering = False

    def __iter__(self) -> Iterator[Control]:
        return iter(self.shown.values())

    def new_turn(self) -> None:
        """The next reply with controls numbers them from [1] again."""
        self._numbering = False

    def numberer(self) -> Callable[[int, JSON], int]:
        """Numbers the controls of a reply, after those of the replies shown before it."""
        if not self._numbering:
            self.shown = {}
            self._numbering = True

        def number(message_id: int, component: JSON) -> int:
            index = len(self.shown) + 1
            self.shown[index] = Control(index, message_id, component)
            return index

        return number

    def pick(self, ref: str, *, select: bool) -> Control:
        """The button (or, with `select`, the menu) `ref` names by number or label."""
        verb = "select" if select else "click"
        if not self.shown:
            raise InputProblem("There is nothing to press: no reply shown has buttons or menus.")
        ref = ref.strip()
        if not ref:
            raise InputProblem(f"Say which one: `{verb} 1` ({self.listing()}).")
        control = None
        if ref.isdigit():
            control = self.shown.get(int(ref))
        else:
            wanted = ref.lower()
            matches = [c for c in self if wanted in c.label.lower()]
            exact = [c for c in matches if c.label.lower().endswith(wanted)]
            found = exact or matches
            control = found[0] if len(found) == 1 else None
            if len(found) > 1:
                raise InputProblem(f"`{ref}` matches several: {self.listing(found)}.")
        if control is None:
            raise InputProblem(f"There is no `{ref}` to {verb}; there are {self.listing()}.")
        if select and not control.is_select:
            raise InputProblem(
                f"[{control.number}] {control.label} is a button: `click {control.number}`."
            )
        if not select and control.is_select:
            raise InputProblem(
                f"[{control.number}] {control.label} is a menu: `select {control.number} VALUE`."
            )
        return control

    def listing(self, controls: Sequence[Control] | None = None) -> str:
        shown = controls if controls is not None else list(self)
        return ", ".join(f"[{c.number}] {c.label}" for c in shown)


def no_numbers(message_id: int, component: JSON) -> None:
    """The numberer of a reply without controls."""


def select_values(control: Control, picked: str, directory: Directory) -> list[Any]:
    """The values to send for `picked` (comma-separated when the menu takes several)."""
    picked = picked.strip()
    if not picked:
        raise InputProblem(f"Say what to pick: `select {control.number} VALUE`.")
    most = int(control.component.get("max_values", 1))
    wanted = [p.strip() for p in picked.split(",")] if most > 1 else [picked]
    return [_select_value(control.component, item, directory) for item in wanted]


def _select_value(component: JSON, item: str, directory: Directory) -> Any:
    ctype = int(component.get("type", 3))
    item = _unquote(item)
    if ctype == 3:
        options = component.get("options") or []
        for option in options:
            if item.lower() in (str(option["value"]).lower(), str(option["label"]).lower()):
                return option["value"]
        listed = " · ".join(str(o["label"]) for o in options)
        raise InputProblem(f"The menu has no option `{item}`. Options: {listed}.")
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


def _unquote(text: str) -> str:
    try:
        parts = shlex.split(text)
    except ValueError:
        return text
    return " ".join(parts) if parts else text
