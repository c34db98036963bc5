"""Q&A follow-ups: nudges of unanswered questions, the asker's solved check, a weekly digest.

`qa_questions.nudged_at` and `solved_check_at` record that a question's nudge and its asker's
"did an answer solve it?" went out: bot.qa.followups sets each in the statement that claims it,
so each is sent once. `qa_settings` gains a server's choices (`nudge_after_hours`,
`helper_role_id`, `mentors_channel_id`) and `digest_week`, the ISO week whose digest went out.
Questions asked before this revision are not nudged nor checked (their time has long passed):
the upgrade marks them done.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from bot.db.types import UTCDateTime

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add the follow-up columns; questions already stored count as followed up."""
    with op.batch_alter_table("qa_questions") as batch:
        batch.add_column(sa.Column("nudged_at", UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("solved_check_at", UTCDateTime(), nullable=True))
    with op.batch_alter_table("qa_settings") as batch:
        batch.add_column(sa.Column("nudge_after_hours", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("helper_role_id", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("mentors_channel_id", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("digest_week", sa.String(length=10), nullable=True))
    questions = sa.table(
        "qa_questions",
        sa.column("created_at", UTCDateTime()),
        sa.column("nudged_at", UTCDateTime()),
        sa.column("solved_check_at", UTCDateTime()),
    )
    op.execute(
        questions.update().values(
            nudged_at=questions.c.created_at, solved_check_at=questions.c.created_at
        )
    )


def downgrade() -> None:
    """Drop the follow-up columns."""
    with op.batch_alter_table("qa_settings") as batch:
        batch.drop_column("digest_week")
        batch.drop_column("mentors_channel_id")
        batch.drop_column("helper_role_id")
        batch.drop_column("nudge_after_hours")
    with op.batch_alter_table("qa_questions") as batch:
        batch.drop_column("solved_check_at")
        batch.drop_column("nudged_at")
