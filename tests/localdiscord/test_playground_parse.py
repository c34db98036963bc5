"""The playground reads typed commands against registered payloads, as the Discord client would."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from localdiscord.playground.command_tree import CommandTree, InputProblem
from localdiscord.playground.directory import Directory, Person, Place
from localdiscord.playground.parse import (
    FileValue,
    analyse,
    convert,
    convert_all,
    parse_duration,
    parse_invocation,
)

JSON = dict[str, Any]


def option(name: str, otype: int = 3, **extra: Any) -> JSON:
    return {"name": name, "type": otype, "description": f"The {name}", **extra}


PAYLOADS: list[JSON] = [
    {
        "name": "concept",
        "type": 1,
        "description": "Explain a concept",
        "options": [option("name", autocomplete=True, min_length=1, max_length=100)],
    },
    {
        "name": "search",
        "type": 1,
        "description": "Search everything",
        "options": [
            option("query", required=True, max_length=10),
            option(
                "kind",
                choices=[{"name": "Everything", "value": "a"}, {"name": "Tips", "value": "t"}],
            ),
        ],
    },
    {
        "name": "qa",
        "type": 1,
        "description": "Questions and answers",
        "options": [
            {
                "name": "search",
                "type": 1,
                "description": "Search Q&A",
                "options": [option("query", required=True), option("tag")],
            },
            {
                "name": "setup",
                "type": 1,
                "description": "Set up",
                "options": [option("channel", 7)],
            },
            {
                "name": "admin",
                "type": 2,
                "description": "Admin tools",
                "options": [{"name": "purge", "type": 1, "description": "Purge", "options": []}],
            },
        ],
    },
    {
        "name": "dailytip",
        "type": 1,
        "description": "Daily tips",
        "options": [
            {
                "name": "schedule",
                "type": 1,
                "description": "Schedule",
                "options": [
                    option("channel", 7, required=True, channel_types=[0, 5]),
                    option("time", required=True),
                    option("timezone", required=True, autocomplete=True),
                ],
            }
        ],
    },
    {
        "name": "tools",
        "type": 1,
        "description": "Every option type",
        "options": [
            option("count", 4, min_value=1, max_value=10),
            option("ratio", 10, min_value=0),
            option("flag", 5),
            option("who", 6),
            option("role", 8),
            option("either", 9),
            option("file", 11),
        ],
    },
    {"name": "Report message", "type": 3, "description": ""},
]

DIRECTORY = Directory(
    people=(
        Person("admin", "alan_admin", "Alan", 101),
        Person("member", "linus_member", "Linus", 102),
    ),
    channels=(Place("general", 201), Place("qa", 202), Place("voice", 203, type=2)),
    roles=(Place("Admin", 301), Place("Moderator", 302)),
)


@pytest.fixture
def tree() -> CommandTree:
    return CommandTree(PAYLOADS)


def test_the_tree_lists_chat_commands_only_with_their_leaves(tree: CommandTree) -> None:
    assert tree.names() == ["concept", "dailytip", "qa", "search", "tools"]
    names = [c.name for c in tree.commands()]
    assert "qa admin purge" in names
    assert "qa search" in names
    assert "Report message" not in names
    assert tree.commands()[0].usage() == "/concept [name:<text>]"


def test_named_options_take_every_word_up_to_the_next_option(tree: CommandTree) -> None:
    parsed = parse_invocation("/qa search query:celery retries tag:celery", tree)
    assert parsed.command.name == "qa search"
    assert parsed.raw == {"query": "celery retries", "tag": "celery"}


def test_bare_text_goes_to_the_first_required_option_else_the_first(tree: CommandTree) -> None:
    assert parse_invocation("/concept caching", tree).raw == {"name": "caching"}
    assert parse_invocation("/qa search celery beat", tree).raw == {"query": "celery beat"}
    mixed = parse_invocation("/qa search celery tag:django", tree)
    assert mixed.raw == {"tag": "django", "query": "celery"}


def test_quotes_are_optional_and_empty_values_are_not_sent(tree: CommandTree) -> None:
    assert parse_invocation('/concept name:"rate limiting"', tree).raw == {"name": "rate limiting"}
    assert parse_invocation("/concept name:", tree).raw == {}


def test_values_may_contain_colons_times_and_urls(tree: CommandTree) -> None:
    parsed = parse_invocation(
        "/dailytip schedule channel:#general time:09:30 timezone:Africa/Nairobi", tree
    )
    assert parsed.raw == {"channel": "#general", "time": "09:30", "timezone": "Africa/Nairobi"}
    assert parse_invocation("/concept see https://x.example/a", tree).raw == {
        "name": "see https://x.example/a"
    }
    note = parse_invocation("/qa search query:Note: retries", tree)
    assert note.raw == {"query": "Note: retries"}


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("/concpet jwt", "`/concpet` is not a command here. Did you mean `/concept`?"),
        ("/", "Type a command after the `/`"),
        ("/qa", "`/qa` needs a subcommand: search, setup, admin"),
        ("/qa serch query:x", "`/qa` has no subcommand `serch`. Did you mean `search`?"),
        ("/qa admin", "`/qa admin` needs a subcommand: purge"),
        ("/search", "`/search` needs `query:` (The query)"),
        ("/search kind:t", "`/search` needs `query:`"),
        ("/concept nmae:jwt", "`/concept` has no option `nmae`. Did you mean `name:`?"),
        ("/qa search query:x tga:celery", "has no option `tga`. Did you mean `tag:`?"),
        ("/concept name:a name:b", "`name:` is given twice"),
        ("/concept jwt name:jwt", "takes no more options, so `jwt` has nowhere to go"),
    ],
)
def test_bad_commands_get_the_clients_message(tree: CommandTree, line: str, expected: str) -> None:
    with pytest.raises(InputProblem) as raised:
        parse_invocation(line, tree)
    assert expected in raised.value.message


def test_values_are_converted_and_checked_like_the_client_does(tree: CommandTree) -> None:
    parsed = parse_invocation(
        "/tools count:3 ratio:0.5 flag:yes who:@Alan role:@moderator either:Admin", tree
    )
    assert convert_all(parsed, DIRECTORY) == {
        "count": 3,
        "ratio": 0.5,
        "flag": True,
        "who": "alan_admin",
        "role": "Moderator",
        "either": "Admin",
    }
    search = parse_invocation("/search query:redis kind:tips", tree)
    assert convert_all(search, DIRECTORY) == {"query": "redis", "kind": "t"}
    channel = parse_invocation("/qa setup channel:<#202>", tree)
    assert convert_all(channel, DIRECTORY) == {"channel": "qa"}


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("/tools count:3x", "`count:` takes a whole number; `3x` is not one"),
        ("/tools count:11", "`count:` must be between 1 and 10"),
        ("/tools ratio:-1", "`ratio:` must be at least 0"),
        ("/tools flag:maybe", "`flag:` takes True or False"),
        ("/tools who:@nobody", "nobody here is called `@nobody`. Members: @alan_admin (Alan)"),
        ("/tools role:@Ghost", "there is no role `@Ghost`"),
        ("/tools either:zed", "takes a member or a role"),
        ("/tools file:no/such/file.yaml", "there is no file `no/such/file.yaml`"),
        ("/search query:elevenchars", "`query:` must be 10 characters or fewer (it has 11)"),
        ("/search query:x kind:bogus", "`kind:` is one of: Everything, Tips; `bogus` is not."),
        ("/qa setup channel:#genral", "there is no `#genral` here. Did you mean `general`?"),
    ],
)
def test_bad_values_are_refused_before_anything_is_sent(
    tree: CommandTree, line: str, expected: str
) -> None:
    with pytest.raises(InputProblem) as raised:
        convert_all(parse_invocation(line, tree), DIRECTORY)
    assert expected in raised.value.message


def test_a_channel_option_refuses_the_wrong_kind_of_channel(tree: CommandTree) -> None:
    schedule = tree.resolve(["dailytip", "schedule"])[0]
    channel = schedule.option("channel")
    assert channel is not None
    with pytest.raises(InputProblem, match="wrong kind of channel"):
        convert(channel, "#voice", DIRECTORY)


def test_a_file_option_finds_the_file_here_or_beside_the_script(
    tree: CommandTree, tmp_path: Path
) -> None:
    (tmp_path / "spec.yaml").write_text("openapi: 3.0.0")
    directory = Directory(files_from=(Path("/nonexistent"), tmp_path))
    tools = tree.resolve(["tools"])[0]
    file_option = tools.option("file")
    assert file_option is not None
    assert convert(file_option, "spec.yaml", directory) == FileValue(tmp_path / "spec.yaml")


def test_autocomplete_options_accept_any_text(tree: CommandTree) -> None:
    values = convert_all(
        parse_invocation("/dailytip schedule channel:#qa time:9:00 timezone:nairob", tree),
        DIRECTORY,
    )
    assert values["timezone"] == "nairob"


@pytest.mark.parametrize(
    ("text", "stage", "word", "focused", "value"),
    [
        ("/con", "command", "con", None, ""),
        ("/qa ", "subcommand", "", None, ""),
        ("/qa se", "subcommand", "se", None, ""),
        ("/concept ", "options", "", "name", ""),
        ("/concept cach", "options", "cach", "name", "cach"),
        ("/concept name:cach", "options", "", "name", "cach"),
        ("/qa search query:celery st", "options", "st", "query", "celery st"),
        ("/search query:redis kind:", "options", "kind:", "kind", ""),
        ("/dailytip schedule channel:#qa time:9:00 timezone:nai", "options", "", "timezone", "nai"),
    ],
)
def test_the_cursor_is_located_for_completion(
    tree: CommandTree, text: str, stage: str, word: str, focused: str | None, value: str
) -> None:
    partial = analyse(text, tree)
    assert partial is not None
    assert (partial.stage, partial.word) == (stage, word)
    assert (partial.focused.name if partial.focused else None) == focused
    assert partial.value == value


def test_completion_knows_the_other_options_typed(tree: CommandTree) -> None:
    partial = analyse("/dailytip schedule channel:#qa time:9:00 timezone:nai", tree)
    assert partial is not None
    assert partial.given == {"channel": "#qa", "time": "9:00"}
    assert [o.name for o in partial.unused()] == []
    assert analyse("plain words", tree) is None
    assert analyse("/nothing here", tree) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1d", timedelta(days=1)),
        ("2h30m", timedelta(hours=2, minutes=30)),
        ("90s", timedelta(seconds=90)),
        ("1D 2H", timedelta(days=1, hours=2)),
    ],
)
def test_durations(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["", "soon", "1w", "0m", "400d", "5"])
def test_bad_durations_say_how_to_write_one(text: str) -> None:
    with pytest.raises(InputProblem):
        parse_duration(text)
