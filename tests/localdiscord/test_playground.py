"""The playground end to end: scripts run through the real bot on the local emulator."""

from __future__ import annotations

import asyncio
import io
import socket
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import discord
import pytest
from discord import app_commands

from localdiscord.playground.app import make_console
from localdiscord.playground.guard import LeftLoopback, is_loopback
from localdiscord.playground.script import read_script, run_steps
from localdiscord.playground.session import Playground
from tests.helpers import CONTENT, REPO

TOUR = """\
# A lookup, by option name and by bare text
/concept name:jwt
/concept dockr
# What Tab offers: the bot's own autocomplete
complete /concept name:decoratr
complete /challenge name:docker topic:
# A select and a button
/concept
select 1 caching
click Docker
# Input Discord would refuse
/concpet jwt
/search
/search query:redis kind:bogus
/concept nmae:jwt
wave hello
# A form, as a member, posted in another channel; answered through a button as the admin
/qa setup channel:#qa
as member
/ask
    title: How do I retry a Celery task that failed?
    details: I tried autoretry_for\\nbut the task still fails silently.
    tags: celery
as admin
click Answer
    answer: Bind the task and call self.retry(exc=exc).
# The daily tip, without waiting for tomorrow
/dailytip schedule channel:#general time:09:00 timezone:Africa/Nairobi
wait next
"""


async def run_script(
    tmp_path: Path, source: str, playground: Playground | None = None
) -> tuple[str, int]:
    out = io.StringIO()
    if playground is None:
        async with Playground(
            make_console(out),
            database=tmp_path / "playground.db",
            content_dir=CONTENT,
            files_from=(tmp_path, REPO),
        ) as started:
            status = await run_steps(started, read_script(source))
            assert started.fake.unknown_requests == []
    else:
        playground.console = make_console(out)
        status = await run_steps(playground, read_script(source))
    return out.getvalue(), status


def turns(transcript: str) -> dict[str, str]:
    """Each typed line -> what the playground printed for it."""
    found: dict[str, str] = {}
    current = None
    for line in transcript.splitlines():
        if line.startswith("> "):
            current = line[2:]
            found[current] = ""
        elif current is not None:
            found[current] += line + "\n"
    return found


async def test_a_script_tours_the_real_bot(tmp_path: Path) -> None:
    transcript, status = await run_script(tmp_path, TOUR)
    said = turns(transcript)
    assert status == 0, transcript
    assert "\x1b" not in transcript

    # a lookup, answered publicly with related entries as buttons
    jwt = said["/concept name:jwt"]
    assert jwt.startswith("#general  Nexus ↩ Alan used /concept\n╭")
    assert "JSON Web Tokens" in jwt
    assert "[1] " in jwt
    assert "Docker" in said["/concept dockr"]  # bare text, forgiven typo

    # the bot's own autocomplete, and static choices
    assert "Decorators" in said["complete /concept name:decoratr"]
    assert "python-decorators" in said["complete /concept name:decoratr"]
    assert "DevOps & deployment" in said["complete /challenge name:docker topic:"]

    # a select and a button
    assert "[1] ▾ Choose a topic" in said["/concept"]
    assert "📚 Concepts — Caching" in said["select 1 caching"]
    assert "(edited)" in said["select 1 caching"]
    assert "Docker" in said["click Docker"]

    # bad input: Discord's kind of message, and nothing sent
    assert said["/concpet jwt"].startswith(
        "✖ /concpet is not a command here. Did you mean /concept?"
    )
    assert said["/search"].startswith("✖ /search needs query:")
    assert (
        "✖ kind: is one of: Everything, Concepts, Challenges, Tips; bogus is not."
        in (said["/search query:redis kind:bogus"])
    )
    assert "Did you mean name:?" in said["/concept nmae:jwt"]
    assert said["wave hello"].startswith("✖ wave hello is not something the playground knows")

    # a modal asked field by field, posted to #qa, answered through a button's modal
    assert "👁 only you can see this" in said["/qa setup channel:#qa"]
    assert "You are now Linus (@linus_member), a member." in said["as member"]
    ask = said["/ask"]
    assert "📝 Nexus opened the form “Ask the community”" in ask
    assert "    Details: I tried autoretry_for\n      but the task still fails silently." in ask
    assert "→ #qa  Nexus\n" in ask
    assert "❓ #1 · How do I retry a Celery task that failed?" in ask
    answer = said["click Answer"]
    assert "📝 Nexus opened the form “Answer question #1”" in answer
    assert "→ #qa  Nexus  (edited)" in answer  # the question now counts its answer
    assert "Bind the task and call self.retry(exc=exc)." in answer
    assert "@Linus — @Alan answered your question #1" in answer

    # the daily tip fires when the playground clock jumps to it
    tip = said["wait next"]
    assert "later: it is now" in tip
    assert "Tip of the day" in tip
    assert "#general  Nexus\n" in tip


@pytest.fixture
async def playground(tmp_path: Path) -> AsyncIterator[Playground]:
    async with Playground(
        make_console(io.StringIO()),
        database=None,
        content_dir=CONTENT,
        files_from=(tmp_path,),
        answer_timeout=1.0,
    ) as started:
        yield started


async def test_nothing_in_the_playground_reaches_beyond_loopback(
    tmp_path: Path, playground: Playground
) -> None:
    transcript, status = await run_script(
        tmp_path, "/concept jwt\ncomplete /concept name:dock\nclick 1\n", playground
    )
    assert status == 0, transcript
    guard = playground.guard
    events = {event for event, _ in guard.seen}
    assert {"socket.bind", "socket.connect"} <= events  # the emulator, the bot's connections
    assert all(is_loopback(host) for _, host in guard.seen)
    assert guard.blocked == []
    assert playground.fake.http_url.startswith("http://127.0.0.1:")
    # ... and anything that tried to leave would be stopped before a packet goes out.
    with pytest.raises(LeftLoopback):
        await asyncio.wait_for(asyncio.open_connection("192.0.2.1", 443), 1)
    with pytest.raises(LeftLoopback):
        socket.getaddrinfo("discord.com", 443)


class Slow(app_commands.Group):
    """Commands a test adds to the running bot: the playground reads what is registered."""

    def __init__(self, released: asyncio.Event) -> None:
        super().__init__(name="testing", description="Test-only commands")
        self.released = released

    @app_commands.command(name="silent", description="Never answers")
    async def silent(self, interaction: discord.Interaction[Any], seconds: int) -> None:
        await self.released.wait()  # and then return without answering, as a buggy bot would

    @app_commands.command(name="echo", description="Says it back")
    async def echo(self, interaction: discord.Interaction[Any], text: str, times: int = 1) -> None:
        await interaction.response.send_message(" ".join([text] * times), ephemeral=True)


async def test_commands_come_from_what_the_bot_registered_and_silence_is_reported(
    tmp_path: Path, playground: Playground
) -> None:
    released = asyncio.Event()
    guild = discord.Object(playground.fake.guild_id)
    playground.bot.tree.add_command(Slow(released), guild=guild)
    await playground.bot.tree.sync(guild=guild)
    script = (
        "commands\n"
        "complete /testing e\n"
        "/testing echo hi times:2\n"
        "/testing echo text:hi times:twice\n"
        "/testing silent seconds:1\n"
    )
    try:
        transcript, status = await run_script(tmp_path, script, playground)
    finally:
        released.set()
    said = turns(transcript)
    assert "/testing echo text:<text> [times:<whole number>]" in said["commands"]
    assert "/testing silent seconds:<whole number>" in said["commands"]
    assert "echo" in said["complete /testing e"]
    assert "hi hi" in said["/testing echo hi times:2"]
    assert (
        "✖ times: takes a whole number; twice is not one."
        in (said["/testing echo text:hi times:twice"])
    )
    assert said["/testing silent seconds:1"].startswith(
        "✖ The application did not respond to /testing silent"
    )
    assert status == 1  # a script whose bot failed to answer fails


async def test_the_example_scripts_run_clean(tmp_path: Path) -> None:
    """The README's examples, with the playground's own answer timeout: the first /spec import
    starts the spec worker process, which can take more than a second on a busy machine."""
    examples = REPO / "examples"
    async with Playground(
        make_console(io.StringIO()), database=None, content_dir=CONTENT, files_from=(examples,)
    ) as playground:
        for name in ("playground.txt", "playground-specs.txt"):
            await check_example(tmp_path, examples, name, playground)


async def check_example(tmp_path: Path, examples: Path, name: str, playground: Playground) -> None:
    """One example script runs with no failure but the mistakes it makes on purpose."""
    source = (examples / name).read_text(encoding="utf-8")
    transcript, status = await run_script(tmp_path, source, playground)
    assert status == 0, transcript
    body = [line for line in transcript.splitlines() if not line.startswith("# ")]
    problems = [line for line in body if line.startswith("✖")]
    expected = ["✖ /concept has no option nmae. Did you mean name:? Options: name:."]
    if name == "playground.txt":
        expected.append(
            "✖ /qa search needs query: (Words to look for, e.g. celery retries). Usage: "
            "/qa search query:<text>"
        )
    else:
        expected = []
        assert "→ #api-specs  Nexus" in transcript
        assert "🔴" in transcript  # v2 breaks clients, and the announcement says so
    assert problems == expected
