"""Point discord.py's REST base and default gateway at an emulator, and restore them after."""

from __future__ import annotations

from typing import Any, Generic, Protocol, TypeVar

import discord.gateway
import discord.http
import yarl


class Emulator(Protocol):
    """Where an emulator listens (a started `FakeDiscord`)."""

    @property
    def base_url(self) -> str: ...

    @property
    def gateway_url(self) -> str: ...


E = TypeVar("E", bound=Emulator)


class DiscordPatch(Generic[E]):
    """Sets `Route.BASE` and `DiscordWebSocket.DEFAULT_GATEWAY`; usable with `with`/`async with`."""

    def __init__(self, fake: E) -> None:
        self.fake = fake
        self._saved: tuple[str, Any] | None = None

    def __enter__(self) -> E:
        if not self.fake.base_url:
            raise RuntimeError("start the emulator before patching discord.py")
        self._saved = (discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY)
        discord.http.Route.BASE = self.fake.base_url
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(self.fake.gateway_url)
        return self.fake

    def __exit__(self, *exc: object) -> None:
        if self._saved is not None:
            discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = self._saved
            self._saved = None

    async def __aenter__(self) -> E:
        return self.__enter__()

    async def __aexit__(self, *exc: object) -> None:
        self.__exit__(*exc)


def patched_discord(fake: E) -> DiscordPatch[E]:
    """A `DiscordPatch` for `fake`: inside its `with` block, discord.py talks to the emulator."""
    return DiscordPatch(fake)
