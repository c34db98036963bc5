"""Domain errors: raised by the core, turned into friendly ephemeral replies in one place."""

from __future__ import annotations


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
