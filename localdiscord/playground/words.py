"""The playground's own words, what a typed line came to, and how a failure is worded.

`as`, `in`, `wait`, `click`, `select`... are answered by the playground itself, not sent to
Nexus; `Turn` is what one typed line came to, and `Outcome` whether Nexus misbehaved in it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from localdiscord.emulator.state import EmulatorTimeout

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
class Turn:
    """What one typed line came to: its outcome, and what to say if nothing new was shown."""

    outcome: Outcome = field(default_factory=Outcome)
    quiet_note: str = ""  # said when the turn changed nothing on screen


ANSWERED_QUIETLY = "(Nexus answered without showing anything new)"


def failure_text(what: str, error: AssertionError) -> tuple[str, bool]:
    """What to say about an interaction that went wrong, and whether the bot is to blame."""
    detail = str(error).splitlines()[0] if str(error) else type(error).__name__
    if isinstance(error, EmulatorTimeout):
        return f"The application did not respond to {what} ({detail}).", True
    if "would reject" in detail:
        return f"Discord would refuse Nexus's answer to {what}: {detail}", True
    return f"Could not send {what}: {detail}", False


def span(delta: timedelta) -> str:
    """A duration in words, its two largest units: `1 day 3 hours`."""
    seconds = int(delta.total_seconds())
    parts = []
    for size, unit in ((86_400, "day"), (3_600, "hour"), (60, "minute"), (1, "second")):
        if seconds >= size:
            count, seconds = divmod(seconds, size)
            parts.append(f"{count} {unit}{'s' if count != 1 else ''}")
    return " ".join(parts[:2]) or "No time"
