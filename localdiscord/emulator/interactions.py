"""Acting as Discord users: build INTERACTION_CREATE payloads, dispatch them, await the bot."""

# Every wait is bounded: a `timeout` parameter is part of this module's API.
# ruff: noqa: ASYNC109

from __future__ import annotations

import copy
import mimetypes
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from localdiscord.emulator.gateway import MESSAGE_CONTENT_INTENT, Gateway
from localdiscord.emulator.limits import SELECT_TYPES, walk_components
from localdiscord.emulator.messages import attachment_payload, create_message, store_file
from localdiscord.emulator.payloads import (
    channel_payload,
    member_payload,
    role_payload,
    user_payload,
)
from localdiscord.emulator.state import (
    ATTACHMENT_SIZE_LIMIT,
    DEFAULT_TIMEOUT,
    EPHEMERAL,
    JSON,
    LOADING,
    FakeChannel,
    FakeGuild,
    FakeMember,
    FakeUser,
    PendingInteraction,
    RecordedFile,
    World,
    new_token,
)

UserRef = str | int | FakeUser


@dataclass
class Upload:
    """A file a user attaches to a slash command (served to the bot from a loopback URL)."""

    filename: str
    data: bytes
    content_type: str = ""

    def __post_init__(self) -> None:
        if not self.content_type:
            guessed = mimetypes.guess_type(self.filename)[0]
            self.content_type = guessed or "application/octet-stream"


class InteractionResult:
    """What the bot did with one interaction; properties read the emulator's live state."""

    def __init__(self, driver: InteractionDriver, pending: PendingInteraction) -> None:
        self._driver = driver
        self.pending = pending
        self._followups_seen = 0
        self._edits_seen = pending.original_edits

    def __repr__(self) -> str:
        return (
            f"<InteractionResult interaction={self.pending.type} callback={self.type} "
            f"content={self.content!r} followups={len(self.pending.followup_ids)}>"
        )

    @property
    def interaction(self) -> JSON:
        """The INTERACTION_CREATE payload that was dispatched."""
        return self.pending.payload

    @property
    def id(self) -> int:
        return self.pending.id

    @property
    def token(self) -> str:
        return self.pending.token

    @property
    def type(self) -> int | None:
        """The callback type the bot answered with (4 message, 5 defer, 7 update, 9 modal...)."""
        return self.pending.callback_type

    @property
    def data(self) -> JSON | None:
        """The callback's `data` as the bot sent it."""
        return self.pending.callback_data

    @property
    def errors(self) -> list[str]:
        """Requests for this interaction the emulator rejected (as Discord would have)."""
        return list(self.pending.errors)

    @property
    def message(self) -> JSON | None:
        """The response message as it is now (after edits), or None."""
        mid = self.pending.original_message_id
        found = self._driver.world.find_message(mid) if mid is not None else None
        return copy.deepcopy(found)

    @property
    def ephemeral(self) -> bool:
        message = self.message
        if message is not None:
            return bool(message["flags"] & EPHEMERAL)
        return bool(int((self.data or {}).get("flags") or 0) & EPHEMERAL)

    @property
    def content(self) -> str | None:
        message = self.message
        return None if message is None else message.get("content")

    @property
    def embeds(self) -> list[JSON]:
        message = self.message
        return [] if message is None else list(message.get("embeds") or [])

    @property
    def components(self) -> list[JSON]:
        message = self.message
        return [] if message is None else list(message.get("components") or [])

    @property
    def modal(self) -> JSON | None:
        """The modal (`custom_id`, `title`, `components`) for a type 9 callback."""
        return copy.deepcopy(self.pending.callback_data) if self.type == 9 else None

    @property
    def choices(self) -> list[JSON]:
        """Autocomplete choices for a type 8 callback."""
        if self.type != 8 or self.pending.callback_data is None:
            return []
        return copy.deepcopy(list(self.pending.callback_data.get("choices") or []))

    @property
    def followups(self) -> list[JSON]:
        world = self._driver.world
        found = (world.find_message(mid) for mid in self.pending.followup_ids)
        return [copy.deepcopy(m) for m in found if m is not None]

    def custom_ids(self) -> list[str]:
        """custom_ids of the response's components (or of the modal's inputs)."""
        source = self.modal["components"] if self.modal else self.components
        return [c["custom_id"] for c in walk_components(source) if c.get("custom_id")]

    def component(self, custom_id: str) -> JSON:
        source = self.modal["components"] if self.modal else self.components
        for component in walk_components(source):
            if component.get("custom_id") == custom_id:
                return component
        raise AssertionError(f"no component {custom_id!r}; custom_ids: {self.custom_ids()}")

    async def wait_for_followup(self, timeout: float | None = None) -> JSON:
        """The next follow-up message not returned before (waits, bounded)."""
        index = self._followups_seen
        pending = self.pending

        def check() -> JSON | None:
            if pending.errors:
                raise AssertionError(f"the emulator rejected a request: {pending.errors}")
            if len(pending.followup_ids) > index:
                found = self._driver.world.find_message(pending.followup_ids[index])
                return copy.deepcopy(found) if found is not None else {}
            return None

        message = await self._driver.world.wait_for(
            check, f"follow-up #{index + 1}", timeout or self._driver.timeout
        )
        self._followups_seen = index + 1
        return message

    async def wait_for_edit(self, timeout: float | None = None) -> JSON | None:
        """Wait for the next edit of the response message; return the message."""
        seen = self._edits_seen
        pending = self.pending

        def check() -> bool:
            if pending.errors:
                raise AssertionError(f"the emulator rejected a request: {pending.errors}")
            return pending.original_edits > seen

        await self._driver.world.wait_for(
            check, "an edit of the original response", timeout or self._driver.timeout
        )
        self._edits_seen = pending.original_edits
        return self.message

    async def click(self, custom_id: str, *, user: UserRef | None = None) -> InteractionResult:
        return await self._driver.click(self, custom_id, user=user or self._user_id)

    async def select(
        self, custom_id: str, values: Sequence[Any], *, user: UserRef | None = None
    ) -> InteractionResult:
        return await self._driver.select(self, custom_id, values, user=user or self._user_id)

    async def submit_modal(
        self, values: Mapping[str, Any], *, user: UserRef | None = None
    ) -> InteractionResult:
        return await self._driver.submit_modal(self, values, user=user)

    @property
    def _user_id(self) -> int:
        return self.pending.user_id


class InteractionDriver:
    """Builds interactions the way the Discord client would, and waits for the bot's answers."""

    def __init__(self, world: World, gateway: Gateway, *, timeout: float = DEFAULT_TIMEOUT) -> None:
        self.world = world
        self.gateway = gateway
        self.timeout = timeout

    # -- context ---------------------------------------------------------------------------

    def _where(
        self, user: UserRef, channel: str | int | FakeChannel, guild: str | int | FakeGuild | None
    ) -> tuple[FakeUser, FakeChannel, FakeGuild | None, FakeMember | None]:
        who = self.world.user(user)
        if isinstance(channel, FakeChannel):
            where = channel
        elif isinstance(channel, int) or (isinstance(channel, str) and channel.isdigit()):
            found = self.world.channel_by_id(int(channel))
            if found is None:
                raise AssertionError(f"no channel with id {channel}")
            where = found
        else:
            where = self.world.guild(guild).channel(channel)
        home = self.world.guild_by_id(where.guild_id)
        member = None
        if home is not None:
            member = home.members.get(who.id)
            if member is None:
                raise AssertionError(f"{who.username} is not a member of {home.name!r}")
        return who, where, home, member

    def _payload(
        self,
        itype: int,
        data: JSON | None,
        user: FakeUser,
        channel: FakeChannel,
        guild: FakeGuild | None,
        member: FakeMember | None,
        message: JSON | None = None,
    ) -> PendingInteraction:
        world = self.world
        iid = world.snowflakes.now()
        token = new_token()
        payload: JSON = {
            "id": str(iid),
            "application_id": str(world.application_id),
            "type": itype,
            "token": token,
            "version": 1,
            "locale": "en-US",
            "entitlements": [],
            "entitlement_sku_ids": [],
            "attachment_size_limit": ATTACHMENT_SIZE_LIMIT,
            "channel_id": str(channel.id),
        }
        if data is not None:
            payload["data"] = data
        if guild is not None and member is not None:
            bot_member = guild.members[world.bot_user.id]
            perms = guild.permissions_in(channel, member)
            payload.update(
                guild_id=str(guild.id),
                guild={"id": str(guild.id), "locale": "en-US", "features": []},
                guild_locale="en-US",
                member=member_payload(member, permissions=perms),
                app_permissions=str(guild.permissions_in(channel, bot_member)),
                authorizing_integration_owners={"0": str(guild.id)},
                context=0,
                channel={**channel_payload(channel), "permissions": str(perms)},
            )
        else:
            payload.update(
                user=user_payload(user),
                app_permissions="0",
                authorizing_integration_owners={"0": "0"},
                context=1,
                channel=channel_payload(channel, world),
            )
        if message is not None:
            payload["message"] = copy.deepcopy(message)
        return PendingInteraction(
            id=iid,
            token=token,
            type=itype,
            payload=payload,
            channel_id=channel.id,
            guild_id=guild.id if guild else None,
            user_id=user.id,
            created=time.monotonic(),
            source_message_id=int(message["id"]) if message is not None else None,
        )

    async def _run(
        self, pending: PendingInteraction, what: str, timeout: float | None, follow_defer: bool
    ) -> InteractionResult:
        timeout = timeout or self.timeout
        await self.gateway.wait_until_connected(timeout)
        self.world.interactions[pending.token] = pending
        pending.created = time.monotonic()
        await self.gateway.dispatch("INTERACTION_CREATE", pending.payload, timeout)

        def answered() -> bool:
            if pending.callback_type is None and pending.errors:
                raise AssertionError(
                    f"Discord would reject the bot's answer to {what}: {pending.errors}"
                )
            return pending.callback_type is not None

        await self.world.wait_for(
            answered,
            f"the bot to answer {what} (did the handler raise or never respond?)",
            timeout,
        )
        if follow_defer and pending.callback_type == 5:

            def completed() -> bool:
                if pending.errors:
                    raise AssertionError(
                        f"Discord would reject a request for {what}: {pending.errors}"
                    )
                found = self.world.find_message(pending.original_message_id or 0)
                return found is None or not found["flags"] & LOADING

            await self.world.wait_for(
                completed, f"the deferred response to {what} to be edited or followed up", timeout
            )
        return InteractionResult(self, pending)

    # -- application commands --------------------------------------------------------------

    def registered(self, guild_id: int | None) -> list[JSON]:
        """Commands the bot registered for a guild (guild-scoped first) plus global ones."""
        scoped = self.world.commands.get(guild_id, []) if guild_id is not None else []
        return [*scoped, *self.world.commands.get(None, [])]

    def find_command(self, name: str, guild: FakeGuild | None, ctype: int = 1) -> JSON:
        commands = self.registered(guild.id if guild else None)
        for command in commands:
            if command["name"] == name and command.get("type", 1) == ctype:
                return command
        names = sorted(c["name"] for c in commands if c.get("type", 1) == ctype)
        raise AssertionError(
            f"no registered command {name!r} (type {ctype}); registered: {names or 'none'} "
            "(did the bot sync its command tree?)"
        )

    def _command_data(
        self,
        command: str,
        options: Mapping[str, Any] | None,
        guild: FakeGuild | None,
        channel: FakeChannel,
        member: FakeMember | None,
        *,
        focused: str | None,
        strict: bool,
    ) -> JSON:
        parts = command.strip().lstrip("/").split()
        if not parts:
            raise AssertionError("empty command name")
        registered = self.find_command(parts[0], guild)
        data: JSON = {"id": registered["id"], "name": parts[0], "type": 1}
        if registered.get("guild_id"):
            data["guild_id"] = registered["guild_id"]
        resolved: JSON = {}
        container: list[JSON] = []
        data["options"] = container
        spec = registered.get("options") or []
        path = parts[0]
        for sub in parts[1:]:
            found = next((o for o in spec if o["name"] == sub and o["type"] in (1, 2)), None)
            if found is None:
                subs = [o["name"] for o in spec if o["type"] in (1, 2)]
                raise AssertionError(f"/{path} has no subcommand {sub!r}; subcommands: {subs}")
            node: JSON = {"name": sub, "type": found["type"], "options": []}
            container.append(node)
            container = node["options"]
            spec = found.get("options") or []
            path += f" {sub}"
        if any(o["type"] in (1, 2) for o in spec):
            subs = [o["name"] for o in spec if o["type"] in (1, 2)]
            raise AssertionError(f"/{path} is a group; name one of its subcommands: {subs}")
        ctx = _OptionContext(self.world, guild, channel, member, resolved, strict)
        container.extend(ctx.build(spec, dict(options or {}), path, focused))
        if resolved:
            data["resolved"] = resolved
        return data

    async def slash(
        self,
        command: str,
        options: Mapping[str, Any] | None = None,
        *,
        user: UserRef = "member",
        channel: str | int | FakeChannel = "general",
        guild: str | int | FakeGuild | None = None,
        timeout: float | None = None,
        follow_defer: bool = True,
        strict: bool = True,
    ) -> InteractionResult:
        who, where, home, member = self._where(user, channel, guild)
        data = self._command_data(
            command, options, home, where, member, focused=None, strict=strict
        )
        pending = self._payload(2, data, who, where, home, member)
        return await self._run(pending, f"/{command}", timeout, follow_defer)

    async def autocomplete(
        self,
        command: str,
        options: Mapping[str, Any],
        *,
        focused: str,
        user: UserRef = "member",
        channel: str | int | FakeChannel = "general",
        guild: str | int | FakeGuild | None = None,
        timeout: float | None = None,
    ) -> list[JSON]:
        who, where, home, member = self._where(user, channel, guild)
        data = self._command_data(
            command, options, home, where, member, focused=focused, strict=False
        )
        pending = self._payload(4, data, who, where, home, member)
        result = await self._run(pending, f"autocomplete of /{command} {focused}", timeout, False)
        if result.type != 8:
            raise AssertionError(f"autocomplete answered with callback type {result.type}, not 8")
        return result.choices

    async def context_menu(
        self,
        name: str,
        target: UserRef | Mapping[str, Any],
        *,
        user: UserRef = "member",
        channel: str | int | FakeChannel = "general",
        guild: str | int | FakeGuild | None = None,
        timeout: float | None = None,
    ) -> InteractionResult:
        """Run a USER (target: a user) or MESSAGE (target: a message dict) context-menu command."""
        who, where, home, member = self._where(user, channel, guild)
        resolved: JSON
        if isinstance(target, Mapping):
            ctype, target_id = 3, str(target["id"])
            resolved = {"messages": {target_id: copy.deepcopy(dict(target))}}
        else:
            ctype = 2
            target_user = self.world.user(target)
            target_id = str(target_user.id)
            resolved = {"users": {target_id: user_payload(target_user)}}
            target_member = home.members.get(target_user.id) if home else None
            if target_member is not None:
                resolved["members"] = {target_id: member_payload(target_member, with_user=False)}
        registered = self.find_command(name, home, ctype)
        data: JSON = {
            "id": registered["id"],
            "name": name,
            "type": ctype,
            "target_id": target_id,
            "resolved": resolved,
        }
        if registered.get("guild_id"):
            data["guild_id"] = registered["guild_id"]
        pending = self._payload(2, data, who, where, home, member)
        return await self._run(pending, f"context menu {name!r}", timeout, True)

    # -- components and modals -------------------------------------------------------------

    def _stored_message(self, message: InteractionResult | Mapping[str, Any] | int | str) -> JSON:
        if isinstance(message, InteractionResult):
            mid = message.pending.original_message_id
            if mid is None:
                raise AssertionError(f"{message!r} has no response message to interact with")
        elif isinstance(message, Mapping):
            mid = int(message["id"])
        else:
            mid = int(message)
        found = self.world.find_message(mid)
        if found is None:
            raise AssertionError(f"message {mid} does not exist (deleted?)")
        return found

    @staticmethod
    def _find_component(message: JSON, custom_id: str) -> JSON:
        components = list(walk_components(message.get("components")))
        for component in components:
            if component.get("custom_id") == custom_id:
                return component
        ids = [c["custom_id"] for c in components if c.get("custom_id")]
        raise AssertionError(
            f"message {message['id']} has no component {custom_id!r}; custom_ids: {ids}"
        )

    def _component_context(
        self, message: JSON, user: UserRef
    ) -> tuple[FakeUser, FakeChannel, FakeGuild | None, FakeMember | None]:
        return self._where(user, int(message["channel_id"]), None)

    async def click(
        self,
        message: InteractionResult | Mapping[str, Any] | int | str,
        custom_id: str,
        *,
        user: UserRef = "member",
        timeout: float | None = None,
        follow_defer: bool = True,
    ) -> InteractionResult:
        stored = self._stored_message(message)
        component = self._find_component(stored, custom_id)
        if component.get("type") != 2:
            raise AssertionError(f"{custom_id!r} is not a button (type {component.get('type')})")
        if component.get("disabled"):
            raise AssertionError(f"button {custom_id!r} is disabled; a user cannot click it")
        who, where, home, member = self._component_context(stored, user)
        data = {"custom_id": custom_id, "component_type": 2}
        pending = self._payload(3, data, who, where, home, member, message=stored)
        return await self._run(pending, f"a click on {custom_id!r}", timeout, follow_defer)

    async def select(
        self,
        message: InteractionResult | Mapping[str, Any] | int | str,
        custom_id: str,
        values: Sequence[Any],
        *,
        user: UserRef = "member",
        timeout: float | None = None,
        follow_defer: bool = True,
    ) -> InteractionResult:
        stored = self._stored_message(message)
        component = self._find_component(stored, custom_id)
        ctype = component.get("type")
        if ctype not in SELECT_TYPES:
            raise AssertionError(f"{custom_id!r} is not a select menu (type {ctype})")
        if component.get("disabled"):
            raise AssertionError(f"select {custom_id!r} is disabled")
        who, where, home, member = self._component_context(stored, user)
        ctx = _OptionContext(self.world, home, where, member, {}, True)
        data = ctx.select_data(component, list(values))
        pending = self._payload(3, data, who, where, home, member, message=stored)
        return await self._run(pending, f"a selection in {custom_id!r}", timeout, follow_defer)

    async def submit_modal(
        self,
        result: InteractionResult,
        values: Mapping[str, Any],
        *,
        user: UserRef | None = None,
        timeout: float | None = None,
        follow_defer: bool = True,
    ) -> InteractionResult:
        modal = result.modal
        if modal is None:
            raise AssertionError(f"{result!r} did not open a modal (callback type {result.type})")
        source = result.pending
        who, where, home, member = self._where(user or source.user_id, source.channel_id, None)
        ctx = _OptionContext(self.world, home, where, member, {}, True)
        remaining = dict(values)
        components = ctx.modal_components(modal.get("components") or [], remaining)
        if remaining:
            raise AssertionError(
                f"the modal has no inputs {sorted(remaining)}; custom_ids: {result.custom_ids()}"
            )
        data: JSON = {"custom_id": modal["custom_id"], "components": components}
        if ctx.resolved:
            data["resolved"] = ctx.resolved
        message = self.world.find_message(source.source_message_id or 0)
        pending = self._payload(5, data, who, where, home, member, message=message)
        return await self._run(pending, f"modal {modal['custom_id']!r}", timeout, follow_defer)

    # -- plain messages --------------------------------------------------------------------

    async def send_message(
        self,
        content: str,
        *,
        user: UserRef = "member",
        channel: str | int | FakeChannel = "general",
        guild: str | int | FakeGuild | None = None,
        timeout: float | None = None,
    ) -> JSON:
        """A user posts a message: stored, then dispatched as MESSAGE_CREATE."""
        who, where, home, member = self._where(user, channel, guild)
        message = create_message(
            self.world, where, {"content": content, "allowed_mentions": None}, author=who
        )
        message.pop("allowed_mentions", None)
        event = copy.deepcopy(message)
        session = await self.gateway.wait_until_connected(timeout or self.timeout)
        mentioned = f"<@{self.world.bot_user.id}>" in content
        if not session.intents & MESSAGE_CONTENT_INTENT and not mentioned and home is not None:
            event.update(content="", embeds=[], attachments=[], components=[])
        if member is not None:
            event["member"] = member_payload(member, with_user=False)
        await self.gateway.dispatch_to(session, "MESSAGE_CREATE", event)
        return copy.deepcopy(message)


class _OptionContext:
    """Converts test-side values (names, ids, uploads) into interaction values + `resolved`."""

    def __init__(
        self,
        world: World,
        guild: FakeGuild | None,
        channel: FakeChannel,
        member: FakeMember | None,
        resolved: JSON,
        strict: bool,
    ) -> None:
        self.world = world
        self.guild = guild
        self.channel = channel
        self.member = member
        self.resolved = resolved
        self.strict = strict

    def _bucket(self, kind: str) -> JSON:
        bucket: JSON = self.resolved.setdefault(kind, {})
        return bucket

    def user(self, ref: Any) -> str:
        user = self.world.user(ref)
        self._bucket("users")[str(user.id)] = user_payload(user)
        member = self.guild.members.get(user.id) if self.guild else None
        if member is not None and self.guild is not None:
            perms = self.guild.permissions_in(self.channel, member)
            self._bucket("members")[str(user.id)] = member_payload(
                member, with_user=False, permissions=perms
            )
        return str(user.id)

    def role(self, ref: Any) -> str:
        if self.guild is None:
            raise AssertionError("roles only exist in guilds")
        role = self.guild.role(ref)
        self._bucket("roles")[str(role.id)] = role_payload(role)
        return str(role.id)

    def channel_ref(self, ref: Any) -> tuple[str, int]:
        if self.guild is None:
            raise AssertionError("channel options only resolve in guilds")
        channel = self.guild.channel(ref)
        perms = self.guild.permissions_in(self.channel, self.member) if self.member else 0
        self._bucket("channels")[str(channel.id)] = {
            "id": str(channel.id),
            "name": channel.name,
            "type": channel.type,
            "permissions": str(perms),
            "parent_id": str(channel.parent_id) if channel.parent_id else None,
            "guild_id": str(self.guild.id),
            "flags": 0,
        }
        return str(channel.id), channel.type

    def attachment(self, value: Any) -> str:
        if isinstance(value, tuple) and len(value) == 2:
            value = Upload(str(value[0]), bytes(value[1]))
        if not isinstance(value, Upload):
            raise AssertionError(
                f"an attachment option takes Upload(...) or (filename, bytes), got {value!r}"
            )
        stored = store_file(
            self.world,
            self.channel.id,
            RecordedFile("upload", value.filename, value.content_type, value.data),
        )
        payload = attachment_payload(stored)
        payload["ephemeral"] = True
        self._bucket("attachments")[str(stored.id)] = payload
        return str(stored.id)

    def value(self, spec: JSON, value: Any, path: str, focused: bool) -> Any:
        otype, name = spec["type"], spec["name"]
        where = f"/{path} option {name!r}"
        if focused:
            return value if isinstance(value, str) else str(value)
        if otype == 3:
            if not isinstance(value, str):
                raise AssertionError(f"{where} is a STRING; got {value!r}")
            if self.strict:
                lo, hi = spec.get("min_length"), spec.get("max_length")
                if (lo is not None and len(value) < lo) or (hi is not None and len(value) > hi):
                    raise AssertionError(
                        f"{where} must be {lo}-{hi} characters; Discord would not send {value!r}"
                    )
        elif otype == 4:
            if isinstance(value, bool) or not isinstance(value, int):
                raise AssertionError(f"{where} is an INTEGER; got {value!r}")
        elif otype == 5:
            if not isinstance(value, bool):
                raise AssertionError(f"{where} is a BOOLEAN; got {value!r}")
        elif otype == 10:
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise AssertionError(f"{where} is a NUMBER; got {value!r}")
        elif otype == 6:
            return self.user(value)
        elif otype == 7:
            channel_id, channel_type = self.channel_ref(value)
            allowed = spec.get("channel_types")
            if self.strict and allowed and channel_type not in allowed:
                raise AssertionError(f"{where} only accepts channel types {allowed}")
            return channel_id
        elif otype == 8:
            return self.role(value)
        elif otype == 9:
            try:
                return self.user(value)
            except AssertionError:
                return self.role(value)
        elif otype == 11:
            return self.attachment(value)
        if self.strict and otype in (4, 10):
            lo, hi = spec.get("min_value"), spec.get("max_value")
            if (lo is not None and value < lo) or (hi is not None and value > hi):
                raise AssertionError(
                    f"{where} must be within {lo}..{hi}; Discord would not send {value!r}"
                )
        choices = spec.get("choices")
        if self.strict and choices and value not in [c["value"] for c in choices]:
            raise AssertionError(
                f"{where} only accepts its choices {[c['value'] for c in choices]}; got {value!r}"
            )
        return value

    def build(
        self, spec: list[JSON], given: dict[str, Any], path: str, focused: str | None
    ) -> list[JSON]:
        by_name = {o["name"]: o for o in spec}
        unknown = [name for name in given if name not in by_name]
        if unknown:
            raise AssertionError(f"/{path} has no option(s) {unknown}; options: {list(by_name)}")
        if focused is not None:
            if focused not in given:
                raise AssertionError(f"the focused option {focused!r} needs a (partial) value")
            if not by_name[focused].get("autocomplete"):
                raise AssertionError(f"/{path} option {focused!r} does not have autocomplete")
        if self.strict and focused is None:
            missing = [o["name"] for o in spec if o.get("required") and o["name"] not in given]
            if missing:
                raise AssertionError(f"/{path} needs required option(s) {missing}")
        options = []
        for name, value in given.items():
            option: JSON = {
                "name": name,
                "type": by_name[name]["type"],
                "value": self.value(by_name[name], value, path, name == focused),
            }
            if name == focused:
                option["focused"] = True
            options.append(option)
        return options

    def select_data(self, component: JSON, values: list[Any]) -> JSON:
        ctype = component["type"]
        custom_id = component["custom_id"]
        lo, hi = component.get("min_values", 1), component.get("max_values", 1)
        if self.strict and not lo <= len(values) <= hi:
            raise AssertionError(f"select {custom_id!r} takes {lo}-{hi} values; got {len(values)}")
        data: JSON = {"custom_id": custom_id, "component_type": ctype}
        if ctype == 3:
            allowed = [o["value"] for o in component.get("options") or []]
            bad = [v for v in values if v not in allowed]
            if self.strict and bad:
                raise AssertionError(
                    f"select {custom_id!r} has no option(s) {bad}; values: {allowed}"
                )
            data["values"] = [str(v) for v in values]
            return data
        converted = []
        for value in values:
            if ctype == 5:
                converted.append(self.user(value))
            elif ctype == 6:
                converted.append(self.role(value))
            elif ctype == 8:
                converted.append(self.channel_ref(value)[0])
            else:
                try:
                    converted.append(self.user(value))
                except AssertionError:
                    converted.append(self.role(value))
        data["values"] = converted
        data["resolved"] = self.resolved
        return data

    def _modal_input(self, component: JSON, values: dict[str, Any]) -> JSON:
        ctype = component.get("type")
        custom_id = component.get("custom_id")
        if ctype == 4:
            value = values.pop(str(custom_id), component.get("value") or "")
            if not isinstance(value, str):
                raise AssertionError(f"text input {custom_id!r} takes a string; got {value!r}")
            if self.strict:
                if component.get("required", True) and not value:
                    raise AssertionError(f"text input {custom_id!r} is required")
                lo, hi = component.get("min_length"), component.get("max_length")
                if value and (
                    (lo is not None and len(value) < lo) or (hi is not None and len(value) > hi)
                ):
                    raise AssertionError(
                        f"text input {custom_id!r} must be {lo or 0}-{hi or 4000} characters "
                        f"long; got {len(value)}"
                    )
            return {"type": 4, "id": component.get("id"), "custom_id": custom_id, "value": value}
        if ctype in SELECT_TYPES:
            chosen = values.pop(str(custom_id), [])
            chosen = [chosen] if isinstance(chosen, str | int) else list(chosen)
            data = self.select_data(component, chosen)
            data.pop("component_type", None)
            data.pop("resolved", None)
            return {"type": ctype, "id": component.get("id"), **data}
        return {"type": ctype, "id": component.get("id")}

    def modal_components(self, components: list[JSON], values: dict[str, Any]) -> list[JSON]:
        result: list[JSON] = []
        for component in components:
            ctype = component.get("type")
            if ctype == 1:
                inner = [self._modal_input(c, values) for c in component.get("components") or []]
                result.append({"type": 1, "id": component.get("id"), "components": inner})
            elif ctype == 18 and isinstance(component.get("component"), dict):
                result.append(
                    {
                        "type": 18,
                        "id": component.get("id"),
                        "component": self._modal_input(component["component"], values),
                    }
                )
        return result
