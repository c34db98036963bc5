"""The bot process meeting the network as it really fails at start: a closed port, a name that
does not resolve, a TLS connection intercepted, Discord answering 5xx, a revoked token. Each ends
in one line saying what happened and what to do, with a documented exit status, never a
traceback; the failures that may pass are tried again, one line per attempt, for a bounded time.

The process is the real `python -m bot`, with discord.py pointed at the address under test (the
local Discord, a closed port, an unresolvable name, a local TLS server with an untrusted
certificate) as tests/harness.py points it at the local Discord.
"""

from __future__ import annotations

import asyncio
import io
import logging
import os
import signal
import socket
import ssl
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest
import trustme

from bot.logs import make_handler
from localdiscord.emulator import FakeDiscord
from tests.harness import bot_settings
from tests.helpers import CONTENT, REPO, TOKEN

# `python -m bot ARGS` with discord.py's REST base (argv[1]) and gateway (argv[2]) replaced.
POINTED = (
    "import runpy, sys, yarl, discord.http, discord.gateway; "
    "discord.http.Route.BASE = sys.argv[1]; "
    "discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(sys.argv[2]); "
    "sys.argv = ['bot', *sys.argv[3:]]; "
    "runpy.run_module('bot', run_name='__main__')"
)
ATTEMPT = "Discord not reached, attempt"


@dataclass
class Ended:
    status: int
    stderr: str

    @property
    def last_line(self) -> str:
        return self.stderr.strip().splitlines()[-1]

    def attempts(self) -> list[str]:
        return [line for line in self.stderr.splitlines() if ATTEMPT in line]

    def tried_again(self) -> None:
        """At least one line per attempt that failed before the last, and the last line says
        how many there were (the first wait is shorter than the 3 s the tests allow)."""
        attempts = self.attempts()
        assert len(attempts) >= 1
        assert f"(tried {len(attempts) + 1} times in " in self.last_line
        for number, line in enumerate(attempts, 1):
            assert f"{ATTEMPT} {number}: " in line
            assert "; next in " in line


def environment(folder: Path, **values: str) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if k not in {"DISCORD_TOKEN", "DATABASE_URL"}}
    return {
        **clean,
        "PYTHONPATH": str(REPO),
        "DISCORD_TOKEN": TOKEN,
        "DATABASE_URL": f"sqlite+aiosqlite:///{folder / 'nexus.db'}",
        "CONTENT_DIR": str(CONTENT),
        "HEALTH_FILE": str(folder / "heartbeat"),
        "START_RETRY_SECONDS": "3",
        **values,
    }


async def start(
    folder: Path, api: str, *args: str, gateway: str = "", **values: str
) -> asyncio.subprocess.Process:
    gateway = gateway or api.replace("http", "ws", 1).replace("/api/v10", "/gateway")
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        POINTED,
        api,
        gateway,
        *args,
        cwd=folder,
        env=environment(folder, **values),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )


async def run(folder: Path, api: str, *args: str, **values: str) -> Ended:
    process = await start(folder, api, *args, **values)
    _, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode is not None
    return Ended(process.returncode, err.decode())


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
async def intercepting_server(tmp_path: Path) -> AsyncIterator[str]:
    """A local HTTPS server whose certificate no system trusts, as a TLS-intercepting proxy
    presents: the API address that leads to it."""
    authority = trustme.CA()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("127.0.0.1").configure_cert(context)

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.close()

    server = await asyncio.start_server(answer, "127.0.0.1", 0, ssl=context)
    port = server.sockets[0].getsockname()[1]
    async with server:
        yield f"https://127.0.0.1:{port}/api/v10"


def one_clear_line(ended: Ended) -> None:
    assert "Traceback" not in ended.stderr
    assert ended.last_line.startswith("nexus: ")
    assert "voice" not in ended.stderr
    assert "PyNaCl" not in ended.stderr
    assert TOKEN not in ended.stderr


async def test_a_closed_port_is_tried_again_then_one_line_and_exit_3(tmp_path: Path) -> None:
    port = closed_port()
    ended = await run(tmp_path, f"http://127.0.0.1:{port}/api/v10")
    one_clear_line(ended)
    assert ended.status == 3
    assert ended.last_line.startswith(
        f"nexus: cannot connect to 127.0.0.1 port {port} (Connection refused): check that this "
        "machine is online"
    )
    ended.tried_again()
    assert f"{ATTEMPT} 1: cannot connect to 127.0.0.1 port {port}" in ended.attempts()[0]


async def test_a_name_that_does_not_resolve_is_tried_again_then_one_line(tmp_path: Path) -> None:
    ended = await run(tmp_path, "https://nexus-start-check.invalid/api/v10")
    one_clear_line(ended)
    assert ended.status == 3
    assert ended.last_line.startswith(
        "nexus: the name nexus-start-check.invalid could not be resolved ("
    )
    assert "DNS settings" in ended.last_line
    ended.tried_again()


async def test_an_intercepted_tls_connection_stops_at_once_with_what_to_do(
    tmp_path: Path, intercepting_server: str
) -> None:
    ended = await run(tmp_path, intercepting_server)
    one_clear_line(ended)
    assert ended.status == 3
    assert ended.last_line.startswith(
        "nexus: the TLS certificate presented for 127.0.0.1 is not trusted ("
    )
    assert "intercepts HTTPS" in ended.last_line
    assert ended.attempts() == [], "an untrusted certificate does not pass by itself"


async def test_a_revoked_token_stops_at_once_exit_2(tmp_path: Path) -> None:
    other = "OTg3NjU0MzIxMDk4NzY1NDMy.GhIjKl.the-token-discord-has-now-0123456789"
    async with FakeDiscord(token=other) as discord_now:
        ended = await run(tmp_path, discord_now.base_url)
    one_clear_line(ended)
    assert ended.status == 2
    assert ended.last_line == (
        "nexus: Discord refused DISCORD_TOKEN (401 Unauthorized): the token was reset or "
        "revoked: copy a new one (Discord Developer Portal > your app > Bot > Reset Token) into "
        "DISCORD_TOKEN and start again"
    )
    assert ended.attempts() == []


async def test_discord_failing_at_login_is_tried_again_then_one_line(
    tmp_path: Path, fake: FakeDiscord
) -> None:
    fake.fail_next("GET", r"^/users/@me$", 503, times=1000)
    ended = await run(tmp_path, fake.base_url, "sync-commands")
    one_clear_line(ended)
    assert ended.status == 3
    assert ended.last_line.startswith(
        "nexus: 127.0.0.1 answered 503 Service Unavailable: Discord is having trouble"
    )
    ended.tried_again()
    fake.faults.clear()


async def test_discord_back_after_a_5xx_the_bot_comes_up_and_stops_cleanly(
    tmp_path: Path, fake: FakeDiscord
) -> None:
    fake.fail_next("GET", r"^/users/@me$", 503, times=2)
    process = await start(
        tmp_path, fake.base_url, START_RETRY_SECONDS="60", DEV_GUILD_ID=str(fake.guild_id)
    )
    assert process.stderr is not None
    seen: list[str] = []
    while not any("ready as" in line for line in seen):
        line = await asyncio.wait_for(process.stderr.readline(), 60)
        assert line, "the bot ended before it was ready:\n" + "".join(seen)
        seen.append(line.decode())
    process.send_signal(signal.SIGTERM)
    _, rest = await asyncio.wait_for(process.communicate(), 30)
    ended = Ended(process.returncode or 0, "".join(seen) + rest.decode())
    assert ended.status == 0
    assert "Traceback" not in ended.stderr
    assert len(ended.attempts()) == 2
    assert "127.0.0.1 answered 503 Service Unavailable" in ended.attempts()[0]
    assert "PyNaCl" not in ended.stderr
    assert "voice will NOT" not in ended.stderr


async def test_a_gateway_out_of_reach_after_login_ends_in_one_line(
    tmp_path: Path, fake: FakeDiscord
) -> None:
    """Discord's HTTP API answers, its gateway does not: one line per reconnect, then one line
    saying what to do and exit 3 (discord.py gives up on a first connection that failed)."""
    port = closed_port()
    ended = await run(
        tmp_path,
        fake.base_url,
        gateway=f"ws://127.0.0.1:{port}/gateway",
        DEV_GUILD_ID=str(fake.guild_id),
    )
    one_clear_line(ended)
    assert ended.status == 3
    assert ended.last_line.startswith(
        f"nexus: Discord's gateway 127.0.0.1 not reached (cannot connect to 127.0.0.1 port {port} "
        "(Connection refused)): Discord's HTTP API answers but its gateway does not"
    )
    reconnects = [line for line in ended.stderr.splitlines() if "reconnect" in line]
    assert reconnects, ended.stderr
    assert all(" WARNING " in line for line in reconnects)
    failed = "the connection to Discord's gateway failed (cannot connect to 127.0.0.1"
    assert failed in reconnects[0]


def test_a_reconnect_while_running_is_one_line() -> None:
    """discord.py logs each reconnect with a traceback; the bot's log handler makes it a line."""
    stream = io.StringIO()
    handler = make_handler(stream, "text")
    try:
        raise aiohttp.ServerDisconnectedError()
    except aiohttp.ClientError:
        record = logging.getLogger("discord.client").makeRecord(
            "discord.client",
            logging.ERROR,
            __file__,
            1,
            "Attempting a reconnect in %.2fs",
            (1.5,),
            sys.exc_info(),
        )
    handler.handle(record)
    assert stream.getvalue().count("\n") == 1
    said = stream.getvalue().split(" ", 2)[2]
    assert said.startswith(
        "WARNING discord.client: the connection to Discord's gateway failed (the connection to "
        "Discord broke (Server disconnected)); attempting a reconnect in 1.50s"
    )


async def test_a_database_that_cannot_be_opened_stops_the_start_in_one_line(
    fake: FakeDiscord, tmp_path: Path
) -> None:
    """A PostgreSQL server nobody listens for: the start stops with which database (without
    its password), what the driver said and what to check; the CLI exits 1 with that line."""
    from bot.client import DatabaseUnavailable, create_bot

    url = "postgresql+asyncpg://nexus:s3cret@127.0.0.1:1/nexus"
    settings = bot_settings(fake, tmp_path, database_url=url)
    bot = create_bot(settings)
    try:
        with pytest.raises(DatabaseUnavailable) as caught:
            await bot.login(settings.discord_token)
    finally:
        await bot.close()
    said = str(caught.value)
    assert "s3cret" not in said
    assert "127.0.0.1:1/nexus" in said
    assert "check DATABASE_URL" in said
