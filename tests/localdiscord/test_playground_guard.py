"""Nothing the playground runs can reach beyond this machine; its clock can jump ahead."""

from __future__ import annotations

import asyncio
import socket
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest

from bot.core.clock import ManualClock, SystemClock
from localdiscord.playground.clock import WarpClock, caught_up, next_due, warp_services
from localdiscord.playground.guard import LeftLoopback, LoopbackGuard, is_loopback


@pytest.mark.parametrize(
    "host",
    ["127.0.0.1", "127.8.9.10", "::1", "[::1]", "localhost", "LOCALHOST", None, b"127.0.0.1"],
)
def test_loopback_hosts(host: object) -> None:
    assert is_loopback(host)


@pytest.mark.parametrize(
    "host", ["0.0.0.0", "", "10.0.0.1", "192.0.2.1", "::", "discord.com", "gateway.discord.gg", 7]
)
def test_other_hosts(host: object) -> None:
    assert not is_loopback(host)


def test_inside_the_guard_other_hosts_are_refused_before_any_packet_leaves() -> None:
    with LoopbackGuard() as guard:
        with pytest.raises(LeftLoopback, match=r"192\.0\.2\.1"):
            socket.create_connection(("192.0.2.1", 443), timeout=0.5)  # TEST-NET-1
        with socket.socket() as raw, pytest.raises(LeftLoopback, match=r"192\.0\.2\.1"):
            raw.connect(("192.0.2.1", 443))
        with pytest.raises(LeftLoopback, match=r"discord\.com"):
            socket.getaddrinfo("discord.com", 443)
        with socket.socket() as wide, pytest.raises(LeftLoopback):
            wide.bind(("0.0.0.0", 0))
        with socket.socket() as server:
            server.bind(("127.0.0.1", 0))
            server.listen()
            socket.create_connection(server.getsockname(), timeout=1).close()
    assert [event for event, _ in guard.blocked] == [
        "socket.getaddrinfo",  # create_connection looks the address up first
        "socket.connect",
        "socket.getaddrinfo",
        "socket.bind",
    ]
    assert ("socket.bind", "127.0.0.1") in guard.seen
    assert ("socket.connect", "127.0.0.1") in guard.seen


async def test_the_guard_holds_for_asyncio_connections_too() -> None:
    with LoopbackGuard(), pytest.raises(LeftLoopback):
        await asyncio.wait_for(asyncio.open_connection("192.0.2.1", 443), 1)


def test_outside_the_guard_nothing_is_watched() -> None:
    guard = LoopbackGuard()
    with guard:
        pass
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
    assert guard.seen == []


def test_one_guard_at_a_time() -> None:
    with LoopbackGuard(), pytest.raises(RuntimeError, match="already active"):
        LoopbackGuard().__enter__()


def test_the_warp_clock_only_moves_forward() -> None:
    clock = WarpClock()
    before = clock.now()
    clock.advance(timedelta(days=1))
    assert clock.now() - before >= timedelta(days=1)
    assert clock.now().tzinfo is not None
    with pytest.raises(ValueError, match="never goes back"):
        clock.advance(timedelta(seconds=-1))


@dataclass
class Status:
    next_run: datetime | None
    running: bool = True


class FakeScheduler:
    def __init__(self, next_run: datetime | None) -> None:
        self.clock: Any = SystemClock()
        self.state = Status(next_run)
        self.woken = 0

    def wake(self) -> None:
        self.woken += 1

    def status(self) -> Status:
        return self.state


class FakeService:
    """Has a clock and a `status(guild_id)`, but is no scheduler."""

    def __init__(self) -> None:
        self.clock: Any = SystemClock()

    def status(self, guild_id: int) -> None:
        raise AssertionError("a service's status is not a scheduler's")


class FakeCog:
    def __init__(self, *parts: Any) -> None:
        for index, part in enumerate(parts):
            setattr(self, f"part{index}", part)


def test_services_on_the_system_clock_get_the_warp_clock_and_schedulers_wake() -> None:
    start = datetime.fromisoformat("2025-03-04T09:00:00+00:00")
    scheduler, service = FakeScheduler(start), FakeService()
    manual = FakeScheduler(None)
    manual.clock = ManualClock(start)  # a test's own clock is left alone
    clock = WarpClock()
    warped = warp_services([FakeCog(scheduler, service), FakeCog(manual), FakeCog()], clock)
    assert warped == [scheduler, service]
    assert scheduler.clock is clock
    assert service.clock is clock
    assert isinstance(manual.clock, ManualClock)
    assert scheduler.woken == 1
    assert next_due(warped) == start
    assert not caught_up(warped, start)
    scheduler.state = Status(start + timedelta(days=1))
    assert caught_up(warped, start)
    scheduler.state = Status(start, running=False)
    assert caught_up(warped, start)
    assert next_due(warped) is None
