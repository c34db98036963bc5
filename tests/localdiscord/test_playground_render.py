"""Replies as terminal text: boxed embeds, numbered controls, readable markup, no ANSI in files."""

from __future__ import annotations

import argparse
import io
from pathlib import Path
from typing import Any

import pytest
from rich.console import RenderableType

from localdiscord.playground import app, render
from localdiscord.playground.directory import Directory, Person, Place

JSON = dict[str, Any]
DIRECTORY = Directory(
    people=(
        Person("admin", "alan_admin", "Alan", 101),
        Person("member", "linus_member", "Linus", 102),
    ),
    channels=(Place("general", 201), Place("qa", 202)),
    roles=(Place("Admin", 301),),
)


def plain(renderable: RenderableType, width: int = 100) -> str:
    out = io.StringIO()
    app.make_console(out).print(renderable, width=width)
    return out.getvalue()


def numbers() -> tuple[list[str], render.Numberer]:
    numbered: list[str] = []

    def numberer(message_id: int, component: JSON) -> int:
        numbered.append(component["custom_id"])
        return len(numbered)

    return numbered, numberer


MESSAGE: JSON = {
    "id": "900",
    "channel_id": "202",
    "author": {"username": "nexus", "global_name": "Nexus"},
    "flags": 64,
    "content": "Hi <@101>, see <#201>\nposted <t:1700000000:F>",
    "interaction_metadata": {"type": 2, "name": "concept", "user": {"global_name": "Alan"}},
    "embeds": [
        {
            "author": {"name": "Tip of the day"},
            "title": "Caching",
            "color": 0x3498DB,
            "description": "Keep **answers** close.\nSecond line\n```py\nx = 1\n```",
            "fields": [
                {"name": "Topic", "value": "python", "inline": True},
                {"name": "Level", "value": "easy", "inline": True},
                {"name": "Related", "value": "jwt, redis"},
            ],
            "image": {"url": "https://img.example/a.png"},
            "footer": {"text": "Concept · page 1/2"},
            "timestamp": "2025-03-04T09:00:00+00:00",
        }
    ],
    "attachments": [{"filename": "bookings.yaml", "size": 2048}],
    "components": [
        {
            "type": 1,
            "components": [
                {"type": 2, "style": 1, "label": "Next", "custom_id": "page:2"},
                {"type": 2, "style": 2, "label": "Back", "custom_id": "page:0", "disabled": True},
                {"type": 2, "style": 5, "label": "Docs", "url": "https://docs.example"},
            ],
        },
        {
            "type": 1,
            "components": [
                {
                    "type": 3,
                    "custom_id": "topic",
                    "placeholder": "Pick a topic",
                    "options": [
                        {"label": "Caching", "value": "caching", "default": True},
                        {"label": "Rate limiting", "value": "rate-limits"},
                    ],
                }
            ],
        },
    ],
}


def test_a_message_reads_like_discord_shows_it() -> None:
    numbered, numberer = numbers()
    text = plain(render.message_view(MESSAGE, DIRECTORY, numberer, current_channel_id=201))
    lines = text.splitlines()
    assert lines[0] == "→ #qa  Nexus ↩ Alan used /concept  👁 only you can see this"
    assert lines[1] == "Hi @Alan, see #general"  # a newline is a line break, as in Discord
    assert lines[2] == "posted Tuesday, 14 November 2023 22:13 UTC"
    for expected in (
        "│ Tip of the day",
        "│ Caching",
        "│ Keep answers close.",
        "│ Second line",
        "│   x = 1",
        "│ Related",
        "│ jwt, redis",
        "🖼 image: https://img.example/a.png",
        "│ Concept · page 1/2 · 2025-03-04 09:00 UTC",
        "📎 bookings.yaml (2.0 KB)",
        "[1] Next  [-] Back (disabled)  [↗] Docs https://docs.example",
        "[2] ▾ Pick a topic",
        "    Caching ✓ · Rate limiting (rate-limits)",
    ):
        assert expected in text, expected
    assert text.count("╭") == 1  # one embed, one box
    assert numbered == ["page:2", "topic"]  # links and disabled buttons get no number
    assert "\x1b" not in text
    assert all(line == line.rstrip() for line in lines)


def test_inline_fields_sit_side_by_side() -> None:
    _, numberer = numbers()
    text = plain(render.message_view(MESSAGE, DIRECTORY, numberer, current_channel_id=202))
    assert any("Topic" in line and "Level" in line for line in text.splitlines())
    assert text.startswith("#qa  Nexus")  # the current channel has no arrow


def test_buttons_wrap_between_labels_not_inside_them() -> None:
    row = render.ButtonRow(
        [render.Text(f"[{n}] A rather long button label {n}") for n in range(1, 6)]
    )
    lines = plain(row, width=70).splitlines()
    assert len(lines) > 1
    for line in lines:
        assert line.startswith("[")
        assert line.rstrip()[-1].isdigit()


@pytest.mark.parametrize(
    ("markup", "expected"),
    [
        ("<@102> and <@!101>", "@Linus and @Alan"),
        ("<@&301> <#202> <#999>", "@Admin #qa #unknown"),
        ("<:party:123> </qa search:55>", ":party: /qa search"),
        ("https://discord.com/channels/1/202/3", "#qa message"),
        ("-# small print", "*small print*"),
        ("<t:0:d> <t:0:t> <t:0>", "1970-01-01 00:00 UTC 01 January 1970 00:00 UTC"),
        ("```\n<@101>\n```", "```\n<@101>\n```"),  # code is shown as written
    ],
)
def test_discord_markup_becomes_readable(markup: str, expected: str) -> None:
    assert render.discord_text(markup, DIRECTORY) == expected


def test_relative_timestamps() -> None:
    now = render.datetime.fromtimestamp(1_000_000, render.UTC)
    assert render.format_timestamp(1_000_000 + 7_200, "R", now) == "in 2 hours"
    assert render.format_timestamp(1_000_000 - 86_400 * 3, "R", now) == "3 days ago"
    assert render.format_timestamp(1_000_000 + 5, "R", now) == "in a few seconds"


def test_edits_deletions_and_component_clicks_are_marked() -> None:
    message = {
        "id": "5",
        "channel_id": "201",
        "author": {"global_name": "Nexus"},
        "interaction_metadata": {"type": 5, "user": {"global_name": "Linus"}},
        "content": "Saved.",
    }
    _, numberer = numbers()
    view = render.message_view(message, DIRECTORY, numberer, current_channel_id=201, edited=True)
    assert plain(view).splitlines()[0] == "#general  Nexus ↩ Linus sent a form  (edited)"
    assert plain(render.deleted_view(message, DIRECTORY)).strip() == (
        "🗑 Nexus deleted a message in #general"
    )
    assert plain(render.problem_view("`/x` is not a command")).strip() == "✖ /x is not a command"


def test_layout_components_are_shown_as_lines() -> None:
    numbered, numberer = numbers()
    container = {
        "type": 17,
        "components": [
            {"type": 10, "content": "Hello"},
            {"type": 14},
            {
                "type": 9,
                "components": [{"type": 10, "content": "Side"}],
                "accessory": {"type": 2, "style": 1, "label": "Go", "custom_id": "go"},
            },
        ],
    }
    text = plain(
        render.message_view(
            {"id": "1", "channel_id": "201", "components": [container]},
            DIRECTORY,
            numberer,
            current_channel_id=201,
        )
    )
    assert "Hello" in text
    assert "Side" in text
    assert "[1] Go" in text
    assert numbered == ["go"]


def test_a_file_gets_plain_text_a_terminal_gets_colour() -> None:
    out = io.StringIO()
    console = app.make_console(out)
    console.print(render.problem_view("bad"))
    assert out.getvalue() == "✖ bad\n"
    assert not console.is_terminal
    assert console.width == app.PLAIN_WIDTH


def test_trimmed_lines_strip_padding_and_keep_partial_lines() -> None:
    out = io.StringIO()
    trimmed = app.TrimmedLines(out)
    trimmed.write("a   \nb")
    trimmed.write("c  ")
    assert out.getvalue() == "a\n"
    trimmed.flush()
    assert out.getvalue() == "a\nbc"


def args(**given: Any) -> argparse.Namespace:
    values = {"script": None, "db": None, "fresh": False, "content": None, **given}
    return argparse.Namespace(**values)


@pytest.fixture
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CONTENT_DIR", raising=False)
    return tmp_path


def test_where_the_playground_keeps_its_things(in_tmp: Path) -> None:
    default = app.Where.of(args())
    assert default.database == Path("data/playground.db")
    assert default.log_file == Path("data/playground.log")
    assert default.history == Path("data/playground.history")
    fresh = app.Where.of(args(fresh=True))
    assert fresh.database is None
    assert fresh.log_file is None
    assert fresh.history is None
    assert app.Where.of(args(db="x/my.db")).log_file == Path("x/my.log")


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ({}, "no content folder at content"),
        ({"content": ".", "script": "missing.txt"}, "no script at missing.txt"),
        ({"content": ".", "fresh": True, "db": "x.db"}, "--fresh and --db exclude each other"),
    ],
)
def test_bad_options_are_one_clear_line_and_exit_2(
    in_tmp: Path, capsys: pytest.CaptureFixture[str], given: dict[str, Any], message: str
) -> None:
    assert app.run(args(**given)) == 2
    err = capsys.readouterr().err
    assert err.startswith("nexus playground: ")
    assert message in err
