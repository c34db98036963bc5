"""The fake REST API (`/api/v10/...`): every request is recorded, faults are injected first."""

from __future__ import annotations

import copy
import json
import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import BodyPartReader, hdrs, web

from localdiscord.emulator.faults import Faults
from localdiscord.emulator.gateway import Gateway
from localdiscord.emulator.limits import (
    Problem,
    autocomplete_problems,
    command_problems,
    commands_problems,
    error_body,
    message_problems,
    modal_problems,
)
from localdiscord.emulator.messages import create_message, delete_message, edit_message
from localdiscord.emulator.payloads import (
    application_payload,
    bot_user_payload,
    channel_payload,
    guild_payload,
    member_payload,
    role_payload,
    user_payload,
)
from localdiscord.emulator.state import (
    EPHEMERAL,
    JSON,
    LOADING,
    FakeChannel,
    FakeGuild,
    PendingInteraction,
    RecordedFile,
    RecordedRequest,
    World,
)

API_PREFIX = "/api/v10"
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
RECORD = web.RequestKey("record", RecordedRequest)

UNKNOWN = {
    "channel": (10003, "Unknown Channel"),
    "guild": (10004, "Unknown Guild"),
    "member": (10007, "Unknown Member"),
    "message": (10008, "Unknown Message"),
    "user": (10013, "Unknown User"),
    "webhook": (10015, "Unknown Webhook"),
    "interaction": (10062, "Unknown interaction"),
    "command": (10063, "Unknown application command"),
    "application": (10002, "Unknown Application"),
}


def json_response(
    data: Any, status: int = 200, headers: dict[str, str] | None = None
) -> web.Response:
    """A JSON response whose content type is exactly `application/json` (discord.py needs it)."""
    all_headers = {"Content-Type": "application/json"}
    all_headers.update(headers or {})
    return web.Response(body=json.dumps(data).encode(), status=status, headers=all_headers)


def error(status: int, code: int, message: str) -> web.Response:
    return json_response({"message": message, "code": code}, status)


def unknown(kind: str) -> web.Response:
    code, message = UNKNOWN[kind]
    return error(404, code, message)


def bad_request(problems: list[Problem], *, code: int = 50035) -> web.Response:
    if len(problems) == 1 and problems[0].code == "EMPTY_MESSAGE":
        return error(400, 50006, "Cannot send an empty message")
    return json_response(error_body(problems, code=code), 400)


def _truthy(value: str | None) -> bool:
    return (value or "").lower() in ("1", "true", "yes")


async def parse_body(request: web.Request) -> tuple[Any, list[RecordedFile]]:
    """The JSON body (or multipart `payload_json`) and any uploaded files."""
    if not request.can_read_body:
        return None, []
    files: list[RecordedFile] = []
    if request.content_type.startswith("multipart/"):
        body: Any = None
        reader = await request.multipart()
        while True:
            part = await reader.next()
            if part is None:
                break
            if not isinstance(part, BodyPartReader):
                continue
            data = bytes(await part.read(decode=False))
            if part.name == "payload_json":
                body = json.loads(data)
            else:
                files.append(
                    RecordedFile(
                        field=part.name or "",
                        filename=part.filename or part.name or "file",
                        content_type=part.headers.get(
                            hdrs.CONTENT_TYPE, "application/octet-stream"
                        ),
                        data=data,
                    )
                )
        return body, files
    raw = await request.read()
    if not raw:
        return None, []
    try:
        return json.loads(raw), []
    except ValueError:
        return raw.decode(errors="replace"), []


class RestApi:
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
        for base in ("/applications/{app}/commands", "/applications/{app}/guilds/{guild}/commands"):
            r.add_get(p + base, self.list_commands)
            r.add_put(p + base, self.put_commands)
            r.add_post(p + base, self.upsert_command)
            r.add_get(p + base + "/{command}", self.get_command)
            r.add_patch(p + base + "/{command}", self.upsert_command)
            r.add_delete(p + base + "/{command}", self.delete_command)
        r.add_post(p + "/interactions/{iid}/{token}/callback", self.interaction_callback)
        r.add_post(p + "/webhooks/{app}/{token}", self.execute_webhook)
        wh = p + "/webhooks/{app}/{token}/messages/{message}"
        r.add_get(wh, self.get_webhook_message)
        r.add_patch(wh, self.edit_webhook_message)
        r.add_delete(wh, self.delete_webhook_message)
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
        body, files = await parse_body(request)
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
        response: web.StreamResponse
        try:
            if (
                api
                and self._needs_auth(rel)
                and not self._auth_ok(request.headers.get("Authorization"))
            ):
                response = error(401, 0, "401: Unauthorized")
            elif (rule := self.faults.take(request.method, rel)) is not None:
                record.fault = True
                response = json_response(rule.body, rule.status, rule.headers)
            else:
                response = await handler(request)
        except (web.HTTPNotFound, web.HTTPMethodNotAllowed):
            record.unknown_route = True
            response = error(404, 0, "404: Not Found")
        record.status = response.status
        if (
            isinstance(response, web.Response)
            and response.body is not None
            and response.content_type == "application/json"
        ):
            body_bytes = response.body
            if isinstance(body_bytes, bytes):
                record.response = json.loads(body_bytes)
        self.world.notify()
        return response

    @staticmethod
    def _body(request: web.Request) -> Any:
        return request[RECORD].json

    @staticmethod
    def _files(request: web.Request) -> list[RecordedFile]:
        return request[RECORD].files

    def _guild(self, request: web.Request) -> FakeGuild | None:
        raw = request.match_info.get("guild", "")
        return self.world.guild_by_id(int(raw)) if raw.isdigit() else None

    def _channel(self, request: web.Request) -> FakeChannel | None:
        raw = request.match_info.get("channel", "")
        return self.world.channel_by_id(int(raw)) if raw.isdigit() else None

    def _message_in(self, request: web.Request, channel: FakeChannel) -> JSON | None:
        raw = request.match_info.get("message", "")
        message = self.world.find_message(int(raw)) if raw.isdigit() else None
        if message is None or int(message["channel_id"]) != channel.id:
            return None
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
        body = self._body(request) or {}
        try:
            user = self.world.user(int(body.get("recipient_id", 0)))
        except (AssertionError, ValueError):
            return bad_request([Problem(("recipient_id",), "unknown recipient")])
        return json_response(channel_payload(self.world.dm_channel(user), self.world))

    async def get_gateway(self, request: web.Request) -> web.Response:
        return json_response({"url": self.gateway.url})

    async def get_gateway_bot(self, request: web.Request) -> web.Response:
        limit = {"total": 1000, "remaining": 999, "reset_after": 14_400_000, "max_concurrency": 1}
        return json_response({"url": self.gateway.url, "shards": 1, "session_start_limit": limit})

    async def get_application(self, request: web.Request) -> web.Response:
        owner = self.world.guilds[0].owner_id if self.world.guilds else self.world.bot_user.id
        return json_response(application_payload(self.world, self.world.user(owner)))

    # -- application commands --------------------------------------------------------------

    def _command_scope(self, request: web.Request) -> tuple[int | None, web.Response | None]:
        if request.match_info["app"] != str(self.world.application_id):
            return None, error(403, 50001, "Missing Access")
        if "guild" in request.match_info:
            guild = self._guild(request)
            if guild is None:
                return None, error(403, 50001, "Missing Access")
            return guild.id, None
        return None, None

    def _stored_command(self, payload: JSON, guild_id: int | None, existing: list[JSON]) -> JSON:
        ctype = payload.get("type", 1)
        old = next(
            (c for c in existing if c["name"] == payload.get("name") and c["type"] == ctype), None
        )
        stored = copy.deepcopy(payload)
        stored.update(
            id=old["id"] if old else str(self.world.snowflakes.now()),
            application_id=str(self.world.application_id),
            version=str(self.world.snowflakes.now()),
            type=ctype,
            description=payload.get("description") or "",
            default_member_permissions=payload.get("default_member_permissions"),
            nsfw=bool(payload.get("nsfw", False)),
        )
        if guild_id is not None:
            stored["guild_id"] = str(guild_id)
        else:
            stored.setdefault("integration_types", [0])
            stored.setdefault("contexts", None)
        return stored

    async def list_commands(self, request: web.Request) -> web.Response:
        guild_id, failure = self._command_scope(request)
        if failure is not None:
            return failure
        return json_response(self.world.commands.get(guild_id, []))

    async def get_command(self, request: web.Request) -> web.Response:
        guild_id, failure = self._command_scope(request)
        if failure is not None:
            return failure
        for command in self.world.commands.get(guild_id, []):
            if command["id"] == request.match_info["command"]:
                return json_response(command)
        return unknown("command")

    async def put_commands(self, request: web.Request) -> web.Response:
        guild_id, failure = self._command_scope(request)
        if failure is not None:
            return failure
        body = self._body(request)
        problems = commands_problems(body)
        if problems:
            return bad_request(problems)
        existing = self.world.commands.get(guild_id, [])
        self.world.commands[guild_id] = [self._stored_command(c, guild_id, existing) for c in body]
        return json_response(self.world.commands[guild_id])

    async def upsert_command(self, request: web.Request) -> web.Response:
        guild_id, failure = self._command_scope(request)
        if failure is not None:
            return failure
        existing = self.world.commands.setdefault(guild_id, [])
        body = self._body(request) or {}
        target_id = request.match_info.get("command")
        if target_id is not None:
            old = next((c for c in existing if c["id"] == target_id), None)
            if old is None:
                return unknown("command")
            body = {**old, **body}
        problems = command_problems(body)
        if problems:
            return bad_request(problems)
        stored = self._stored_command(body, guild_id, existing)
        created = all(c["id"] != stored["id"] for c in existing)
        self.world.commands[guild_id] = [c for c in existing if c["id"] != stored["id"]] + [stored]
        return json_response(stored, 201 if created else 200)

    async def delete_command(self, request: web.Request) -> web.Response:
        guild_id, failure = self._command_scope(request)
        if failure is not None:
            return failure
        existing = self.world.commands.get(guild_id, [])
        kept = [c for c in existing if c["id"] != request.match_info["command"]]
        if len(kept) == len(existing):
            return unknown("command")
        self.world.commands[guild_id] = kept
        return web.Response(status=204)

    # -- interactions ----------------------------------------------------------------------

    def _pending(self, request: web.Request) -> PendingInteraction | None:
        pending = self.world.interaction_by_token(request.match_info["token"])
        if pending is None:
            return None
        if "iid" in request.match_info and request.match_info["iid"] != str(pending.id):
            return None
        if "app" in request.match_info and request.match_info["app"] != str(
            self.world.application_id
        ):
            return None
        return pending

    def _reject(
        self, pending: PendingInteraction, response: web.Response, why: str
    ) -> web.Response:
        pending.errors.append(why)
        return response

    async def interaction_callback(self, request: web.Request) -> web.Response:
        pending = self._pending(request)
        if pending is None:
            return unknown("interaction")
        elapsed = time.monotonic() - pending.created
        if self.interaction_deadline is not None and elapsed > self.interaction_deadline:
            return self._reject(
                pending,
                unknown("interaction"),
                f"callback came {elapsed:.2f}s after the interaction; Discord allows "
                f"{self.interaction_deadline:g}s (defer first)",
            )
        if pending.callback_type is not None:
            return self._reject(
                pending,
                error(400, 40060, "Interaction has already been acknowledged."),
                "the interaction was acknowledged twice",
            )
        body = self._body(request) or {}
        files = self._files(request)
        ctype = body.get("type")
        data = body.get("data") or {}
        problems = self._callback_problems(pending, ctype, data, len(files))
        if problems:
            return self._reject(pending, bad_request(problems), "; ".join(str(p) for p in problems))
        channel = self.world.channel_by_id(pending.channel_id)
        assert channel is not None
        message: JSON | None = None
        if ctype == 4:
            mtype = 20 if pending.type == 2 else 0
            message = create_message(
                self.world, channel, data, files, interaction=pending, message_type=mtype
            )
            self.world.sent_bodies.append(copy.deepcopy(data))
        elif ctype == 5:
            flags = LOADING | (int(data.get("flags") or 0) & EPHEMERAL)
            mtype = 20 if pending.type == 2 else 0
            message = create_message(
                self.world,
                channel,
                {},
                [],
                interaction=pending,
                message_type=mtype,
                extra_flags=flags,
            )
        elif ctype == 7 and pending.source_message_id is not None:
            source = self.world.find_message(pending.source_message_id)
            if source is None:
                return unknown("message")
            message = edit_message(self.world, source, data, files)
            self.world.sent_bodies.append(copy.deepcopy(data))
        if message is not None:
            pending.original_message_id = int(message["id"])
        elif ctype == 6:
            pending.original_message_id = pending.source_message_id
        pending.callback_type = ctype
        pending.callback_data = copy.deepcopy(data) if "data" in body else None
        if not _truthy(request.query.get("with_response")):
            return web.Response(status=204)
        interaction: JSON = {"id": str(pending.id), "type": pending.type}
        if message is not None:
            interaction.update(
                response_message_id=message["id"],
                response_message_loading=bool(message["flags"] & LOADING),
                response_message_ephemeral=bool(message["flags"] & EPHEMERAL),
            )
        resource: JSON = {"type": ctype}
        if message is not None and ctype in (4, 5, 7):
            resource["message"] = copy.deepcopy(message)
        return json_response({"interaction": interaction, "resource": resource})

    def _callback_problems(
        self, pending: PendingInteraction, ctype: Any, data: JSON, files: int
    ) -> list[Problem]:
        itype = pending.type
        allowed = {
            1: {1},
            2: {4, 5, 9},
            3: {4, 5, 6, 7, 9},
            4: {8},
            5: {4, 5, 6, 7},
        }.get(itype, set())
        if ctype not in allowed:
            return [
                Problem(
                    ("type",),
                    f"callback type {ctype!r} is not valid for interaction type {itype} "
                    f"(allowed: {sorted(allowed)})",
                    "INTERACTION_RESPONSE_TYPE_INVALID",
                )
            ]
        if ctype in (7, 6) and pending.source_message_id is None:
            return [Problem(("type",), "there is no message to update")]
        if ctype == 4:
            return message_problems(data, files=files)
        if ctype == 7:
            return message_problems(data, files=files, partial=True)
        if ctype == 8:
            return autocomplete_problems(data)
        if ctype == 9:
            return modal_problems(data)
        return []

    async def execute_webhook(self, request: web.Request) -> web.Response:
        pending = self._pending(request)
        if pending is None or pending.callback_type is None:
            return unknown("webhook")
        body = self._body(request) or {}
        files = self._files(request)
        problems = message_problems(body, files=len(files))
        if problems:
            return self._reject(
                pending, bad_request(problems), "follow-up: " + "; ".join(map(str, problems))
            )
        self.world.sent_bodies.append(copy.deepcopy(body))
        original = self.world.find_message(pending.original_message_id or 0)
        if pending.callback_type == 5 and original is not None and original["flags"] & LOADING:
            # The first follow-up after a "thinking" defer replaces the loading message.
            message = edit_message(self.world, original, body, files)
        else:
            channel = self.world.channel_by_id(pending.channel_id)
            assert channel is not None
            message = create_message(self.world, channel, body, files, interaction=pending)
        pending.followup_ids.append(int(message["id"]))
        if not _truthy(request.query.get("wait")):
            return web.Response(status=204)
        return json_response(message)

    def _webhook_message(self, request: web.Request, pending: PendingInteraction) -> JSON | None:
        ref = request.match_info["message"]
        if ref == "@original":
            message_id = pending.original_message_id
        elif ref.isdigit() and int(ref) in ([*pending.followup_ids, pending.original_message_id]):
            message_id = int(ref)
        else:
            return None
        return self.world.find_message(message_id) if message_id is not None else None

    async def get_webhook_message(self, request: web.Request) -> web.Response:
        pending = self._pending(request)
        if pending is None:
            return unknown("webhook")
        message = self._webhook_message(request, pending)
        return json_response(message) if message is not None else unknown("message")

    async def edit_webhook_message(self, request: web.Request) -> web.Response:
        pending = self._pending(request)
        if pending is None:
            return unknown("webhook")
        message = self._webhook_message(request, pending)
        if message is None:
            return unknown("message")
        body = self._body(request) or {}
        files = self._files(request)
        problems = message_problems(body, files=len(files), partial=True)
        if problems:
            return self._reject(
                pending, bad_request(problems), "edit: " + "; ".join(map(str, problems))
            )
        self.world.sent_bodies.append(copy.deepcopy(body))
        edit_message(self.world, message, body, files)
        if int(message["id"]) == pending.original_message_id:
            pending.original_edits += 1
        return json_response(message)

    async def delete_webhook_message(self, request: web.Request) -> web.Response:
        pending = self._pending(request)
        if pending is None:
            return unknown("webhook")
        message = self._webhook_message(request, pending)
        if message is None:
            return unknown("message")
        delete_message(self.world, int(message["id"]))
        return web.Response(status=204)

    # -- channels and messages -------------------------------------------------------------

    async def get_channel(self, request: web.Request) -> web.Response:
        channel = self._channel(request)
        if channel is None:
            return unknown("channel")
        return json_response(channel_payload(channel, self.world))

    async def list_messages(self, request: web.Request) -> web.Response:
        channel = self._channel(request)
        if channel is None:
            return unknown("channel")
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
        if channel is None:
            return unknown("channel")
        body = self._body(request) or {}
        files = self._files(request)
        problems = message_problems(body, files=len(files))
        if problems:
            return bad_request(problems)
        if int(body.get("flags") or 0) & EPHEMERAL:
            return bad_request([Problem(("flags",), "only interaction responses can be ephemeral")])
        self.world.sent_bodies.append(copy.deepcopy(body))
        return json_response(create_message(self.world, channel, body, files))

    async def get_channel_message(self, request: web.Request) -> web.Response:
        channel = self._channel(request)
        if channel is None:
            return unknown("channel")
        message = self._message_in(request, channel)
        return json_response(message) if message is not None else unknown("message")

    async def edit_channel_message(self, request: web.Request) -> web.Response:
        channel = self._channel(request)
        if channel is None:
            return unknown("channel")
        message = self._message_in(request, channel)
        if message is None:
            return unknown("message")
        if message["author"]["id"] != str(self.world.bot_user.id):
            return error(403, 50005, "Cannot edit a message authored by another user")
        body = self._body(request) or {}
        files = self._files(request)
        problems = message_problems(body, files=len(files), partial=True)
        if problems:
            return bad_request(problems)
        self.world.sent_bodies.append(copy.deepcopy(body))
        return json_response(edit_message(self.world, message, body, files))

    async def delete_channel_message(self, request: web.Request) -> web.Response:
        channel = self._channel(request)
        if channel is None:
            return unknown("channel")
        message = self._message_in(request, channel)
        if message is None:
            return unknown("message")
        delete_message(self.world, int(message["id"]))
        return web.Response(status=204)

    # -- guilds ----------------------------------------------------------------------------

    async def get_guild(self, request: web.Request) -> web.Response:
        guild = self._guild(request)
        if guild is None:
            return unknown("guild")
        payload = guild_payload(guild)
        if _truthy(request.query.get("with_counts")):
            payload.update(
                approximate_member_count=len(guild.members),
                approximate_presence_count=0,
            )
        return json_response(payload)

    async def get_guild_channels(self, request: web.Request) -> web.Response:
        guild = self._guild(request)
        if guild is None:
            return unknown("guild")
        return json_response([channel_payload(c) for c in guild.channels.values()])

    async def get_guild_roles(self, request: web.Request) -> web.Response:
        guild = self._guild(request)
        if guild is None:
            return unknown("guild")
        return json_response([role_payload(r) for r in guild.roles.values()])

    async def list_members(self, request: web.Request) -> web.Response:
        guild = self._guild(request)
        if guild is None:
            return unknown("guild")
        limit = int(request.query.get("limit", "1") or 1)
        after = int(request.query.get("after", "0") or 0)
        members = sorted(guild.members.values(), key=lambda m: m.user.id)
        return json_response([member_payload(m) for m in members if m.user.id > after][:limit])

    async def get_member(self, request: web.Request) -> web.Response:
        guild = self._guild(request)
        if guild is None:
            return unknown("guild")
        raw = request.match_info["user"]
        member = guild.members.get(int(raw)) if raw.isdigit() else None
        return json_response(member_payload(member)) if member is not None else unknown("member")

    # -- the loopback CDN ------------------------------------------------------------------

    async def get_attachment(self, request: web.Request) -> web.Response:
        raw = request.match_info["file"]
        stored = self.world.files.get(int(raw)) if raw.isdigit() else None
        if stored is None or stored.filename != request.match_info["filename"]:
            return web.Response(status=404, text="Not Found")
        return web.Response(body=stored.data, headers={"Content-Type": stored.content_type})
