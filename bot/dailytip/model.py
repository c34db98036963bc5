"""The daily tip's plain data: the rows as values, a post attempt, what the Discord side raises.

Nothing here touches the database or Discord: the service hands these values to the scheduler
and to the Discord side, which hands `TipJob`s to a `TipPublisher` and raises the two failures.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Protocol
from zoneinfo import ZoneInfo

from bot.core.localtime import zone_info
from bot.core.values import from_row
from bot.db.models import DailyTipPost, DailyTipSchedule
from bot.learnings.model import Learning

# A post's status: claimed and not yet sent, sent, or its local day ended before it was sent.
PENDING, POSTED, MISSED = "pending", "posted", "missed"
ERROR_TEXT = 300  # characters of an error kept in a row or in the status


def short(error: BaseException | str) -> str:
    """An error as one line of at most ERROR_TEXT characters, for a row or the status."""
    text = error if isinstance(error, str) else f"{type(error).__name__}: {error}"
    return text if len(text) <= ERROR_TEXT else text[: ERROR_TEXT - 1] + "…"


# -- what the scheduler needs from Discord ---------------------------------------------------


class DestinationGone(Exception):
    """The channel is gone or Nexus may no longer post there (403/404): disable the schedule."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class TemporaryFailure(Exception):
    """Discord is unwell or rate-limits us (5xx, 429, network): retry later."""

    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


@dataclass(frozen=True, slots=True)
class TipJob:
    """One attempt at posting one server's tip of one local day."""

    post_id: int
    guild_id: int
    channel_id: int
    local_date: date
    tip: Learning
    attempt: int
    claimed_at: datetime

    @property
    def nonce(self) -> int:
        """The same for every attempt at this server's day; Discord refuses a recent repeat."""
        digest = hashlib.sha256(f"dailytip:{self.guild_id}:{self.local_date}".encode()).digest()
        return int.from_bytes(digest[:8], "big") >> 1


@dataclass(frozen=True, slots=True)
class DisabledNotice:
    """What the server's admins must hear: their daily tip was switched off, and why."""

    guild_id: int
    channel_id: int
    reason: str
    disabled_at: datetime | None


class TipPublisher(Protocol):
    """Sends to Discord. Raises DestinationGone or TemporaryFailure; anything else is a retry."""

    async def publish(self, job: TipJob) -> int:
        """Post the tip; the new message's id."""
        ...

    async def find_existing(self, job: TipJob) -> int | None:
        """The id of this day's tip if an earlier attempt did reach the channel (best effort)."""
        ...

    async def notify(self, channel_id: int, notice: DisabledNotice) -> bool:
        """Tell the admins in their log channel; True when delivered."""
        ...


# -- plain views of the rows -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Schedule:
    """A server's daily tip schedule, as the planner and `/dailytip status` read it."""

    guild_id: int
    channel_id: int
    at: time
    timezone: str
    enabled: bool
    active_from: datetime
    rotation_seed: int
    log_channel_id: int | None = None
    disabled_reason: str | None = None
    disabled_at: datetime | None = None
    notice_pending: bool = False

    @property
    def zone(self) -> ZoneInfo:
        """The server's time zone."""
        return zone_info(self.timezone)

    def today(self, now: datetime) -> date:
        """The server's current local date."""
        return now.astimezone(self.zone).date()

    @classmethod
    def of(cls, row: DailyTipSchedule) -> Schedule:
        """The value of a schedule row."""
        return from_row(cls, row, at=time(row.hour, row.minute))


@dataclass(frozen=True, slots=True)
class Post:
    """One server's tip of one local day in the post log: claimed, posted or missed."""

    id: int
    guild_id: int
    local_date: date
    channel_id: int
    tip_slug: str
    rotation_round: int
    status: str
    attempts: int
    next_attempt_at: datetime
    lease_owner: str | None
    lease_until: datetime | None
    claimed_at: datetime
    posted_at: datetime | None
    message_id: int | None
    last_error: str | None

    def leased(self, now: datetime) -> bool:
        """True while an attempt holds the claim (its lease has not run out at `now`)."""
        return self.lease_until is not None and self.lease_until > now

    @classmethod
    def of(cls, row: DailyTipPost) -> Post:
        """The value of a post row."""
        return from_row(cls, row)


@dataclass(frozen=True, slots=True)
class GuildTipStatus:
    """Everything `/dailytip status` shows."""

    schedule: Schedule
    next_post: datetime | None
    last_post: Post | None
    today: Post | None


# -- the scheduler, as `/about` shows it -------------------------------------------------------


@dataclass(slots=True)
class SchedulerStatus:
    """What `/about` and the metrics show about the daily tips."""

    running: bool = False
    next_run: datetime | None = None
    last_post: datetime | None = None
    last_post_guild: int | None = None
    last_error: str | None = None
    last_error_at: datetime | None = None
    posted: int = 0  # by this process since it started
    # Failures by this process since it started, by reason: retry (a post failed and is tried
    # again), disabled (the channel is gone or forbidden), missed (a local day ended before
    # its tip was sent), no_tips (the knowledge base has none), error (anything unexpected).
    failures: dict[str, int] = field(default_factory=dict)
