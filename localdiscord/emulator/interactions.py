"""Acting as Discord users: build INTERACTION_CREATE payloads, dispatch them, await the bot.

`InteractionDriver` is what `FakeDiscord.slash`, `click`, `select`, `submit_modal`... run: it
finds the registered command or the clicked component, converts the user's input
(`user_input`), dispatches the interaction and waits, bounded, for the bot's answer
(`InteractionResult`).
"""

# Every wait is bounded: a `timeout` parameter is part of this module's API.
# ruff: noqa: ASYNC109

from __future__ import annotations

import copy
import time
from collections.abc import Collection, Mapping, Sequence
from typing import Any

from localdiscord.emulator.gateway import MESSAGE_CONTENT_INTENT, Gateway
from localdiscord.emulator.message_limits import SELECT_TYPES, walk_components
from localdiscord.emulator.messages import create_message
from localdiscord.emulator.payloads import channel_payload, member_payload, user_payload
from localdiscord.emulator.result import InteractionResult
from localdiscord.emulator.state import (
    ATTACHMENT_SIZE_LIMIT,
    DEFAULT_TIMEOUT,
    JSON,
    LOADING,
    FakeChannel,
    FakeGuild,
    FakeMember,
    FakeUser,
    PendingInteraction,
    UserRef,
    World,
    new_token,
)
from localdiscord.emulator.user_input import InputContext

# A message as tests name one: a result (its response message), a message dict, or an id.
MessageRef = InteractionResult | Mapping[str, Any] | int | str


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
        await self.gateway.wait_until_connected(timeout, pending.guild_id)
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
        ctx = InputContext(self.world, guild, channel, member, resolved, strict)
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
        """Invoke a registered slash command ("name" or "group sub") and await the bot's answer."""
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
        """Type into an autocomplete option; returns the bot's choices."""
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

    def _stored_message(self, message: MessageRef) -> JSON:
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

    def _usable(
        self, message: MessageRef, custom_id: str, kinds: Collection[int], kind: str
    ) -> tuple[JSON, JSON]:
        """The stored message and its component `custom_id`, which must be an enabled `kind`."""
        stored = self._stored_message(message)
        components = list(walk_components(stored.get("components")))
        component = next((c for c in components if c.get("custom_id") == custom_id), None)
        if component is None:
            ids = [c["custom_id"] for c in components if c.get("custom_id")]
            raise AssertionError(
                f"message {stored['id']} has no component {custom_id!r}; custom_ids: {ids}"
            )
        if component.get("type") not in kinds:
            raise AssertionError(f"{custom_id!r} is not a {kind} (type {component.get('type')})")
        if component.get("disabled"):
            raise AssertionError(f"{kind} {custom_id!r} is disabled; a user cannot use it")
        return stored, component

    async def click(
        self,
        message: MessageRef,
        custom_id: str,
        *,
        user: UserRef = "member",
        timeout: float | None = None,
        follow_defer: bool = True,
    ) -> InteractionResult:
        """Click a button on a message (a result, a message dict or a message id)."""
        stored, _ = self._usable(message, custom_id, {2}, "button")
        who, where, home, member = self._where(user, int(stored["channel_id"]), None)
        data = {"custom_id": custom_id, "component_type": 2}
        pending = self._payload(3, data, who, where, home, member, message=stored)
        return await self._run(pending, f"a click on {custom_id!r}", timeout, follow_defer)

    async def select(
        self,
        message: MessageRef,
        custom_id: str,
        values: Sequence[Any],
        *,
        user: UserRef = "member",
        timeout: float | None = None,
        follow_defer: bool = True,
    ) -> InteractionResult:
        """Pick values in a select menu (users/roles/channels by name for entity selects)."""
        stored, component = self._usable(message, custom_id, SELECT_TYPES, "select menu")
        who, where, home, member = self._where(user, int(stored["channel_id"]), None)
        ctx = InputContext(self.world, home, where, member, {}, True)
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
        """Fill in and submit the modal `result` opened ({custom_id: value})."""
        modal = result.modal
        if modal is None:
            raise AssertionError(f"{result!r} did not open a modal (callback type {result.type})")
        source = result.pending
        who, where, home, member = self._where(user or source.user_id, source.channel_id, None)
        ctx = InputContext(self.world, home, where, member, {}, True)
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
        reply_to: MessageRef | None = None,
    ) -> JSON:
        """A user posts a plain message (`reply_to`: as a reply to that message): stored, then
        dispatched as MESSAGE_CREATE.

        Without the MESSAGE_CONTENT intent the bot gets the content only when mentioned (or in
        a DM), as from Discord.
        """
        who, where, home, member = self._where(user, channel, guild)
        body: JSON = {"content": content, "allowed_mentions": None}
        if reply_to is not None:
            body["message_reference"] = {"message_id": self._stored_message(reply_to)["id"]}
        message = create_message(self.world, where, body, author=who)
        message.pop("allowed_mentions", None)
        event = copy.deepcopy(message)
        session = await self.gateway.wait_until_connected(
            timeout or self.timeout, home.id if home is not None else None
        )
        mentioned = f"<@{self.world.bot_user.id}>" in content
        if not session.intents & MESSAGE_CONTENT_INTENT and not mentioned and home is not None:
            event.update(content="", embeds=[], attachments=[], components=[])
        if member is not None:
            event["member"] = member_payload(member, with_user=False)
        await self.gateway.dispatch_to(session, "MESSAGE_CREATE", event)
        return copy.deepcopy(message)
