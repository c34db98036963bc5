"""Deciding, from plain values only: the rotation of tips, what is due now, when to retry.

Everything here is a pure function of the rows (as `Schedule` and `Post` values) and the time,
so the scheduler's decisions can be tested without a database, a clock or Discord.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.core.localtime import first_due_on_or_after, local_due
from bot.dailytip.model import PENDING, Post, Schedule

FIRST_RETRY = timedelta(seconds=30)
MAX_RETRY = timedelta(minutes=30)
# How late a process claims the day of a server another process holds (its shard is elsewhere):
# the holder posts on time; when it is down, any other process stands in this much later.
STAND_IN = timedelta(minutes=1)


# -- the rotation --------------------------------------------------------------------------------


def rotation_rank(seed: int, round_number: int, slug: str) -> bytes:
    """A tip's place in a server's shuffled round; a tip's place never depends on the others."""
    return hashlib.sha256(f"{seed}:{round_number}:{slug}".encode()).digest()


def next_in_rotation(
    slugs: Iterable[str],
    used_this_round: Iterable[str],
    round_number: int,
    seed: int,
    previous: str | None = None,
) -> tuple[str, int] | None:
    """The next tip and its round: every current tip once, in a shuffled order, then a new round.

    Each tip's rank in a round is its own hash, so adding a tip file slots it into the running
    round without reshuffling the others, and a deleted one simply is no longer there to pick.
    A new round never opens with the tip that closed the last one.
    """
    pool = set(slugs)
    if not pool:
        return None
    left = pool - set(used_this_round)
    if not left:
        round_number += 1
        left = pool - {previous} if len(pool) > 1 else pool
    pick = min(left, key=lambda slug: rotation_rank(seed, round_number, slug))
    return pick, round_number


# -- planning: what is due, and when to wake up ------------------------------------------------


@dataclass(frozen=True, slots=True)
class Plan:
    """One pass of the scheduler: the claims to make, retries to take, claims to close."""

    claims: tuple[Schedule, ...] = ()
    retries: tuple[tuple[Schedule, Post], ...] = ()
    expire: tuple[Post, ...] = ()  # pending claims whose local day is over: missed
    drop: tuple[Post, ...] = ()  # pending claims of a stopped or disabled schedule
    next_at: datetime | None = None

    @property
    def has_work(self) -> bool:
        """True when something is due now (otherwise only `next_at` matters)."""
        return bool(self.claims or self.retries or self.expire or self.drop)


def next_action_at(schedule: Schedule, today: Post | None, now: datetime) -> datetime:
    """When `schedule` next needs the scheduler (at or before `now`: right away).

    `today` is the server's row for its current local date, if any.
    """
    zone = schedule.zone
    local_today = schedule.today(now)
    if today is None:
        due = local_due(local_today, schedule.at, zone)
        if due is not None and due >= schedule.active_from:
            return due  # may be in the past: catch up, the same local day
        day = local_today + timedelta(days=1)
        due = first_due_on_or_after(day, schedule.at, zone)
        while due < schedule.active_from:  # only when another process's clock runs ahead
            day += timedelta(days=1)
            due = first_due_on_or_after(day, schedule.at, zone)
        return due
    if today.status == PENDING:
        return max(today.next_attempt_at, today.lease_until or today.next_attempt_at)
    return first_due_on_or_after(local_today + timedelta(days=1), schedule.at, zone)


def plan(
    now: datetime,
    schedules: Sequence[Schedule],
    posts: Sequence[Post],
    holds: Mapping[int, datetime] | None = None,
    elsewhere: Callable[[int], bool] | None = None,
) -> Plan:
    """Decide, from the rows, what is due now and when the next thing will be.

    `holds`: servers paused until then. `elsewhere(guild_id)`: the server is another process's
    (on a shard it holds); its day is claimed here only STAND_IN after it falls due.
    """
    holds = holds or {}
    by_guild = {s.guild_id: s for s in schedules}
    rows = {(p.guild_id, p.local_date): p for p in posts}
    claims: list[Schedule] = []
    retries: list[tuple[Schedule, Post]] = []
    later: list[datetime] = []
    for schedule in schedules:
        if not schedule.enabled:
            continue
        today = rows.get((schedule.guild_id, schedule.today(now)))
        when = next_action_at(schedule, today, now)
        if today is None and elsewhere is not None and elsewhere(schedule.guild_id):
            when += STAND_IN
        hold = holds.get(schedule.guild_id)
        if hold is not None and hold > now:
            when = max(when, hold)
        if when > now:
            later.append(when)
        elif today is None:
            claims.append(schedule)
        else:
            retries.append((schedule, today))
    expire: list[Post] = []
    drop: list[Post] = []
    for post in posts:
        if post.status != PENDING:
            continue
        owner = by_guild.get(post.guild_id)
        current = owner is not None and owner.enabled
        if current and owner is not None and post.local_date == owner.today(now):
            continue  # handled above
        if post.lease_until is not None and post.leased(now):
            later.append(post.lease_until)  # an attempt is in flight; look again when it ends
        elif current:
            expire.append(post)
        else:
            drop.append(post)
    return Plan(tuple(claims), tuple(retries), tuple(expire), tuple(drop), min(later, default=None))


def retry_delay(attempts: int, retry_after: float | None, rng: random.Random) -> timedelta:
    """Exponential backoff with jitter, at least what Discord asked for."""
    base = min(FIRST_RETRY * 2 ** max(attempts - 1, 0), MAX_RETRY)
    delay = base + base * rng.uniform(0, 0.1)
    if retry_after is not None:
        delay = max(delay, timedelta(seconds=retry_after))
    return delay
