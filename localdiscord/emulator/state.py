"""The fake Discord's in-memory world: snowflakes, users, guilds, channels, roles, messages."""

# Every wait is bounded: a `timeout` parameter is part of this module's API.
# ruff: noqa: ASYNC109

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

JSON = dict[str, Any]
T = TypeVar("T")

DISCORD_EPOCH_MS = 1_420_070_400_000
DEFAULT_TIMEOUT = 5.0
ATTACHMENT_SIZE_LIMIT = 10 * 1024 * 1024

# -- permissions (bit values from Discord's documentation) -----------------------------------

CREATE_INSTANT_INVITE = 1 << 0
KICK_MEMBERS = 1 << 1
BAN_MEMBERS = 1 << 2
ADMINISTRATOR = 1 << 3
MANAGE_CHANNELS = 1 << 4
MANAGE_GUILD = 1 << 5
ADD_REACTIONS = 1 << 6
VIEW_CHANNEL = 1 << 10
SEND_MESSAGES = 1 << 11
MANAGE_MESSAGES = 1 << 13
EMBED_LINKS = 1 << 14
ATTACH_FILES = 1 << 15
READ_MESSAGE_HISTORY = 1 << 16
MENTION_EVERYONE = 1 << 17
USE_EXTERNAL_EMOJIS = 1 << 18
CONNECT = 1 << 20
SPEAK = 1 << 21
CHANGE_NICKNAME = 1 << 26
MANAGE_ROLES = 1 << 28
USE_APPLICATION_COMMANDS = 1 << 31
MANAGE_THREADS = 1 << 34  # in a forum: "Manage Posts"
CREATE_PUBLIC_THREADS = 1 << 35
SEND_MESSAGES_IN_THREADS = 1 << 38
MODERATE_MEMBERS = 1 << 40
ALL_PERMISSIONS = (1 << 51) - 1

EVERYONE_PERMISSIONS = (
    CREATE_INSTANT_INVITE
    | ADD_REACTIONS
    | VIEW_CHANNEL
    | SEND_MESSAGES
    | EMBED_LINKS
    | ATTACH_FILES
    | READ_MESSAGE_HISTORY
    | USE_EXTERNAL_EMOJIS
    | CONNECT
    | SPEAK
    | CHANGE_NICKNAME
    | USE_APPLICATION_COMMANDS
    | CREATE_PUBLIC_THREADS
    | SEND_MESSAGES_IN_THREADS
)
BOT_ROLE_PERMISSIONS = (
    VIEW_CHANNEL
    | SEND_MESSAGES
    | EMBED_LINKS
    | ATTACH_FILES
    | READ_MESSAGE_HISTORY
    | ADD_REACTIONS
    | USE_EXTERNAL_EMOJIS
    | MANAGE_THREADS
    | SEND_MESSAGES_IN_THREADS
)

# message flags
EPHEMERAL = 1 << 6
LOADING = 1 << 7
IS_COMPONENTS_V2 = 1 << 15


class EmulatorTimeout(AssertionError):
    """A bounded wait in the emulator ran out (an AssertionError, so tests fail clearly)."""


def utcnow() -> datetime:
    return datetime.now(UTC)


def iso(dt: datetime) -> str:
    return dt.isoformat(timespec="microseconds")


def snowflake_time(snowflake: int) -> datetime:
    """When a snowflake was made."""
    return datetime.fromtimestamp(((snowflake >> 22) + DISCORD_EPOCH_MS) / 1000, UTC)


class Snowflakes:
    """Issues unique, realistic 64-bit Discord snowflakes."""

    def __init__(self, worker: int = 1, process: int = 0) -> None:
        self._worker = worker & 0x1F
        self._process = process & 0x1F
        self._increment = itertools.count()
        self._issued: set[int] = set()
        self._last_now = 0

    def _make(self, ms: int) -> int:
        while True:
            snowflake = (
                (ms << 22)
                | (self._worker << 17)
                | (self._process << 12)
                | (next(self._increment) & 0xFFF)
            )
            if snowflake not in self._issued:
                self._issued.add(snowflake)
                return snowflake
            ms += 1

    def at(self, when: datetime) -> int:
        """A snowflake dated `when` (for objects that existed before the emulator started)."""
        return self._make(int(when.timestamp() * 1000) - DISCORD_EPOCH_MS)

    def now(self) -> int:
        """A snowflake dated now, strictly greater than every earlier `now()`."""
        snowflake = self._make(int(time.time() * 1000) - DISCORD_EPOCH_MS)
        if snowflake <= self._last_now:
            snowflake = self._last_now + 1
            self._issued.add(snowflake)
        self._last_now = snowflake
        return snowflake


# -- models --------------------------------------------------------------------------------


@dataclass
class FakeUser:
    id: int
    username: str
    global_name: str | None = None
    bot: bool = False
    key: str = ""

    @property
    def mention(self) -> str:
        return f"<@{self.id}>"


# A user as tests name one: key ("member"), username, id, or the user itself.
UserRef = str | int | FakeUser


@dataclass
class FakeRole:
    id: int
    name: str
    permissions: int
    position: int = 0
    color: int = 0
    hoist: bool = False
    managed: bool = False
    mentionable: bool = False
    bot_id: int | None = None

    @property
    def mention(self) -> str:
        return f"<@&{self.id}>"


@dataclass
class Overwrite:
    id: int
    type: int  # 0 role, 1 member
    allow: int = 0
    deny: int = 0


FORUM = 15  # a forum channel's type
THREAD_TYPES = (10, 11, 12)  # announcement, public and private threads
PUBLIC_THREAD = 11
ARCHIVE_DURATIONS = (60, 1440, 4320, 10080)  # minutes, as Discord allows


@dataclass
class FakeTag:
    """A tag a forum's posts can carry (`available_tags`)."""

    id: int
    name: str
    moderated: bool = False
    emoji_name: str | None = None


@dataclass
class FakeChannel:
    id: int
    name: str
    type: int = 0  # 0 text, 1 DM, 4 category, 11 public thread, 15 forum
    guild_id: int | None = None
    position: int = 0
    topic: str | None = None
    parent_id: int | None = None  # a thread's: the channel or forum it is in
    overwrites: list[Overwrite] = field(default_factory=list)
    nsfw: bool = False
    recipient_ids: list[int] = field(default_factory=list)
    available_tags: list[FakeTag] = field(default_factory=list)  # a forum's (at most 20)
    # A thread's: who started it, its state, the forum tags it carries, when it was made.
    owner_id: int | None = None
    archived: bool = False
    locked: bool = False
    auto_archive_duration: int = 1440
    archive_timestamp: datetime | None = None
    applied_tags: list[int] = field(default_factory=list)
    created: datetime | None = None
    message_count: int = 0

    @property
    def mention(self) -> str:
        return f"<#{self.id}>"

    @property
    def is_thread(self) -> bool:
        return self.type in THREAD_TYPES


@dataclass
class FakeMember:
    user: FakeUser
    role_ids: list[int]
    joined_at: datetime
    nick: str | None = None


@dataclass
class FakeGuild:
    id: int
    name: str
    owner_id: int
    roles: dict[str, FakeRole] = field(default_factory=dict)
    channels: dict[str, FakeChannel] = field(default_factory=dict)
    members: dict[int, FakeMember] = field(default_factory=dict)
    threads: dict[int, FakeChannel] = field(default_factory=dict)  # by id, archived ones too

    @property
    def everyone(self) -> FakeRole:
        return self.roles["@everyone"]

    def role(self, ref: str | int) -> FakeRole:
        for role in self.roles.values():
            if ref in (role.name, role.id, str(role.id)):
                return role
        raise AssertionError(f"guild {self.name!r} has no role {ref!r}; roles: {list(self.roles)}")

    def channel(self, ref: str | int) -> FakeChannel:
        if isinstance(ref, str):
            found = self.channels.get(ref.lstrip("#"))
            if found is not None:
                return found
        for channel in [*self.channels.values(), *self.threads.values()]:
            if ref in (channel.id, str(channel.id)):
                return channel
        raise AssertionError(
            f"guild {self.name!r} has no channel {ref!r}; channels: {list(self.channels)}"
        )

    def base_permissions(self, member: FakeMember) -> int:
        if member.user.id == self.owner_id:
            return ALL_PERMISSIONS
        perms = self.everyone.permissions
        for role in self.roles.values():
            if role.id in member.role_ids:
                perms |= role.permissions
        return ALL_PERMISSIONS if perms & ADMINISTRATOR else perms

    def permissions_in(self, channel: FakeChannel, member: FakeMember) -> int:
        """Discord's permission algorithm: base, then @everyone, role and member overwrites
        (a thread's are those of the channel it is in).
        """
        perms = self.base_permissions(member)
        if perms & ADMINISTRATOR:
            return ALL_PERMISSIONS
        if channel.is_thread:
            parent = next((c for c in self.channels.values() if c.id == channel.parent_id), None)
            if parent is not None:
                channel = parent
        by_id = {ow.id: ow for ow in channel.overwrites}
        everyone = by_id.get(self.id)
        if everyone is not None:
            perms = (perms & ~everyone.deny) | everyone.allow
        allow = deny = 0
        for role_id in member.role_ids:
            ow = by_id.get(role_id)
            if ow is not None and ow.type == 0:
                allow |= ow.allow
                deny |= ow.deny
        perms = (perms & ~deny) | allow
        own = by_id.get(member.user.id)
        if own is not None and own.type == 1:
            perms = (perms & ~own.deny) | own.allow
        return perms


@dataclass
class StoredFile:
    id: int
    filename: str
    data: bytes
    content_type: str
    url: str


@dataclass
class RecordedFile:
    field: str
    filename: str
    content_type: str
    data: bytes


@dataclass
class RecordedRequest:
    """One HTTP request the bot made, with the status the emulator answered."""

    method: str
    path: str
    query: dict[str, str]
    json: Any = None
    files: list[RecordedFile] = field(default_factory=list)
    status: int = 0
    headers: dict[str, str] = field(default_factory=dict)
    unknown_route: bool = False
    fault: bool = False
    response_body: bytes | None = None  # the emulator's own JSON answer, as sent
    # Checked against Discord's OpenAPI document when first asked (FakeDiscord.schema_violations):
    # whether it went to the API with a readable body, whether that came as multipart, and why
    # the document does not allow it (None until checked).
    checkable: bool = False
    multipart: bool = False
    schema_problems: list[str] | None = None

    def __repr__(self) -> str:
        return f"<{self.method} {self.path} -> {self.status}>"

    @property
    def response(self) -> Any:
        """The emulator's JSON answer (read when asked for); None for a file or no body."""
        return None if self.response_body is None else json.loads(self.response_body)


@dataclass
class PendingInteraction:
    """An interaction the emulator dispatched and what the bot did with it."""

    id: int
    token: str
    type: int
    payload: JSON
    channel_id: int
    guild_id: int | None
    user_id: int
    created: float
    source_message_id: int | None = None
    callback_type: int | None = None
    callback_data: JSON | None = None
    original_message_id: int | None = None
    followup_ids: list[int] = field(default_factory=list)
    original_edits: int = 0
    errors: list[str] = field(default_factory=list)


class World:
    """All mutable state of one fake Discord, plus a change signal for bounded waits."""

    def __init__(self, token: str | None, *, bot_name: str = "Nexus") -> None:
        self.snowflakes = Snowflakes()
        self.token = token
        self.base_http = ""
        self.bot_user = FakeUser(
            id=self.snowflakes.at(datetime(2024, 2, 1, 10, 0, tzinfo=UTC)),
            username=bot_name.lower(),
            global_name=bot_name,
            bot=True,
            key="bot",
        )
        self.application_id = self.bot_user.id
        self.application_flags = (1 << 15) | (1 << 19) | (1 << 23)
        self.users: dict[str, FakeUser] = {"bot": self.bot_user}
        self.guilds: list[FakeGuild] = []
        self.dm_channels: dict[int, FakeChannel] = {}
        self.messages: dict[int, list[JSON]] = {}
        self.message_index: dict[int, JSON] = {}
        self.deleted_messages: list[JSON] = []
        self.commands: dict[int | None, list[JSON]] = {}
        self.files: dict[int, StoredFile] = {}
        self.requests: list[RecordedRequest] = []
        self.interactions: dict[str, PendingInteraction] = {}
        self.sent_bodies: list[JSON] = []
        self._changed: asyncio.Event | None = None

    # -- lookups ---------------------------------------------------------------------------

    def user(self, ref: UserRef) -> FakeUser:
        if isinstance(ref, FakeUser):
            return ref
        if isinstance(ref, str) and ref in self.users:
            return self.users[ref]
        for user in self.users.values():
            if ref in (user.id, str(user.id), user.username):
                return user
        raise AssertionError(f"no user {ref!r}; users: {list(self.users)}")

    def guild(self, ref: str | int | FakeGuild | None = None) -> FakeGuild:
        if not self.guilds:
            raise AssertionError("the emulator has no guild")
        if ref is None:
            return self.guilds[0]
        if isinstance(ref, FakeGuild):
            return ref
        for guild in self.guilds:
            if ref in (guild.id, str(guild.id), guild.name):
                return guild
        raise AssertionError(f"no guild {ref!r}; guilds: {[g.name for g in self.guilds]}")

    def channel_by_id(self, channel_id: int) -> FakeChannel | None:
        if channel_id in self.dm_channels:
            return self.dm_channels[channel_id]
        for guild in self.guilds:
            for channel in guild.channels.values():
                if channel.id == channel_id:
                    return channel
            if channel_id in guild.threads:
                return guild.threads[channel_id]
        return None

    def guild_by_id(self, guild_id: int | None) -> FakeGuild | None:
        return next((g for g in self.guilds if g.id == guild_id), None)

    def dm_channel(self, user: FakeUser) -> FakeChannel:
        for channel in self.dm_channels.values():
            if channel.recipient_ids == [user.id]:
                return channel
        channel = FakeChannel(
            id=self.snowflakes.now(), name=user.username, type=1, recipient_ids=[user.id]
        )
        self.dm_channels[channel.id] = channel
        return channel

    def find_message(self, message_id: int) -> JSON | None:
        return self.message_index.get(message_id)

    def interaction_by_token(self, token: str) -> PendingInteraction | None:
        return self.interactions.get(token)

    # -- the change signal ---------------------------------------------------------------------

    def notify(self) -> None:
        """Wake every bounded waiter to re-check its condition."""
        if self._changed is not None:
            self._changed.set()
            self._changed = None

    async def wait_for(
        self, check: Callable[[], T | None], what: str, timeout: float = DEFAULT_TIMEOUT
    ) -> T:
        """Wait (bounded) until `check()` returns something other than None/False; return it."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            value = check()
            if value is not None and value is not False:
                return value
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise EmulatorTimeout(f"timed out after {timeout:g}s waiting for {what}")
            if self._changed is None:
                self._changed = asyncio.Event()
            event = self._changed
            with contextlib.suppress(TimeoutError):  # (not wait_for: it can lose a Ctrl-C)
                async with asyncio.timeout(min(remaining, 0.25)):
                    await event.wait()


def new_token() -> str:
    return secrets.token_urlsafe(48)


MENTION_USER = re.compile(r"<@!?(\d+)>")
MENTION_ROLE = re.compile(r"<@&(\d+)>")
