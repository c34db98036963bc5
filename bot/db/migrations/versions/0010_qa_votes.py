"""Q&A recognition: helpful votes on answers, and when an answer was accepted.

`qa_votes` holds one 👍 per member and answer (deleted with the answer); points are never
stored: bot.qa.recognition counts accepted answers and votes when it is asked, along
`ix_qa_votes_guild_created` and `ix_qa_questions_guild_accepted`, so nothing can drift.
`qa_questions.accepted_at` records when an answer was accepted; questions accepted before
this revision keep it empty (the moment is unknown): they count in all-time numbers only.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from bot.db.types import UTCDateTime

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add `qa_questions.accepted_at` with its index, and the `qa_votes` table."""
    with op.batch_alter_table("qa_questions") as batch:
        batch.add_column(sa.Column("accepted_at", UTCDateTime(), nullable=True))
        batch.create_index("ix_qa_questions_guild_accepted", ["guild_id", "accepted_at"])
    op.create_table(
        "qa_votes",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.Column(
            "answer_id",
            sa.Integer(),
            sa.ForeignKey("qa_answers.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("voter_id", sa.BigInteger(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("answer_id", "voter_id", name="uq_qa_votes_answer_voter"),
        sa.Index("ix_qa_votes_guild_created", "guild_id", "created_at"),
        sa.Index("ix_qa_votes_voter", "voter_id"),
    )


def downgrade() -> None:
    """Drop `qa_votes` and `qa_questions.accepted_at` (the questions keep their answers)."""
    op.drop_table("qa_votes")
    with op.batch_alter_table("qa_questions") as batch:
        batch.drop_index("ix_qa_questions_guild_accepted")
        batch.drop_column("accepted_at")
