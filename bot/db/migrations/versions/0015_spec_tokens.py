"""Spec tokens: CI pushes a spec's new versions over HTTP with a token made for that spec.

One token per spec (a new one replaces it), kept only as the SHA-256 of its text
(bot.specs.tokens), with the server, the member who made it, the channel it was made in (where
pushes are announced when the server has no spec channel), and when it was last used. Deleted
with its spec.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from bot.db.types import UTCDateTime

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create the tokens' table."""
    op.create_table(
        "spec_tokens",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.Column(
            "spec_id",
            sa.Integer(),
            sa.ForeignKey("specs.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("channel_id", sa.BigInteger(), nullable=True),
        sa.Column("created_by", sa.BigInteger(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("last_used_at", UTCDateTime(), nullable=True),
        sa.UniqueConstraint("spec_id", name="uq_spec_tokens_spec"),
        sa.UniqueConstraint("token_hash", name="uq_spec_tokens_hash"),
    )


def downgrade() -> None:
    """Drop the tokens' table."""
    op.drop_table("spec_tokens")
