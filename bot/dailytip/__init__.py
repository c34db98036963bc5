"""The daily tip: per-server schedules, the rotation of tips, and the scheduler that posts them.

The Discord side imports what it needs from here. The modules, by use case:

- `model`: plain values (a schedule, a post, a post attempt) and the failures Discord raises;
- `plan`: the rotation and what is due when, as pure functions of those values;
- `postlog`: the exactly-once post log the scheduler claims, retries and records in;
- `service`: the admins' actions on their server's schedule (`DailyTipService`);
- `scheduler`: the loop that posts each server's tip (`TipScheduler`).
"""

from bot.dailytip.model import (
    DestinationGone,
    DisabledNotice,
    GuildTipStatus,
    SchedulerStatus,
    TemporaryFailure,
    TipJob,
)
from bot.dailytip.scheduler import TipScheduler
from bot.dailytip.service import DailyTipService

__all__ = [
    "DailyTipService",
    "DestinationGone",
    "DisabledNotice",
    "GuildTipStatus",
    "SchedulerStatus",
    "TemporaryFailure",
    "TipJob",
    "TipScheduler",
]
