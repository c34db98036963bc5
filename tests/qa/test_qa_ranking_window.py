"""Q&A search that stays fast at 100,000 questions (see bench/): bounded ranking windows, the
autocomplete index of titles, and /ask pairing the draft's rarest keywords."""

from __future__ import annotations

import pytest
from sqlalchemy import text

import bot.qa.finding as qa_module
from bot.db.engine import Database
from bot.db.search.sqlite import pairs_query
from bot.qa.service import Actor, QaService, make_draft
from cogs.qa.render import search_embed
from tests.helpers import index_table
from tests.qa.test_qa_service import GUILD, HELPER, Clock, answer, ask

ASKER = Actor(1)


async def test_within_the_window_ranking_and_count_are_exact(qa: QaService, clock: Clock) -> None:
    weak = await ask(qa, clock, "Something about deployment pipelines", "Mentions celery once.")
    strong = await ask(qa, clock, "Celery retries with celery beat", "celery celery celery")
    page = await qa.search(GUILD, "celery")
    assert [h.question.id for h in page.hits] == [strong, weak]
    assert (page.total, page.more) == (2, False)


async def test_past_the_window_the_newest_are_ranked_and_it_says_so(
    qa: QaService, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(qa_module, "RANK_WINDOW", 3)
    ids = [await ask(qa, clock, f"Redis question number {i}") for i in range(5)]
    page = await qa.search(GUILD, "redis")
    assert page.more
    assert page.total == 3
    assert {h.question.id for h in page.hits} == set(ids[-3:])  # the newest three
    footer = search_embed(page).footer.text or ""
    assert footer.startswith("3+ questions (the newest 3 ranked)")


async def test_autocomplete_index_follows_every_change(
    qa: QaService, clock: Clock, db: Database
) -> None:
    qid = await ask(qa, clock, "Pgbouncer transaction pooling", tags="postgres")
    assert [q.id for q in await qa.suggest(GUILD, "pgbo")] == [qid]
    assert [q.id for q in await qa.suggest(GUILD, "postg")] == [qid]  # tags count
    assert [q.id for q in await qa.suggest(GUILD, "p")] == [qid]  # one letter: prefix index

    await qa.edit_question(GUILD, qid, ASKER, make_draft("Connection limits in Postgres", "x"))
    assert await qa.suggest(GUILD, "pgbo") == []
    assert [q.id for q in await qa.suggest(GUILD, "limi")] == [qid]

    await qa.delete_question(GUILD, qid, ASKER)
    assert await qa.suggest(GUILD, "limi") == []
    async with db.read() as session:
        rows = await session.scalar(text(f"SELECT count(*) FROM {index_table(db, 'titles')[0]}"))
    assert rows == 0


async def test_details_do_not_make_autocomplete_choices(qa: QaService, clock: Clock) -> None:
    await ask(qa, clock, "Slow listing endpoint", "We use pgbouncer in front of Postgres.")
    assert await qa.suggest(GUILD, "pgbo") == []  # the choices show titles: match titles
    assert len((await qa.search(GUILD, "pgbouncer")).hits) == 1  # search still reads details


async def test_two_common_words_are_not_enough_when_rarer_pairs_match(
    qa: QaService, clock: Clock, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(qa_module, "COMMON_MIN", 2)
    monkeypatch.setattr(qa_module, "COMMON_SHARE", 0.0)
    # "django" and "models" are in every question: common words.
    for i in range(4):
        qid = await ask(qa, clock, f"Django models question {i}", "About django models.")
        await answer(qa, clock, qid, "An answer.", HELPER)
    rare = await ask(qa, clock, "Django models with polymorphic inheritance")
    await answer(qa, clock, rare, "Use django-polymorphic.", HELPER)

    expressions = await qa.similarity_expressions(
        make_draft("Polymorphic inheritance in Django models", "x")
    )
    assert expressions is not None
    distinctive, common_pairs = expressions.first, expressions.every_pair
    # The pair as each database's query language writes it (FTS5 or PostgreSQL's phrases).
    pair = '("django" "models")' if db.is_sqlite else '["django", "models"]'
    assert pair not in distinctive
    assert common_pairs is not None
    assert pair in common_pairs
    hits = await qa.similar(GUILD, make_draft("Polymorphic inheritance in Django models", "x"))
    assert hits[0].question.id == rare
    # Only common words: the pairs of common words are tried (among the newest matches).
    plain = await qa.similar(GUILD, make_draft("Django models help", "x"))
    assert len(plain) == 3


def test_pairs_query_drops_only_pairs_of_two_common_words() -> None:
    expression = pairs_query(["django", "models", "polymorphic"], frozenset({"django", "models"}))
    assert expression == (
        '{title details tags} : (("django" "polymorphic") OR ("models" "polymorphic"))'
    )
    assert pairs_query(["django", "models"], frozenset({"django", "models"})) is None
    assert pairs_query(["celery"]) == '{title details tags} : ("celery")'


async def test_autocomplete_reads_its_page_as_the_ids_then_rows_path_does(
    qa: QaService, clock: Clock, db: Database
) -> None:
    # SQLite ranks the page and reads its questions in one statement; the answer must be what
    # ranking the ids and then reading them gives, filters and order included.
    from sqlalchemy import event

    from bot.db.search.base import QuestionFilter, QuestionIndex, Ranking
    from bot.qa.store import question_of, questions_read

    for i in range(30):
        qid = await ask(qa, clock, f"Celery task {i} retries", tags="celery" if i % 3 else "")
        if i % 4 == 0:
            await answer(qa, clock, qid, f"Use acks_late for task {i}.")
    index = db.search.questions
    statements: list[str] = []
    event.listen(db.engine.sync_engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    for typed, where in [
        ("cel", QuestionFilter(GUILD)),
        ("celery ta", QuestionFilter(GUILD, unaccepted=True)),
        ("retries 1", QuestionFilter(GUILD, answered=True)),
        ("nothing", QuestionFilter(GUILD)),
    ]:
        async with db.read() as session:
            statements.clear()
            one = await index.suggest_rows(
                session, typed, where, questions_read(), window=20, limit=7
            )
            if db.is_sqlite:
                assert len(statements) == 1, typed
            match = index._prefix_match(typed)
            assert match is not None
            two = await QuestionIndex._title_rows(  # the ids, then their rows
                index, session, match, Ranking(where, 20, 1, 7), questions_read()
            )
        assert [question_of(r) for r in one] == [question_of(r) for r in two], typed
        assert len(one) == {"nothing": 0, "retries 1": 2}.get(typed, 7), typed


async def test_autocomplete_reads_only_what_a_choice_shows(
    qa: QaService, clock: Clock, db: Database
) -> None:
    # Each keystroke asks again: the choices show "#id · title", so no path reads the details,
    # the tags or the answers' count of the questions it offers.
    from sqlalchemy import event

    long_details = "Broker settings and retry policies, at length. " * 20
    first = await ask(qa, clock, "Celery retries and backoff", long_details, tags="celery")
    second = await ask(qa, clock, "Celery beat schedules", long_details)
    await answer(qa, clock, second, "Use crontab schedules.")
    statements: list[str] = []
    event.listen(db.engine.sync_engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    for typed, unaccepted, expected in [
        ("", False, [first, second]),  # unanswered first, then the newest
        ("", True, [first, second]),
        (f"#{first}", False, [first]),
        ("celery re", False, [first]),
        ("cel", True, [first, second]),  # its tag counts too
    ]:
        statements.clear()
        found = await qa.suggest(GUILD, typed, unaccepted_only=unaccepted)
        assert [q.id for q in found] == expected, typed
        assert found[0].title == (
            "Celery retries and backoff" if found[0].id == first else "Celery beat schedules"
        )
        assert statements, typed
        for sql in statements:
            selected = sql.split(" FROM ")[0].lower()
            for unread in ("details", "tags", "count("):
                assert unread not in selected, (typed, sql)


async def test_tidying_the_search_indexes_merges_their_segments_and_keeps_every_answer(
    qa: QaService, clock: Clock, db: Database
) -> None:
    # Questions asked one at a time leave the index in many segments (each one more seek for
    # every search); the bot's upkeep merges them, and every search answers as before. FTS5's
    # own merging (automerge) is off here, so that each question is a segment of its own.
    if db.is_sqlite:
        async with db.unit_of_work() as session:
            for table in ("qa_fts", "qa_titles_fts"):
                await session.execute(
                    text(f"INSERT INTO {table}({table}, rank) VALUES ('automerge', 0)")
                )
    for i in range(40):
        await ask(qa, clock, f"Celery task {i} keeps retrying", f"Broker {i % 3} and redis {i}.")

    async def counted() -> dict[str, int]:
        async with db.read() as session:
            return {
                table: int(
                    await session.scalar(text(f"SELECT count(DISTINCT segid) FROM {table}_idx"))
                    or 0
                )
                for table in ("qa_fts", "qa_titles_fts")
            }

    async def answers() -> list[object]:
        page = await qa.search(GUILD, "celery retrying redis")
        suggested = await qa.suggest(GUILD, "celery ta")
        return [[h.question.id for h in page.hits], page.total, [q.id for q in suggested]]

    before = await answers()
    if not db.is_sqlite:  # PostgreSQL's indexes are kept by autovacuum: nothing to do
        assert await db.tidy_search() == 0
        return
    assert min((await counted()).values()) >= 8
    assert await db.tidy_search(pages=2) >= 1
    assert await counted() == {"qa_fts": 1, "qa_titles_fts": 1}
    assert await answers() == before
    assert await db.tidy_search() == 0  # nothing left to merge


async def test_similar_questions_sharing_the_words_in_their_titles_or_tags_come_first(
    qa: QaService, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A draft is compared with titles and tags first; the details only fill the rest."""
    titled = await ask(qa, clock, "Celery beat schedule", "It drifts.")
    tagged = await ask(qa, clock, "Periodic job timing", "It drifts.", tags="celery, beat")
    detailed = await ask(
        qa,
        clock,
        "Periodic jobs run twice",
        "Celery beat runs it twice: celery beat, celery beat, celery beat, beat, beat.",
    )
    unanswered = await ask(qa, clock, "Celery beat in Docker", "Nobody answered yet.")
    for qid in (titled, tagged, detailed):
        await answer(qa, clock, qid, "Run one beat process only.", HELPER)
    draft = make_draft("Help with celery beat", "x")

    hits = [h.question.id for h in await qa.similar(GUILD, draft)]
    assert sorted(hits[:2]) == sorted([titled, tagged])
    assert hits[2:] == [detailed]  # its details hold the words many times: still after
    assert unanswered not in hits
    assert [h.question.id for h in await qa.similar(GUILD, draft, limit=2)] == hits[:2]
    # Too few titles in the window (the newest one): the details' matches fill the page.
    monkeypatch.setattr(qa_module, "SIMILAR_TITLE_WINDOW", 1)
    hits = [h.question.id for h in await qa.similar(GUILD, draft)]
    assert hits[0] == tagged
    assert sorted(hits[1:]) == sorted([titled, detailed])


async def test_words_no_question_holds_leave_the_rarest_places_to_words_found(
    qa: QaService, clock: Clock
) -> None:
    beat = await ask(qa, clock, "Celery beat schedule", "It drifts.")
    await answer(qa, clock, beat, "Run one beat process only.", HELPER)
    # Four words no question holds (typos, new names) and two it does: the rarest four
    # would be the unknown ones, which can pair with nothing.
    draft = make_draft("Celery beat with flowr, redbeat, kombuu and beatx", "x")
    assert [h.question.id for h in await qa.similar(GUILD, draft)] == [beat]
    nothing = make_draft("Flowr, redbeatz and kombuu", "x")  # none found: still searched
    assert await qa.similar(GUILD, nothing) == []


async def test_the_draft_s_new_keywords_are_counted_together_and_kept(
    qa: QaService, clock: Clock, db: Database
) -> None:
    from sqlalchemy import event

    beat = await ask(qa, clock, "Celery beat schedule", "It drifts after a deploy.")
    await answer(qa, clock, beat, "Run one beat process only.", HELPER)
    statements: list[str] = []
    event.listen(db.engine.sync_engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    # A keyword's count, as each database's index counts it.
    word = "count(*) FROM qa_fts WHERE" if db.is_sqlite else "count(*) FROM qa_search s WHERE"
    draft = make_draft("Celery beat schedule drifts after a deploy", "x")
    assert [h.question.id for h in await qa.similar(GUILD, draft)] == [beat]
    counting = [sql for sql in statements if word in sql]
    assert len(counting) == 1  # every keyword in one statement
    assert counting[0].count(word) >= 4
    statements.clear()
    assert [h.question.id for h in await qa.similar(GUILD, draft)] == [beat]
    assert not [sql for sql in statements if word in sql]  # kept: none counted again
    # A word seen before is kept; only the new one is counted.
    statements.clear()
    await qa.similar(GUILD, make_draft("Celery beat schedule and flower", "x"))
    counting = [sql for sql in statements if word in sql]
    assert len(counting) == 1
    assert counting[0].count(word) == 1


async def test_full_text_matches_are_joined_to_their_questions_through_the_search_index(
    qa: QaService, clock: Clock, db: Database
) -> None:
    """Each match is joined to its question for the server (and the accepted answer): on
    SQLite through ix_qa_questions_search (migration 0016), a few hundred questions a page,
    never the table's pages of whole questions; with a tag, the table (the index has no tags).
    What is found is the same either way."""
    from sqlalchemy import event

    other = GUILD + 1
    for i in range(6):
        qid = await ask(qa, clock, f"Celery task {i} retries", tags="celery" if i % 2 else "")
        if i % 3 == 0:
            posted = await answer(qa, clock, qid, f"Use acks_late for task {i}.")
            if i == 0:
                await qa.accept(GUILD, qid, posted.answer.id, ASKER)
    await qa.ask(other, HELPER, make_draft("Celery retries elsewhere", "Another server.", ""))
    statements: list[tuple[str, object]] = []
    event.listen(
        db.engine.sync_engine,
        "before_cursor_execute",
        lambda _c, _cur, statement, params, *_: statements.append((statement, params)),
    )
    page = await qa.search(GUILD, "celery retries")
    tagged = await qa.search(GUILD, "celery retries", tag="celery")
    suggested = await qa.suggest(GUILD, "celery ret", unaccepted_only=True)
    similar = await qa.similar(GUILD, make_draft("Celery task retries", "acks late?", ""))
    assert page.total == 6  # never the other server's question
    assert tagged.total == 3
    assert len(suggested) == 5  # not the one with an accepted answer
    assert similar
    if not db.is_sqlite:  # PostgreSQL plans its joins itself
        return
    joined = [(s, p) for s, p in statements if "CROSS JOIN qa_questions" in s]
    assert len(joined) >= 4
    async with db.engine.connect() as conn:
        for statement, params in joined:
            plan = " ".join(
                str(row[-1])
                for row in await conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", params)
            )
            if "json_each" in statement:  # the tag filter reads the tags: the table
                assert "USING INTEGER PRIMARY KEY" in plan, plan
            else:
                assert "USING COVERING INDEX ix_qa_questions_search" in plan, plan
