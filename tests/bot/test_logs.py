"""Structured logs: the context of an interaction on every line, in text or JSON."""

from __future__ import annotations

import asyncio
import io
import json
import logging
from collections.abc import Iterator

import pytest

from bot.logs import describe_interaction, install_context_factory, log_context, make_handler

TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4.GhIjKl.secret-token-value-for-tests"


@pytest.fixture
def logged() -> Iterator[tuple[logging.Logger, io.StringIO, io.StringIO]]:
    """A logger writing to a text and a JSON stream, as production does."""
    install_context_factory()
    text, as_json = io.StringIO(), io.StringIO()
    log = logging.getLogger("nexus.test.logs")
    handlers = [make_handler(text, "text", TOKEN), make_handler(as_json, "json", TOKEN)]
    for handler in handlers:
        log.addHandler(handler)
    log.setLevel(logging.DEBUG)
    log.propagate = False
    try:
        yield log, text, as_json
    finally:
        for handler in handlers:
            log.removeHandler(handler)
        log.propagate = True


def json_lines(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def slash(name: str, options: list[dict[str, object]] | None = None) -> dict[str, object]:
    return {
        "id": "900",
        "type": 2,
        "guild_id": "10",
        "channel_id": "20",
        "member": {"user": {"id": "30"}},
        "data": {"name": name, "options": options or []},
    }


def test_a_slash_command_is_named_with_its_subcommands() -> None:
    data = slash(
        "qa",
        [{"type": 1, "name": "search", "options": [{"type": 3, "name": "query", "value": "x"}]}],
    )
    assert describe_interaction(data) == {
        "guild": "10",
        "channel": "20",
        "user": "30",
        "interaction": "900",
        "command": "/qa search",
    }
    group = slash("spec", [{"type": 2, "name": "follow", "options": [{"type": 1, "name": "add"}]}])
    assert describe_interaction(group)["command"] == "/spec follow add"


def test_components_modals_autocomplete_and_direct_messages() -> None:
    click = {"id": "1", "type": 3, "user": {"id": "7"}, "data": {"custom_id": "tips:next:3:1"}}
    assert describe_interaction(click)["command"] == "component tips:next:3:1"
    assert describe_interaction(click)["user"] == "7"
    assert describe_interaction(click)["guild"] is None
    modal = {"id": "2", "type": 5, "data": {"custom_id": "qa:ask"}}
    assert describe_interaction(modal)["command"] == "modal qa:ask"
    typing = slash("concept", [{"type": 3, "name": "name", "value": "jw", "focused": True}])
    typing["type"] = 4
    assert describe_interaction(typing)["command"] == "autocomplete /concept"
    assert describe_interaction({})["command"] is None


def test_lines_carry_the_context_then_lose_it(
    logged: tuple[logging.Logger, io.StringIO, io.StringIO],
) -> None:
    log, text, as_json = logged
    with log_context(guild=10, command="/concept", user=None):
        log.info("looked up %s", "jwt")
    log.info("outside")
    first, second = text.getvalue().splitlines()
    assert first.endswith("nexus.test.logs: looked up jwt guild=10 command=/concept")
    assert "INFO" in first
    assert second.endswith("nexus.test.logs: outside")
    records = json_lines(as_json)
    assert records[0]["guild"] == 10
    assert records[0]["command"] == "/concept"
    assert "user" not in records[0], "an unknown field is left out, not written as null"
    assert "guild" not in records[1]
    assert records[0]["level"] == "INFO"
    assert records[0]["logger"] == "nexus.test.logs"
    assert str(records[0]["time"]).endswith("+00:00")


async def test_tasks_started_in_a_context_keep_it(
    logged: tuple[logging.Logger, io.StringIO, io.StringIO],
) -> None:
    log, _, as_json = logged

    async def later() -> None:
        await asyncio.sleep(0)
        log.warning("in a task")

    with log_context(guild=1, interaction=2):
        task = asyncio.create_task(later())
    await task
    (record,) = json_lines(as_json)
    assert (record["guild"], record["interaction"]) == (1, 2)


def test_values_with_spaces_are_quoted_and_the_token_redacted(
    logged: tuple[logging.Logger, io.StringIO, io.StringIO],
) -> None:
    log, text, as_json = logged
    with log_context(command="/qa search", incident="ab12cd34"):
        try:
            raise RuntimeError(f"login failed for {TOKEN}")
        except RuntimeError:
            log.exception("token %s", TOKEN)
    line = text.getvalue()
    assert 'command="/qa search" incident=ab12cd34' in line
    assert TOKEN not in line
    assert TOKEN not in as_json.getvalue()
    (record,) = json_lines(as_json)
    assert record["incident"] == "ab12cd34"
    assert "RuntimeError: login failed for [redacted]" in str(record["exc"])


def test_the_record_factory_is_installed_once() -> None:
    install_context_factory()
    factory = logging.getLogRecordFactory()
    install_context_factory()
    assert logging.getLogRecordFactory() is factory
