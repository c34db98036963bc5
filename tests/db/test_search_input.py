"""Whatever a member types reaches search as text, on either database: quotes, operators of
FTS5 and of PostgreSQL's tsquery, `c++`, `node.js`, SQL, nothing at all. Run on SQLite by
default and on PostgreSQL with `--database=postgresql` (CI runs both)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.db.engine import Database
from bot.db.models import Entry, QaQuestion
from bot.db.search import EntryText, QuestionFilter, QuestionText

ENTRIES = [
    (1, "Calling C++ from Python", ("cpp", "extensions"), ("ffi",), "Bindings.", "Use pybind11."),
    (2, "Node.js event loop", ("node",), ("javascript",), "Loop.", "libuv runs callbacks."),
    (3, "SQL injection", ("sqli",), ("security",), "Params.", "Never format SQL strings."),
    (4, "CI/CD pipelines", ("ci",), ("devops",), "Builds.", "GitHub Actions runs tests."),
]
QUESTIONS = [
    (1, "How do I call C++ code from node.js?", "An addon or ffi?", ["node"], ["Use N-API."]),
    (2, "Why is my SQL query slow?", "SELECT * FROM users", ["sql"], []),
]
HOSTILE = [
    '"',
    '""',
    "'",
    "*",
    "-",
    "NOT",
    "OR",
    "AND NOT NEAR",
    "a:*",
    "!celery",
    "(node | js) & !x",
    "title:node",
    "{title} : node",
    "'; DROP TABLE entries; --",
    "1' OR '1'='1",
    "@everyone",
    "\x00\x01",
    "ﬁle",  # a ligature: NFKC reads "file"
    " " * 10,
    "x" * 5000,
]


@pytest.fixture
async def indexed(db: Database) -> Database:
    async with db.unit_of_work() as session:
        for eid, title, _, _, summary, body in ENTRIES:
            session.add(
                Entry(
                    id=eid,
                    slug=f"e{eid}",
                    kind="concept",
                    title=title,
                    topic="t",
                    summary=summary,
                    body=body,
                    source_path="p",
                    content_hash="h",
                )
            )
        for qid, title, details, tags, _ in QUESTIONS:
            session.add(QaQuestion(id=qid, guild_id=1, title=title, details=details, tags=tags))
        await session.flush()
        for eid, title, aliases, tags, summary, body in ENTRIES:
            await db.search.entries.put(
                session, EntryText(eid, title, aliases, tags, summary, body)
            )
        for qid, title, details, tags, answers in QUESTIONS:
            await db.search.questions.put(session, QuestionText(qid, title, details, tags, answers))
    return db


async def everything(db: Database, typed: str) -> tuple[list[int], list[int], list[int]]:
    """What each search returns for `typed`: learnings, questions, autocomplete."""
    where = QuestionFilter(1)
    async with db.read() as session:
        entries = await db.search.entries.search(session, typed, limit=10)
        questions = await db.search.questions.search(
            session, typed, where, window=50, page=1, per_page=10
        )
        suggested = await db.search.questions.suggest(session, typed, where, window=50, limit=10)
        await db.search.questions.similar(
            session, typed.split()[:4], where, title_window=50, window=50, limit=5
        )
        await db.search.questions.count(session, typed)
    return [h.id for h in entries.hits], [h.id for h in questions.hits], suggested


@pytest.mark.parametrize("typed", HOSTILE)
async def test_hostile_text_is_only_text(indexed: Database, typed: str) -> None:
    entries, questions, _ = await everything(indexed, typed)
    assert set(entries) <= {1, 2, 3, 4}
    assert set(questions) <= {1, 2}


@pytest.mark.parametrize(
    ("typed", "entry", "question"),
    [
        ("c++", 1, 1),
        ("C++ python", 1, None),
        ("node.js", 2, 1),
        ("node.js loop", 2, None),
        ("ci/cd", 4, None),
        ("sql injection", 3, None),
        ('"node" OR "js"', 2, 1),
        ("SELECT * FROM users", None, 2),
    ],
)
async def test_punctuated_terms_find_what_they_name(
    indexed: Database, typed: str, entry: int | None, question: int | None
) -> None:
    entries, questions, _ = await everything(indexed, typed)
    if entry is not None:
        assert entries[:1] == [entry], (typed, entries)
    if question is not None:
        assert questions[:1] == [question], (typed, questions)


async def test_autocomplete_takes_the_word_being_typed(indexed: Database) -> None:
    assert (await everything(indexed, "node.j"))[2] == [1]
    assert (await everything(indexed, "slo"))[2] == [2]
    assert (await everything(indexed, "why is my sql"))[2] == [2]


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(typed=st.text(max_size=60))
async def test_any_text_is_searched_without_error(indexed: Database, typed: str) -> None:
    await everything(indexed, typed)


def test_postgresql_snippets_keep_identifiers_whole() -> None:
    from bot.db.search.postgresql import whole_words

    body = "Use `select_related` on a FK; prefetch_related for many-to-many."
    headline = "select_\x02related\x03` on a FK; \x02prefetch\x03_related"
    assert whole_words(body, headline) == (
        "`\x02select_related\x03` on a FK; \x02prefetch_related\x03"
    )
    assert whole_words(body, "not in the body") == "not in the body"
