"""Text from documents: control characters removed, nothing copied when there are none."""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.text import without_controls


def test_without_controls_leaves_text_and_line_breaks_and_copies_only_what_changes() -> None:
    @dataclass(frozen=True)
    class Doc:
        title: str
        tags: tuple[str, ...]

    clean = {"summary": "Refunds\n\tmoney", "tags": ["a", ("b",)]}
    assert without_controls(clean) is clean
    dirty = Doc("Pay\x00ments\x1b[31m", ("ok", "be\x07ll"))
    assert without_controls(dirty) == Doc("Payments[31m", ("ok", "bell"))
    assert without_controls({"k\x00": ["x\x7f"]}) == {"k": ["x"]}
