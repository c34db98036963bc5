from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.markdown import blocks, paginate

CODE = "```python\n" + "\n".join(f"value_{i} = {i}" for i in range(40)) + "\n```"


def test_code_blocks_stay_whole() -> None:
    text = "## Intro\n\n" + "Words. " * 300 + "\n\n" + CODE + "\n\nAfter the code."
    pages = paginate(text, 800)
    assert len(pages) > 1
    assert any(CODE in page for page in pages)
    for page in pages:
        assert page.count("```") % 2 == 0
        assert len(page) <= 800


def test_headings_become_bold_and_never_end_a_page() -> None:
    text = "## One\n\n" + "a" * 500 + "\n\n## Two\n\n" + "b" * 500
    pages = paginate(text, 600)
    assert pages[0].startswith("**One**")
    assert pages[1].startswith("**Two**")


def test_short_text_is_one_page() -> None:
    assert paginate("Hello", 100) == ["Hello"]
    assert paginate("", 100) == [""]


paragraph = st.text(
    alphabet=st.characters(codec="utf-8", exclude_characters="`\r"), min_size=1, max_size=300
)
code_block = st.lists(st.text(alphabet="abc =()1", max_size=60), min_size=1, max_size=30).map(
    lambda lines: "```python\n" + "\n".join(lines) + "\n```"
)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(paragraph, code_block), min_size=1, max_size=20), st.integers(200, 1500))
def test_pages_fit_and_fences_balance(parts: list[str], budget: int) -> None:
    pages = paginate("\n\n".join(parts), budget)
    for page in pages:
        assert len(page) <= budget
        assert page.count("```") % 2 == 0


def test_blocks_keep_code_with_blank_lines_together() -> None:
    text = "Intro\n\n```python\na = 1\n\nb = 2\n```\n\nOutro"
    assert blocks(text) == ["Intro", "```python\na = 1\n\nb = 2\n```", "Outro"]
