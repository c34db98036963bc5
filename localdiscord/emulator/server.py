"""`FakeDiscord`: the emulator's HTTP + gateway server on 127.0.0.1 and its test-side API."""

# Every wait is bounded: a `timeout` parameter is part of this module's API.
# ruff: noqa: ASYNC109

from __future__ import annotations

import copy
import functools
import re
from collections.abc import Callable, Mapping
from typing import Any, Concatenate, ParamSpec, TypeVar

from aiohttp import web

from localdiscord.emulator.faults import Faults
from localdiscord.emulator.gateway import Gateway, GatewaySession
from localdiscord.emulator.interactions import InteractionDriver
from localdiscord.emulator.messages import pings
from localdiscord.emulator.patch import DiscordPatch, patched_discord
from localdiscord.emulator.payloads import channel_payload
from localdiscord.emulator.rest import RestApi
from localdiscord.emulator.seed import DEFAULT_GUILD_NAME, add_default_users, add_forum, add_guild
from localdiscord.emulator.state import (
    DEFAULT_TIMEOUT,
    JSON,
    FakeChannel,
    FakeGuild,
    FakeRole,
    FakeUser,
    RecordedRequest,
    UserRef,
    World,
)

DEFAULT_TOKEN = "emulator.bot.token"  # noqa: S105 (a fake token)
LOOPBACK_HOSTS = ("127.0.0.1", "::1")

# Client options that make discord.py fire on_ready ~50 ms after the last GUILD_CREATE instead of
# 2 s (discord.py waits `guild_ready_timeout` for more guilds; there is no "last guild" signal).
FAST_CLIENT_OPTIONS: dict[str, Any] = {"guild_ready_timeout": 0.05}

P = ParamSpec("P")
R = TypeVar("R")


def _part(name: str, method: Callable[Concatenate[Any, P], R]) -> Callable[Concatenate[Any, P], R]:
    """`method` of `self.<name>` (the driver, the faults) as a FakeDiscord method, as it is."""

    @functools.wraps(method)
    def call(self: Any, *args: P.args, **kwargs: P.kwargs) -> R:
        return method(getattr(self, name), *args, **kwargs)

    return call


class FakeDiscord:
    """An in-process fake of Discord's REST API and gateway that real discord.py code talks to.

    `async with FakeDiscord() as fake, patched_discord(fake): ...` then start a bot with
    `fake.token` and `**FAST_CLIENT_OPTIONS`. Everything listens on 127.0.0.1 only, on a
    random port, and every wait is bounded by `timeout` seconds.
    """

    def __init__(
        self,
        *,
        token: str | None = None,
        guilds: int = 1,
        guild_name: str = DEFAULT_GUILD_NAME,
        bot_name: str = "Nexus",
        timeout: float = DEFAULT_TIMEOUT,
        interaction_deadline: float | None = 3.0,
        heartbeat_interval_ms: int = 41_250,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        if host not in LOOPBACK_HOSTS:
            raise ValueError(f"the emulator only listens on loopback, not {host!r}")
        self.host = host
        self.port = port
        self.timeout = timeout
        self.world = World(token, bot_name=bot_name)
        self.faults = Faults()
        self.gateway = Gateway(self.world, heartbeat_interval_ms=heartbeat_interval_ms)
        self.rest = RestApi(
            self.world, self.faults, self.gateway, interaction_deadline=interaction_deadline
        )
        self.driver = InteractionDriver(self.world, self.gateway, timeout=timeout)
        self._runner: web.AppRunner | None = None
        self.base_url = ""
        self.gateway_url = ""
        self.http_url = ""
        add_default_users(self.world)
        for index in range(guilds):
            self.add_guild(guild_name if index == 0 else f"{guild_name} {index + 1}")

    # -- lifecycle -------------------------------------------------------------------------

    async def start(self) -> FakeDiscord:
        app = web.Application(middlewares=[self.rest.middleware], client_max_size=64 * 1024**2)
        app.router.add_get("/gateway", self.gateway.handle)
        self.rest.add_routes(app)
        runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=1.0)
        await runner.setup()
        site = web.TCPSite(runner, self.host, self.port)
        await site.start()
        self._runner = runner
        address = runner.addresses[0]
        self.port = int(address[1])
        host = f"[{self.host}]" if ":" in self.host else self.host
        self.http_url = f"http://{host}:{self.port}"
        self.base_url = f"{self.http_url}/api/v10"
        self.gateway_url = f"ws://{host}:{self.port}/gateway"
        self.world.base_http = self.http_url
        self.gateway.url = self.gateway_url
        return self

    async def stop(self) -> None:
        await self.gateway.close_all()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeDiscord:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    def patch(self) -> DiscordPatch[FakeDiscord]:
        """Same as `patched_discord(self)`."""
        return patched_discord(self)

    # -- the modelled world ----------------------------------------------------------------

    @property
    def token(self) -> str:
        """The bot token to log in with (any token is accepted unless one was given)."""
        return self.world.token or DEFAULT_TOKEN

    @property
    def application_id(self) -> int:
        return self.world.application_id

    @property
    def bot_user(self) -> FakeUser:
        return self.world.bot_user

    @property
    def guild(self) -> FakeGuild:
        """The default (first) guild."""
        return self.world.guild()

    @property
    def guild_id(self) -> int:
        return self.guild.id

    @property
    def guilds(self) -> list[FakeGuild]:
        return list(self.world.guilds)

    @property
    def channels(self) -> dict[str, int]:
        """Channel name -> id in the default guild."""
        return {name: c.id for name, c in self.guild.channels.items()}

    @property
    def roles(self) -> dict[str, int]:
        """Role name -> id in the default guild."""
        return {name: r.id for name, r in self.guild.roles.items()}

    @property
    def users(self) -> dict[str, int]:
        """User key (owner, admin, moderator, member, member2, bot) -> id."""
        return {key: u.id for key, u in self.world.users.items()}

    def user(self, ref: UserRef) -> FakeUser:
        return self.world.user(ref)

    def channel(self, ref: str | int, guild: str | int | None = None) -> FakeChannel:
        if isinstance(ref, int):
            found = self.world.channel_by_id(ref)
            if found is None:
                raise AssertionError(f"no channel with id {ref}")
            return found
        return self.world.guild(guild).channel(ref)

    def role(self, ref: str | int, guild: str | int | None = None) -> FakeRole:
        return self.world.guild(guild).role(ref)

    def add_guild(self, name: str | None = None) -> FakeGuild:
        """Add a guild laid out like the default one (same users); announce it if connected."""
        return add_guild(self.world, name or f"{DEFAULT_GUILD_NAME} {len(self.world.guilds) + 1}")

    async def add_forum(
        self,
        name: str = "help",
        *,
        tags: tuple[str, ...] = (),
        manage_channels: bool = True,
        guild: str | int | None = None,
    ) -> FakeChannel:
        """Add a forum channel (with these tags) to a guild; CHANNEL_CREATE if connected.
        `manage_channels`: the bot may edit the forum (its tags).
        """
        forum = add_forum(
            self.world, self.world.guild(guild), name, tags=tags, manage_channels=manage_channels
        )
        await self.rest.announce("CHANNEL_CREATE", channel_payload(forum))
        return forum

    def threads(
        self, forum: str | int | None = None, guild: str | int | None = None
    ) -> list[FakeChannel]:
        """The threads of a guild (posts of `forum` only, when named), oldest first."""
        home = self.world.guild(guild)
        parent = home.channel(forum).id if forum is not None else None
        found = [t for t in home.threads.values() if parent is None or t.parent_id == parent]
        return sorted(found, key=lambda t: t.id)

    async def announce_guild(self, guild: FakeGuild) -> None:
        """Dispatch GUILD_CREATE for a guild added while the bot is connected."""
        session = await self.gateway.wait_until_connected(self.timeout, guild.id)
        await self.gateway.dispatch_to(
            session, "GUILD_CREATE", self.gateway.guild_create(session, guild)
        )

    # -- what the bot did ------------------------------------------------------------------

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every HTTP request the bot made, in order."""
        return self.world.requests

    @property
    def unknown_requests(self) -> list[RecordedRequest]:
        """Requests to routes the emulator does not implement (answered with a 404)."""
        return [r for r in self.world.requests if r.unknown_route]

    @property
    def schema_violations(self) -> list[str]:
        """Requests Discord's OpenAPI document does not allow, one line each ("POST /path:
        embeds.0.title: ... is not of type 'string'"): the body does not fit the schema of its
        route, or the document has no such route. Not refused: the test run fails on them.
        Each request is checked the first time this is read.
        """
        return [
            f"{r.method} {r.path}: {problem}"
            for r in self.world.requests
            for problem in self.rest.schema_problems(r)
        ]

    def take_schema_violations(self) -> list[str]:
        """`schema_violations`, then forgotten: a test that sends a body Discord's document
        does not allow on purpose takes them after asserting on them.
        """
        taken = self.schema_violations
        for request in self.world.requests:
            request.schema_problems = []
        return taken

    def requests_to(self, method: str, path_regex: str) -> list[RecordedRequest]:
        pattern = re.compile(path_regex)
        return [
            r for r in self.world.requests if r.method == method.upper() and pattern.search(r.path)
        ]

    @property
    def messages(self) -> dict[int, list[JSON]]:
        """Channel id -> messages currently in it (ephemeral ones included, flag 64)."""
        return self.world.messages

    def channel_messages(self, channel: str | int) -> list[JSON]:
        return copy.deepcopy(self.world.messages.get(self.channel(channel).id, []))

    def commands(self, guild: str | int | None = None, *, global_: bool = False) -> list[JSON]:
        """Registered commands: the default guild's (or `guild`'s), or the global ones."""
        if global_:
            return copy.deepcopy(self.world.commands.get(None, []))
        return copy.deepcopy(self.world.commands.get(self.world.guild(guild).id, []))

    def all_sent_messages(self) -> list[JSON]:
        """Every message body the bot sent: channel messages, callbacks, follow-ups and edits."""
        return copy.deepcopy(self.world.sent_bodies)

    def pings(self, message: Mapping[str, Any]) -> JSON:
        """Who a stored message notifies ({users, roles, everyone}) given its allowed_mentions."""
        return pings(self.world, dict(message))

    def file_bytes(self, attachment: Mapping[str, Any] | int) -> bytes:
        """The bytes of an attachment (one the bot uploaded or a user attached)."""
        file_id = int(attachment["id"]) if isinstance(attachment, Mapping) else int(attachment)
        return self.world.files[file_id].data

    # -- fault injection -------------------------------------------------------------------

    fail_next = _part("faults", Faults.fail_next)

    # -- the gateway -----------------------------------------------------------------------

    async def wait_until_connected(
        self, timeout: float | None = None, guild: str | int | None = None
    ) -> GatewaySession:
        """Wait until the bot has IDENTIFYed (or RESUMEd) and received its guilds; with `guild`,
        until the shard that receives that guild has.
        """
        guild_id = self.world.guild(guild).id if guild is not None else None
        return await self.gateway.wait_until_connected(timeout or self.timeout, guild_id)

    async def dispatch(self, event: str, data: Any) -> int:
        """Send any gateway DISPATCH event; returns its sequence number."""
        return await self.gateway.dispatch(event, data, self.timeout)

    async def drop_connection(self, code: int = 4000) -> None:
        """Close the bot's websocket server-side (4000: discord.py reconnects and RESUMEs)."""
        await self.gateway.drop(code)

    async def send_reconnect(self) -> None:
        """Send op 7 RECONNECT."""
        await self.gateway.send_op(7)

    async def invalidate_session(self, resumable: bool = False) -> None:
        """Send op 9 INVALID_SESSION."""
        await self.gateway.send_op(9, resumable)

    # -- acting as users (see InteractionDriver) ---------------------------------------------

    slash = _part("driver", InteractionDriver.slash)
    autocomplete = _part("driver", InteractionDriver.autocomplete)
    context_menu = _part("driver", InteractionDriver.context_menu)
    click = _part("driver", InteractionDriver.click)
    select = _part("driver", InteractionDriver.select)
    submit_modal = _part("driver", InteractionDriver.submit_modal)
    send_message = _part("driver", InteractionDriver.send_message)
