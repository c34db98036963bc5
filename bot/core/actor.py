"""Who acts: the one description of a member that every feature's permission rules read."""

from __future__ import annotations

from dataclasses import dataclass

from bot.errors import NotAllowed


@dataclass(frozen=True, slots=True)
class Actor:
    """A member acting in a server, and what Discord says they may do there.

    `can_manage` is Manage Server (spec settings, any spec); `is_moderator` is Manage Messages
    in the channel (edit, delete and accept any question or answer); `role_ids` are their roles
    (a server's spec editor role).
    """

    user_id: int
    role_ids: frozenset[int] = frozenset()
    can_manage: bool = False
    is_moderator: bool = False


def require_manage_server(can_manage: bool) -> None:
    """Server settings are for members with Manage Server: NotAllowed for anyone else."""
    if not can_manage:
        raise NotAllowed("Only members with the **Manage Server** permission can do that.")
