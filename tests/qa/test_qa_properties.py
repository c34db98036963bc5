"""Arbitrary unicode through every Q&A text field and query, on a real database."""

from __future__ import annotations

import contextlib
from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.db.engine import Database
from bot.errors import BadInput
from bot.qa.service import Actor, Draft, QaService, make_draft

ANY_TEXT = st.text(st.characters(codec=None, exclude_categories=()), max_size=200)
HOSTILE = st.sampled_from(['"', "NEAR(", "*", "AND", "OR", "NOT", "{title}", ":", "c++", "^"])
QUERY = st.one_of(ANY_TEXT, st.lists(HOSTILE | ANY_TEXT, max_size=6).map(" ".join))
PROPERTY = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
GUILD = 1


def service(db: Database) -> QaService:
    return QaService(db, ask_cooldown=timedelta(0), answer_cooldown=timedelta(0))


@PROPERTY
@given(title=ANY_TEXT, details=ANY_TEXT, tags=ANY_TEXT, body=ANY_TEXT)
async def test_any_text_is_stored_and_found_or_refused_cleanly(
    db: Database, title: str, details: str, tags: str, body: str
) -> None:
    qa = service(db)
    try:
        draft = make_draft(f"{title} question", details or "x", tags)
    except BadInput:
        draft = Draft("A safe question title", "x")
    question = await qa.ask(GUILD, Actor(1), draft)
    with contextlib.suppress(BadInput):
        await qa.answer(GUILD, question.id, Actor(2), body)
    stored = await qa.get(GUILD, question.id)
    assert (stored.title, stored.details, stored.tags) == (draft.title, draft.details, draft.tags)
    await qa.similar(GUILD, draft)
    await qa.suggest(GUILD, title)


@PROPERTY
@given(query=QUERY, tag=ANY_TEXT, page=st.integers(-5, 500))
async def test_any_query_searches_safely(db: Database, query: str, tag: str, page: int) -> None:
    qa = service(db)
    if (await qa.suggest(GUILD, "")) == []:
        await qa.ask(GUILD, Actor(1), make_draft("How do I call C++ from node.js?", "x", "c++"))
    try:
        result = await qa.search(GUILD, query, page=page)
    except BadInput:
        pass
    else:
        assert 1 <= result.page <= result.pages
    with contextlib.suppress(BadInput):
        await qa.search(GUILD, query, tag=tag[:24] or None, status="open")
    assert len(await qa.suggest(GUILD, query, unaccepted_only=True)) <= 25
    assert len(await qa.suggest_answers(GUILD, Actor(1, is_moderator=True), query)) <= 25
    assert len(await qa.answered_matches(GUILD, query)) <= 3
