"""Q&A follow-ups: the pending ones are found along an index.

A question's `nudged_at` is now also set by its first answer, and `solved_check_at` by an
accept or a close (bot.qa.forum), so only pending follow-ups stay empty and the rounds of
bot.qa.followups read them along `ix_qa_questions_nudged` and `ix_qa_questions_solved_check`.
(Questions stored between revisions 0012 and this one keep their marks as they are: the rounds
still skip those that need nothing, they are only read again.)

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Index the follow-up marks."""
    with op.batch_alter_table("qa_questions") as batch:
        batch.create_index("ix_qa_questions_nudged", ["nudged_at"])
        batch.create_index("ix_qa_questions_solved_check", ["solved_check_at"])


def downgrade() -> None:
    """Drop the indexes."""
    with op.batch_alter_table("qa_questions") as batch:
        batch.drop_index("ix_qa_questions_solved_check")
        batch.drop_index("ix_qa_questions_nudged")
