"""Fixtures every test folder shares: a migrated database, the local Discord, the real bot."""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from bot.client import Nexus
from bot.config import Settings
from bot.db.engine import Database
from localdiscord.emulator import FakeDiscord, patched_discord
from tests.harness import Harness, bot_settings, pings_nobody_but_an_asker, running_bot, start_bot
from tests.postgres import PostgresDatabases, ServerUnavailable, running

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


def pytest_addoption(parser: pytest.Parser) -> None:
    """`--database=postgresql`: the tests' databases on a private PostgreSQL server."""
    parser.addoption(
        "--database",
        choices=("sqlite", "postgresql"),
        default=os.environ.get("NEXUS_TEST_DATABASE", "sqlite"),
        help="where the `db`, `database_url` and bot fixtures keep their data: a SQLite file "
        "(default) or a database of a private PostgreSQL server, started for the run",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "sqlite: about SQLite itself (its file, pragmas, FTS5): not run on PostgreSQL"
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """With `--database=postgresql`, the tests that use the test's database (`database_url`,
    through `db` or the bot) run, but not those about SQLite itself: the others would only
    repeat what the SQLite run checked."""
    if config.getoption("--database") != "postgresql":
        return
    kept = [
        item
        for item in items
        if item.get_closest_marker("sqlite") is None
        and "database_url" in getattr(item, "fixturenames", ())
    ]
    if len(kept) != len(items):
        config.hook.pytest_deselected(items=[i for i in items if i not in kept])
        items[:] = kept


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresDatabases]:
    """A PostgreSQL server for the run (NEXUS_TEST_POSTGRES's, else a private one) and the
    databases the tests take on it. Skipped only where no server binaries exist, never in CI."""
    try:
        with running() as url:
            yield PostgresDatabases(url)
    except ServerUnavailable as missing:
        if os.environ.get("CI"):
            raise
        pytest.skip(str(missing))


@pytest.fixture
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """Where the test's database is: a SQLite file in its folder, or (with
    `--database=postgresql`) a fresh migrated database on the run's PostgreSQL server."""
    if request.config.getoption("--database") != "postgresql":
        yield f"sqlite+aiosqlite:///{tmp_path / 'nexus.db'}"
        return
    databases: PostgresDatabases = request.getfixturevalue("postgres")
    async with databases.migrated() as url:
        yield url


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    """A migrated database: a real SQLite file, or a PostgreSQL database (`--database`)."""
    database = Database(database_url)
    await database.upgrade()
    yield database
    await database.close()


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    """A running local Discord with discord.py pointed at it (restored afterwards)."""
    async with FakeDiscord() as emulator, patched_discord(emulator):
        yield emulator


@pytest.fixture
def settings(tmp_path: Path, fake: FakeDiscord, database_url: str) -> Settings:
    """Settings for the bot under test, its database the test's (`database_url`)."""
    return bot_settings(fake, tmp_path, database_url=database_url)


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
