"""Messages the bot creates, edits and deletes, stored per channel in the world."""

from __future__ import annotations

import copy
import re
from typing import Any

from localdiscord.emulator.payloads import member_payload, user_payload
from localdiscord.emulator.state import (
    EPHEMERAL,
    JSON,
    LOADING,
    MENTION_ROLE,
    MENTION_USER,
    FakeChannel,
    FakeUser,
    PendingInteraction,
    RecordedFile,
    StoredFile,
    World,
    iso,
    snowflake_time,
    utcnow,
)

FILE_FIELD = re.compile(r"^files\[(\d+)\]$")
# Flags a bot may set on a message it sends: SUPPRESS_EMBEDS, EPHEMERAL, SUPPRESS_NOTIFICATIONS,
# IS_COMPONENTS_V2.
SETTABLE_FLAGS = (1 << 2) | EPHEMERAL | (1 << 12) | (1 << 15)


def store_file(world: World, channel_id: int, upload: RecordedFile) -> StoredFile:
    """Keep uploaded bytes and serve them from the emulator's loopback "CDN"."""
    file_id = world.snowflakes.now()
    url = f"{world.base_http}/attachments/{channel_id}/{file_id}/{upload.filename}"
    stored = StoredFile(file_id, upload.filename, upload.data, upload.content_type, url)
    world.files[file_id] = stored
    return stored


def attachment_payload(stored: StoredFile, description: str | None = None) -> JSON:
    payload: JSON = {
        "id": str(stored.id),
        "filename": stored.filename,
        "size": len(stored.data),
        "url": stored.url,
        "proxy_url": stored.url,
        "content_type": stored.content_type,
    }
    if description:
        payload["description"] = description
    return payload


def _uploads(world: World, channel_id: int, body: JSON, files: list[RecordedFile]) -> list[JSON]:
    """Attachments for newly uploaded files (`files[n]` fields, described by `attachments`)."""
    described = {
        int(a["id"]): a
        for a in body.get("attachments") or []
        if isinstance(a, dict) and str(a.get("id", "")).isdigit() and int(a["id"]) < 10_000
    }
    result: list[JSON] = []
    for upload in files:
        match = FILE_FIELD.match(upload.field)
        index = int(match.group(1)) if match else len(result)
        meta = described.get(index, {})
        if meta.get("filename"):
            upload = RecordedFile(upload.field, meta["filename"], upload.content_type, upload.data)
        stored = store_file(world, channel_id, upload)
        result.append(attachment_payload(stored, meta.get("description")))
    return result


def pings(world: World, message: JSON) -> JSON:
    """Who this message would notify, honouring its `allowed_mentions` like Discord does."""
    content = message.get("content") or ""
    allowed = message.get("allowed_mentions")
    if allowed is None:
        allowed = {"parse": ["users", "roles", "everyone"], "replied_user": True}
    parse = allowed.get("parse") or []
    users = []
    for raw in MENTION_USER.findall(content):
        if "users" in parse or raw in [str(u) for u in allowed.get("users") or []]:
            users.append(int(raw))
    roles = []
    for raw in MENTION_ROLE.findall(content):
        if "roles" in parse or raw in [str(r) for r in allowed.get("roles") or []]:
            roles.append(int(raw))
    everyone = "everyone" in parse and ("@everyone" in content or "@here" in content)
    replied = None
    ref = message.get("referenced_message")
    if isinstance(ref, dict) and allowed.get("replied_user", False):
        replied = int(ref["author"]["id"])
    if replied is not None and replied not in users:
        users.append(replied)
    return {"users": users, "roles": roles, "everyone": everyone}


def _refresh_mentions(world: World, message: JSON) -> None:
    who = pings(world, message)
    mentioned = []
    for user_id in who["users"]:
        try:
            mentioned.append(user_payload(world.user(user_id)))
        except AssertionError:
            continue
    message["mentions"] = mentioned
    message["mention_roles"] = [str(r) for r in who["roles"]]
    message["mention_everyone"] = who["everyone"]


def interaction_metadata(world: World, pending: PendingInteraction) -> JSON:
    payload = pending.payload
    user = payload.get("member", {}).get("user") or payload.get("user")
    meta: JSON = {
        "id": str(pending.id),
        "type": pending.type,
        "user": user,
        "authorizing_integration_owners": payload.get("authorizing_integration_owners", {}),
    }
    if pending.type == 2:
        meta["name"] = payload["data"]["name"]
        meta["command_type"] = payload["data"].get("type", 1)
    if pending.source_message_id is not None:
        meta["interacted_message_id"] = str(pending.source_message_id)
    return meta


def create_message(
    world: World,
    channel: FakeChannel,
    body: JSON,
    files: list[RecordedFile] | None = None,
    *,
    author: FakeUser | None = None,
    interaction: PendingInteraction | None = None,
    message_type: int = 0,
    extra_flags: int = 0,
    message_id: int | None = None,
) -> JSON:
    """Build and store a message the way Discord returns it (plus the `allowed_mentions` sent).

    `message_id`: the id it must have (a forum post's first message has the post's id).
    """
    author = author or world.bot_user
    message_id = message_id or world.snowflakes.now()
    flags = (int(body.get("flags") or 0) & SETTABLE_FLAGS) | extra_flags
    message: JSON = {
        "id": str(message_id),
        "type": message_type,
        "channel_id": str(channel.id),
        "author": user_payload(author),
        "content": body.get("content") or "",
        "timestamp": iso(snowflake_time(message_id)),
        "edited_timestamp": None,
        "tts": bool(body.get("tts", False)),
        "mention_everyone": False,
        "mentions": [],
        "mention_roles": [],
        "mention_channels": [],
        "attachments": _uploads(world, channel.id, body, files or []),
        "embeds": copy.deepcopy(body.get("embeds") or []),
        "reactions": [],
        "pinned": False,
        "flags": flags,
        "components": copy.deepcopy(body.get("components") or []),
        "allowed_mentions": copy.deepcopy(body.get("allowed_mentions")),
    }
    for embed in message["embeds"]:
        if isinstance(embed, dict):
            embed.setdefault("type", "rich")
    if body.get("nonce") is not None:
        message["nonce"] = body["nonce"]
    if body.get("poll") is not None:
        message["poll"] = copy.deepcopy(body["poll"])
    guild = world.guild_by_id(channel.guild_id)
    if guild is not None:
        message["guild_id"] = str(guild.id)
        member = guild.members.get(author.id)
        if member is not None:
            message["member"] = member_payload(member, with_user=False)
    ref = body.get("message_reference")
    if isinstance(ref, dict) and ref.get("message_id"):
        message["message_reference"] = {
            "type": 0,
            "message_id": str(ref["message_id"]),
            "channel_id": str(ref.get("channel_id") or channel.id),
            **({"guild_id": str(guild.id)} if guild else {}),
        }
        referenced = world.find_message(int(ref["message_id"]))
        message["referenced_message"] = copy.deepcopy(referenced)
        if referenced is not None:
            message["type"] = 19
    if interaction is not None:
        message["webhook_id"] = str(world.application_id)
        message["application_id"] = str(world.application_id)
        message["interaction_metadata"] = interaction_metadata(world, interaction)
        meta = message["interaction_metadata"]
        if interaction.type == 2:
            message["interaction"] = {
                "id": meta["id"],
                "type": 2,
                "name": meta.get("name", ""),
                "user": meta["user"],
            }
    _refresh_mentions(world, message)
    if channel.is_thread and message_id != channel.id:  # a post's first message is not counted
        channel.message_count += 1
    world.messages.setdefault(channel.id, []).append(message)
    world.message_index[message_id] = message
    return message


def edit_message(
    world: World, message: JSON, body: JSON, files: list[RecordedFile] | None = None
) -> JSON:
    """Apply a PATCH body to a stored message (in place) and return it."""
    was_loading = bool(message["flags"] & LOADING)
    for key in ("content", "embeds", "components", "allowed_mentions", "poll"):
        if key in body:
            value = copy.deepcopy(body[key])
            if key in ("embeds", "components") and value is None:
                value = []
            if key == "content" and value is None:
                value = ""
            message[key] = value
    for embed in message.get("embeds") or []:
        if isinstance(embed, dict):
            embed.setdefault("type", "rich")
    if "flags" in body and body["flags"] is not None:
        keep = message["flags"] & (EPHEMERAL | LOADING)
        message["flags"] = (int(body["flags"]) & SETTABLE_FLAGS & ~EPHEMERAL) | keep
    channel_id = int(message["channel_id"])
    new_files = _uploads(world, channel_id, body, files or [])
    if "attachments" in body:
        keep_ids = {str(a.get("id")) for a in body.get("attachments") or [] if isinstance(a, dict)}
        message["attachments"] = [a for a in message["attachments"] if a["id"] in keep_ids]
    message["attachments"] = message["attachments"] + new_files
    message["flags"] &= ~LOADING
    if not was_loading:
        message["edited_timestamp"] = iso(utcnow())
    _refresh_mentions(world, message)
    return message


def delete_message(world: World, message_id: int) -> JSON | None:
    message = world.message_index.pop(message_id, None)
    if message is None:
        return None
    channel_id = int(message["channel_id"])
    world.messages[channel_id] = [m for m in world.messages.get(channel_id, []) if m is not message]
    world.deleted_messages.append(message)
    return message


def public_copy(message: JSON | None) -> Any:
    """A deep copy safe to hand to tests or discord.py."""
    return copy.deepcopy(message)
