"""Tab offers command names, options, choices and (asked through an interaction) the bot's own."""

from __future__ import annotations

from typing import Any

from localdiscord.playground.command_tree import CommandTree
from localdiscord.playground.parse import analyse
from localdiscord.playground.suggest import Suggestion, static_suggestions, suggestions
from tests.localdiscord.test_playground_parse import DIRECTORY, PAYLOADS

TREE = CommandTree(PAYLOADS)
WORDS = {"as": "Become someone else", "qa": "shadowed by the bot's /qa"}


def offered(text: str) -> list[Suggestion]:
    partial = analyse(text, TREE)
    assert partial is not None
    return static_suggestions(partial, TREE, DIRECTORY, WORDS)


def test_command_names_and_playground_words() -> None:
    found = offered("/")
    assert [s.display for s in found] == [
        "/concept",
        "/dailytip",
        "/qa",
        "/search",
        "/tools",
        "/as",
    ]
    assert found[0] == Suggestion("concept ", 0, "/concept", "Explain a concept")
    assert [s.text for s in offered("/s")] == ["search "]


def test_subcommands_options_and_choices() -> None:
    assert [s.text for s in offered("/qa s")] == ["search ", "setup "]
    options = offered("/search ")
    assert [s.text for s in options][:2] == ["query:", "kind:"]
    assert options[0].meta == "required · The query"
    assert [s.text for s in offered("/search query:redis k")] == ["kind:"]
    choices = offered("/search query:redis kind:ti")
    assert [(s.text, s.display, s.replace) for s in choices] == [("t", "Tips", 2)]


def test_channels_people_and_booleans_are_offered_by_name() -> None:
    assert [s.text for s in offered("/qa setup channel:q")] == ["#qa"]
    people = [s.display for s in offered("/tools who:li")]
    assert people == ["@linus_member (Linus)"]
    assert [s.text for s in offered("/tools flag:")] == ["True", "False"]
    either = [s.text for s in offered("/tools either:ad")]
    assert either == ["@alan_admin", "@Admin"]


async def test_the_bot_is_asked_with_the_options_typed_so_far() -> None:
    asked: list[tuple[str, dict[str, Any], str]] = []

    async def ask(command: str, options: dict[str, Any], focused: str) -> list[dict[str, Any]]:
        asked.append((command, options, focused))
        return [
            {"name": "Africa/Nairobi (UTC+03:00)", "value": "Africa/Nairobi"},
            {"name": "UTC", "value": "UTC"},
        ]

    found = await suggestions(
        "/dailytip schedule channel:#qa time:9:00 timezone:nairo", TREE, DIRECTORY, ask, WORDS
    )
    assert asked == [
        ("dailytip schedule", {"channel": "qa", "time": "9:00", "timezone": "nairo"}, "timezone")
    ]
    assert found == [
        Suggestion("Africa/Nairobi", 5, "Africa/Nairobi (UTC+03:00)", "Africa/Nairobi"),
        Suggestion("UTC", 5, "UTC", ""),
    ]


async def test_options_that_do_not_convert_are_left_out_of_the_question() -> None:
    asked: list[dict[str, Any]] = []

    async def ask(command: str, options: dict[str, Any], focused: str) -> list[dict[str, Any]]:
        asked.append(options)
        return []

    await suggestions(
        "/dailytip schedule channel:#nowhere time:9 timezone:x", TREE, DIRECTORY, ask, WORDS
    )
    assert asked == [{"time": "9", "timezone": "x"}]
    assert await suggestions("no slash", TREE, DIRECTORY, ask, WORDS) == []
    assert await suggestions("/concept name:", TREE, DIRECTORY, ask, WORDS) == []
    assert len(asked) == 2  # /concept name: has autocomplete, so the bot was asked
