"""Initial schema: learnings index with full-text search, bot state, guild settings.

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from bot.db.types import UTCDateTime

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create the learnings index, its full-text table, the bot state and guild settings."""
    op.create_table(
        "entries",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("slug", sa.String(60), nullable=False, unique=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("title", sa.String(100), nullable=False),
        sa.Column("topic", sa.String(32), nullable=False),
        sa.Column("summary", sa.String(300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("aliases", sa.JSON(), nullable=False),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("related", sa.JSON(), nullable=False),
        sa.Column("docs", sa.JSON(), nullable=False),
        sa.Column("why", sa.String(300), nullable=True),
        sa.Column("source_path", sa.String(300), nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_entries_kind_topic", "entries", ["kind", "topic"])
    # Full-text index over the learnings, kept in step by the content sync (same transaction).
    op.execute(
        "CREATE VIRTUAL TABLE entries_fts USING fts5("
        "title, aliases, tags, summary, body, tokenize='porter unicode61')"
    )
    op.create_table(
        "bot_state",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
    )
    op.create_table(
        "guild_settings",
        sa.Column("guild_id", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
    )


def downgrade() -> None:
    """Drop what `upgrade` created."""
    op.drop_table("guild_settings")
    op.drop_table("bot_state")
    op.execute("DROP TABLE entries_fts")
    op.drop_index("ix_entries_kind_topic", table_name="entries")
    op.drop_table("entries")
