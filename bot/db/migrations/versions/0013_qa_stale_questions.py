"""Q&A: questions left without an answer or an accept are closed as stale, when a server says.

`qa_settings.stale_after_days` is how long a question may go quiet (no new answer, nothing
accepted) before bot.qa.followups closes it as stale (`qa_questions.close_reason` "stale");
None, as for every server before this revision, never closes one.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add the stale period setting."""
    with op.batch_alter_table("qa_settings") as batch:
        batch.add_column(sa.Column("stale_after_days", sa.Integer(), nullable=True))


def downgrade() -> None:
    """Drop it (questions closed as stale stay closed)."""
    with op.batch_alter_table("qa_settings") as batch:
        batch.drop_column("stale_after_days")
