"""Fixtures every test folder shares: a migrated database, the local Discord, the real bot."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from bot.client import Nexus
from bot.config import Settings
from bot.db.engine import Database
from localdiscord.emulator import FakeDiscord, patched_discord
from tests.harness import Harness, bot_settings, pings_nobody_but_an_asker, running_bot, start_bot

pytest_plugins = ["tests.findings"]  # hardening findings, counted in the figures


@pytest.fixture(autouse=True)
def requests_fit_discords_document(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every local Discord a test starts checks each request against Discord's OpenAPI
    document; afterwards, a request it does not allow fails the test (like a limit the bot
    broke). A test that sends one on purpose takes it (`fake.take_schema_violations()`)."""
    started: list[FakeDiscord] = []
    start = FakeDiscord.start

    async def start_and_remember(emulator: FakeDiscord) -> FakeDiscord:
        started.append(emulator)
        return await start(emulator)

    monkeypatch.setattr(FakeDiscord, "start", start_and_remember)
    yield
    violations = [line for emulator in started for line in emulator.schema_violations]
    assert violations == [], "requests Discord's API document does not allow:\n" + "\n".join(
        violations
    )


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    """A migrated database in a real SQLite file."""
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'nexus.db'}")
    await database.upgrade()
    yield database
    await database.close()


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    """A running local Discord with discord.py pointed at it (restored afterwards)."""
    async with FakeDiscord() as emulator, patched_discord(emulator):
        yield emulator


@pytest.fixture
def settings(tmp_path: Path, fake: FakeDiscord) -> Settings:
    """Settings for the bot under test, its database in the test's folder."""
    return bot_settings(fake, tmp_path)


@pytest.fixture
async def nexus(
    fake: FakeDiscord, settings: Settings, caplog: pytest.LogCaptureFixture
) -> AsyncIterator[Harness]:
    """The real bot, connected and ready; afterwards, checks that hold for every test."""
    caplog.set_level(logging.WARNING)
    async with running_bot(fake, settings) as harness:
        yield harness
    pinging = [m for m in fake.all_sent_messages() if not pings_nobody_but_an_asker(m)]
    assert pinging == [], "only a notice may ping, and only the member it is about"
    assert fake.unknown_requests == [], "the bot called routes the emulator does not know"
    # An unexpected error is a bug even when the user got a polite incident id; tests that
    # provoke one on purpose clear caplog after asserting on it.
    unexpected = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert unexpected == []


@pytest.fixture
def restart(fake: FakeDiscord) -> Callable[[Settings], Awaitable[tuple[Nexus, asyncio.Task[None]]]]:
    """Start another bot process-alike on the same database (for restart scenarios)."""

    async def start(settings: Settings) -> tuple[Nexus, asyncio.Task[None]]:
        return await start_bot(fake, replace(settings))

    return start


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """The hardening suites' figures (examples tried, faults injected, interactions held)."""
    from tests.figures import summary

    lines = summary()
    if lines:
        terminalreporter.section("hardening figures")
        for line in lines:
            terminalreporter.line(line)
