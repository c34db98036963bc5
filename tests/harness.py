"""The bot under test: the production bot (same factory, same cogs) started against the local
Discord, and the checks every end-to-end test makes of what it sent."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.client import Nexus, create_bot
from bot.config import Settings
from cogs._kit.gate import Limits, MemberGate
from localdiscord.emulator import FAST_CLIENT_OPTIONS, FakeDiscord
from tests.figures import report
from tests.helpers import CONTENT

READY_TIMEOUT = 15.0
# Tests act at machine speed, one member often many times a second and several at once: the
# per-member limits (cogs/_kit/gate.py) would refuse them. Under the bot of `start_bot` they
# are lifted; tests/hardening/test_limits.py gives the bot the real ones back.
UNLIMITED = Limits(in_flight=1_000_000, burst=1_000_000, per_second=1_000_000.0)


def lift_limits(bot: Nexus) -> None:
    """No per-member limits on `bot` (the tests' members act far faster than people)."""
    bot.gate = MemberGate(actions=UNLIMITED, suggestions=UNLIMITED)


@dataclass
class Harness:
    bot: Nexus
    fake: FakeDiscord
    settings: Settings


def nothing_pings(message: dict[str, Any]) -> bool:
    mentions = message.get("allowed_mentions")
    return (
        mentions is not None
        and not mentions.get("parse")
        and not mentions.get("users")
        and not mentions.get("roles")
    )


def pings_nobody_but_an_asker(message: dict[str, Any]) -> bool:
    """Nothing pings, except a notice to the one member it is about (an asker told of an
    answer; an author told their chat message was saved as their question or answer), which
    pings exactly the member it starts with, and a nudge of an unanswered question, which
    pings exactly the helper role it starts with (a role an admin opted in)."""
    if nothing_pings(message):
        return True
    mentions = message.get("allowed_mentions") or {}
    users = [str(u) for u in mentions.get("users") or []]
    roles = [str(r) for r in mentions.get("roles") or []]
    if roles:
        return (
            not mentions.get("parse")
            and not users
            and not mentions.get("replied_user")
            and len(roles) == 1
            and str(message.get("content") or "").startswith(f"<@&{roles[0]}>")
        )
    return (
        not mentions.get("parse")
        and not mentions.get("roles")
        and not mentions.get("replied_user")
        and len(users) == 1
        and str(message.get("content") or "").startswith(f"<@{users[0]}>")
    )


async def start_bot(fake: FakeDiscord, settings: Settings) -> tuple[Nexus, asyncio.Task[None]]:
    bot = create_bot(settings, **FAST_CLIENT_OPTIONS)
    lift_limits(bot)
    task = asyncio.create_task(bot.start(fake.token), name="nexus-under-test")
    ready = asyncio.create_task(bot.wait_until_ready())
    done, _ = await asyncio.wait(
        {task, ready}, timeout=READY_TIMEOUT, return_when=asyncio.FIRST_COMPLETED
    )
    if ready not in done:
        ready.cancel()
        if task.done():
            task.result()  # raises what stopped the bot
        raise TimeoutError("the bot did not become ready")
    return bot, task


async def stop_bot(bot: Nexus, task: asyncio.Task[None]) -> None:
    await bot.close()
    await asyncio.wait_for(task, READY_TIMEOUT)


def bot_settings(fake: FakeDiscord, folder: Path, **overrides: Any) -> Settings:
    """Settings for the bot under test: its heartbeat in `folder`, its database there too
    unless `database_url` says otherwise."""
    values: dict[str, Any] = {
        "discord_token": fake.token,
        "database_url": f"sqlite+aiosqlite:///{folder / 'nexus.db'}",
        "dev_guild_id": fake.guild_id,
        "content_dir": CONTENT,
        "health_file": folder / "heartbeat",
    }
    return Settings(**(values | overrides))


@asynccontextmanager
async def running_bot(fake: FakeDiscord, settings: Settings) -> AsyncIterator[Harness]:
    """The production bot connected to `fake` for the block; the faults it met are reported."""
    bot, task = await start_bot(fake, settings)
    try:
        yield Harness(bot, fake, settings)
    finally:
        await stop_bot(bot, task)
        if fake.faults.fired:
            report("faults", discord_errors_injected=fake.faults.fired)
