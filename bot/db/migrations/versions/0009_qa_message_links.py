"""Q&A message links: questions and answers saved from chat messages.

The message context menus "Ask as question" and "Mark as answer" turn a member's chat message
into a question or an answer credited to its author. `qa_message_links` keeps, for each, the
message it came from (to link back to it) and the member who saved it (their cooldowns count
what they saved; forgetting them clears it). A link is deleted with its question or answer.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from bot.db.types import UTCDateTime

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create `qa_message_links` and its two indexes."""
    op.create_table(
        "qa_message_links",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.Column(
            "question_id",
            sa.Integer(),
            sa.ForeignKey("qa_questions.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column(
            "answer_id",
            sa.Integer(),
            sa.ForeignKey("qa_answers.id", ondelete="CASCADE"),
            nullable=True,
        ),
        sa.Column("saved_by_id", sa.BigInteger(), nullable=True),
        sa.Column("channel_id", sa.BigInteger(), nullable=False),
        sa.Column("message_id", sa.BigInteger(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
    )
    op.create_index(
        "ix_qa_message_links_question", "qa_message_links", ["question_id", "answer_id"]
    )
    op.create_index("ix_qa_message_links_saver", "qa_message_links", ["saved_by_id", "created_at"])


def downgrade() -> None:
    """Drop `qa_message_links` (the questions and answers stay, without their links)."""
    op.drop_index("ix_qa_message_links_saver", table_name="qa_message_links")
    op.drop_index("ix_qa_message_links_question", table_name="qa_message_links")
    op.drop_table("qa_message_links")
