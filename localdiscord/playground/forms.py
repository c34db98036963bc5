"""Modals as forms asked field by field, checked the way the Discord client checks them."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from localdiscord.playground.command_tree import InputProblem

PARAGRAPH = 2
KEY_LINE = re.compile(r"^\s*([^:]{1,60}?)\s*:\s?(.*)$")


@dataclass(frozen=True, slots=True)
class FormField:
    """One text input of a modal."""

    custom_id: str
    label: str
    paragraph: bool = False
    required: bool = True
    min_length: int | None = None
    max_length: int | None = None
    placeholder: str = ""
    default: str = ""
    description: str = ""

    @property
    def short_label(self) -> str:
        """The label up to its first `:` or `(`: what a script names the field by."""
        return re.split(r"[:(]", self.label, maxsplit=1)[0].strip() or self.label

    def names(self) -> set[str]:
        tail = self.custom_id.rsplit(":", 1)[-1]
        return {k.lower() for k in (self.custom_id, tail, self.label, self.short_label) if k}

    def problem(self, value: str) -> str | None:
        """What the Discord client would say about `value` (None: it would submit it)."""
        if not value:
            return f"{self.short_label} is required." if self.required else None
        lo, hi = self.min_length, self.max_length
        if lo is not None and len(value) < lo:
            return f"{self.short_label} must be at least {lo} characters long."
        if hi is not None and len(value) > hi:
            return f"{self.short_label} must be {hi} characters or fewer (it has {len(value)})."
        return None

    def hint(self) -> str:
        bits = []
        if not self.required and "optional" not in self.label.lower():
            bits.append("optional")
        if self.max_length is not None:
            bits.append(f"up to {self.max_length} characters")
        return ", ".join(bits)


@dataclass(frozen=True, slots=True)
class ModalForm:
    custom_id: str
    title: str
    fields: tuple[FormField, ...]

    @classmethod
    def of(cls, modal: Mapping[str, Any]) -> ModalForm:
        fields: list[FormField] = []
        for row in modal.get("components") or []:
            if int(row.get("type", 0)) == 18 and isinstance(row.get("component"), dict):
                inner = [row["component"]]  # a Label wrapping its input
                label, description = str(row.get("label") or ""), str(row.get("description") or "")
            else:
                inner = list(row.get("components") or [])
                label, description = "", ""
            for component in inner:
                if int(component.get("type", 0)) != 4:
                    continue
                fields.append(
                    FormField(
                        custom_id=str(component["custom_id"]),
                        label=label or str(component.get("label") or component["custom_id"]),
                        paragraph=int(component.get("style", 1)) == PARAGRAPH,
                        required=bool(component.get("required", True)),
                        min_length=component.get("min_length"),
                        max_length=component.get("max_length"),
                        placeholder=str(component.get("placeholder") or ""),
                        default=str(component.get("value") or ""),
                        description=description,
                    )
                )
        return cls(str(modal.get("custom_id", "")), str(modal.get("title", "")), tuple(fields))

    def field_for(self, key: str) -> FormField:
        wanted = key.strip().lower()
        for field in self.fields:
            if wanted in field.names():
                return field
        names = ", ".join(f"`{f.short_label.lower()}:`" for f in self.fields)
        raise InputProblem(f"The form “{self.title}” has no field `{key}`. Its fields: {names}.")

    def values_from_lines(self, lines: Sequence[str]) -> dict[str, str]:
        r"""`title: ...` lines (`\n` for a new line) -> {custom_id: value}, checked."""
        given: dict[str, str] = {}
        for line in lines:
            match = KEY_LINE.match(line)
            if match is None:
                raise InputProblem(
                    f"`{line.strip()}`: write form lines as `field: value`, e.g. "
                    f"`{self.fields[0].short_label.lower() if self.fields else 'title'}: ...`."
                )
            field = self.field_for(match.group(1))
            if field.custom_id in given:
                raise InputProblem(f"{field.short_label} is filled in twice.")
            given[field.custom_id] = match.group(2).replace("\\n", "\n").strip()
        return self.complete(given)

    def complete(self, given: Mapping[str, str]) -> dict[str, str]:
        """Every field's value (defaults for those not given), or the first problem."""
        values: dict[str, str] = {}
        for field in self.fields:
            value = given.get(field.custom_id, field.default)
            problem = field.problem(value)
            if problem is not None:
                raise InputProblem(problem)
            values[field.custom_id] = value
        return values


class FormSource(Protocol):
    """Where a modal's answers come from: the keyboard, or the lines of a script."""

    async def fill(self, form: ModalForm) -> dict[str, str] | None:
        """{custom_id: value} to submit, or None when the user closed the form."""
        ...
