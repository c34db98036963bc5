"""The benchmark's database (bench/data.py) is a community's history as the bot leaves it:
the follow-ups that came due were sent when they came due, so the bench's bot does not spend
its measurements sending a backlog.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select

from bench.data import Plan, build
from bench.vocab import Vocabulary
from bot.db.engine import Database
from bot.db.models import QaAnswer, QaQuestion
from bot.qa import QaService
from bot.qa.followups import NUDGE_AFTER_HOURS, SOLVED_CHECK_AFTER
from tests.helpers import REPO

GUILD = 4_000_000_000_000_000


async def test_a_built_history_owes_no_follow_up_and_stamps_each_when_it_came_due(
    tmp_path: Path,
) -> None:
    path = tmp_path / "bench.db"
    vocab = Vocabulary.from_content(REPO / "content")
    await build(path, Plan(600, 0, 0, GUILD), vocab, REPO / "content", None, lambda _: None)
    db = Database(f"sqlite+aiosqlite:///{path}")
    try:
        qa = QaService(db)
        assert await qa.due_nudges() == []
        assert await qa.due_solved_checks() == []
        first = (
            select(func.min(QaAnswer.created_at))
            .where(QaAnswer.question_id == QaQuestion.id)
            .scalar_subquery()
        )
        async with db.read() as session:
            rows = (await session.execute(select(QaQuestion, first))).all()
    finally:
        await db.close()
    now = datetime.now(UTC)
    nudged = checked = 0
    for question, first_answer in rows:
        created = question.created_at
        due = created + timedelta(hours=NUDGE_AFTER_HOURS)
        if first_answer is None or first_answer > due:
            assert question.nudged_at == due
            nudged += 1
        else:
            assert question.nudged_at is None
        if first_answer is None or question.accepted_answer_id is not None:
            assert question.solved_check_at is None
        elif first_answer + SOLVED_CHECK_AFTER <= now:
            assert question.solved_check_at == first_answer + SOLVED_CHECK_AFTER
            checked += 1
        else:  # still to come: the bot will send it when it is due
            assert question.solved_check_at is None
    assert nudged > 50
    assert checked > 50
