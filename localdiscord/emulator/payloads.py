"""JSON payloads in the shapes Discord sends (users, members, roles, channels, guilds, READY)."""

from __future__ import annotations

from typing import Any

from localdiscord.emulator.state import (
    JSON,
    FakeChannel,
    FakeGuild,
    FakeMember,
    FakeRole,
    FakeTag,
    FakeUser,
    World,
    iso,
)


def user_payload(user: FakeUser) -> JSON:
    return {
        "id": str(user.id),
        "username": user.username,
        "discriminator": "0",
        "global_name": user.global_name,
        "avatar": None,
        "avatar_decoration_data": None,
        "banner": None,
        "accent_color": None,
        "bot": user.bot,
        "system": False,
        "public_flags": 0,
        "flags": 0,
        "primary_guild": None,
        "collectibles": None,
    }


def bot_user_payload(user: FakeUser) -> JSON:
    """`GET /users/@me` and READY's user: the full current-user object."""
    return {
        **user_payload(user),
        "verified": True,
        "mfa_enabled": False,
        "email": None,
        "locale": "en-US",
        "premium_type": 0,
    }


def member_payload(
    member: FakeMember, *, with_user: bool = True, permissions: int | None = None
) -> JSON:
    payload: JSON = {
        "roles": [str(r) for r in member.role_ids],
        "nick": member.nick,
        "avatar": None,
        "banner": None,
        "joined_at": iso(member.joined_at),
        "premium_since": None,
        "deaf": False,
        "mute": False,
        "pending": False,
        "flags": 0,
        "communication_disabled_until": None,
        "avatar_decoration_data": None,
    }
    if with_user:
        payload["user"] = user_payload(member.user)
    if permissions is not None:
        payload["permissions"] = str(permissions)
    return payload


def role_payload(role: FakeRole) -> JSON:
    payload: JSON = {
        "id": str(role.id),
        "name": role.name,
        "color": role.color,
        "colors": {"primary_color": role.color, "secondary_color": None, "tertiary_color": None},
        "hoist": role.hoist,
        "icon": None,
        "unicode_emoji": None,
        "position": role.position,
        "permissions": str(role.permissions),
        "managed": role.managed,
        "mentionable": role.mentionable,
        "flags": 0,
    }
    if role.bot_id is not None:
        payload["tags"] = {"bot_id": str(role.bot_id)}
    return payload


def tag_payload(tag: FakeTag) -> JSON:
    """A forum tag as Discord sends it in a forum's `available_tags`."""
    return {
        "id": str(tag.id),
        "name": tag.name,
        "moderated": tag.moderated,
        "emoji_id": None,
        "emoji_name": tag.emoji_name,
    }


def thread_payload(thread: FakeChannel) -> JSON:
    """A thread (a forum post is one) as Discord sends it: channel fields and its metadata."""
    created = iso(thread.created) if thread.created else None
    archived_at = thread.archive_timestamp or thread.created
    return {
        "id": str(thread.id),
        "type": thread.type,
        "guild_id": str(thread.guild_id),
        "parent_id": str(thread.parent_id),
        "owner_id": str(thread.owner_id),
        "name": thread.name,
        "last_message_id": None,
        "rate_limit_per_user": 0,
        "flags": 0,
        "message_count": thread.message_count,
        "member_count": 1,
        "total_message_sent": thread.message_count,
        "applied_tags": [str(t) for t in thread.applied_tags],
        "thread_metadata": {
            "archived": thread.archived,
            "auto_archive_duration": thread.auto_archive_duration,
            "archive_timestamp": iso(archived_at) if archived_at else created,
            "locked": thread.locked,
            "create_timestamp": created,
        },
    }


def channel_payload(channel: FakeChannel, world: World | None = None) -> JSON:
    if channel.is_thread:
        return thread_payload(channel)
    if channel.type == 1:
        recipients = []
        if world is not None:
            recipients = [user_payload(world.user(uid)) for uid in channel.recipient_ids]
        return {
            "id": str(channel.id),
            "type": 1,
            "last_message_id": None,
            "flags": 0,
            "recipients": recipients,
        }
    payload: JSON = {
        "id": str(channel.id),
        "type": channel.type,
        "guild_id": str(channel.guild_id),
        "name": channel.name,
        "position": channel.position,
        "permission_overwrites": [
            {"id": str(o.id), "type": o.type, "allow": str(o.allow), "deny": str(o.deny)}
            for o in channel.overwrites
        ],
        "parent_id": str(channel.parent_id) if channel.parent_id else None,
        "nsfw": channel.nsfw,
        "flags": 0,
    }
    if channel.type == 0:
        payload.update(
            topic=channel.topic,
            last_message_id=None,
            rate_limit_per_user=0,
            default_thread_rate_limit_per_user=0,
            default_auto_archive_duration=1440,
        )
    elif channel.type == 15:
        payload.update(
            topic=channel.topic,
            last_message_id=None,
            rate_limit_per_user=0,
            default_thread_rate_limit_per_user=0,
            default_auto_archive_duration=1440,
            available_tags=[tag_payload(t) for t in channel.available_tags],
            default_reaction_emoji=None,
            default_sort_order=None,
            default_forum_layout=0,
            template="",
        )
    return payload


def guild_create_payload(world: World, guild: FakeGuild) -> JSON:
    """The full GUILD_CREATE payload (what a bot receives after READY)."""
    channels = [channel_payload(c) for c in guild.channels.values()]
    for channel in channels:
        channel.pop("guild_id", None)
    bot_member = guild.members.get(world.bot_user.id)
    return {
        **guild_payload(guild),
        "joined_at": iso(bot_member.joined_at) if bot_member else None,
        "large": False,
        "unavailable": False,
        "member_count": len(guild.members),
        "members": [member_payload(m) for m in guild.members.values()],
        "channels": channels,
        "threads": [thread_payload(t) for t in guild.threads.values() if not t.archived],
        "presences": [],
        "voice_states": [],
        "stage_instances": [],
        "guild_scheduled_events": [],
        "soundboard_sounds": [],
        "embedded_activities": [],
        "application_command_counts": {},
    }


def guild_payload(guild: FakeGuild) -> JSON:
    """The guild object of `GET /guilds/{id}`."""
    return {
        "id": str(guild.id),
        "name": guild.name,
        "icon": None,
        "splash": None,
        "discovery_splash": None,
        "banner": None,
        "description": None,
        "owner_id": str(guild.owner_id),
        "region": "deprecated",
        "afk_channel_id": None,
        "afk_timeout": 300,
        "widget_enabled": False,
        "verification_level": 1,
        "default_message_notifications": 1,
        "explicit_content_filter": 2,
        "roles": [role_payload(r) for r in guild.roles.values()],
        "emojis": [],
        "stickers": [],
        "features": [],
        "mfa_level": 0,
        "application_id": None,
        "system_channel_id": str(next(iter(guild.channels.values())).id)
        if guild.channels
        else None,
        "system_channel_flags": 0,
        "rules_channel_id": None,
        "public_updates_channel_id": None,
        "safety_alerts_channel_id": None,
        "max_members": 500000,
        "max_video_channel_users": 25,
        "vanity_url_code": None,
        "premium_tier": 0,
        "premium_subscription_count": 0,
        "premium_progress_bar_enabled": False,
        "preferred_locale": "en-US",
        "nsfw_level": 0,
        "nsfw": False,
        "hub_type": None,
        "incidents_data": None,
        "latest_onboarding_question_id": None,
    }


def ready_payload(world: World, session_id: str, resume_url: str, shard: Any = None) -> JSON:
    payload: JSON = {
        "v": 10,
        "user": bot_user_payload(world.bot_user),
        "user_settings": {},
        "guilds": [{"id": str(g.id), "unavailable": True} for g in world.guilds],
        "guild_join_requests": [],
        "relationships": [],
        "private_channels": [],
        "presences": [],
        "session_id": session_id,
        "session_type": "normal",
        "resume_gateway_url": resume_url,
        "application": {"id": str(world.application_id), "flags": world.application_flags},
        "geo_ordered_rtc_regions": ["rotterdam", "frankfurt"],
        "auth": {},
        "_trace": ['["nexus-emulator",{"micros":1}]'],
    }
    if shard is not None:
        payload["shard"] = shard
    return payload


def application_payload(world: World, owner: FakeUser) -> JSON:
    """`GET /applications/@me`."""
    bot = world.bot_user
    return {
        "id": str(world.application_id),
        "name": bot.global_name or bot.username,
        "icon": None,
        "description": "Nexus (emulated)",
        "summary": "",
        "type": None,
        "hook": True,
        "bot_public": False,
        "bot_require_code_grant": False,
        "verify_key": "0" * 64,
        "flags": world.application_flags,
        "owner": user_payload(owner),
        "team": None,
        "bot": bot_user_payload(bot),
        "tags": [],
        "rpc_origins": [],
        "redirect_uris": [],
        "interactions_endpoint_url": None,
        "role_connections_verification_url": None,
        "approximate_guild_count": len(world.guilds),
        "approximate_user_install_count": 0,
        "integration_types_config": {"0": {}},
    }
