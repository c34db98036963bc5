"""/qa mine and /qa open at scale: each list walks an index of its own (migration 0017) and
stops at its page, instead of every question of the server sorted. At 100,000 questions in
one server, `/qa mine` took 80 ms and `/qa open`'s first page 190-560 ms."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import event, update

from bot.db.engine import Database
from bot.db.models import QaQuestion
from bot.qa.service import QaService, make_draft
from tests.qa.test_qa_service import ASKER, GUILD, OTHER_GUILD, STRANGER, Clock, answer, ask


async def test_the_lists_read_through_their_indexes_and_stop_at_the_page(
    qa: QaService, clock: Clock, db: Database
) -> None:
    mine = [await ask(qa, clock, f"My question number {n}") for n in range(7)]
    theirs = [await ask(qa, clock, f"Their question {n}", actor=STRANGER) for n in range(8)]
    await qa.ask(OTHER_GUILD, ASKER, make_draft("Mine, in another server", "Details of it."))
    await answer(qa, clock, mine[1], "Answered.")
    await answer(qa, clock, theirs[0], "Answered too.")
    closed, older = theirs[2], theirs[5]
    async with db.unit_of_work() as session:
        await session.execute(
            update(QaQuestion).where(QaQuestion.id == closed).values(closed_at=clock.now)
        )
        # Asked before the others (a post the bot took in late): the oldest open question.
        first = clock.now - timedelta(days=30)
        await session.execute(
            update(QaQuestion).where(QaQuestion.id == older).values(created_at=first)
        )

    statements: list[tuple[str, object]] = []

    def record(_c: object, _cur: object, statement: str, params: object, *_: object) -> None:
        statements.append((statement, params))

    event.listen(db.engine.sync_engine, "before_cursor_execute", record)
    listed = await qa.mine(GUILD, ASKER.user_id, per_page=5)
    second = await qa.mine(GUILD, ASKER.user_id, page=2, per_page=5)
    open_first = await qa.unanswered(GUILD, per_page=4)
    open_rest = await qa.unanswered(GUILD, page=2, per_page=4)
    event.remove(db.engine.sync_engine, "before_cursor_execute", record)

    assert (listed.total, listed.pages) == (7, 2)  # not the other server's
    assert [q.id for q in listed.questions + second.questions] == mine[::-1]
    gone = (mine[1], theirs[0], closed, older)  # answered, closed, or listed first
    expected_open = [older, *(q for q in mine + theirs if q not in gone)]
    assert open_first.total == len(expected_open) == 12
    assert [q.id for q in open_first.questions + open_rest.questions] == expected_open[:8]
    if not db.is_sqlite:  # PostgreSQL plans with its own statistics
        return
    lists = [(s, p) for s, p in statements if "FROM qa_questions" in s and "qa_fts" not in s]
    assert len(lists) == 8  # a count and a page each
    async with db.engine.connect() as conn:
        for statement, params in lists:
            plan = " ".join(
                str(row[-1])
                for row in await conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", params)
            )
            index = "guild_author" if "author_id = ?" in statement else "guild_open"
            assert f"INDEX ix_qa_questions_{index}" in plan, plan
            assert "TEMP B-TREE" not in plan, plan  # no sort of everything: it stops at the page
