"""Recognition in the core: votes (one per member, never one's own), points counted from
accepted answers and votes, the leaderboard by period on a controlled clock, profiles,
forget-me, and a server's Q&A health."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bot.core.actor import Actor
from bot.db.engine import Database
from bot.db.models import QaQuestion, QaVote
from bot.errors import NotAllowed, NotFound
from bot.qa import ACCEPTED_POINTS, LEADERBOARD_SIZE, VOTE_POINTS
from bot.qa.service import QaService
from tests.qa.test_qa_service import (
    ASKER,
    GUILD,
    HELPER,
    MOD,
    OTHER_GUILD,
    STRANGER,
    Clock,
    answer,
    ask,
)

DAY = timedelta(days=1).total_seconds()


async def answered(qa: QaService, clock: Clock, by: Actor = HELPER, asker: Actor = ASKER) -> int:
    """A question by `asker`, answered by `by`: the answer's id."""
    qid = await ask(qa, clock, "How do I retry a Celery task?", actor=asker)
    return (await answer(qa, clock, qid, "Use autoretry_for.", by)).answer.id


async def accept(qa: QaService, answer_id: int, by: Actor = ASKER) -> None:
    found = await qa.get_answer(GUILD, answer_id)
    await qa.accept(GUILD, found.question_id, answer_id, by)


async def votes_stored(db: Database) -> int:
    async with db.read() as session:
        return int(await session.scalar(select(func.count(QaVote.id))) or 0)


# -- votes -------------------------------------------------------------------------------------


async def test_a_second_vote_takes_the_first_back(qa: QaService, clock: Clock) -> None:
    aid = await answered(qa, clock)
    first = await qa.vote(GUILD, aid, ASKER)
    assert (first.added, first.votes, first.answer.id) == (True, 1, aid)
    assert (await qa.vote(GUILD, aid, STRANGER)).votes == 2
    again = await qa.vote(GUILD, aid, ASKER)
    assert (again.added, again.votes) == (False, 1)
    assert await qa.vote_counts([aid]) == {aid: 1}
    assert (await qa.vote(GUILD, aid, ASKER)).votes == 2  # and a third casts it again


async def test_nobody_votes_for_their_own_answer(qa: QaService, clock: Clock, db: Database) -> None:
    aid = await answered(qa, clock)
    with pytest.raises(NotAllowed, match="your own answer"):
        await qa.vote(GUILD, aid, HELPER)
    assert await votes_stored(db) == 0


async def test_votes_stay_in_their_server(qa: QaService, clock: Clock) -> None:
    aid = await answered(qa, clock)
    with pytest.raises(NotFound, match=f"no answer #{aid}"):
        await qa.vote(OTHER_GUILD, aid, ASKER)
    with pytest.raises(NotFound):
        await qa.vote(GUILD, aid + 1000, ASKER)


async def test_votes_go_with_their_answer(qa: QaService, clock: Clock, db: Database) -> None:
    aid = await answered(qa, clock)
    await qa.vote(GUILD, aid, ASKER)
    await qa.delete_answer(GUILD, aid, HELPER)
    assert await votes_stored(db) == 0


# -- points and the leaderboard ----------------------------------------------------------------


async def test_points_are_accepted_answers_and_votes(qa: QaService, clock: Clock) -> None:
    aid = await answered(qa, clock)
    await accept(qa, aid)
    await qa.vote(GUILD, aid, ASKER)
    await qa.vote(GUILD, aid, STRANGER)
    board = await qa.leaderboard(GUILD, "all", ASKER.user_id)
    [top] = board.top
    assert (top.user_id, top.accepted, top.votes, top.rank) == (HELPER.user_id, 1, 2, 1)
    assert top.points == ACCEPTED_POINTS + 2 * VOTE_POINTS == 14
    assert (await qa.leaderboard(OTHER_GUILD, "all", ASKER.user_id)).top == ()


async def test_accepting_ones_own_answer_earns_nothing(qa: QaService, clock: Clock) -> None:
    aid = await answered(qa, clock, by=ASKER, asker=ASKER)
    await accept(qa, aid)
    assert (await qa.leaderboard(GUILD, "all", ASKER.user_id)).top == ()
    assert (await qa.profile(GUILD, ASKER.user_id)).accepted == 0


async def test_the_period_counts_by_when_points_were_earned(qa: QaService, clock: Clock) -> None:
    old = await answered(qa, clock)
    await accept(qa, old)  # 40 days ago: all time only
    clock.advance(20 * DAY)
    recent = await answered(qa, clock)
    await accept(qa, recent)  # 20 days ago: this month and all time
    clock.advance(18 * DAY)
    await qa.vote(GUILD, old, ASKER)  # 2 days ago: every period
    clock.advance(2 * DAY)

    def points(board: object) -> int:
        return sum(s.points for s in board.top)  # type: ignore[attr-defined]

    assert points(await qa.leaderboard(GUILD, "week", 0)) == VOTE_POINTS
    assert points(await qa.leaderboard(GUILD, "month", 0)) == ACCEPTED_POINTS + VOTE_POINTS
    assert points(await qa.leaderboard(GUILD, "all", 0)) == 2 * ACCEPTED_POINTS + VOTE_POINTS
    clock.advance(6 * DAY)
    assert (await qa.leaderboard(GUILD, "week", 0)).top == ()
    week = await qa.leaderboard(GUILD, "week", 0)
    assert week.since == clock.now - timedelta(days=7)


async def test_equal_points_go_to_who_got_there_first(qa: QaService, clock: Clock) -> None:
    late = await answered(qa, clock, by=STRANGER)
    early = await answered(qa, clock, by=HELPER)
    await qa.vote(GUILD, early, ASKER)
    clock.advance(60)
    await qa.vote(GUILD, late, ASKER)
    board = await qa.leaderboard(GUILD, "all", 0)
    assert [(s.user_id, s.rank) for s in board.top] == [(HELPER.user_id, 1), (STRANGER.user_id, 2)]
    await qa.vote(GUILD, late, MOD)  # one more: ahead, whenever it came
    board = await qa.leaderboard(GUILD, "all", 0)
    assert [s.user_id for s in board.top] == [STRANGER.user_id, HELPER.user_id]


async def test_the_top_ten_and_where_the_asker_stands(qa: QaService, clock: Clock) -> None:
    members = [Actor(100 + i) for i in range(LEADERBOARD_SIZE + 2)]
    for votes, member in enumerate(members, start=1):
        aid = await answered(qa, clock, by=member)
        for voter in range(votes):
            await qa.vote(GUILD, aid, Actor(1000 + voter))
    last = members[0]  # the fewest votes
    board = await qa.leaderboard(GUILD, "all", last.user_id)
    assert len(board.top) == LEADERBOARD_SIZE
    assert board.top[0].user_id == members[-1].user_id
    assert board.ranked == len(members)
    assert board.me is not None
    assert (board.me.user_id, board.me.rank, board.me.points) == (
        last.user_id,
        len(members),
        VOTE_POINTS,
    )
    inside = await qa.leaderboard(GUILD, "all", members[-1].user_id)
    assert inside.me is None  # already on the board


# -- profiles and forgetting -------------------------------------------------------------------


async def test_a_profile_counts_what_the_member_did(qa: QaService, clock: Clock) -> None:
    aid = await answered(qa, clock)
    await accept(qa, aid)
    await qa.vote(GUILD, aid, STRANGER)
    await ask(qa, clock, "A question by the helper", actor=HELPER)
    profile = await qa.profile(GUILD, HELPER.user_id)
    assert (profile.questions, profile.answers, profile.accepted, profile.votes) == (1, 1, 1, 1)
    assert (profile.points, profile.rank, profile.empty) == (
        ACCEPTED_POINTS + VOTE_POINTS,
        1,
        False,
    )
    asker = await qa.profile(GUILD, ASKER.user_id)
    assert (asker.questions, asker.answers, asker.points, asker.rank) == (1, 0, 0, None)
    assert (await qa.profile(GUILD, STRANGER.user_id)).empty
    assert (await qa.profile(OTHER_GUILD, HELPER.user_id)).empty


@pytest.mark.parametrize("mode", ["delete", "anonymise"])
async def test_forgetting_takes_votes_and_points_away(
    qa: QaService, clock: Clock, db: Database, mode: str
) -> None:
    theirs = await answered(qa, clock, by=HELPER)
    await accept(qa, theirs)
    await qa.vote(GUILD, theirs, STRANGER)
    others = await answered(qa, clock, by=STRANGER)
    await qa.vote(GUILD, others, HELPER)
    assert await qa.votes_by(HELPER.user_id) == 1

    report = await qa.forget(HELPER.user_id, mode)  # type: ignore[arg-type]
    assert report.votes == 1
    assert await qa.votes_by(HELPER.user_id) == 0
    board = await qa.leaderboard(GUILD, "all", HELPER.user_id)
    assert [s.user_id for s in board.top] == []  # STRANGER's only vote was HELPER's
    assert (await qa.profile(GUILD, HELPER.user_id)).empty
    assert await qa.vote_counts([others]) == {}
    if mode == "delete":
        assert await votes_stored(db) == 0  # the votes on their answer went with it


async def test_taking_an_accepted_answer_away_forgets_when(
    qa: QaService, clock: Clock, db: Database
) -> None:
    aid = await answered(qa, clock)
    await accept(qa, aid)
    async with db.read() as session:
        assert await session.scalar(select(QaQuestion.accepted_at)) == clock.now
    await qa.delete_answer(GUILD, aid, HELPER)
    async with db.read() as session:
        assert await session.scalar(select(QaQuestion.accepted_at)) is None


# -- a server's health -------------------------------------------------------------------------


async def test_health_of_a_server_over_a_window(qa: QaService, clock: Clock) -> None:
    old = await ask(qa, clock, "Asked before the window")  # answered, but 8 days ago
    await answer(qa, clock, old, "Late.")
    clock.advance(7 * DAY)
    for minutes in (10, 30, 120):
        qid = await ask(qa, clock, f"Question answered in {minutes} minutes")
        clock.advance(minutes * 60)
        posted = await qa.answer(GUILD, qid, HELPER, "An answer.")
        clock.advance(3600)
        await qa.accept(GUILD, qid, posted.answer.id, ASKER)  # an hour after the answer
    await ask(qa, clock, "Still open")
    await ask(qa, clock, "Asked in another server", guild=OTHER_GUILD)

    week = await qa.community(GUILD, timedelta(days=7))
    assert (week.asked, week.answered, week.accepted) == (4, 3, 3)
    assert week.answered_share == 0.75
    assert week.median_first_answer == 30 * 60
    assert week.median_accept == 90 * 60
    month = await qa.community(GUILD, timedelta(days=30))
    assert (month.asked, month.answered) == (5, 4)
    assert (await qa.community(OTHER_GUILD, timedelta(days=7))).asked == 1
    empty = await qa.community(GUILD + OTHER_GUILD, timedelta(days=7))  # nothing asked there
    assert (empty.asked, empty.answered_share, empty.median_first_answer) == (0, None, None)


async def test_clicks_at_once_are_taken_in_turn(qa: QaService, clock: Clock) -> None:
    aid = await answered(qa, clock)
    voters = [Actor(500 + i) for i in range(6)]
    cast = await asyncio.gather(*(qa.vote(GUILD, aid, voter) for voter in voters))
    assert all(v.added for v in cast)
    assert await qa.vote_counts([aid]) == {aid: len(voters)}
    # One member pressing twice at once: one press casts, the other takes it back.
    twice = await asyncio.gather(qa.vote(GUILD, aid, ASKER), qa.vote(GUILD, aid, ASKER))
    assert sorted(v.added for v in twice) == [False, True]
    assert await qa.vote_counts([aid]) == {aid: len(voters)}
