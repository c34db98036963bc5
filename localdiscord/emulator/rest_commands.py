"""Application-command routes of the fake REST API: list, get, bulk overwrite, upsert, delete.

Global commands and a guild's commands are kept apart (`World.commands`, keyed by guild id or
None); every payload is checked against Discord's limits before it is stored.
"""

from __future__ import annotations

import copy

from aiohttp import web

from localdiscord.emulator.limits import command_problems, commands_problems
from localdiscord.emulator.rest_kit import (
    API_PREFIX,
    Refused,
    bad_request,
    body_of,
    error,
    guild_of,
    json_response,
    need,
    unknown,
)
from localdiscord.emulator.state import JSON, World


class CommandRoutes:
    """`/applications/{app}/commands` and `/applications/{app}/guilds/{guild}/commands` (a part
    of `RestApi`).
    """

    world: World

    def add_command_routes(self, router: web.UrlDispatcher) -> None:
        for base in ("/applications/{app}/commands", "/applications/{app}/guilds/{guild}/commands"):
            path = API_PREFIX + base
            router.add_get(path, self.list_commands)
            router.add_put(path, self.put_commands)
            router.add_post(path, self.upsert_command)
            router.add_get(path + "/{command}", self.get_command)
            router.add_patch(path + "/{command}", self.upsert_command)
            router.add_delete(path + "/{command}", self.delete_command)

    def _scope(self, request: web.Request) -> int | None:
        """The guild id of a guild's commands, None for global ones; refuse another app's."""
        if request.match_info["app"] != str(self.world.application_id):
            raise Refused(error(403, 50001, "Missing Access"))
        if "guild" not in request.match_info:
            return None
        guild = guild_of(self.world, request)
        if guild is None:
            raise Refused(error(403, 50001, "Missing Access"))
        return guild.id

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
        return json_response(self.world.commands.get(self._scope(request), []))

    async def get_command(self, request: web.Request) -> web.Response:
        commands = self.world.commands.get(self._scope(request), [])
        wanted = request.match_info["command"]
        return json_response(
            need(next((c for c in commands if c["id"] == wanted), None), "command")
        )

    async def put_commands(self, request: web.Request) -> web.Response:
        guild_id = self._scope(request)
        body = body_of(request)
        problems = commands_problems(body)
        if problems:
            return bad_request(problems)
        existing = self.world.commands.get(guild_id, [])
        self.world.commands[guild_id] = [self._stored_command(c, guild_id, existing) for c in body]
        return json_response(self.world.commands[guild_id])

    async def upsert_command(self, request: web.Request) -> web.Response:
        guild_id = self._scope(request)
        existing = self.world.commands.setdefault(guild_id, [])
        body = body_of(request) or {}
        target_id = request.match_info.get("command")
        if target_id is not None:
            old = need(next((c for c in existing if c["id"] == target_id), None), "command")
            body = {**old, **body}
        problems = command_problems(body)
        if problems:
            return bad_request(problems)
        stored = self._stored_command(body, guild_id, existing)
        created = all(c["id"] != stored["id"] for c in existing)
        self.world.commands[guild_id] = [c for c in existing if c["id"] != stored["id"]] + [stored]
        return json_response(stored, 201 if created else 200)

    async def delete_command(self, request: web.Request) -> web.Response:
        guild_id = self._scope(request)
        existing = self.world.commands.get(guild_id, [])
        kept = [c for c in existing if c["id"] != request.match_info["command"]]
        if len(kept) == len(existing):
            return unknown("command")
        self.world.commands[guild_id] = kept
        return web.Response(status=204)
