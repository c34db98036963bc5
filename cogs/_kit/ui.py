"""Discord UI building blocks shared by the cogs."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable, Coroutine, Iterable
from dataclasses import dataclass
from itertools import islice
from typing import Any, TypeVar

import discord
from discord import app_commands

from bot.errors import BadInput
from cogs._kit.errors import reply_error
from cogs._kit.gate import MemberGate, SlowDown
from cogs._kit.limits import BUTTON_LABEL, CHOICE_NAME, CHOICE_VALUE, CHOICES, clip

log = logging.getLogger(__name__)

ItemT = TypeVar("ItemT", bound=discord.ui.Item[Any])


# Mentions are off bot-wide (the client's allowed_mentions), and discord.py applies that to every
# send and reply, but not to a message edit that leaves the content alone: those pass this.
QUIET_EDIT = discord.AllowedMentions.none()


class SafeView(discord.ui.View):
    """A View whose errors reach the user as a friendly ephemeral message."""

    async def on_error(
        self, interaction: discord.Interaction[Any], error: Exception, item: discord.ui.Item[Any]
    ) -> None:
        await reply_error(interaction, error)


class OwnedView(SafeView):
    """A short-lived View that only the member who asked for it may press."""

    def __init__(self, owner_id: int, *, timeout: float = 600) -> None:
        super().__init__(timeout=timeout)
        self.owner_id = owner_id

    async def interaction_check(self, interaction: discord.Interaction[Any]) -> bool:
        if interaction.user.id == self.owner_id:
            return True
        await interaction.response.send_message(
            "These buttons belong to the member who ran the command; run it yourself to browse.",
            ephemeral=True,
        )
        return False


@dataclass(frozen=True, slots=True)
class Done:
    """What a confirmed choice answers: the text replacing the prompt, and what to do once the
    prompt is replaced (posts to delete or redraw: they may take a while).
    """

    text: str
    then: Callable[[], Awaitable[None]] | None = None


@dataclass(frozen=True, slots=True)
class Choice:
    """One way to confirm: its button, and the action it runs."""

    label: str
    custom_id: str
    action: Callable[[discord.Interaction[Any]], Awaitable[Done]]
    style: discord.ButtonStyle = discord.ButtonStyle.danger
    emoji: str | None = None


class Confirm(OwnedView):
    """One member's decision before something that cannot be undone: one or more choices, and
    Cancel. Each choice's action returns what replaces the prompt.
    """

    def __init__(self, owner_id: int, *choices: Choice, cancel_id: str, cancelled: str) -> None:
        super().__init__(owner_id, timeout=300)
        self.cancelled = cancelled
        for choice in choices:
            button: discord.ui.Button[Confirm] = discord.ui.Button(
                label=choice.label,
                style=choice.style,
                emoji=choice.emoji,
                custom_id=choice.custom_id,
            )
            button.callback = self._confirm(choice)  # type: ignore[method-assign,assignment]
            self.add_item(button)
        cancel: discord.ui.Button[Confirm] = discord.ui.Button(
            label="Cancel", style=discord.ButtonStyle.secondary, custom_id=cancel_id
        )
        cancel.callback = self._cancel  # type: ignore[method-assign]
        self.add_item(cancel)

    def _confirm(
        self, choice: Choice
    ) -> Callable[[discord.Interaction[Any]], Coroutine[Any, Any, None]]:
        async def confirmed(interaction: discord.Interaction[Any]) -> None:
            done = await choice.action(interaction)
            self.stop()
            await interaction.response.edit_message(content=done.text, view=None)
            if done.then is not None:
                await done.then()

        return confirmed

    async def _cancel(self, interaction: discord.Interaction[Any]) -> None:
        self.stop()
        await interaction.response.edit_message(content=self.cancelled, view=None)


FORM_KEPT_SECONDS = 900  # how long "Fix and send again" keeps what was typed


class Form(discord.ui.Modal):
    """A modal that never loses what a member typed.

    When a submission is refused for its content (`BadInput`: too long, a mass mention, an
    invalid path...), the reason comes with a **Fix and send again** button that reopens the
    form filled with their text. Any other error gets the usual friendly reply. `again`
    builds an empty copy of the form (same question, answer or spec).
    """

    def __init__(
        self,
        *,
        title: str,
        again: Callable[[], Form],
        timeout: float | None = None,
    ) -> None:
        # No fixed custom_id: discord.py keeps one pending form per custom_id bot-wide, so a
        # shared one would let one member's submission land in another member's form.
        super().__init__(title=title, timeout=timeout)
        self._again = again

    def field(
        self,
        custom_id: str,
        label: str,
        hint: str,
        *,
        max_length: int,
        min_length: int | None = None,
        long: bool = False,
        required: bool = True,
        default: str | None = None,
    ) -> discord.ui.TextInput[Form]:
        """Add a text field (`hint` is its placeholder; `long` makes it a paragraph)."""
        item: discord.ui.TextInput[Form] = discord.ui.TextInput(
            custom_id=custom_id,
            label=label,
            placeholder=hint,
            style=discord.TextStyle.paragraph if long else discord.TextStyle.short,
            min_length=min_length,
            max_length=max_length,
            required=required,
            default=default or None,
        )
        self.add_item(item)
        return item

    def typed(self) -> dict[str, str]:
        """custom_id -> what the member typed, for every text field."""
        return {
            item.custom_id: item.value
            for item in self.walk_children()
            if isinstance(item, discord.ui.TextInput)
        }

    def refilled(self, typed: dict[str, str]) -> Form:
        """A fresh copy of this form, each field filled with what was typed into it."""
        fresh = self._again()
        for item in fresh.walk_children():
            if isinstance(item, discord.ui.TextInput) and item.custom_id in typed:
                item.default = typed[item.custom_id] or None
        return fresh

    async def on_error(  # type: ignore[override]  # a Modal's errors have no item
        self, interaction: discord.Interaction[Any], error: Exception, /
    ) -> None:
        if not isinstance(error, BadInput):  # nothing to fix in the text: the usual reply
            await reply_error(interaction, error)
            return
        view = FixForm(interaction.user.id, self, self.typed())
        try:
            if interaction.response.is_done():
                await interaction.followup.send(error.message, view=view, ephemeral=True)
            else:
                await interaction.response.send_message(error.message, view=view, ephemeral=True)
        except discord.HTTPException:
            log.warning("could not deliver a form's refusal to the user", exc_info=True)


class FixForm(OwnedView):
    """The button under a refused form: reopens it with what was typed (as often as needed)."""

    def __init__(self, owner_id: int, form: Form, typed: dict[str, str]) -> None:
        super().__init__(owner_id, timeout=FORM_KEPT_SECONDS)
        self.form, self.typed = form, typed
        button: discord.ui.Button[FixForm] = discord.ui.Button(
            label="Fix and send again",
            emoji="✏️",
            style=discord.ButtonStyle.primary,
            custom_id="form:fix",
        )
        button.callback = self._reopen  # type: ignore[method-assign]
        self.add_item(button)

    async def _reopen(self, interaction: discord.Interaction[Any]) -> None:
        await interaction.response.send_modal(self.form.refilled(self.typed))


# Discord drops an interaction not answered within 3 s of its creation. Work that may take
# longer under load (a search waiting for the database) is given until this many seconds of
# the interaction's age; past it, "Nexus is thinking…" is sent first and the answer follows.
ANSWER_DEADLINE = 3.0
REPLY_MARGIN = 0.8  # what sending the answer itself may take when the bot is busy
# Between two refusals of a flood: the other members' work runs in between (150 refusals spread
# over about 1.5 s, well inside the 3 s a refusal has), while a refusal has this much of its
# window left; past it the rest of the flood is answered back to back, before the window closes.
REFUSAL_SPACING = 0.01
REFUSAL_SLACK = 1.0

T = TypeVar("T")


def time_left(interaction: discord.Interaction[Any]) -> float:
    """Seconds of the 3-second window left for work before the answer must go out."""
    age = (discord.utils.utcnow() - interaction.created_at).total_seconds()
    return ANSWER_DEADLINE - REPLY_MARGIN - age


async def in_time(
    interaction: discord.Interaction[Any],
    work: Awaitable[T],
    *,
    ephemeral: bool = False,
    update: bool = False,
) -> T:
    """The result of `work`, deferring the answer first if `work` would outlast the window.

    The fast path stays one request (the answer itself); a slow one becomes a deferral and an
    edit, so Discord never shows "The application did not respond". Send the answer with
    `respond`, which knows which of the two happened; or, when the answer takes the place of
    the message a button or menu is on (`update`: a page turn), with `answer_in_place`.
    """
    task = asyncio.ensure_future(work)
    try:
        left = time_left(interaction)
        if left > 0:
            await asyncio.wait({task}, timeout=left)
        if not task.done() and not interaction.response.is_done():
            if update:  # the member sees the component load until the message is redrawn
                await interaction.response.defer()
            else:
                await interaction.response.defer(ephemeral=ephemeral, thinking=True)
        return await task
    except BaseException:
        task.cancel()
        raise


async def respond(interaction: discord.Interaction[Any], **message: Any) -> None:
    """Send the answer: as the response, or (after a deferral) as the message that ends it."""
    if interaction.response.is_done():
        await interaction.followup.send(**message)
    else:
        await interaction.response.send_message(**message)


async def answer_in_place(interaction: discord.Interaction[Any], **message: Any) -> None:
    """Put the answer in place of the message a button or menu is on: as the response, or
    (after `in_time(..., update=True)` deferred it) as an edit of that message.
    """
    if interaction.response.is_done():
        await interaction.edit_original_response(**message)
    else:
        await interaction.response.edit_message(**message)


async def if_in_time(interaction: discord.Interaction[Any], check: Awaitable[None]) -> None:
    """Run a courtesy check (a cooldown before a form opens) if it finishes in the window.

    A form must be the first answer, so it cannot wait behind a deferral: when the database is
    too busy to answer in time, the form opens anyway and the same rule is enforced when it is
    sent. The check is left to finish on its own (cancelling a query half-way is worse).
    """
    task = await _finished_in_time(interaction, check)
    if task is not None:
        task.result()  # raises the check's refusal
        return
    log.info("a check before a form was skipped: the database answered too late")


async def suggestions_in_time(
    interaction: discord.Interaction[Any], work: Awaitable[list[T]]
) -> list[T]:
    """Autocomplete choices if they are ready in the window, else none (an autocomplete cannot
    be deferred, and a late one fails in the member's client; the next keystroke asks again).
    """
    task = await _finished_in_time(interaction, work)
    if task is None:
        log.info("autocomplete answered empty: the database answered too late")
        return []
    return task.result()


async def _finished_in_time(
    interaction: discord.Interaction[Any], work: Awaitable[T]
) -> asyncio.Future[T] | None:
    """`work` as a finished task if it ends within the window; else None, and it runs on."""
    task = asyncio.ensure_future(work)
    try:
        done, _ = await asyncio.wait({task}, timeout=max(time_left(interaction), 0.0))
    except BaseException:
        task.cancel()
        raise
    if done:
        return task
    _left_running.add(task)  # the loop keeps only weak references to tasks
    task.add_done_callback(_forget)
    return None


_left_running: set[asyncio.Future[Any]] = set()


def _forget(task: asyncio.Future[Any]) -> None:
    _left_running.discard(task)
    if not task.cancelled() and task.exception() is not None:
        log.debug("a skipped check ended with %r", task.exception())


async def through_gate(
    interaction: discord.Interaction[Any], handle: Callable[[], Awaitable[None]]
) -> None:
    """Handle the interaction if its member is within their limits (`handle()` does it), else
    answer the refusal: "slow down" only they see, or no suggestions for an autocomplete.

    Refusals are answered one at a time (`MemberGate.refusals`), so that a flood's answers
    trickle out between the other members' work; one that waited past Discord's window is
    dropped (Discord no longer takes it).
    """
    gate: MemberGate = interaction.client.gate
    user_id = interaction.user.id
    suggestion = interaction.type is discord.InteractionType.autocomplete
    try:
        gate.enter(user_id, suggestion=suggestion)
    except SlowDown as refusal:
        async with gate.refusals:
            if time_left(interaction) + REPLY_MARGIN <= 0:
                log.debug("a refusal waited past Discord's window: not sent")
            elif suggestion:
                await _no_suggestions(interaction)
            else:
                await reply_error(interaction, refusal)
            if time_left(interaction) > REFUSAL_SLACK:
                await asyncio.sleep(REFUSAL_SPACING)  # the event loop is the others' in between
        return
    try:
        await handle()
    finally:
        gate.leave(user_id, suggestion=suggestion)


async def _no_suggestions(interaction: discord.Interaction[Any]) -> None:
    try:
        await interaction.response.autocomplete([])
    except discord.HTTPException:
        log.debug("could not answer a refused autocomplete", exc_info=True)


async def run_safely(interaction: discord.Interaction[Any], coro: Any) -> None:
    """Await a component callback if its member is within their limits (the gate); any error
    becomes a friendly reply, never a dead button.
    """
    try:
        await through_gate(interaction, lambda: coro)
    except Exception as error:  # a dynamic item's errors are otherwise only logged
        await reply_error(interaction, error)
    finally:
        coro.close()  # a refused click never started it: closed, it warns of nothing


def choices(pairs: Iterable[tuple[str, str]]) -> list[app_commands.Choice[str]]:
    """Autocomplete choices from (name, value) pairs: at most Discord's 25, each name one line
    within Discord's length, each value within its own.
    """
    return [
        app_commands.Choice(
            name=clip(" ".join(name.split()), CHOICE_NAME), value=value[:CHOICE_VALUE]
        )
        for name, value in islice(pairs, CHOICES)
    ]


def sanitize_label(text: str, limit: int = BUTTON_LABEL) -> str:
    """A button or select label: one line, inside Discord's limit."""
    flat = re.sub(r"\s+", " ", text).strip()
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"
