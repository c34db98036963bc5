"""What the playground has shown: each turn shows only the messages that are new, edited or
deleted since the last one.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from localdiscord.emulator import FakeDiscord
from localdiscord.emulator.state import JSON, LOADING


@dataclass
class Feed:
    """Which messages were already shown (and as what), so each turn shows only what changed."""

    fake: FakeDiscord
    shown: dict[int, str] = field(default_factory=dict)
    deleted_seen: int = 0

    @staticmethod
    def fingerprint(message: JSON) -> str:
        keys = ("content", "embeds", "components", "attachments", "flags")
        return json.dumps([message.get(k) for k in keys], sort_keys=True, default=str)

    def changes(self) -> list[tuple[str, JSON]]:
        """New and edited messages (oldest first), and deleted ones that were shown."""
        world = self.fake.world
        found: list[tuple[str, JSON]] = []
        for messages in world.messages.values():
            for message in messages:
                if int(message.get("flags") or 0) & LOADING:
                    continue  # "Nexus is thinking…": shown when it is done
                mid = int(message["id"])
                print_ = self.fingerprint(message)
                before = self.shown.get(mid)
                if before != print_:
                    found.append(("new" if before is None else "edited", message))
                    self.shown[mid] = print_
        found.sort(key=lambda change: int(change[1]["id"]))
        for message in world.deleted_messages[self.deleted_seen :]:
            if self.shown.pop(int(message["id"]), None) is not None:
                found.append(("deleted", message))
        self.deleted_seen = len(world.deleted_messages)
        return found


def dm_names(fake: FakeDiscord) -> dict[int, str]:
    """DM channel id -> the name of the member it is with."""
    return {
        cid: fake.world.user(ch.recipient_ids[0]).global_name or "someone"
        for cid, ch in fake.world.dm_channels.items()
        if ch.recipient_ids
    }
