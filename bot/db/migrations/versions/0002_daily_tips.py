"""Daily tips: per-server schedules and the one-row-per-local-day post log.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from bot.db.types import UTCDateTime

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create the daily tip schedules and the post log."""
    op.create_table(
        "daily_tip_schedules",
        sa.Column("guild_id", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("channel_id", sa.BigInteger(), nullable=False),
        sa.Column("hour", sa.Integer(), nullable=False),
        sa.Column("minute", sa.Integer(), nullable=False),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("active_from", UTCDateTime(), nullable=False),
        sa.Column("rotation_seed", sa.BigInteger(), nullable=False),
        sa.Column("log_channel_id", sa.BigInteger(), nullable=True),
        sa.Column("disabled_reason", sa.String(300), nullable=True),
        sa.Column("disabled_at", UTCDateTime(), nullable=True),
        sa.Column("notice_pending", sa.Boolean(), nullable=False),
        sa.Column("updated_by", sa.BigInteger(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
    )
    op.create_table(
        "daily_tip_posts",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.Column("local_date", sa.Date(), nullable=False),
        sa.Column("channel_id", sa.BigInteger(), nullable=False),
        sa.Column("tip_slug", sa.String(60), nullable=False),
        sa.Column("rotation_round", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", UTCDateTime(), nullable=False),
        sa.Column("lease_owner", sa.String(32), nullable=True),
        sa.Column("lease_until", UTCDateTime(), nullable=True),
        sa.Column("claimed_at", UTCDateTime(), nullable=False),
        sa.Column("posted_at", UTCDateTime(), nullable=True),
        sa.Column("message_id", sa.BigInteger(), nullable=True),
        sa.Column("last_error", sa.String(300), nullable=True),
        sa.UniqueConstraint("guild_id", "local_date", name="uq_daily_tip_posts_guild_date"),
    )
    op.create_index("ix_daily_tip_posts_status", "daily_tip_posts", ["status"])
    op.create_index("ix_daily_tip_posts_local_date", "daily_tip_posts", ["local_date"])


def downgrade() -> None:
    """Drop what `upgrade` created."""
    op.drop_index("ix_daily_tip_posts_local_date", table_name="daily_tip_posts")
    op.drop_index("ix_daily_tip_posts_status", table_name="daily_tip_posts")
    op.drop_table("daily_tip_posts")
    op.drop_table("daily_tip_schedules")
