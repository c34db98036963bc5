"""The demo world: five users, and guilds laid out like "Nexus Playground"."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from localdiscord.emulator.state import (
    ADMINISTRATOR,
    BOT_ROLE_PERMISSIONS,
    EVERYONE_PERMISSIONS,
    FORUM,
    MANAGE_CHANNELS,
    MANAGE_MESSAGES,
    SEND_MESSAGES,
    FakeChannel,
    FakeGuild,
    FakeMember,
    FakeRole,
    FakeTag,
    FakeUser,
    Overwrite,
    World,
)

DEFAULT_GUILD_NAME = "Nexus Playground"

# key: (username, display name, account created)
DEFAULT_USERS: dict[str, tuple[str, str, datetime]] = {
    "owner": ("grace_owner", "Grace", datetime(2017, 5, 4, 9, 30, tzinfo=UTC)),
    "admin": ("alan_admin", "Alan", datetime(2018, 1, 12, 14, 0, tzinfo=UTC)),
    "moderator": ("margaret_mod", "Margaret", datetime(2019, 7, 20, 18, 45, tzinfo=UTC)),
    "member": ("linus_member", "Linus", datetime(2020, 11, 2, 8, 15, tzinfo=UTC)),
    "member2": ("barbara_member", "Barbara", datetime(2021, 3, 8, 21, 5, tzinfo=UTC)),
}

# channel name: topic
DEFAULT_CHANNELS: dict[str, str] = {
    "general": "Say hello to the ProDev community.",
    "qa": "Questions and answers about backend engineering.",
    "api-specs": "Shared API specifications (posting is for moderators and Nexus).",
}


def add_default_users(world: World) -> None:
    for key, (username, display, created) in DEFAULT_USERS.items():
        if key not in world.users:
            world.users[key] = FakeUser(
                id=world.snowflakes.at(created), username=username, global_name=display, key=key
            )


def add_guild(world: World, name: str = DEFAULT_GUILD_NAME) -> FakeGuild:
    """A guild with @everyone/Admin/Moderator (+ the bot's managed role), 3 channels, 6 members."""
    add_default_users(world)
    index = len(world.guilds)
    # A millisecond apart as well: a guild's shard is its id's milliseconds modulo the shard
    # count, so consecutive guilds land on different shards, as real servers spread.
    created = datetime(2021, 3, 14, 12, 0, tzinfo=UTC) + timedelta(
        days=30 * index, milliseconds=index
    )
    sf = world.snowflakes
    guild = FakeGuild(id=sf.at(created), name=name, owner_id=world.users["owner"].id)
    at = created + timedelta(minutes=1)
    guild.roles = {
        "@everyone": FakeRole(id=guild.id, name="@everyone", permissions=EVERYONE_PERMISSIONS),
        "Admin": FakeRole(
            id=sf.at(at),
            name="Admin",
            permissions=ADMINISTRATOR,
            position=3,
            color=0xE74C3C,
            hoist=True,
        ),
        "Moderator": FakeRole(
            id=sf.at(at + timedelta(seconds=1)),
            name="Moderator",
            permissions=MANAGE_MESSAGES,
            position=2,
            color=0x3498DB,
            hoist=True,
            mentionable=True,
        ),
        world.bot_user.global_name or "bot": FakeRole(
            id=sf.at(at + timedelta(seconds=2)),
            name=world.bot_user.global_name or "bot",
            permissions=BOT_ROLE_PERMISSIONS,
            position=1,
            managed=True,
            bot_id=world.bot_user.id,
        ),
    }
    bot_role = guild.roles[world.bot_user.global_name or "bot"]
    for position, (channel_name, topic) in enumerate(DEFAULT_CHANNELS.items()):
        channel = FakeChannel(
            id=sf.at(created + timedelta(minutes=2, seconds=position)),
            name=channel_name,
            guild_id=guild.id,
            position=position,
            topic=topic,
        )
        if channel_name == "api-specs":
            channel.overwrites = [
                Overwrite(id=guild.id, type=0, deny=SEND_MESSAGES),
                Overwrite(id=guild.roles["Moderator"].id, type=0, allow=SEND_MESSAGES),
                Overwrite(id=bot_role.id, type=0, allow=SEND_MESSAGES),
            ]
        guild.channels[channel_name] = channel
    roles_of = {"admin": [guild.roles["Admin"].id], "moderator": [guild.roles["Moderator"].id]}
    for offset, key in enumerate(DEFAULT_USERS):
        user = world.users[key]
        guild.members[user.id] = FakeMember(
            user=user, role_ids=roles_of.get(key, []), joined_at=created + timedelta(days=offset)
        )
    guild.members[world.bot_user.id] = FakeMember(
        user=world.bot_user, role_ids=[bot_role.id], joined_at=datetime(2024, 2, 1, 11, tzinfo=UTC)
    )
    world.guilds.append(guild)
    return guild


def add_forum(
    world: World,
    guild: FakeGuild,
    name: str = "help",
    *,
    topic: str = "Ask for help: one post per question.",
    tags: tuple[str, ...] = (),
    manage_channels: bool = True,
) -> FakeChannel:
    """A forum channel (type 15) with these tags. `manage_channels`: the bot's role may edit
    it (its tags), as an admin would allow in the forum's permissions.
    """
    bot_role = guild.roles[world.bot_user.global_name or "bot"]
    forum = FakeChannel(
        id=world.snowflakes.now(),
        name=name,
        type=FORUM,
        guild_id=guild.id,
        position=len(guild.channels),
        topic=topic,
        available_tags=[FakeTag(id=world.snowflakes.now(), name=tag) for tag in tags],
    )
    if manage_channels:
        forum.overwrites = [Overwrite(id=bot_role.id, type=0, allow=MANAGE_CHANNELS)]
    guild.channels[name] = forum
    return forum
