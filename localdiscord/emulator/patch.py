"""Point discord.py's REST base and default gateway at an emulator, and restore them after."""

from __future__ import annotations

from types import TracebackType
from typing import TYPE_CHECKING, Any

import discord.gateway
import discord.http
import yarl

if TYPE_CHECKING:
    from localdiscord.emulator.server import FakeDiscord


class DiscordPatch:
    """Sets `Route.BASE` and `DiscordWebSocket.DEFAULT_GATEWAY`; usable with `with`/`async with`."""

    def __init__(self, fake: FakeDiscord) -> None:
        self.fake = fake
        self._saved: tuple[str, Any] | None = None

    def __enter__(self) -> FakeDiscord:
        if not self.fake.base_url:
            raise RuntimeError("start the emulator before patching discord.py")
        self._saved = (discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY)
        discord.http.Route.BASE = self.fake.base_url
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(self.fake.gateway_url)
        return self.fake

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._saved is not None:
            discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = self._saved
            self._saved = None

    async def __aenter__(self) -> FakeDiscord:
        return self.__enter__()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.__exit__(exc_type, exc, tb)


def patched_discord(fake: FakeDiscord) -> DiscordPatch:
    """A `DiscordPatch` for `fake`: inside its `with` block, discord.py talks to the emulator."""
    return DiscordPatch(fake)
