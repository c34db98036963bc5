from __future__ import annotations

import contextlib
import re
import sqlite3

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.text import clean_text
from bot.db.search.sqlite import fts_query, prefix_query
from bot.errors import BadInput
from bot.qa.finding import clean_snippet
from bot.qa.fts import similarity_query
from bot.qa.model import Draft
from bot.qa.validation import make_answer, make_draft, parse_ref, parse_tag, parse_tags

# Every code point, lone surrogates and control characters included: what a JSON payload
# could carry, not only what a keyboard types.
ANY_TEXT = st.text(st.characters(codec=None, exclude_categories=()), max_size=300)
HOSTILE = st.sampled_from(
    ['"', "AND", "OR NOT", "NEAR(", "*", "^", "-", "title:x", "{title}", "(((", "c++", "''", "\\"]
)
QUERY_TEXT = st.one_of(ANY_TEXT, st.lists(HOSTILE | ANY_TEXT, max_size=8).map(" ".join))


def fts_table() -> sqlite3.Connection:
    conn = sqlite3.connect(":memory:")
    conn.execute(
        "CREATE VIRTUAL TABLE qa_fts USING fts5(title, details, tags, answers, "
        "tokenize='porter unicode61')"
    )
    conn.execute(
        "INSERT INTO qa_fts VALUES ('How to retry celery tasks', 'details', 'celery c++', 'x')"
    )
    return conn


CONN = fts_table()


def run_match(expression: str) -> None:
    CONN.execute("SELECT count(*) FROM qa_fts WHERE qa_fts MATCH ?", (expression,)).fetchone()


# -- cleaning and limits ----------------------------------------------------------------------


def test_clean_text_drops_controls_and_surrogates() -> None:
    assert clean_text("  a\x00b\u202e\ud800c \n d ", multiline=False) == "ab\u202ec d"
    assert clean_text("line 1  \r\n\tline 2\n\n", multiline=True) == "line 1\n    line 2"


def test_a_good_question_is_cleaned() -> None:
    draft = make_draft(
        "  How do I   retry\na Celery task? ", "  Tried autoretry.\n\n", "#Celery, c++"
    )
    assert draft == Draft("How do I retry a Celery task?", "Tried autoretry.", ("celery", "c++"))


@pytest.mark.parametrize(
    ("title", "details", "tags", "message"),
    [
        ("Short", "details", "", "at least 10 characters"),
        ("\u200b" * 3 + "tiny", "details", "", "at least 10 characters"),
        ("\u200b" * 10 + "tiny", "details", "", "it has 4"),
        ("x" * 151, "details", "", "under 150 characters"),
        ("A fine title here", "   ", "", "Add some details"),
        ("A fine title here", "d" * 2001, "", "at most 2000 characters"),
        ("A fine title here", "details", "a b c d e f", "at most 5 tags"),
        ("A fine title here", "details", "no`tick", "is not a tag"),
        ("A fine title here", "details", "x" * 25, "is not a tag"),
        ("Hey @everyone look", "details", "", "title mentions"),
        ("A fine title here", "ping @here now", "", "details mentions"),
        ("A fine title here", "ping <@&123456789> now", "", "details mentions"),
        ("A fine title here", "details", "@everyone", "tags mentions"),
    ],
)
def test_bad_questions_are_refused_clearly(
    title: str, details: str, tags: str, message: str
) -> None:
    with pytest.raises(BadInput, match=message):
        make_draft(title, details, tags)


def test_limits_are_inclusive() -> None:
    assert len(make_draft("x" * 10, "d" * 2000, "a b c d e").tags) == 5
    assert make_draft("x" * 150, "d").title == "x" * 150
    assert make_answer("a" * 2000) == "a" * 2000
    with pytest.raises(BadInput, match="at most 2000"):
        make_answer("a" * 2001)
    with pytest.raises(BadInput, match="empty"):
        make_answer(" \n\x00 ")


def test_user_mentions_are_allowed_but_never_mass_ones() -> None:
    assert make_answer("ask <@123456789>, or mail me@here.example") == (
        "ask <@123456789>, or mail me@here.example"
    )
    with pytest.raises(BadInput, match="must not ping"):
        make_answer("@Everyone please")


def test_tags_are_normalised_and_deduplicated() -> None:
    assert parse_tags("Django;django  #DRF,,node.js") == ("django", "drf", "node.js")
    assert parse_tags(None) == parse_tags("") == ()
    assert parse_tag(" #Celery ") == "celery"
    assert parse_tag("") is None
    with pytest.raises(BadInput, match="one tag"):
        parse_tag("a b")


@pytest.mark.parametrize(("raw", "expected"), [("12", 12), ("#12", 12), (" # 7 ", 7)])
def test_question_ids_are_read_from_what_was_picked(raw: str, expected: int) -> None:
    assert parse_ref(raw) == expected


@pytest.mark.parametrize("raw", ["", "abc", "#", "-3", "1" * 19])
def test_bad_question_ids_are_refused(raw: str) -> None:
    with pytest.raises(BadInput, match="Pick a question"):
        parse_ref(raw)
    with pytest.raises(BadInput, match="Pick an answer"):
        parse_ref(raw, "answer")


# -- full-text expressions --------------------------------------------------------------------


def test_similarity_needs_two_shared_keywords() -> None:
    draft = Draft("How do I retry Celery tasks?", "x", ("celery",))
    expression = similarity_query(draft)
    assert expression == (
        '{title details tags} : (("retry" "celery") OR ("retry" "tasks") OR ("celery" "tasks"))'
    )
    assert similarity_query(Draft("Redis?? how to", "x")) == '{title details tags} : ("redis")'
    assert similarity_query(Draft("How do I do it?", "x")) is None


def test_prefix_query_completes_the_last_word_only() -> None:
    assert prefix_query("celery ret") == '"celery" "ret"*'
    assert prefix_query("celery ") == '"celery"'
    assert prefix_query("!!") is None


def test_snippets_cannot_format_or_ping() -> None:
    raw = "use \x02retry\x03 `code` **bold** @everyone [link](x)"
    assert clean_snippet(raw) == (
        "use **retry** \\`code\\` \\*\\*bold\\*\\* @\u200beveryone \\[link\\]\\(x\\)"
    )


@settings(max_examples=300, deadline=None)
@given(QUERY_TEXT)
def test_every_query_builder_gives_valid_fts5(raw: str) -> None:
    for expression in (fts_query(raw), fts_query(raw, any_term=True), prefix_query(raw)):
        if expression is not None:
            run_match(expression)


@settings(max_examples=300, deadline=None)
@given(ANY_TEXT, ANY_TEXT, ANY_TEXT)
def test_any_question_text_is_refused_cleanly_or_accepted_safely(
    title: str, details: str, tags: str
) -> None:
    try:
        draft = make_draft(title, details, tags)
    except BadInput:
        return
    assert 10 <= len(draft.title) <= 150
    assert "\n" not in draft.title
    assert 1 <= len(draft.details) <= 2000
    assert len(draft.tags) <= 5
    for value in (draft.title, draft.details, *draft.tags):
        value.encode("utf-8")  # no lone surrogate survives
        assert not re.search(r"(?<!\w)@(everyone|here)\b|<@&\d+>", value, re.IGNORECASE)
    expression = similarity_query(draft)
    if expression is not None:
        run_match(expression)


@settings(max_examples=300, deadline=None)
@given(ANY_TEXT)
def test_any_answer_or_id_is_refused_cleanly_or_accepted(raw: str) -> None:
    try:
        body = make_answer(raw)
    except BadInput:
        pass
    else:
        assert 1 <= len(body) <= 2000
        body.encode("utf-8")
    with contextlib.suppress(BadInput):
        assert parse_ref(raw) >= 0
    with contextlib.suppress(BadInput):
        assert len(parse_tags(raw)) <= 5
