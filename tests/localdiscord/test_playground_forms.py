"""Modals become forms asked field by field; scripts give their answers on indented lines."""

from __future__ import annotations

from typing import Any

import pytest

from localdiscord.playground.command_tree import InputProblem
from localdiscord.playground.forms import ModalForm
from localdiscord.playground.script import ScriptError, read_script

MODAL: dict[str, Any] = {
    "custom_id": "qa:ask",
    "title": "Ask the community",
    "components": [
        {
            "type": 1,
            "components": [
                {
                    "type": 4,
                    "custom_id": "qa:input:title",
                    "label": "Title: your question in one sentence",
                    "style": 1,
                    "min_length": 10,
                    "max_length": 150,
                    "required": True,
                }
            ],
        },
        {
            "type": 1,
            "components": [
                {"type": 4, "custom_id": "qa:input:body", "label": "Details", "style": 2}
            ],
        },
        {
            "type": 18,
            "label": "Tags (optional, up to 5)",
            "description": "Comma separated",
            "component": {
                "type": 4,
                "custom_id": "qa:input:tags",
                "style": 1,
                "required": False,
                "value": "celery",
            },
        },
    ],
}


def test_a_modal_reads_as_fields_with_their_rules() -> None:
    form = ModalForm.of(MODAL)
    assert form.title == "Ask the community"
    title, details, tags = form.fields
    assert (title.short_label, title.min_length, title.max_length) == ("Title", 10, 150)
    assert details.paragraph
    assert details.required
    assert (tags.label, tags.short_label, tags.default, tags.required) == (
        "Tags (optional, up to 5)",
        "Tags",
        "celery",
        False,
    )
    assert tags.description == "Comma separated"
    assert tags.hint() == ""  # its label already says optional
    assert title.hint() == "up to 150 characters"


def test_script_lines_fill_fields_by_label_or_id_with_new_lines() -> None:
    form = ModalForm.of(MODAL)
    values = form.values_from_lines(
        ["title: How do I retry a task?", "DETAILS: first line\\nsecond line"]
    )
    assert values == {
        "qa:input:title": "How do I retry a task?",
        "qa:input:body": "first line\nsecond line",
        "qa:input:tags": "celery",  # left as it was
    }
    by_id = form.values_from_lines(["title: Ten chars+", "body: d", "tags:"])
    assert by_id["qa:input:body"] == "d"  # the end of a custom_id names a field too
    assert by_id["qa:input:tags"] == ""  # emptied on purpose


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        (["details: d"], "Title is required."),
        (["title: short", "details: d"], "Title must be at least 10 characters long."),
        (
            ["title: " + "x" * 151, "details: d"],
            "Title must be 150 characters or fewer (it has 151)",
        ),
        (["titel: How do I retry?"], "has no field `titel`. Its fields: `title:`, `details:`"),
        (["just words"], "write form lines as `field: value`"),
        (["title: How do I retry?", "title: again and again"], "Title is filled in twice."),
    ],
)
def test_answers_the_client_would_refuse_are_refused(lines: list[str], expected: str) -> None:
    with pytest.raises(InputProblem) as raised:
        ModalForm.of(MODAL).values_from_lines(lines)
    assert expected in raised.value.message


def test_a_script_is_steps_with_their_form_lines_and_narration() -> None:
    steps = read_script(
        "# Ask something\n\n/ask\n    title: How do I retry a task?\n\tdetails: d\n\n"
        "# then\n\n# more\nclick 1\n"
    )
    assert [(s.line, s.text, s.form_lines) for s in steps] == [
        (1, "# Ask something", ()),
        (3, "/ask", ("title: How do I retry a task?", "details: d")),
        (7, "# then", ()),
        (9, "# more", ()),
        (10, "click 1", ()),
    ]
    assert [s.after_blank for s in steps] == [False, True, True, True, False]
    assert steps[0].is_narration
    assert not steps[1].is_narration


@pytest.mark.parametrize("source", ["    title: orphan\n", "# note\n    title: orphan\n"])
def test_an_indented_line_without_a_command_above_is_a_script_error(source: str) -> None:
    with pytest.raises(ScriptError, match=r"line [12]"):
        read_script(source)
