"""Peer Q&A: questions, answers, the Q&A channel per server, and their full-text index.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from bot.db.types import UTCDateTime

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create the Q&A settings, questions, answers and their full-text table."""
    op.create_table(
        "qa_settings",
        sa.Column("guild_id", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("channel_id", sa.BigInteger(), nullable=True),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
    )
    op.create_table(
        "qa_questions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.Column("author_id", sa.BigInteger(), nullable=True),
        sa.Column("channel_id", sa.BigInteger(), nullable=True),
        sa.Column("message_id", sa.BigInteger(), nullable=True),
        sa.Column("title", sa.String(150), nullable=False),
        sa.Column("details", sa.Text(), nullable=False),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("accepted_answer_id", sa.Integer(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("edited_at", UTCDateTime(), nullable=True),
    )
    op.create_index("ix_qa_questions_guild_created", "qa_questions", ["guild_id", "created_at"])
    op.create_index("ix_qa_questions_author", "qa_questions", ["author_id", "created_at"])
    op.create_table(
        "qa_answers",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.Column(
            "question_id",
            sa.Integer(),
            sa.ForeignKey("qa_questions.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("author_id", sa.BigInteger(), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("notice_message_id", sa.BigInteger(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("edited_at", UTCDateTime(), nullable=True),
    )
    op.create_index("ix_qa_answers_question", "qa_answers", ["question_id"])
    op.create_index("ix_qa_answers_author", "qa_answers", ["author_id", "created_at"])
    # One row per question (rowid = question id): its text and all its answers' text, kept in
    # step by bot/qa/service.py inside the same transaction as every change.
    op.execute(
        "CREATE VIRTUAL TABLE qa_fts USING fts5("
        "title, details, tags, answers, tokenize='porter unicode61')"
    )


def downgrade() -> None:
    """Drop what `upgrade` created."""
    op.execute("DROP TABLE qa_fts")
    op.drop_index("ix_qa_answers_author", table_name="qa_answers")
    op.drop_index("ix_qa_answers_question", table_name="qa_answers")
    op.drop_table("qa_answers")
    op.drop_index("ix_qa_questions_author", table_name="qa_questions")
    op.drop_index("ix_qa_questions_guild_created", table_name="qa_questions")
    op.drop_table("qa_questions")
    op.drop_table("qa_settings")
