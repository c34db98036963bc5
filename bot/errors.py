"""Domain errors: raised by the core, turned into friendly ephemeral replies in one place."""

from __future__ import annotations

import math


class NexusError(Exception):
    """An error whose message is safe and useful to show to the user who caused it."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class BadInput(NexusError):
    """The user typed something Nexus cannot use."""


class NotFound(NexusError):
    """The thing the user named does not exist."""


class NotAllowed(NexusError):
    """The user may not do this."""


class AlreadyExists(NexusError):
    """A unique name is taken."""


class OnCooldown(NotAllowed):
    """The member acted moments ago; `retry_after` seconds until they may again."""

    def __init__(self, what: str, retry_after: float) -> None:
        self.retry_after = retry_after
        super().__init__(f"Slow down a little: you can {what} again in {math.ceil(retry_after)} s.")
