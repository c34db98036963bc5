"""One place that turns any error during an interaction into a short, ephemeral reply."""

from __future__ import annotations

import logging
import secrets
from typing import Any

import discord
from discord import app_commands
from sqlalchemy.exc import OperationalError

from bot.errors import NexusError
from bot.logs import log_context
from bot.telemetry import ERROR, REFUSED, current_span
from cogs._kit.text import SHORT_TEXT

DATABASE_BUSY = "Nexus is busy saving other changes right now; please try again in a few seconds."
STORAGE_FULL = (
    "Nexus cannot save anything right now: its storage is full. Nothing was saved; reading "
    "and searching still work. The maintainers have been told — please try again later."
)

UNKNOWN_INTERACTION = 10062  # Discord's code for an interaction past its answer window

log = logging.getLogger("bot.errors")


def _describe_check_failure(error: app_commands.CheckFailure) -> str:
    if isinstance(error, app_commands.MissingPermissions):
        needed = ", ".join(
            p.replace("_", " ").replace("guild", "server").title()
            for p in error.missing_permissions
        )
        return f"You need the **{needed}** permission to do that."
    if isinstance(error, app_commands.BotMissingPermissions):
        needed = ", ".join(p.replace("_", " ").title() for p in error.missing_permissions)
        return f"I need the **{needed}** permission here to do that."
    if isinstance(error, app_commands.CommandOnCooldown):
        return f"Slow down a little: try again in {error.retry_after:.0f} s."
    if isinstance(error, app_commands.NoPrivateMessage):
        return "That command works inside a server, not in direct messages."
    return "You are not allowed to use that here."


def user_message(error: BaseException) -> str | None:
    """The message for an error the user can act on, or None for a real failure."""
    if isinstance(error, app_commands.CommandInvokeError | app_commands.TransformerError):
        inner = error.__cause__ or getattr(error, "original", None)
        if isinstance(error, app_commands.TransformerError) and not isinstance(inner, NexusError):
            return f"`{str(error.value)[:SHORT_TEXT]}` is not a valid value for that option."
        if inner is not None:
            error = inner
    if isinstance(error, NexusError):
        return error.message
    if isinstance(error, OperationalError) and "database is locked" in str(error.orig):
        # Another writer held SQLite's lock past the busy timeout; nothing was written.
        log.warning("database locked past the busy timeout; the user was asked to retry")
        return DATABASE_BUSY
    if isinstance(error, OperationalError) and "database or disk is full" in str(error.orig):
        # SQLITE_FULL: the transaction was rolled back whole. An operator has to free space.
        log.error("the database cannot grow: the disk (or its quota) is full; writes refused")
        return STORAGE_FULL
    if isinstance(error, app_commands.CheckFailure):
        return _describe_check_failure(error)
    return None


def expired(error: BaseException) -> bool:
    """Whether Discord refused an answer because the interaction's 3-second window passed."""
    if isinstance(error, app_commands.CommandInvokeError):
        error = error.original
    return isinstance(error, discord.NotFound) and error.code == UNKNOWN_INTERACTION


async def reply_error(interaction: discord.Interaction[Any], error: BaseException) -> None:
    """Answer the user ephemerally; log unexpected errors once, with an incident id. The
    interaction's span (the metrics) learns the outcome: refused, or error.
    """
    message = user_message(error)
    span = current_span()
    if span is not None:
        span.failed(REFUSED if message is not None else ERROR)
        span.late = span.late or expired(error)
    if message is None:
        incident = secrets.token_hex(4)
        # The guild, user and command are on the record already (bot.logs binds them per
        # interaction); they are named in the message too for a reader of plain messages.
        command = interaction.command.qualified_name if interaction.command else None
        custom_id = (interaction.data or {}).get("custom_id") if interaction.data else None
        with log_context(incident=incident):
            log.error(
                "incident %s: unexpected error (guild=%s user=%s command=%s component=%s)",
                incident,
                interaction.guild_id,
                interaction.user.id if interaction.user else None,
                command,
                custom_id,
                exc_info=error,
            )
        message = (
            f"Something went wrong on my side, sorry. Incident `{incident}` was logged "
            "for the maintainers; please try again in a moment."
        )
    if interaction.type is discord.InteractionType.autocomplete:
        return  # an autocomplete cannot show a message; the user keeps typing
    try:
        if interaction.response.is_done():
            await interaction.followup.send(message, ephemeral=True)
        else:
            await interaction.response.send_message(message, ephemeral=True)
    except discord.HTTPException as failure:
        if span is not None:
            span.late = span.late or expired(failure)
        log.warning("could not deliver an error message to the user", exc_info=True)
