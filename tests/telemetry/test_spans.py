"""A span per interaction: bounded labels from the raw payload, bound for the tasks that
handle it, ended when the last of them ends."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from bot.telemetry.interactions import OTHER, Span, current_span, span_of, watch
from bot.telemetry.metrics import MAX_COMMANDS, Metrics, quantile


def command(name: str, *options: dict[str, Any], kind: int = 2) -> dict[str, Any]:
    return {"type": kind, "data": {"name": name, "options": list(options)}}


@pytest.mark.parametrize(
    ("payload", "kind", "label"),
    [
        (command("concept", {"type": 3, "name": "name", "value": "jwt"}), "command", "/concept"),
        (
            command("qa", {"type": 1, "name": "search", "options": [{"type": 3, "value": "x"}]}),
            "command",
            "/qa search",
        ),
        (
            command("concept", {"type": 3, "name": "name", "value": "jw", "focused": True}, kind=4),
            "autocomplete",
            "/concept",
        ),
        ({"type": 3, "data": {"custom_id": "qa:accept:12:34"}}, "component", "qa:accept"),
        ({"type": 3, "data": {"custom_id": "learn:open:e:redis"}}, "component", "learn:open"),
        ({"type": 3, "data": {"custom_id": "form:fix"}}, "component", "form:fix"),
        # discord.py's own ids for short-lived views are random hex: one label for all.
        ({"type": 3, "data": {"custom_id": "9f8e7d6c5b4a3928170"}}, "component", OTHER),
        ({"type": 3, "data": {"custom_id": "qa:12"}}, "component", "qa"),
        (command("x" * 40), "command", OTHER),
        (command("spaced name"), "command", OTHER),
        ({"type": 5, "data": {"custom_id": "0f0f", "components": []}}, "form", OTHER),
        ({"type": 9, "data": {}}, OTHER, OTHER),
        ({"type": [2], "data": {}}, OTHER, OTHER),
        ({"type": 2, "data": "not a mapping"}, "command", OTHER),
        ({"type": 2, "data": {"name": "qa", "options": {"0": "not a list"}}}, "command", "/qa"),
        ({"type": 2, "data": {"name": "Mark as answer", "type": 3}}, "command", "Mark as answer"),
        ({"type": 2, "data": {"name": "Report User", "type": 2}}, "command", "Report User"),
        ({"type": 2, "data": {"name": "<script>", "type": 3}}, "command", OTHER),
        ({"type": 2, "data": {"name": "x" * 40, "type": 3}}, "command", OTHER),
    ],
)
def test_labels_are_bounded(payload: dict[str, Any], kind: str, label: str) -> None:
    span = span_of(payload)
    assert (span.kind, span.command) == (kind, label)


def test_a_form_is_named_by_its_first_field_and_its_text_is_known() -> None:
    span = span_of(
        {
            "type": 5,
            "data": {
                "custom_id": "0f0f",
                "components": [
                    {"type": 1, "components": [{"custom_id": "qa:input:title", "value": "T?"}]},
                    {"type": 18, "component": {"custom_id": "qa:input:details", "value": "D."}},
                    {"type": 1, "components": [{"custom_id": "qa:input:tags", "value": ""}]},
                ],
            },
        }
    )
    assert (span.kind, span.command, span.typed) == ("form", "qa:input:title", ("T?", "D."))


def test_what_a_command_was_typed_with_is_known() -> None:
    options = [{"type": 3, "name": "query", "value": "celery retries"}, {"type": 4, "value": 2}]
    span = span_of(command("qa", {"type": 1, "name": "search", "options": options}))
    assert span.typed == ("celery retries",)


def test_the_text_of_a_message_command_s_target_is_known() -> None:
    """The message a menu was used on is member text: error reports scrub it like typed text."""
    message = {"id": "5", "content": "my token is hunter2", "author": {"id": "1"}}
    data = {"name": "Ask as question", "type": 3, "target_id": "5"}
    span = span_of({"type": 2, "data": {**data, "resolved": {"messages": {"5": message}}}})
    assert span.typed == ("my token is hunter2",)
    odd = span_of({"type": 2, "data": {**data, "resolved": {"messages": ["not a mapping"]}}})
    assert odd.typed == ()


async def test_a_span_ends_when_the_last_task_the_delivery_started_ends() -> None:
    loop = asyncio.get_running_loop()
    ended: list[Span] = []
    seen: list[Span | None] = []
    release = asyncio.Event()
    started: list[asyncio.Future[None]] = []

    async def handler() -> None:
        seen.append(current_span())
        await release.wait()

    def parse(_: Any) -> None:  # like discord.py: schedules the handlers, returns at once
        started.append(asyncio.create_task(handler()))
        started.append(loop.create_task(handler()))

    span = Span("command", "/concept")
    watch(parse, None, span, ended.append)
    assert loop.get_task_factory() is None, "the loop's factory is given back"
    assert current_span() is None
    await asyncio.sleep(0.01)
    assert seen == [span, span]
    assert ended == []
    later = asyncio.create_task(asyncio.sleep(0))  # started after the delivery: not watched
    release.set()
    await asyncio.sleep(0.01)
    await later
    assert ended == [span]


async def test_an_interaction_nothing_handles_ends_at_once_unanswered() -> None:
    ended: list[Span] = []
    span = Span("component", "qa:forget")
    span.answer = lambda: (False, False)
    watch(lambda _: None, None, span, ended.append)
    assert ended == [span]
    assert span.settle() == ("unanswered", False)


def test_outcomes() -> None:
    span = Span("command", "/ask")
    span.answer = lambda: (True, True)
    assert span.settle() == ("ok", True)
    span.failed("refused")
    span.failed("error")
    span.failed("refused")  # an incident stays an incident
    assert span.settle() == ("error", True)


def test_past_so_many_commands_the_rest_count_as_other() -> None:
    metrics = Metrics()
    for n in range(MAX_COMMANDS + 5):
        metrics.interaction_ended(Span("command", f"/c{n}"))
    labels = {s.labels["command"] for s in metrics.interactions.collect()[0].samples}
    assert len(labels) == MAX_COMMANDS + 1
    assert OTHER in labels


def test_quantiles() -> None:
    assert quantile([10.0], 0.9) == 10.0
    assert quantile([1.0, 2.0, 3.0, 4.0], 0.5) == 2.5
    assert quantile([4.0, 1.0, 3.0, 2.0], 0.9) == pytest.approx(3.7)
