"""How much one member may ask of Nexus at a time: one gate, bot-wide, in front of every slash
command, autocomplete and persistent button or menu.

Each member has two lanes: suggestions (autocompletes: one per keystroke) and actions
(commands, buttons, menus). In a lane a member may have at most `in_flight` interactions
being handled at once, and start `burst` in a row, refilled at `per_second` (a token bucket).
Past either limit an action is answered "slow down", in a message only they see, and a
suggestion with no choices (an autocomplete cannot show a message; the next keystroke asks
again). A flood from one member thus becomes a few cheap refusals instead of a queue that
everyone else waits in.

Not gated: a form's submission (the command or button that opened the form was) and the
buttons of a member's own short-lived prompts (Confirm, Fix and send again), which a click
ends. Writes keep their own cooldowns in the core (asking, answering, notes).
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from bot.errors import NotAllowed

log = logging.getLogger(__name__)

SLOW_DOWN = "Slow down a little"


@dataclass(frozen=True, slots=True)
class Limits:
    """One lane's limits for each member: at most `in_flight` interactions being handled at
    once, and `burst` started in a row, refilled at `per_second`.
    """

    in_flight: int
    burst: int
    per_second: float


# Commands, buttons and menus: a person reads what they asked for before asking again.
ACTIONS = Limits(in_flight=4, burst=20, per_second=5.0)
# Autocompletes: a fast typist sends about eight a second for a few seconds.
SUGGESTIONS = Limits(in_flight=4, burst=40, per_second=10.0)
# Refusals answered at a time: a flood's refusals wait behind everyone else's work instead of
# filling the event loop with hundreds of answers at once.
REFUSALS_AT_ONCE = 1
# Members are forgotten once idle with a full allowance; the table is swept when it has grown
# past this many lanes (and past twice what the last sweep kept).
SWEEP_AT = 1024


class SlowDown(NotAllowed):
    """The member is past a lane's limit; `retry_after` seconds until they may ask again."""

    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after


@dataclass(slots=True)
class _Lane:
    tokens: float
    at: float
    in_flight: int = 0
    logged: bool = False  # this run of refusals is in the log


class MemberGate:
    """Per-member limits for the whole bot (one gate per bot: `Nexus.gate`)."""

    def __init__(
        self,
        *,
        actions: Limits = ACTIONS,
        suggestions: Limits = SUGGESTIONS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.actions, self.suggestions = actions, suggestions
        self._clock = clock
        self._lanes: dict[tuple[int, bool], _Lane] = {}
        self._sweep_at = SWEEP_AT
        self.refusals = asyncio.Semaphore(REFUSALS_AT_ONCE)  # held while a refusal is answered

    def _limits(self, suggestion: bool) -> Limits:
        return self.suggestions if suggestion else self.actions

    def _refilled(self, lane: _Lane, limits: Limits, now: float) -> float:
        return min(limits.burst, lane.tokens + (now - lane.at) * limits.per_second)

    def enter(self, user_id: int, *, suggestion: bool = False) -> None:
        """Count one interaction of the member in; raise SlowDown when past a limit."""
        limits, now = self._limits(suggestion), self._clock()
        key = (user_id, suggestion)
        lane = self._lanes.get(key)
        if lane is None:
            if len(self._lanes) >= self._sweep_at:
                self._sweep(now)
            lane = self._lanes[key] = _Lane(tokens=limits.burst, at=now)
        lane.tokens, lane.at = self._refilled(lane, limits, now), now
        if lane.in_flight >= limits.in_flight:
            self._refuse(lane, user_id, "in flight")
            raise SlowDown(
                f"{SLOW_DOWN}: Nexus is still answering your last {lane.in_flight} requests. "
                "Try again once they are answered.",
                1.0,
            )
        if lane.tokens < 1:
            wait = (1 - lane.tokens) / limits.per_second
            self._refuse(lane, user_id, "rate")
            raise SlowDown(f"{SLOW_DOWN}: try again in {math.ceil(wait)} s.", wait)
        lane.tokens -= 1
        lane.in_flight += 1
        lane.logged = False

    def leave(self, user_id: int, *, suggestion: bool = False) -> None:
        """Count one interaction of the member out (it has been handled)."""
        lane = self._lanes.get((user_id, suggestion))
        if lane is not None and lane.in_flight > 0:
            lane.in_flight -= 1

    def tracked(self) -> int:
        """How many lanes the gate remembers (members seen lately, per lane)."""
        return len(self._lanes)

    def _refuse(self, lane: _Lane, user_id: int, limit: str) -> None:
        if not lane.logged:  # once per run of refusals: a flood is one line, not thousands
            log.info("member %s is past the %s limit: refused until they slow down", user_id, limit)
            lane.logged = True

    def _sweep(self, now: float) -> None:
        """Forget members with nothing in flight and a full allowance: they start afresh."""
        for key, lane in list(self._lanes.items()):
            limits = self._limits(key[1])
            if lane.in_flight == 0 and self._refilled(lane, limits, now) >= limits.burst:
                del self._lanes[key]
        self._sweep_at = max(SWEEP_AT, 2 * len(self._lanes))
