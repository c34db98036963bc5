"""API specs: imported OpenAPI versions, endpoints, changes, notes, follows, settings.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from bot.db.types import UTCDateTime

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create the API-spec tables."""
    op.create_table(
        "spec_settings",
        sa.Column("guild_id", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("channel_id", sa.BigInteger(), nullable=True),
        sa.Column("editor_role_id", sa.BigInteger(), nullable=True),
        sa.Column("updated_by", sa.BigInteger(), nullable=True),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
    )
    op.create_table(
        "specs",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.String(40), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("created_by", sa.BigInteger(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("guild_id", "name", name="uq_specs_guild_name"),
    )
    op.create_table(
        "spec_versions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.Column(
            "spec_id", sa.Integer(), sa.ForeignKey("specs.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(64), nullable=False),
        sa.Column("openapi", sa.String(24), nullable=False),
        sa.Column("source_format", sa.String(8), nullable=False),
        sa.Column("filename", sa.String(200), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("document", sa.LargeBinary(), nullable=False),
        sa.Column("model", sa.LargeBinary(), nullable=False),
        sa.Column("info", sa.JSON(), nullable=False),
        sa.Column("warnings", sa.JSON(), nullable=False),
        sa.Column("warning_count", sa.Integer(), nullable=False),
        sa.Column("endpoint_count", sa.Integer(), nullable=False),
        sa.Column("breaking_count", sa.Integer(), nullable=False),
        sa.Column("change_count", sa.Integer(), nullable=False),
        sa.Column("imported_by", sa.BigInteger(), nullable=True),
        sa.Column("imported_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("spec_id", "number", name="uq_spec_versions_number"),
        sa.UniqueConstraint("spec_id", "label", name="uq_spec_versions_label"),
    )
    op.create_table(
        "spec_endpoints",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.Column(
            "spec_id", sa.Integer(), sa.ForeignKey("specs.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column(
            "version_id",
            sa.Integer(),
            sa.ForeignKey("spec_versions.id", ondelete="CASCADE"),
            nullable=True,
        ),
        sa.Column("method", sa.String(8), nullable=False),
        sa.Column("path", sa.String(400), nullable=False),
        sa.Column("key", sa.String(410), nullable=False),
        sa.Column("key_hash", sa.String(16), nullable=False),
        sa.Column("summary", sa.String(200), nullable=False),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("deprecated", sa.Boolean(), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("author_id", sa.BigInteger(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_spec_endpoints_spec_key", "spec_endpoints", ["spec_id", "key"])
    op.create_index("ix_spec_endpoints_spec_hash", "spec_endpoints", ["spec_id", "key_hash"])
    op.create_table(
        "spec_changes",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.Column(
            "spec_id", sa.Integer(), sa.ForeignKey("specs.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column(
            "version_id",
            sa.Integer(),
            sa.ForeignKey("spec_versions.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("severity", sa.String(8), nullable=False),
        sa.Column("rule", sa.String(48), nullable=False),
        sa.Column("endpoint_key", sa.String(410), nullable=False),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("message", sa.String(500), nullable=False),
    )
    op.create_index("ix_spec_changes_version", "spec_changes", ["version_id", "position"])
    op.create_table(
        "spec_notes",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.Column(
            "spec_id", sa.Integer(), sa.ForeignKey("specs.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("endpoint_key", sa.String(410), nullable=False),
        sa.Column("author_id", sa.BigInteger(), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_spec_notes_spec_key", "spec_notes", ["spec_id", "endpoint_key"])
    op.create_index("ix_spec_notes_author", "spec_notes", ["author_id"])
    op.create_table(
        "spec_follows",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.Column(
            "spec_id", sa.Integer(), sa.ForeignKey("specs.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("scope", sa.String(8), nullable=False),
        sa.Column("target", sa.String(410), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("spec_id", "user_id", "scope", "target", name="uq_spec_follows"),
    )
    op.create_index("ix_spec_follows_user", "spec_follows", ["guild_id", "user_id"])


def downgrade() -> None:
    """Drop what `upgrade` created."""
    op.drop_index("ix_spec_follows_user", table_name="spec_follows")
    op.drop_table("spec_follows")
    op.drop_index("ix_spec_notes_author", table_name="spec_notes")
    op.drop_index("ix_spec_notes_spec_key", table_name="spec_notes")
    op.drop_table("spec_notes")
    op.drop_index("ix_spec_changes_version", table_name="spec_changes")
    op.drop_table("spec_changes")
    op.drop_index("ix_spec_endpoints_spec_hash", table_name="spec_endpoints")
    op.drop_index("ix_spec_endpoints_spec_key", table_name="spec_endpoints")
    op.drop_table("spec_endpoints")
    op.drop_table("spec_versions")
    op.drop_table("specs")
    op.drop_table("spec_settings")
