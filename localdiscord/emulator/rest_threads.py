"""Forums and threads in the fake REST API: posts (a thread with its first message), thread
archive, lock and tags, and a forum's `available_tags`, each announced on the gateway.

`POST /channels/{id}/threads` in a forum makes a post whose first message has the post's id
(as on Discord); in a text channel it makes a thread without a message. `PATCH /channels/{id}`
edits a thread (THREAD_UPDATE) or a guild channel (CHANNEL_UPDATE). What the bot may do is
checked against its permissions in the channel (a thread's are its parent's), and refused with
Discord's codes: an archived thread takes no edit and no message edit (50083) until it is
unarchived; a locked one is unarchived only by a member with Manage Threads.
"""

from __future__ import annotations

import copy
from typing import Any

from aiohttp import web

from localdiscord.emulator.gateway import Gateway
from localdiscord.emulator.limits import Problem, message_problems
from localdiscord.emulator.messages import create_message
from localdiscord.emulator.payloads import channel_payload, thread_payload
from localdiscord.emulator.problems import text_length
from localdiscord.emulator.rest_kit import (
    API_PREFIX,
    Refused,
    bad_request,
    body_of,
    channel_of,
    error,
    files_of,
    json_response,
    need,
)
from localdiscord.emulator.state import (
    ARCHIVE_DURATIONS,
    CREATE_PUBLIC_THREADS,
    FORUM,
    JSON,
    MANAGE_CHANNELS,
    MANAGE_THREADS,
    PUBLIC_THREAD,
    SEND_MESSAGES,
    VIEW_CHANNEL,
    FakeChannel,
    FakeGuild,
    FakeTag,
    World,
    utcnow,
)

FORUM_TAGS_MAX = 20  # a forum's available_tags
FORUM_TAG_NAME_MAX = 20  # characters of a tag's name
APPLIED_TAGS_MAX = 5  # tags on one post
THREAD_NAME_MAX = 100
ARCHIVED = (50083, "Thread is archived")
MISSING_PERMISSIONS = (50013, "Missing Permissions")
NOT_TEXT = (50008, "Cannot send messages in a non-text channel")


def archived_refusal() -> Refused:
    """Discord's answer to a change in an archived thread."""
    return Refused(error(400, *ARCHIVED))


class ThreadRoutes:
    """`POST /channels/{id}/threads` and `PATCH /channels/{id}` (a part of `RestApi`)."""

    world: World
    gateway: Gateway

    def add_thread_routes(self, router: web.UrlDispatcher) -> None:
        router.add_post(API_PREFIX + "/channels/{channel}/threads", self.create_thread)
        router.add_patch(API_PREFIX + "/channels/{channel}", self.edit_channel)
        router.add_delete(API_PREFIX + "/channels/{channel}", self.delete_channel)

    # -- shared ----------------------------------------------------------------------------

    async def announce(self, event: str, data: JSON) -> None:
        """Dispatch an event of a guild (`data["guild_id"]`) to the session that receives it,
        when one is connected (as Discord would, at once).
        """
        guild = data.get("guild_id")
        session = self.gateway.session_for(int(guild) if guild else None)
        if session is not None:
            await self.gateway.dispatch_to(session, event, data)

    async def unarchive(self, thread: FakeChannel) -> None:
        """Unarchive a thread (a message was sent in it) and say so."""
        thread.archived = False
        thread.archive_timestamp = utcnow()
        await self.announce("THREAD_UPDATE", thread_payload(thread))

    def _home(self, channel: FakeChannel) -> FakeGuild:
        return need(self.world.guild_by_id(channel.guild_id), "channel")

    def _bot_may(self, channel: FakeChannel, permission: int) -> bool:
        guild = self._home(channel)
        bot = guild.members.get(self.world.bot_user.id)
        return bot is not None and bool(guild.permissions_in(channel, bot) & permission)

    def _require(self, channel: FakeChannel, permission: int) -> None:
        if not self._bot_may(channel, VIEW_CHANNEL) or not self._bot_may(channel, permission):
            raise Refused(error(403, *MISSING_PERMISSIONS))

    def _parent(self, thread: FakeChannel) -> FakeChannel | None:
        return self.world.channel_by_id(thread.parent_id or 0)

    def _tag_ids(self, forum: FakeChannel | None, value: Any, path: str) -> list[int]:
        """`applied_tags` as ids of the forum's tags, or refuse."""
        if forum is None or forum.type != FORUM:
            raise Refused(bad_request([Problem((path,), "only forum posts carry tags")]))
        if not isinstance(value, list):
            raise Refused(bad_request([Problem((path,), "applied_tags must be a list")]))
        if len(value) > APPLIED_TAGS_MAX:
            problem = Problem(
                (path,), f"a post carries at most {APPLIED_TAGS_MAX} tags (got {len(value)})"
            )
            raise Refused(bad_request([problem]))
        known = {str(t.id): t.id for t in forum.available_tags}
        unknown = [str(v) for v in value if str(v) not in known]
        if unknown:
            problem = Problem((path,), f"unknown tag(s) {unknown} for #{forum.name}")
            raise Refused(bad_request([problem]))
        ids = [known[str(v)] for v in value]
        return list(dict.fromkeys(ids))

    # -- posts and threads -----------------------------------------------------------------

    async def create_thread(self, request: web.Request) -> web.Response:
        channel = need(channel_of(self.world, request), "channel")
        body = body_of(request) or {}
        problems = list(text_length(body.get("name"), ("name",), 1, THREAD_NAME_MAX, "name"))
        duration = body.get("auto_archive_duration") or 1440
        if duration not in ARCHIVE_DURATIONS:
            problems.append(Problem(("auto_archive_duration",), f"{duration!r} is not allowed"))
        if channel.type == FORUM:
            message = body.get("message")
            if not isinstance(message, dict):
                problems.append(Problem(("message",), "a post needs its first message"))
            else:
                problems += [
                    Problem(("message", *p.path), p.message, p.code)
                    for p in message_problems(message, files=len(files_of(request)))
                ]
        elif channel.type not in (0, 5):
            raise Refused(error(400, 50024, "Cannot execute action on this channel type"))
        if problems:
            return bad_request(problems)
        self._require(channel, SEND_MESSAGES if channel.type == FORUM else CREATE_PUBLIC_THREADS)
        guild = self._home(channel)
        now = utcnow()
        thread = FakeChannel(
            id=self.world.snowflakes.now(),
            name=body["name"],
            type=PUBLIC_THREAD if channel.type == FORUM else int(body.get("type") or 12),
            guild_id=guild.id,
            parent_id=channel.id,
            owner_id=self.world.bot_user.id,
            auto_archive_duration=int(duration),
            created=now,
            archive_timestamp=now,
        )
        if channel.type == FORUM and body.get("applied_tags") is not None:
            thread.applied_tags = self._tag_ids(channel, body["applied_tags"], "applied_tags")
        guild.threads[thread.id] = thread
        payload = thread_payload(thread)
        if channel.type == FORUM:
            first = body["message"]
            self.world.sent_bodies.append(copy.deepcopy(first))
            message = create_message(
                self.world, thread, first, files_of(request), message_id=thread.id
            )
            payload["message"] = copy.deepcopy(message)
        await self.announce("THREAD_CREATE", {**thread_payload(thread), "newly_created": True})
        return json_response(payload, 201)

    # -- editing a thread or a channel -----------------------------------------------------

    async def edit_channel(self, request: web.Request) -> web.Response:
        channel = need(channel_of(self.world, request), "channel")
        body = body_of(request) or {}
        if not isinstance(body, dict):
            return bad_request([Problem((), "the body must be an object")])
        if channel.is_thread:
            return await self._edit_thread(channel, body)
        if channel.guild_id is None:
            return error(400, 50024, "Cannot execute action on this channel type")
        return await self._edit_guild_channel(channel, body)

    async def _edit_thread(self, thread: FakeChannel, body: JSON) -> web.Response:
        if thread.archived and body.get("archived") is not False:
            raise archived_refusal()
        parent = self._parent(thread)
        owner = thread.owner_id == self.world.bot_user.id
        manager = self._bot_may(thread, MANAGE_THREADS)
        if "locked" in body and body["locked"] != thread.locked and not manager:
            return error(403, *MISSING_PERMISSIONS)
        if not (owner or manager):
            return error(403, *MISSING_PERMISSIONS)
        if thread.locked and body.get("archived") is False and not manager:
            return error(403, *MISSING_PERMISSIONS)
        problems: list[Problem] = []
        if "name" in body and body["name"] is not None:
            problems += text_length(body["name"], ("name",), 1, THREAD_NAME_MAX, "name")
        duration = body.get("auto_archive_duration")
        if duration is not None and duration not in ARCHIVE_DURATIONS:
            problems.append(Problem(("auto_archive_duration",), f"{duration!r} is not allowed"))
        if problems:
            return bad_request(problems)
        if body.get("applied_tags") is not None:
            thread.applied_tags = self._tag_ids(parent, body["applied_tags"], "applied_tags")
        if body.get("name") is not None:
            thread.name = body["name"]
        if duration is not None:
            thread.auto_archive_duration = int(duration)
        if body.get("locked") is not None:
            thread.locked = bool(body["locked"])
        if body.get("archived") is not None and bool(body["archived"]) != thread.archived:
            thread.archived = bool(body["archived"])
            thread.archive_timestamp = utcnow()
        await self.announce("THREAD_UPDATE", thread_payload(thread))
        return json_response(thread_payload(thread))

    async def _edit_guild_channel(self, channel: FakeChannel, body: JSON) -> web.Response:
        self._require(channel, MANAGE_CHANNELS)
        problems: list[Problem] = []
        if "name" in body:
            problems += text_length(body["name"], ("name",), 1, 100, "name")
        if body.get("topic") is not None:
            problems += text_length(body["topic"], ("topic",), 0, 4096, "topic")
        tags = body.get("available_tags")
        if tags is not None:
            if channel.type != FORUM:
                problems.append(Problem(("available_tags",), "only forums have tags"))
            else:
                problems += _tag_problems(tags)
        if problems:
            return bad_request(problems)
        if "name" in body:
            channel.name = body["name"]
        if "topic" in body:
            channel.topic = body["topic"]
        if tags is not None:
            channel.available_tags = self._new_tags(channel, tags)
        payload = channel_payload(channel)
        await self.announce("CHANNEL_UPDATE", payload)
        return json_response(payload)

    # -- deleting ----------------------------------------------------------------------------

    async def delete_channel(self, request: web.Request) -> web.Response:
        """Delete a thread (Manage Threads) or a guild channel (Manage Channels), with its
        messages; THREAD_DELETE or CHANNEL_DELETE.
        """
        channel = need(channel_of(self.world, request), "channel")
        if channel.guild_id is None:
            return error(400, 50024, "Cannot execute action on this channel type")
        guild = self._home(channel)
        payload = channel_payload(channel)
        if channel.is_thread:
            self._require(channel, MANAGE_THREADS)
            del guild.threads[channel.id]
            event: JSON = {
                "id": str(channel.id),
                "guild_id": str(guild.id),
                "parent_id": str(channel.parent_id),
                "type": channel.type,
            }
            name = "THREAD_DELETE"
        else:
            self._require(channel, MANAGE_CHANNELS)
            guild.channels = {k: c for k, c in guild.channels.items() if c.id != channel.id}
            event, name = payload, "CHANNEL_DELETE"
        for message in self.world.messages.pop(channel.id, []):
            self.world.message_index.pop(int(message["id"]), None)
            self.world.deleted_messages.append(message)
        await self.announce(name, event)
        return json_response(payload)

    def _new_tags(self, forum: FakeChannel, tags: list[JSON]) -> list[FakeTag]:
        """The forum's tags as sent: a tag that names its id keeps it, a new one gets one."""
        old = {t.id: t for t in forum.available_tags}
        result = []
        for tag in tags:
            raw = tag.get("id")
            kept = old.get(int(raw)) if raw is not None and str(raw).isdigit() else None
            result.append(
                FakeTag(
                    id=kept.id if kept else self.world.snowflakes.now(),
                    name=tag["name"],
                    moderated=bool(tag.get("moderated") or False),
                    emoji_name=tag.get("emoji_name"),
                )
            )
        return result


def _tag_problems(tags: Any) -> list[Problem]:
    if not isinstance(tags, list):
        return [Problem(("available_tags",), "available_tags must be a list")]
    problems: list[Problem] = []
    if len(tags) > FORUM_TAGS_MAX:
        problems.append(
            Problem(
                ("available_tags",),
                f"a forum has at most {FORUM_TAGS_MAX} tags (got {len(tags)})",
                "BASE_TYPE_MAX_LENGTH",
            )
        )
    seen: set[str] = set()
    for index, tag in enumerate(tags):
        path = ("available_tags", index)
        if not isinstance(tag, dict):
            problems.append(Problem(path, "a tag must be an object"))
            continue
        problems += text_length(tag.get("name"), (*path, "name"), 1, FORUM_TAG_NAME_MAX, "name")
        name = str(tag.get("name") or "").casefold()
        if name in seen:
            problems.append(Problem((*path, "name"), f"tag names must be unique ({name!r})"))
        seen.add(name)
    return problems


def may_post_in(world: World, channel: FakeChannel) -> Refused | None:
    """Why the bot may not send a message in `channel` now (None: it may): a forum takes
    posts, not messages; an archived thread is unarchived by the message unless locked.
    """
    if channel.type == FORUM:
        return Refused(error(400, *NOT_TEXT))
    if channel.is_thread and channel.archived and channel.locked:
        guild = world.guild_by_id(channel.guild_id)
        bot = guild.members.get(world.bot_user.id) if guild else None
        if guild is None or bot is None or not guild.permissions_in(channel, bot) & MANAGE_THREADS:
            return archived_refusal()
    return None
