from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from localdiscord.emulator import FakeDiscord, patched_discord


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    """A running emulator with discord.py pointed at it (restored afterwards)."""
    async with FakeDiscord() as emulator, patched_discord(emulator):
        yield emulator
