"""A local Discord emulator: fake REST + gateway on 127.0.0.1 that real discord.py talks to.

async with FakeDiscord() as fake, patched_discord(fake):
    bot = MyBot(..., **FAST_CLIENT_OPTIONS)
    task = asyncio.create_task(bot.start(fake.token))
    async with asyncio.timeout(5):
        await bot.wait_until_ready()
    result = await fake.slash("concept", {"name": "jwt"})
"""

from localdiscord.emulator.faults import FaultRule
from localdiscord.emulator.limits import command_payload_problems, message_payload_problems
from localdiscord.emulator.patch import DiscordPatch, patched_discord
from localdiscord.emulator.result import InteractionResult
from localdiscord.emulator.server import DEFAULT_TOKEN, FAST_CLIENT_OPTIONS, FakeDiscord
from localdiscord.emulator.state import (
    EmulatorTimeout,
    FakeChannel,
    FakeGuild,
    FakeMember,
    FakeRole,
    FakeUser,
    RecordedRequest,
)
from localdiscord.emulator.user_input import Upload

__all__ = [
    "DEFAULT_TOKEN",
    "FAST_CLIENT_OPTIONS",
    "DiscordPatch",
    "EmulatorTimeout",
    "FakeChannel",
    "FakeDiscord",
    "FakeGuild",
    "FakeMember",
    "FakeRole",
    "FakeUser",
    "FaultRule",
    "InteractionResult",
    "RecordedRequest",
    "Upload",
    "command_payload_problems",
    "message_payload_problems",
    "patched_discord",
]
