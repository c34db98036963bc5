"""Q&A forum mode: questions posted as forum posts, archived once solved and quiet, closed.

`qa_questions.forum_id` names the forum a question is a post of (its `channel_id` is then the
post's thread); `archive_due_at` is when that post is to be archived (an accepted answer and
the server's quiet period, `qa_settings.archive_after_minutes`), read by bot.qa.forum along
`ix_qa_questions_archive_due` and cleared as it is archived, so each post is archived once.
`close_reason`, `closed_at` and `duplicate_of` record `/qa close`. Every existing question is a
message of a text channel: all new columns stay empty for them.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from bot.db.types import UTCDateTime

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add the forum, archive and close columns of questions, and the quiet period setting."""
    with op.batch_alter_table("qa_questions") as batch:
        batch.add_column(sa.Column("forum_id", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("archive_due_at", UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("close_reason", sa.String(length=16), nullable=True))
        batch.add_column(sa.Column("closed_at", UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("duplicate_of", sa.Integer(), nullable=True))
        batch.create_index("ix_qa_questions_archive_due", ["archive_due_at"])
    with op.batch_alter_table("qa_settings") as batch:
        batch.add_column(sa.Column("archive_after_minutes", sa.Integer(), nullable=True))


def downgrade() -> None:
    """Drop them again (the questions stay, as messages of the channels they are in)."""
    with op.batch_alter_table("qa_settings") as batch:
        batch.drop_column("archive_after_minutes")
    with op.batch_alter_table("qa_questions") as batch:
        batch.drop_index("ix_qa_questions_archive_due")
        batch.drop_column("duplicate_of")
        batch.drop_column("closed_at")
        batch.drop_column("close_reason")
        batch.drop_column("archive_due_at")
        batch.drop_column("forum_id")
