"""Numbers read back from persistent buttons fit an SQLite INTEGER, whatever the custom_id says."""

from __future__ import annotations

from typing import Any

import pytest
from discord.ui import DynamicItem

from cogs.qa import question as _qa_ui
from cogs.specs import views as specs

INT64_MAX = 2**63 - 1
WITH_IDS: list[tuple[type[DynamicItem[Any]], str]] = [
    (_qa_ui.AnswerButton, "qa:answer:{n}"),
    (_qa_ui.ShowAnswersButton, "qa:answers:{n}"),
    (_qa_ui.AnswersPage, "qa:apage:{n}:2"),
    (_qa_ui.AcceptButton, "qa:accept:{n}"),
    (_qa_ui.AcceptAnswer, "qa:accept:{n}:{n}"),
    (specs.ListPage, "spec:list:{n}:2"),
    (specs.ListTag, "spec:tags:{n}"),
    (specs.ChangesPageButton, "spec:chg:{n}:1:2:1"),
]


@pytest.mark.parametrize(("item", "shape"), WITH_IDS, ids=lambda v: getattr(v, "__name__", v))
def test_an_id_past_int64_is_not_taken_for_a_button(
    item: type[DynamicItem[Any]], shape: str
) -> None:
    template = item.__discord_ui_compiled_template__  # type: ignore[attr-defined]
    largest = "9" * 18
    assert int(largest) <= INT64_MAX
    assert template.fullmatch(shape.format(n=largest))
    assert template.fullmatch(shape.format(n=str(INT64_MAX + 1))) is None
    assert template.fullmatch(shape.format(n="9" * 19)) is None
