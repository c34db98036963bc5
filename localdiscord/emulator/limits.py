"""Discord's documented payload limits, checked the way the real API rejects bad bodies.

Every checker returns a list of problems; the REST layer answers 400 (Invalid Form Body) with
them, so a bot that would be rejected by Discord is rejected by the emulator too. The checks
live in `command_limits` (application commands) and `message_limits` (messages, components,
modals, autocomplete results); this module is the one place to import them from.
"""

from localdiscord.emulator.command_limits import (
    COMMAND_TYPES,
    MAX_SAFE_INT,
    OPTION_TYPES,
    command_payload_problems,
    command_problems,
    commands_problems,
)
from localdiscord.emulator.message_limits import (
    SELECT_TYPES,
    autocomplete_problems,
    message_payload_problems,
    message_problems,
    modal_problems,
    walk_components,
)
from localdiscord.emulator.problems import Path, Problem, error_body

__all__ = [
    "COMMAND_TYPES",
    "MAX_SAFE_INT",
    "OPTION_TYPES",
    "SELECT_TYPES",
    "Path",
    "Problem",
    "autocomplete_problems",
    "command_payload_problems",
    "command_problems",
    "commands_problems",
    "error_body",
    "message_payload_problems",
    "message_problems",
    "modal_problems",
    "walk_components",
]
