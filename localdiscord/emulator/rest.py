"""The fake REST API (`/api/v10/...`): every request is recorded, faults are injected first.

`RestApi.middleware` records each request, checks the bot token, serves injected faults, and
answers a handler's `Refused` with its error. The routes for users, the gateway, the
application, channels, messages, guilds and the loopback CDN are here; application commands
and interactions are the parts of `RestApi` in `rest_commands` and `rest_interactions`.
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from localdiscord.emulator.faults import Faults
from localdiscord.emulator.gateway import Gateway
from localdiscord.emulator.jsontext import InvalidJson
from localdiscord.emulator.limits import Problem
from localdiscord.emulator.messages import create_message, delete_message, edit_message
from localdiscord.emulator.openapi import DiscordApi
from localdiscord.emulator.payloads import (
    application_payload,
    bot_user_payload,
    channel_payload,
    guild_payload,
    member_payload,
    role_payload,
    user_payload,
)
from localdiscord.emulator.rest_commands import CommandRoutes
from localdiscord.emulator.rest_interactions import InteractionRoutes
from localdiscord.emulator.rest_kit import (
    API_PREFIX,
    OWN_JSON,
    RECORD,
    Refused,
    bad_request,
    body_of,
    channel_of,
    checked_message,
    error,
    guild_of,
    invalid_json,
    json_response,
    need,
    parse_body,
    truthy,
    unknown,
)
from localdiscord.emulator.rest_threads import ThreadRoutes, archived_refusal, may_post_in
from localdiscord.emulator.state import (
    EPHEMERAL,
    JSON,
    FakeChannel,
    FakeGuild,
    RecordedFile,
    RecordedRequest,
    World,
)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class RestApi(CommandRoutes, InteractionRoutes, ThreadRoutes):
    """Route handlers over the shared world; `middleware` records, authenticates, injects."""

    def __init__(
        self,
        world: World,
        faults: Faults,
        gateway: Gateway,
        *,
        interaction_deadline: float | None = 3.0,
    ) -> None:
        self.world = world
        self.faults = faults
        self.gateway = gateway
        self.interaction_deadline = interaction_deadline

    @functools.cached_property
    def discord_api(self) -> DiscordApi:
        """Discord's OpenAPI document, which every request is checked against (read once)."""
        return DiscordApi.published()

    def schema_problems(self, record: RecordedRequest) -> list[str]:
        """Why Discord's OpenAPI document does not allow the request `record` is.

        Checked when first asked, not while the request is answered: the check costs nothing
        where nobody asks (the playground, the benchmarks) and adds no latency where they do.
        """
        if record.schema_problems is None:
            record.schema_problems = (
                self.discord_api.problems(
                    record.method, record.path, record.json, multipart=record.multipart
                )
                if record.checkable
                else []
            )
        return record.schema_problems

    # -- plumbing ----------------------------------------------------------------------------

    def add_routes(self, app: web.Application) -> None:
        p = API_PREFIX
        r = app.router
        r.add_get(p + "/users/@me", self.get_me)
        r.add_get(p + "/users/{user_id:\\d+}", self.get_user)
        r.add_post(p + "/users/@me/channels", self.create_dm)
        r.add_get(p + "/gateway", self.get_gateway)
        r.add_get(p + "/gateway/bot", self.get_gateway_bot)
        r.add_get(p + "/applications/@me", self.get_application)
        r.add_get(p + "/oauth2/applications/@me", self.get_application)
        self.add_command_routes(r)
        self.add_interaction_routes(r)
        self.add_thread_routes(r)
        r.add_get(p + "/channels/{channel}", self.get_channel)
        r.add_get(p + "/channels/{channel}/messages", self.list_messages)
        r.add_post(p + "/channels/{channel}/messages", self.create_channel_message)
        r.add_post(p + "/channels/{channel}/typing", self.no_content)
        msg = p + "/channels/{channel}/messages/{message}"
        r.add_get(msg, self.get_channel_message)
        r.add_patch(msg, self.edit_channel_message)
        r.add_delete(msg, self.delete_channel_message)
        r.add_put(msg + "/reactions/{emoji}/@me", self.no_content)
        r.add_delete(msg + "/reactions/{emoji}/@me", self.no_content)
        r.add_get(p + "/guilds/{guild}", self.get_guild)
        r.add_get(p + "/guilds/{guild}/channels", self.get_guild_channels)
        r.add_get(p + "/guilds/{guild}/roles", self.get_guild_roles)
        r.add_get(p + "/guilds/{guild}/members", self.list_members)
        r.add_get(p + "/guilds/{guild}/members/{user}", self.get_member)
        r.add_get("/attachments/{channel}/{file}/{filename}", self.get_attachment)

    def _needs_auth(self, path: str) -> bool:
        return not path.startswith(("/webhooks/", "/interactions/"))

    def _auth_ok(self, header: str | None) -> bool:
        if not header or not header.startswith("Bot ") or len(header) <= 4:
            return False
        return self.world.token is None or header[4:] == self.world.token

    @web.middleware
    async def middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path == "/gateway":
            return await handler(request)
        path = request.path
        api = path.startswith(API_PREFIX + "/")
        rel = path[len(API_PREFIX) :] if api else path
        body: Any = None
        files: list[RecordedFile] = []
        readable = True
        try:
            body, files = await parse_body(request)
        except InvalidJson:
            readable = False
        record = RecordedRequest(
            method=request.method,
            path=rel,
            query=dict(request.query),
            json=body,
            files=files,
            headers={k: v for k, v in request.headers.items() if k.lower() != "authorization"},
        )
        self.world.requests.append(record)
        request[RECORD] = record
        record.checkable = api and readable
        record.multipart = request.content_type.startswith("multipart/")
        response: web.StreamResponse
        try:
            if (
                api
                and self._needs_auth(rel)
                and not self._auth_ok(request.headers.get("Authorization"))
            ):
                response = error(401, 0, "401: Unauthorized")
            elif not readable:
                response = invalid_json()
            elif (rule := self.faults.take(request.method, rel)) is not None:
                record.fault = True
                response = json_response(rule.body, rule.status, rule.headers)
            else:
                response = await handler(request)
        except Refused as refused:
            response = refused.response
        except (web.HTTPNotFound, web.HTTPMethodNotAllowed):
            record.unknown_route = True
            response = error(404, 0, "404: Not Found")
        record.status = response.status
        if isinstance(response, web.Response) and response.get(OWN_JSON):
            answer = response.body
            if isinstance(answer, bytes):
                record.response_body = answer
        self.world.notify()
        return response

    def _guild(self, request: web.Request) -> FakeGuild:
        return need(guild_of(self.world, request), "guild")

    def _channel(self, request: web.Request) -> FakeChannel:
        return need(channel_of(self.world, request), "channel")

    def _channel_message(self, request: web.Request) -> JSON:
        """The message the path names, in the channel it names."""
        channel = self._channel(request)
        raw = request.match_info.get("message", "")
        message = self.world.find_message(int(raw)) if raw.isdigit() else None
        if message is None or int(message["channel_id"]) != channel.id:
            raise Refused(unknown("message"))
        return message

    async def no_content(self, request: web.Request) -> web.Response:
        return web.Response(status=204)

    # -- users, gateway, application -----------------------------------------------------------

    async def get_me(self, request: web.Request) -> web.Response:
        return json_response(bot_user_payload(self.world.bot_user))

    async def get_user(self, request: web.Request) -> web.Response:
        user_id = int(request.match_info["user_id"])
        for user in self.world.users.values():
            if user.id == user_id:
                return json_response(user_payload(user))
        return unknown("user")

    async def create_dm(self, request: web.Request) -> web.Response:
        body = body_of(request) or {}
        try:
            user = self.world.user(int(body.get("recipient_id", 0)))
        except (AssertionError, ValueError):
            return bad_request([Problem(("recipient_id",), "unknown recipient")])
        return json_response(channel_payload(self.world.dm_channel(user), self.world))

    async def get_gateway(self, request: web.Request) -> web.Response:
        return json_response({"url": self.gateway.url})

    async def get_gateway_bot(self, request: web.Request) -> web.Response:
        limit = {"total": 1000, "remaining": 999, "reset_after": 14_400_000, "max_concurrency": 1}
        shards = self.gateway.recommended_shards
        return json_response(
            {"url": self.gateway.url, "shards": shards, "session_start_limit": limit}
        )

    async def get_application(self, request: web.Request) -> web.Response:
        owner = self.world.guilds[0].owner_id if self.world.guilds else self.world.bot_user.id
        return json_response(application_payload(self.world, self.world.user(owner)))

    # -- channels and messages -------------------------------------------------------------

    async def get_channel(self, request: web.Request) -> web.Response:
        return json_response(channel_payload(self._channel(request), self.world))

    async def list_messages(self, request: web.Request) -> web.Response:
        channel = self._channel(request)
        messages = list(reversed(self.world.messages.get(channel.id, [])))
        before, after = request.query.get("before"), request.query.get("after")
        if before and before.isdigit():
            messages = [m for m in messages if int(m["id"]) < int(before)]
        if after and after.isdigit():
            messages = [m for m in messages if int(m["id"]) > int(after)]
        limit = int(request.query.get("limit", "50") or 50)
        return json_response(messages[:limit])

    async def create_channel_message(self, request: web.Request) -> web.Response:
        channel = self._channel(request)
        body, files = checked_message(request)
        if int(body.get("flags") or 0) & EPHEMERAL:
            return bad_request([Problem(("flags",), "only interaction responses can be ephemeral")])
        refused = may_post_in(self.world, channel)
        if refused is not None:
            return refused.response
        self.world.sent_bodies.append(copy.deepcopy(body))
        message = create_message(self.world, channel, body, files)
        if channel.is_thread and channel.archived:  # a message unarchives its thread
            await self.unarchive(channel)
        return json_response(message)

    async def get_channel_message(self, request: web.Request) -> web.Response:
        return json_response(self._channel_message(request))

    async def edit_channel_message(self, request: web.Request) -> web.Response:
        message = self._channel_message(request)
        if message["author"]["id"] != str(self.world.bot_user.id):
            return error(403, 50005, "Cannot edit a message authored by another user")
        if self._channel(request).archived:
            raise archived_refusal()
        body, files = checked_message(request, partial=True)
        self.world.sent_bodies.append(copy.deepcopy(body))
        return json_response(edit_message(self.world, message, body, files))

    async def delete_channel_message(self, request: web.Request) -> web.Response:
        delete_message(self.world, int(self._channel_message(request)["id"]))
        return web.Response(status=204)

    # -- guilds ----------------------------------------------------------------------------

    async def get_guild(self, request: web.Request) -> web.Response:
        guild = self._guild(request)
        payload = guild_payload(guild)
        if truthy(request.query.get("with_counts")):
            payload.update(
                approximate_member_count=len(guild.members),
                approximate_presence_count=0,
            )
        return json_response(payload)

    async def get_guild_channels(self, request: web.Request) -> web.Response:
        channels = self._guild(request).channels.values()
        return json_response([channel_payload(c) for c in channels])

    async def get_guild_roles(self, request: web.Request) -> web.Response:
        return json_response([role_payload(r) for r in self._guild(request).roles.values()])

    async def list_members(self, request: web.Request) -> web.Response:
        guild = self._guild(request)
        limit = int(request.query.get("limit", "1") or 1)
        after = int(request.query.get("after", "0") or 0)
        members = sorted(guild.members.values(), key=lambda m: m.user.id)
        return json_response([member_payload(m) for m in members if m.user.id > after][:limit])

    async def get_member(self, request: web.Request) -> web.Response:
        guild = self._guild(request)
        raw = request.match_info["user"]
        member = guild.members.get(int(raw)) if raw.isdigit() else None
        return json_response(member_payload(need(member, "member")))

    # -- the loopback CDN ------------------------------------------------------------------

    async def get_attachment(self, request: web.Request) -> web.Response:
        raw = request.match_info["file"]
        stored = self.world.files.get(int(raw)) if raw.isdigit() else None
        if stored is None or stored.filename != request.match_info["filename"]:
            return web.Response(status=404, text="Not Found")
        return web.Response(body=stored.data, headers={"Content-Type": stored.content_type})
