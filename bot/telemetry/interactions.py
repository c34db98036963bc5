"""One interaction as the metrics and the error reports see it: a `Span`.

The span is opened when Discord delivers the interaction (its raw payload: the bot has not
built anything yet) and bound to a context variable before discord.py creates the tasks that
handle it, so those tasks — and the one error handler — find it with `current_span()`. It
closes when the last of those tasks ends: `watch` notes each task the delivery starts (by
standing in, for that one synchronous call, as the event loop's task factory).

A span's labels are bounded: the command's name (a context menu's too: `Mark as answer`), a
component's custom_id shape without the ids it carries (`qa:accept`), a form's first field
(`qa:input:title`); anything else is `other`.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable, Coroutine, Generator, Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

# Discord's interaction types, as the metrics name them (1, a ping, never reaches a bot).
KINDS = {2: "command", 3: "component", 4: "autocomplete", 5: "form"}
OTHER = "other"
OK, REFUSED, ERROR, UNANSWERED = "ok", "refused", "error", "unanswered"
OUTCOMES = (OK, REFUSED, ERROR, UNANSWERED)
SUBCOMMAND_TYPES = (1, 2)
STRING_OPTION = 3
LABEL_PART = re.compile(r"[a-z][a-z_-]{0,23}")  # a word of a custom_id shape (no ids, no hex)
LABEL_MAX = 64  # a command label longer than this is `other`
CONTEXT_MENUS = (2, 3)  # USER and MESSAGE commands: named by their name, spaces and all
MENU_NAME = re.compile(r"[A-Za-z][\w -]{0,31}")

_span: ContextVar[Span | None] = ContextVar("nexus_interaction_span", default=None)


@dataclass(slots=True)
class Span:
    """One interaction from its delivery to the end of its handling.

    `outcome` is set by the error handler (refused: a message the member can act on; error: an
    incident); `late` when Discord refused an answer because its 3-second window had passed;
    `answer` is set by the Discord side: it says, at the end, whether the interaction was
    answered and whether that answer was a deferral ("thinking…").
    """

    kind: str
    command: str
    typed: tuple[str, ...] = ()
    started: float = field(default_factory=time.monotonic)
    outcome: str | None = None
    late: bool = False
    answer: Callable[[], tuple[bool, bool]] | None = None
    pending: int = 0

    def failed(self, outcome: str) -> None:
        """The error handler answered: `refused` or `error` (an error outranks a refusal)."""
        if self.outcome != ERROR:
            self.outcome = outcome

    def settle(self) -> tuple[str, bool]:
        """The outcome once handling ended, and whether the answer was a deferral."""
        answered, deferred = self.answer() if self.answer is not None else (True, False)
        if self.outcome is not None:
            return self.outcome, deferred
        return (OK if answered else UNANSWERED), deferred

    @property
    def seconds(self) -> float:
        """Seconds since the bot received the interaction."""
        return time.monotonic() - self.started


def current_span() -> Span | None:
    """The span of the interaction being handled (None outside one, or when nothing observes)."""
    return _span.get()


def span_of(payload: Mapping[str, Any]) -> Span:
    """The span of a raw INTERACTION_CREATE payload (never raises on odd payloads)."""
    itype = payload.get("type")
    kind = KINDS.get(itype, OTHER) if isinstance(itype, int) else OTHER
    body = payload.get("data")
    if not isinstance(body, Mapping):
        return Span(kind, OTHER)
    if kind in ("command", "autocomplete"):
        command, typed = _command(body)
    elif kind == "component":
        command, typed = _shape(str(body.get("custom_id", ""))), ()
    elif kind == "form":
        fields = list(_fields(body.get("components")))
        command = _form(fields[0][0]) if fields else OTHER
        typed = tuple(value for _, value in fields if value)
    else:
        command, typed = OTHER, ()
    return Span(kind, command, typed)


def _command(body: Mapping[str, Any]) -> tuple[str, tuple[str, ...]]:
    """`/qa search` and the text typed in its options; a context menu's name (`Mark as
    answer`) and the text of the message it was used on (member text, like what is typed).
    """
    if body.get("type") in CONTEXT_MENUS:
        name = str(body.get("name", ""))
        return (name if MENU_NAME.fullmatch(name) else OTHER), _target_text(body)
    parts = [str(body.get("name", ""))]
    options = body.get("options")
    while isinstance(options, list) and options and isinstance(options[0], Mapping):
        if options[0].get("type") not in SUBCOMMAND_TYPES:
            break
        parts.append(str(options[0].get("name", "")))
        options = options[0].get("options")
    if not isinstance(options, list):
        options = []
    typed = tuple(
        option["value"]
        for option in options
        if isinstance(option, Mapping)
        and option.get("type") == STRING_OPTION
        and isinstance(option.get("value"), str)
    )
    name = " ".join(parts)
    valid = all(re.fullmatch(r"[\w-]{1,32}", p) for p in parts)
    return ("/" + name if valid and len(name) < LABEL_MAX else OTHER), typed


def _target_text(body: Mapping[str, Any]) -> tuple[str, ...]:
    """The text of the messages a message command carries (`data.resolved.messages`)."""
    resolved = body.get("resolved")
    messages = resolved.get("messages") if isinstance(resolved, Mapping) else None
    if not isinstance(messages, Mapping):
        return ()
    return tuple(
        message["content"]
        for message in messages.values()
        if isinstance(message, Mapping) and isinstance(message.get("content"), str)
    )


def _shape(custom_id: str) -> str:
    """A custom_id without what it carries: `qa:accept:12:34` -> `qa:accept`."""
    words = []
    for part in custom_id.split(":")[:2]:
        if not LABEL_PART.fullmatch(part):
            break
        words.append(part)
    return ":".join(words) if words else OTHER


def _form(field_id: str) -> str:
    """A form by its first field: `qa:input:title` (a field's custom_id carries no ids)."""
    parts = field_id.split(":")
    return field_id if len(parts) <= 4 and all(LABEL_PART.fullmatch(p) for p in parts) else OTHER


def _fields(components: Any) -> Iterator[tuple[str, str]]:
    """(custom_id, value) of every text field in a submitted form, however nested."""
    if isinstance(components, list):
        for item in components:
            yield from _fields(item)
    elif isinstance(components, Mapping):
        custom_id, value = components.get("custom_id"), components.get("value")
        if isinstance(custom_id, str) and isinstance(value, str):
            yield custom_id, value
        for key in ("components", "component"):
            yield from _fields(components.get(key))


TaskFactory = Callable[..., "asyncio.Future[Any]"]


def watch(
    parse: Callable[[Any], None], data: Any, span: Span, ended: Callable[[Span], None]
) -> None:
    """Run discord.py's parser for one interaction with `span` bound, and call `ended(span)`
    once every task the parser started has finished (at once when it started none: nothing
    handles the interaction).

    Must run in the event loop's thread: the loop's task factory is swapped for the length of
    the synchronous `parse` call only, so no other code creates a task in between.
    """
    loop = asyncio.get_running_loop()
    previous: TaskFactory | None = loop.get_task_factory()

    def done(_: asyncio.Future[Any]) -> None:
        span.pending -= 1
        if span.pending == 0:
            ended(span)

    def factory(
        loop: asyncio.AbstractEventLoop,
        coro: Generator[Any, None, Any] | Coroutine[Any, Any, Any],
        **kwargs: Any,
    ) -> asyncio.Future[Any]:
        if previous is not None:
            task = previous(loop, coro, **kwargs)
        else:
            task = asyncio.Task(coro, loop=loop, **kwargs)
        span.pending += 1
        task.add_done_callback(done)
        return task

    token = _span.set(span)
    loop.set_task_factory(factory)
    try:
        parse(data)
    finally:
        loop.set_task_factory(previous)
        _span.reset(token)
    if span.pending == 0:
        ended(span)


def bind(parse: Callable[[Any], None], data: Any, span: Span) -> None:
    """Run the parser with `span` bound, without watching for its end (error reports only)."""
    token = _span.set(span)
    try:
        parse(data)
    finally:
        _span.reset(token)
