"""Who and where: the demo server's members, channels and roles, and the files to attach.

A `Directory` finds what a typed name, mention or id refers to, for converting option values
and for completing them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path


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
