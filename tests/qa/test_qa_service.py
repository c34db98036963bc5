from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from bot.backup import backup_database
from bot.db.engine import Database
from bot.db.models import QaAnswer, QaQuestion
from bot.errors import BadInput, NotAllowed, NotFound
from bot.qa.service import Actor, OnCooldown, QaService, make_draft
from tests.helpers import index_table

GUILD, OTHER_GUILD = 111, 222
ASKER, HELPER, STRANGER, MOD = Actor(1), Actor(2), Actor(3), Actor(4, is_moderator=True)


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


async def ask(
    qa: QaService,
    clock: Clock,
    title: str,
    details: str = "Some details about it.",
    tags: str = "",
    actor: Actor = ASKER,
    guild: int = GUILD,
) -> int:
    clock.advance(3600)  # stay clear of the cooldown
    question = await qa.ask(guild, actor, make_draft(title, details, tags), channel_id=10)
    return question.id


async def answer(qa: QaService, clock: Clock, question_id: int, body: str, actor: Actor = HELPER):
    clock.advance(3600)
    return await qa.answer(GUILD, question_id, actor, body)


async def fts_rows(db: Database) -> dict[int, str]:
    async with db.read() as session:
        table, row_id = index_table(db, "questions")
        rows = (await session.execute(text(f"SELECT {row_id}, answers FROM {table}"))).all()
    return {r[0]: r[1] for r in rows}


async def test_ask_answer_accept_round_trip(qa: QaService, clock: Clock) -> None:
    qid = await ask(qa, clock, "How do I retry a Celery task?", tags="celery, Django")
    question = await qa.get(GUILD, qid)
    assert (question.status, question.tags, question.author_id) == ("open", ("celery", "django"), 1)

    posted = await answer(qa, clock, qid, "Use `autoretry_for` with a backoff.")
    assert posted.question.answer_count == 1
    assert posted.question.status == "answered"

    accepted = await qa.accept(GUILD, qid, posted.answer.id, ASKER)
    assert accepted.question.status == "accepted"
    assert accepted.question.accepted_answer_id == posted.answer.id
    assert accepted.answer.accepted

    _, answers = await qa.answers(GUILD, qid)
    assert [a.accepted for a in answers] == [True]


async def test_accepted_answer_is_listed_first(qa: QaService, clock: Clock) -> None:
    qid = await ask(qa, clock, "Which broker should Celery use?")
    first = await answer(qa, clock, qid, "RabbitMQ.")
    second = await answer(qa, clock, qid, "Redis is fine for most.", actor=STRANGER)
    await qa.accept(GUILD, qid, second.answer.id, MOD)
    _, answers = await qa.answers(GUILD, qid)
    assert [a.id for a in answers] == [second.answer.id, first.answer.id]


async def test_only_asker_or_moderator_may_accept(qa: QaService, clock: Clock) -> None:
    qid = await ask(qa, clock, "Why is my Django query slow?")
    posted = await answer(qa, clock, qid, "Look for N+1 queries.")
    for outsider in (HELPER, STRANGER):
        with pytest.raises(NotAllowed, match="Only the member who asked"):
            await qa.accept(GUILD, qid, posted.answer.id, outsider)
        with pytest.raises(NotAllowed):
            await qa.can_accept(GUILD, qid, outsider)
    assert (await qa.get(GUILD, qid)).accepted_answer_id is None
    await qa.can_accept(GUILD, qid, ASKER)
    await qa.accept(GUILD, qid, posted.answer.id, MOD)


async def test_accepting_an_answer_of_another_question_is_refused(
    qa: QaService, clock: Clock
) -> None:
    first = await ask(qa, clock, "First question about caching")
    second = await ask(qa, clock, "Second question about caching")
    other = await answer(qa, clock, second, "An answer to the second one.")
    with pytest.raises(NotFound, match="has no answer"):
        await qa.accept(GUILD, first, other.answer.id, ASKER)


async def test_questions_are_scoped_by_server(qa: QaService, clock: Clock) -> None:
    qid = await ask(qa, clock, "A question in another server", guild=OTHER_GUILD)
    with pytest.raises(NotFound):
        await qa.get(GUILD, qid)
    with pytest.raises(NotFound):
        await qa.answer(GUILD, qid, HELPER, "Hello")
    assert await qa.suggest(GUILD, "") == []
    with pytest.raises(BadInput):
        await qa.search(GUILD, "!!!")
    assert (await qa.search(GUILD, "question")).total == 0
    assert (await qa.search(OTHER_GUILD, "question")).total == 1


async def test_ask_and_answer_cooldowns(qa: QaService, clock: Clock) -> None:
    draft = make_draft("How do I deploy with Docker?", "Details.")
    first = await qa.ask(GUILD, ASKER, draft)
    clock.advance(10)
    with pytest.raises(OnCooldown, match="ask again in 50 s") as info:
        await qa.ask(GUILD, ASKER, draft)
    assert info.value.retry_after == pytest.approx(50)
    with pytest.raises(OnCooldown):
        await qa.check_ask_cooldown(GUILD, ASKER.user_id)
    await qa.check_ask_cooldown(OTHER_GUILD, ASKER.user_id)  # per server
    await qa.ask(GUILD, HELPER, draft)  # per member
    clock.advance(51)
    await qa.check_ask_cooldown(GUILD, ASKER.user_id)

    await qa.answer(GUILD, first.id, HELPER, "Use a multi-stage build.")
    clock.advance(5)
    with pytest.raises(OnCooldown, match="answer again"):
        await qa.answer(GUILD, first.id, HELPER, "And a slim image.")
    with pytest.raises(OnCooldown):
        await qa.check_answer_cooldown(GUILD, HELPER.user_id)
    clock.advance(20)
    await qa.answer(GUILD, first.id, HELPER, "And a slim image.")
    async with qa._db.read() as session:
        assert await session.scalar(select(func.count(QaQuestion.id))) == 2
        assert await session.scalar(select(func.count(QaAnswer.id))) == 2


async def test_edit_and_delete_rights(qa: QaService, clock: Clock) -> None:
    qid = await ask(qa, clock, "How do I paginate in DRF?")
    posted = await answer(qa, clock, qid, "Use PageNumberPagination.")
    new = make_draft("How do I paginate a DRF viewset?", "With cursor pagination?", "drf")
    with pytest.raises(NotAllowed, match="your own questions"):
        await qa.edit_question(GUILD, qid, STRANGER, new)
    with pytest.raises(NotAllowed, match="your own answers"):
        await qa.edit_answer(GUILD, posted.answer.id, ASKER, "Changed.")
    with pytest.raises(NotAllowed):
        await qa.delete_answer(GUILD, posted.answer.id, STRANGER)
    with pytest.raises(NotAllowed):
        await qa.delete_question(GUILD, qid, HELPER)

    edited = await qa.edit_question(GUILD, qid, ASKER, new)
    assert (edited.title, edited.tags, edited.edited_at) == (new.title, ("drf",), clock.now)
    moderated = await qa.edit_answer(GUILD, posted.answer.id, MOD, "Use CursorPagination.")
    assert moderated.answer.body == "Use CursorPagination."
    assert (await qa.search(GUILD, "cursorpagination")).total == 1
    assert (await qa.search(GUILD, "pagenumberpagination")).total == 0


async def test_deleting_a_question_deletes_its_answers(
    qa: QaService, clock: Clock, db: Database
) -> None:
    qid = await ask(qa, clock, "How do I cache a view in Django?")
    keep = await ask(qa, clock, "How do I cache with Redis?")
    first = await answer(qa, clock, qid, "cache_page decorator.")
    await answer(qa, clock, qid, "Or the low-level cache API.", actor=STRANGER)
    await answer(qa, clock, keep, "django-redis.")
    await qa.record_notice(first.answer.id, 555)
    removed = await qa.delete_question(GUILD, qid, MOD)
    assert removed.question.answer_count == 2
    assert removed.notices == ((10, 555),)  # the notice that shows the answer goes too
    async with db.read() as session:
        left = (await session.scalars(select(QaAnswer.question_id))).all()
    assert left == [keep]
    assert set(await fts_rows(db)) == {keep}
    with pytest.raises(NotFound):
        await qa.get(GUILD, qid)


async def test_deleting_the_accepted_answer_reopens_the_question(
    qa: QaService, clock: Clock
) -> None:
    qid = await ask(qa, clock, "How do I version a REST API?")
    posted = await answer(qa, clock, qid, "In the URL: /v1/.")
    await qa.accept(GUILD, qid, posted.answer.id, ASKER)
    await qa.record_notice(posted.answer.id, 777)
    removed = await qa.delete_answer(GUILD, posted.answer.id, HELPER)
    assert (removed.question.status, removed.question.answer_count) == ("open", 0)
    assert (removed.answer.id, removed.answer.notice_message_id) == (posted.answer.id, 777)


async def test_a_failing_change_writes_nothing(qa: QaService, clock: Clock, db: Database) -> None:
    qid = await ask(qa, clock, "Is this transaction atomic?")
    before = await fts_rows(db)
    with pytest.raises(BadInput):
        await qa.answer(GUILD, qid, HELPER, "@everyone look")
    with pytest.raises(NotFound):
        await qa.answer(GUILD, 999_999, HELPER, "An answer to nothing")
    assert await fts_rows(db) == before
    assert (await qa.get(GUILD, qid)).answer_count == 0


async def test_search_ranks_highlights_filters_and_paginates(qa: QaService, clock: Clock) -> None:
    celery = await ask(qa, clock, "Celery task retries with backoff", tags="celery")
    await answer(qa, clock, celery, "Set retry_backoff=True on the task.")
    await ask(qa, clock, "Deploying Django with gunicorn", "Workers and retries?", tags="deploy")
    only_answer = await ask(qa, clock, "Background jobs keep failing")
    await answer(qa, clock, only_answer, "Use exponential backoff between attempts.")
    for i in range(12):
        await ask(qa, clock, f"Filler question number {i} about python")

    page = await qa.search(GUILD, "retries")
    assert page.hits[0].question.id == celery  # the title weighs most
    assert "**" in page.hits[0].snippet
    by_answer = await qa.search(GUILD, "exponential")
    assert [h.question.id for h in by_answer.hits] == [only_answer]
    assert "**exponential**" in by_answer.hits[0].snippet

    assert [h.question.id for h in (await qa.search(GUILD, "retries", tag="celery")).hits] == [
        celery
    ]
    assert {h.question.id for h in (await qa.search(GUILD, "retries", status="open")).hits} == {
        celery + 1
    }
    assert {h.question.id for h in (await qa.search(GUILD, "retries", status="answered")).hits} == {
        celery
    }

    first = await qa.search(GUILD, "python", per_page=5)
    assert (first.total, first.pages, len(first.hits)) == (12, 3, 5)
    last = await qa.search(GUILD, "python", page=99, per_page=5)
    assert (last.page, len(last.hits)) == (3, 2)
    assert {h.question.id for h in last.hits}.isdisjoint({h.question.id for h in first.hits})
    # no question has every word: any word will do
    assert (await qa.search(GUILD, "celery zzznothing")).total == 1


@pytest.mark.parametrize(
    "query",
    [
        '"',
        "AND",
        "OR NOT",
        "NEAR(",
        "*",
        "title:x",
        "(((",
        "'); DROP TABLE qa_questions;--",
        "c++",
        "node.js",
        "ci/cd",
        "a" * 500,
        "🙂",
        "@everyone",
        "\u200b\u202e",
        "\x00",
        "{title}",
    ],
)
async def test_search_and_suggest_survive_hostile_text(
    qa: QaService, clock: Clock, query: str
) -> None:
    await ask(qa, clock, "How do I call a C++ library from node.js?", tags="c++ node.js")
    try:
        page = await qa.search(GUILD, query)
    except BadInput:
        pass
    else:
        assert page.total >= 0
    assert len(await qa.suggest(GUILD, query)) <= 25
    assert await qa.answered_matches(GUILD, query) == []


async def test_similar_finds_answered_look_alikes_only(qa: QaService, clock: Clock) -> None:
    answered = await ask(qa, clock, "How do I retry failed Celery tasks?", tags="celery")
    await answer(qa, clock, answered, "autoretry_for and retry_backoff.")
    unanswered = await ask(qa, clock, "Retry failed celery tasks automatically")
    unrelated = await ask(qa, clock, "How do I set up a Django project?")
    await answer(qa, clock, unrelated, "django-admin startproject.")

    draft = make_draft("Celery task retry after a failure", "It fails sometimes.")
    similar = await qa.similar(GUILD, draft)
    assert [h.question.id for h in similar] == [answered]
    assert unanswered not in [h.question.id for h in similar]
    # sharing one common word is not enough to look alike
    assert await qa.similar(GUILD, make_draft("How do I retry an HTTP request?", "x")) == []
    # a draft made only of filler words finds nothing rather than everything
    assert await qa.similar(GUILD, make_draft("How do I do it, please?", "x")) == []


async def test_similar_returns_at_most_three(qa: QaService, clock: Clock) -> None:
    for i in range(5):
        qid = await ask(qa, clock, f"Redis cache invalidation strategy {i}")
        await answer(qa, clock, qid, "Delete on write.")
    hits = await qa.similar(GUILD, make_draft("Redis cache invalidation", "?"))
    assert len(hits) == 3


async def test_suggest_by_number_words_and_openness(qa: QaService, clock: Clock) -> None:
    first = await ask(qa, clock, "Postgres connection pooling with pgbouncer")
    second = await ask(qa, clock, "Postgres indexes for LIKE queries")
    posted = await answer(qa, clock, second, "Use a trigram index.")
    await qa.accept(GUILD, second, posted.answer.id, ASKER)

    assert (await qa.suggest(GUILD, f"#{first}"))[0].id == first
    assert {q.id for q in await qa.suggest(GUILD, "postg")} == {first, second}
    assert [q.id for q in await qa.suggest(GUILD, "postg", unaccepted_only=True)] == [first]
    assert [q.id for q in await qa.suggest(GUILD, "", unaccepted_only=True)] == [first]
    assert [q.id for q in await qa.suggest(GUILD, "")] == [first, second]  # unanswered first


async def test_mine_and_unanswered_lists(qa: QaService, clock: Clock) -> None:
    ids = [await ask(qa, clock, f"Question number {i} of mine") for i in range(12)]
    theirs = await ask(qa, clock, "Somebody else's question", actor=STRANGER)
    await answer(qa, clock, ids[0], "Answered.")

    mine = await qa.mine(GUILD, ASKER.user_id)
    assert (mine.total, mine.pages, mine.questions[0].id) == (12, 2, ids[-1])
    assert len((await qa.mine(GUILD, ASKER.user_id, page=2)).questions) == 2

    unanswered = await qa.unanswered(GUILD, per_page=20)
    assert [q.id for q in unanswered.questions] == [*ids[1:], theirs]  # oldest first
    assert unanswered.kind == "open"


async def test_answered_matches_for_general_search(qa: QaService, clock: Clock) -> None:
    qid = await ask(qa, clock, "Celery beat schedule in UTC")
    await ask(qa, clock, "Celery beat never fires")  # unanswered: not shown
    await answer(qa, clock, qid, "Set CELERY_TIMEZONE.")
    hits = await qa.answered_matches(GUILD, "celery beat")
    assert [h.question.id for h in hits] == [qid]
    assert await qa.answered_matches(OTHER_GUILD, "celery beat") == []


async def test_channel_setting_needs_manage_server(qa: QaService) -> None:
    assert await qa.channel_for(GUILD) is None
    with pytest.raises(NotAllowed, match="Manage Server"):
        await qa.set_channel(GUILD, 42, can_manage=False)
    await qa.set_channel(GUILD, 42, can_manage=True)
    assert await qa.channel_for(GUILD) == 42
    await qa.set_channel(GUILD, None, can_manage=True)
    assert await qa.channel_for(GUILD) is None


async def test_attach_message_and_discard(qa: QaService, clock: Clock, db: Database) -> None:
    qid = await ask(qa, clock, "Posted somewhere, hopefully")
    await qa.attach_message(qid, 77, 88)
    question = await qa.get(GUILD, qid)
    assert (question.channel_id, question.message_id) == (77, 88)
    await qa.discard(qid)
    with pytest.raises(NotFound):
        await qa.get(GUILD, qid)
    assert await fts_rows(db) == {}


async def test_forget_me_deletes_everything_written(
    qa: QaService, clock: Clock, db: Database
) -> None:
    own = await ask(qa, clock, "My own question to forget")
    to_mine = await answer(qa, clock, own, "Someone else's answer to it.", actor=STRANGER)
    theirs = await ask(qa, clock, "Their question I answered", actor=STRANGER)
    mine = await answer(qa, clock, theirs, "My answer with a secret word xylophone.", actor=ASKER)
    other = await answer(qa, clock, theirs, "Another answer stays.", actor=HELPER)
    for posted, notice in ((to_mine, 1001), (mine, 1002), (other, 1003)):
        await qa.record_notice(posted.answer.id, notice)
    await qa.accept(GUILD, theirs, mine.answer.id, STRANGER)
    elsewhere = await ask(qa, clock, "My question in another server", guild=OTHER_GUILD)

    assert await qa.written_by(ASKER.user_id) == (2, 1)
    report = await qa.forget(ASKER.user_id, "delete")
    assert (report.questions, report.answers) == (2, 1)
    assert {q.id for q in report.deleted} == {own, elsewhere}
    assert [q.id for q in report.changed] == [theirs]
    assert report.changed[0].accepted_answer_id is None
    assert report.changed[0].answer_count == 1
    assert sorted(report.deleted_notices) == [(10, 1001), (10, 1002)]

    assert await qa.written_by(ASKER.user_id) == (0, 0)
    assert (await qa.search(GUILD, "xylophone")).total == 0
    assert set(await fts_rows(db)) == {theirs}
    async with db.read() as session:
        assert await session.scalar(select(func.count(QaAnswer.id))) == 1


async def test_forget_me_anonymises_when_chosen(qa: QaService, clock: Clock) -> None:
    own = await ask(qa, clock, "My question to anonymise")
    theirs = await ask(qa, clock, "Their question", actor=STRANGER)
    mine = await answer(qa, clock, theirs, "My useful answer.", actor=ASKER)
    to_mine = await answer(qa, clock, own, "An answer to my question.", actor=HELPER)
    unrelated = await answer(qa, clock, theirs, "Not touched.", actor=HELPER)
    for posted, notice in ((mine, 2001), (to_mine, 2002), (unrelated, 2003)):
        await qa.record_notice(posted.answer.id, notice)

    report = await qa.forget(ASKER.user_id, "anonymise")
    assert (report.questions, report.answers, report.deleted) == (1, 1, ())
    assert [q.author_id for q in report.changed] == [None]
    notices = {p.answer.notice_message_id: p for p in report.changed_notices}
    assert set(notices) == {2001, 2002}  # both now name "a former member"
    assert notices[2001].answer.author_id is None
    assert notices[2002].question.author_id is None
    assert report.deleted_notices == ()
    assert (await qa.get(GUILD, own)).author_id is None
    assert (await qa.get_answer(GUILD, mine.answer.id)).author_id is None
    assert (await qa.search(GUILD, "useful")).total == 1  # the text stays findable
    assert await qa.written_by(ASKER.user_id) == (0, 0)
    # nobody owns an anonymous question any more: only moderators may change it
    with pytest.raises(NotAllowed):
        await qa.delete_question(GUILD, own, ASKER)
    await qa.delete_question(GUILD, own, MOD)


async def test_suggest_answers_lists_what_the_actor_may_change(qa: QaService, clock: Clock) -> None:
    qid = await ask(qa, clock, "How do I log in JSON?")
    mine = await answer(qa, clock, qid, "Use python-json-logger, 100% works.")
    theirs = await answer(qa, clock, qid, "structlog", actor=STRANGER)
    assert [a.id for a in await qa.suggest_answers(GUILD, HELPER, "")] == [mine.answer.id]
    assert [a.id for a in await qa.suggest_answers(GUILD, HELPER, "100%")] == [mine.answer.id]
    assert await qa.suggest_answers(GUILD, HELPER, "50%") == []
    assert [a.id for a in await qa.suggest_answers(GUILD, MOD, "")] == [
        theirs.answer.id,
        mine.answer.id,
    ]
    assert [a.id for a in await qa.suggest_answers(GUILD, MOD, f"#{theirs.answer.id}")] == [
        theirs.answer.id
    ]
    assert await qa.suggest_answers(OTHER_GUILD, MOD, "") == []


@pytest.mark.finding("5 cooldowns checked outside the write")
async def test_cooldowns_hold_for_forms_sent_at_the_same_moment(
    qa: QaService, clock: Clock
) -> None:
    """Ten forms sent at once by one member: the cooldown lets exactly one through, for
    questions and for answers (the check and the write are one step)."""
    import asyncio

    drafts = [make_draft(f"Question number {n} about caching", "Details.") for n in range(10)]
    asked = await asyncio.gather(
        *(qa.ask(GUILD, ASKER, draft, channel_id=10) for draft in drafts), return_exceptions=True
    )
    stored = [q for q in asked if not isinstance(q, BaseException)]
    assert len(stored) == 1, asked
    assert all(isinstance(q, OnCooldown) for q in asked if isinstance(q, BaseException))
    answered = await asyncio.gather(
        *(qa.answer(GUILD, stored[0].id, HELPER, f"Answer {n}: use a cache.") for n in range(10)),
        return_exceptions=True,
    )
    assert sum(not isinstance(a, BaseException) for a in answered) == 1, answered
    assert all(isinstance(a, OnCooldown) for a in answered if isinstance(a, BaseException))


@pytest.mark.sqlite
@pytest.mark.finding("1 forget-me leaves the words on disk")
async def test_forgotten_words_are_gone_from_the_disk(
    qa: QaService, clock: Clock, db: Database, tmp_path: Path
) -> None:
    """After forget-me, the words are nowhere in the database file, its write-ahead log or a
    backup taken afterwards (full-text shadow tables and freed pages included)."""
    secret_title, secret_body = "Zanzibarquux question title", "plumbobwizzle answer body"
    for n in range(30):  # enough text around for the index to keep several segments
        await ask(qa, clock, f"Some other question number {n} about caching", actor=HELPER)
    own = await ask(qa, clock, f"{secret_title} here", "details with qwertyfrobnic inside")
    theirs = await ask(qa, clock, "Their question I answered", actor=STRANGER)
    await answer(qa, clock, theirs, f"My answer, {secret_body}.", actor=ASKER)
    await qa.forget(ASKER.user_id, "delete")
    await qa.wipe_traces()
    assert db.file is not None
    backup = backup_database(db.file, tmp_path / "after.db")
    assert backup.path.exists()
    files = [db.file, Path(f"{db.file}-wal"), backup.path]
    for word in (b"Zanzibarquux", b"plumbobwizzle", b"qwertyfrobnic"):
        for file in files:
            if file.exists():
                assert word not in file.read_bytes(), f"{word!r} is still in {file.name}"
    assert own not in await fts_rows(db)
