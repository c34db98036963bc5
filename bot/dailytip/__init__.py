"""The daily tip: per-server schedules, the rotation of tips, and the scheduler that posts them.

The Discord side imports what it needs from here; the modules below are split by use case.
"""

from bot.dailytip.service import (
    DailyTipService,
    DestinationGone,
    DisabledNotice,
    GuildTipStatus,
    SchedulerStatus,
    TemporaryFailure,
    TipJob,
    TipScheduler,
)

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
