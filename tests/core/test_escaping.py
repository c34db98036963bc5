"""The one escaping rule: whatever a member or a document writes, nothing of it formats a
message, links somewhere else than it says, or ends a code span early.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.text import code_text, escape_markdown, markdown_text, unmask_links
from tests.hardening.test_document_text import live_links

# Text built from the pieces of Markdown that matter: brackets, parens, backticks, escapes.
PIECES = [*"[]()<>`\\*_~|#-+1. \nax:/", "https://", "```"]
HOSTILE = st.lists(st.sampled_from(PIECES), max_size=40).map("".join)


@settings(max_examples=500, deadline=None)
@given(HOSTILE)
@pytest.mark.finding("6 masked links from documents")
def test_escaped_text_has_no_live_link_and_reads_the_same(raw: str) -> None:
    escaped = escape_markdown(raw)
    assert live_links(escaped) == []
    assert "`" not in escaped.replace("\\`", "")
    assert live_links(markdown_text(raw)) == []


@settings(max_examples=500, deadline=None)
@given(HOSTILE, st.integers(min_value=1, max_value=40))
@pytest.mark.finding("6 masked links from documents")
def test_code_text_cannot_end_its_span(raw: str, limit: int) -> None:
    inside = code_text(raw, limit)
    assert "`" not in inside
    assert "\n" not in inside
    assert len(inside) <= limit


@settings(max_examples=500, deadline=None)
@given(HOSTILE)
def test_unmasked_markdown_has_no_live_link(raw: str) -> None:
    assert live_links(unmask_links(raw)) == []


def test_what_members_write_keeps_its_shape() -> None:
    assert escape_markdown("- a\n1. b\n2 c") == "\\- a\n1\\. b\n2 c"
    assert unmask_links("[docs](https://x.example) and `[a](b)`") == (
        "docs (https://x.example) and `[a](b)`"
    )
    assert unmask_links("[[a](https://b)](https://c)") == "a (https://b) (https://c)"
