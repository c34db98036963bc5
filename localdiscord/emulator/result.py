"""`InteractionResult`: what the bot did with one interaction, read live from the world.

A result is returned by every way of acting as a user (slash, click, select, modal submit...);
its properties read the emulator's state as it is now, so edits and follow-ups show up.
"""

# Every wait is bounded: a `timeout` parameter is part of this module's API.
# ruff: noqa: ASYNC109

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from localdiscord.emulator.message_limits import walk_components
from localdiscord.emulator.state import EPHEMERAL, JSON, PendingInteraction, UserRef, World


class Driver(Protocol):
    """What a result needs from the driver that dispatched it (an `InteractionDriver`)."""

    world: World
    timeout: float

    async def click(
        self, message: InteractionResult, custom_id: str, *, user: UserRef
    ) -> InteractionResult: ...

    async def select(
        self, message: InteractionResult, custom_id: str, values: Sequence[Any], *, user: UserRef
    ) -> InteractionResult: ...

    async def submit_modal(
        self, result: InteractionResult, values: Mapping[str, Any], *, user: UserRef | None
    ) -> InteractionResult: ...


class InteractionResult:
    """What the bot did with one interaction; properties read the emulator's live state."""

    def __init__(self, driver: Driver, pending: PendingInteraction) -> None:
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
