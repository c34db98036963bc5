"""The fake gateway: HELLO, IDENTIFY/READY/GUILD_CREATE, heartbeats, RESUME and dispatches."""

# Every wait is bounded: a `timeout` parameter is part of this module's API.
# ruff: noqa: ASYNC109

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import secrets
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

from localdiscord.emulator.jsontext import DECODE_ERROR_CLOSE, InvalidJson, read_json
from localdiscord.emulator.payloads import guild_create_payload, member_payload, ready_payload
from localdiscord.emulator.state import DEFAULT_TIMEOUT, JSON, FakeGuild, World

log = logging.getLogger(__name__)

GUILD_MEMBERS_INTENT = 1 << 1
MESSAGE_CONTENT_INTENT = 1 << 15
DECODE_ERROR_REASON = b"Error while decoding payload."
INVALID_SHARD_CLOSE = 4010  # Discord's close code for a shard IDENTIFY it cannot accept


def shard_of(guild_id: int, shard_count: int) -> int:
    """The shard that receives a guild's events, by Discord's formula."""
    return (guild_id >> 22) % shard_count


def valid_shard(shard: Any) -> bool:
    """IDENTIFY's `shard`: `[shard_id, shard_count]`, 0 <= shard_id < shard_count."""
    return (
        isinstance(shard, list)
        and len(shard) == 2
        and all(isinstance(n, int) and not isinstance(n, bool) for n in shard)
        and 0 <= shard[0] < shard[1]
    )


@dataclass
class GatewaySession:
    """One gateway session (survives a dropped connection so it can be RESUMEd)."""

    session_id: str
    intents: int
    shard: Any
    seq: int = 0
    log: deque[JSON] = field(default_factory=lambda: deque(maxlen=2000))
    ws: web.WebSocketResponse | None = None
    ready: bool = False
    order: int = 0  # when it last identified or resumed: the newest session of a shard wins

    @property
    def connected(self) -> bool:
        return self.ws is not None and not self.ws.closed

    def holds(self, guild_id: int | None) -> bool:
        """Whether this session receives the guild's events (every guild without sharding)."""
        if guild_id is None or self.shard is None:
            return True
        shard_id, shard_count = self.shard
        return bool(shard_of(guild_id, shard_count) == shard_id)


class Gateway:
    """Serves `/gateway` and pushes dispatches (with sequence numbers) to the session that
    holds their guild: with sharded sessions (IDENTIFY's `shard: [id, count]`), the one whose
    shard has it, by Discord's formula `(guild_id >> 22) % count`; otherwise the current one.
    """

    def __init__(self, world: World, *, heartbeat_interval_ms: int = 41_250) -> None:
        self.world = world
        self.heartbeat_interval_ms = heartbeat_interval_ms
        self.url = ""
        self.sessions: dict[str, GatewaySession] = {}
        self.current: GatewaySession | None = None
        self.sockets: set[web.WebSocketResponse] = set()
        self.received: list[JSON] = []
        self.connect_queries: list[dict[str, str]] = []
        self.identifies = 0
        self.resumes = 0
        self.heartbeats = 0
        self.recommended_shards = 1  # what GET /gateway/bot advises
        self._order = itertools.count(1)
        self._send_lock = asyncio.Lock()

    # -- connection handling ---------------------------------------------------------------

    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(timeout=2.0, max_msg_size=0, autoping=True)
        await ws.prepare(request)
        self.sockets.add(ws)
        self.connect_queries.append(dict(request.query))
        session: GatewaySession | None = None
        try:
            await self._send(
                ws,
                {
                    "op": 10,
                    "d": {
                        "heartbeat_interval": self.heartbeat_interval_ms,
                        "_trace": ['["nexus-emulator",{}]'],
                    },
                },
            )
            async for msg in ws:
                if msg.type is not WSMsgType.TEXT:
                    continue
                try:
                    payload = read_json(msg.data)
                except InvalidJson:
                    payload = None
                if not isinstance(payload, dict):
                    await ws.close(
                        code=DECODE_ERROR_CLOSE, message=b"Error while decoding payload."
                    )
                    break
                op, data = payload.get("op"), payload.get("d")
                self._record(payload)
                if op == 1:
                    self.heartbeats += 1
                    await self._send(ws, {"op": 11})
                elif op == 2:
                    session = await self._identify(ws, data or {})
                elif op == 6:
                    session = await self._resume(ws, data or {})
                elif op == 8 and session is not None:
                    await self._request_members(session, data or {})
                elif op in (3, 4):
                    continue
                else:
                    await ws.close(code=4001, message=b"Unknown opcode")
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            self.sockets.discard(ws)
            if session is not None and session.ws is ws:
                session.ws = None
            self.world.notify()
        return ws

    def _record(self, payload: JSON) -> None:
        data = payload.get("d")
        if isinstance(data, dict) and "token" in data:
            payload = {**payload, "d": {**data, "token": "<redacted>"}}
        self.received.append(payload)

    def _token_ok(self, token: Any) -> bool:
        if not isinstance(token, str) or not token:
            return False
        token = token.removeprefix("Bot ")
        return self.world.token is None or token == self.world.token

    async def _send(self, ws: web.WebSocketResponse, frame: JSON) -> None:
        frame = {"op": frame["op"], "d": frame.get("d"), "s": frame.get("s"), "t": frame.get("t")}
        async with self._send_lock:
            if not ws.closed:
                await ws.send_str(json.dumps(frame))

    async def _identify(self, ws: web.WebSocketResponse, data: JSON) -> GatewaySession | None:
        if not self._token_ok(data.get("token")):
            await ws.close(code=4004, message=b"Authentication failed.")
            return None
        shard = data.get("shard")
        if shard is not None and not valid_shard(shard):
            await ws.close(code=INVALID_SHARD_CLOSE, message=b"Invalid shard.")
            return None
        self.identifies += 1
        session = GatewaySession(
            session_id=secrets.token_hex(16),
            intents=int(data.get("intents") or 0),
            shard=shard,
            ws=ws,
            order=next(self._order),
        )
        self.sessions[session.session_id] = session
        self.current = session
        guilds = [g for g in self.world.guilds if session.holds(g.id)]
        ready = ready_payload(self.world, session.session_id, self.url, session.shard)
        ready["guilds"] = [{"id": str(g.id), "unavailable": True} for g in guilds]
        await self.dispatch_to(session, "READY", ready)
        for guild in guilds:
            await self.dispatch_to(session, "GUILD_CREATE", self.guild_create(session, guild))
        session.ready = True
        self.world.notify()
        return session

    def guild_create(self, session: GatewaySession, guild: FakeGuild) -> JSON:
        """GUILD_CREATE as the session's intents allow (members only with GUILD_MEMBERS)."""
        payload = guild_create_payload(self.world, guild)
        if not session.intents & GUILD_MEMBERS_INTENT:
            bot_id = str(self.world.bot_user.id)
            payload["members"] = [m for m in payload["members"] if m["user"]["id"] == bot_id]
        return payload

    async def _resume(self, ws: web.WebSocketResponse, data: JSON) -> GatewaySession | None:
        session = self.sessions.get(str(data.get("session_id")))
        if session is None or not self._token_ok(data.get("token")):
            await self._send(ws, {"op": 9, "d": False})
            return None
        self.resumes += 1
        old = session.ws
        session.ws = ws
        session.order = next(self._order)
        self.current = session
        if old is not None and old is not ws and not old.closed:
            await old.close(code=4000)
        seq = int(data.get("seq") or 0)
        for frame in list(session.log):
            if frame["s"] > seq:
                await self._send(ws, frame)
        await self.dispatch_to(session, "RESUMED", {"_trace": ['["nexus-emulator",{}]']})
        session.ready = True
        self.world.notify()
        return session

    async def _request_members(self, session: GatewaySession, data: JSON) -> None:
        guild = self.world.guild_by_id(int(data.get("guild_id") or 0))
        if guild is None:
            return
        members = list(guild.members.values())
        user_ids = data.get("user_ids")
        if user_ids:
            wanted = {int(u) for u in (user_ids if isinstance(user_ids, list) else [user_ids])}
            members = [m for m in members if m.user.id in wanted]
        else:
            query = str(data.get("query") or "").lower()
            members = [m for m in members if m.user.username.lower().startswith(query)]
            limit = int(data.get("limit") or 0)
            if limit:
                members = members[:limit]
        chunk: JSON = {
            "guild_id": str(guild.id),
            "members": [member_payload(m) for m in members],
            "chunk_index": 0,
            "chunk_count": 1,
            "not_found": [],
        }
        if data.get("nonce") is not None:
            chunk["nonce"] = data["nonce"]
        await self.dispatch_to(session, "GUILD_MEMBERS_CHUNK", chunk)

    # -- pushing events --------------------------------------------------------------------

    async def dispatch_to(self, session: GatewaySession, event: str, data: Any) -> int:
        """Send a DISPATCH with the session's next sequence number (kept for RESUME replays)."""
        async with self._send_lock:
            session.seq += 1
            frame = {"op": 0, "d": data, "s": session.seq, "t": event}
            session.log.append(frame)
            if session.ws is not None and not session.ws.closed:
                try:
                    await session.ws.send_str(json.dumps(frame))
                except ConnectionError:
                    log.debug("gateway socket closed while sending %s", event)
            return session.seq

    def session_for(self, guild_id: int | None) -> GatewaySession | None:
        """The connected, ready session that receives `guild_id`'s events (None: none yet).

        The current session when it holds the guild; else the newest one whose shard does.
        """
        current = self.current
        if current is not None and current.ready and current.connected and current.holds(guild_id):
            return current
        live = [s for s in self.sessions.values() if s.ready and s.connected and s.holds(guild_id)]
        return max(live, key=lambda s: s.order, default=None)

    async def wait_until_connected(
        self, timeout: float = DEFAULT_TIMEOUT, guild_id: int | None = None
    ) -> GatewaySession:
        """Wait until a session is identified (READY and GUILD_CREATEs sent) and connected;
        with `guild_id`, one whose shard receives that guild.
        """
        what = "the bot" if guild_id is None else f"the bot's shard of guild {guild_id}"
        return await self.world.wait_for(
            lambda: self.session_for(guild_id), f"{what} to connect to the gateway", timeout
        )

    async def dispatch(self, event: str, data: Any, timeout: float = DEFAULT_TIMEOUT) -> int:
        """Send a DISPATCH to the session that holds its guild (`data["guild_id"]`)."""
        guild = data.get("guild_id") if isinstance(data, dict) else None
        session = await self.wait_until_connected(timeout, int(guild) if guild else None)
        return await self.dispatch_to(session, event, data)

    async def send_op(self, op: int, data: Any = None) -> None:
        session = self.current
        if session is not None and session.ws is not None:
            await self._send(session.ws, {"op": op, "d": data})

    async def drop(self, code: int = 4000) -> None:
        """Close the current connection server-side (discord.py reconnects and RESUMEs)."""
        session = self.current
        if session is None or session.ws is None:
            raise AssertionError("no gateway connection to drop")
        ws, session.ws = session.ws, None
        session.ready = False
        await ws.close(code=code, message=b"emulator dropped the connection")
        self.world.notify()

    async def close_all(self) -> None:
        for ws in list(self.sockets):
            if not ws.closed:
                with contextlib.suppress(TimeoutError, ConnectionError):
                    async with asyncio.timeout(2.0):
                        await ws.close(code=1001, message=b"emulator stopping")
        self.sockets.clear()
