"""Spec endpoint tags: where a spec's listing shows each endpoint, one row per tag.

A listing page used to read every endpoint of the spec and group them by tag in Python (20,000
rows for one page of a big spec). With `spec_endpoint_tags` (written with the endpoints by
bot.specs.importing and bot.specs.notes) a page is the sizes of the tags (one GROUP BY) and
fifteen rows of one tag, read along `ix_spec_endpoint_tags_page`. The endpoints already
stored are filed here as the listing filed them: under each of their tags, `other` for an
imported endpoint without tags, `hand-typed` for a hand-typed one (no version).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06
"""

from collections.abc import Iterator, Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 1000  # endpoints read (and their tag rows written) at a time
UNTAGGED, HAND_TYPED = "other", "hand-typed"  # the listing's names for the two groups

ENDPOINTS = sa.table(
    "spec_endpoints",
    sa.column("id", sa.Integer()),
    sa.column("spec_id", sa.Integer()),
    sa.column("version_id", sa.Integer()),
    sa.column("method", sa.String()),
    sa.column("path", sa.String()),
    sa.column("tags", sa.JSON()),
)


def upgrade() -> None:
    """Create the table and its page index, and file every stored endpoint in it."""
    tags = op.create_table(
        "spec_endpoint_tags",
        sa.Column(
            "endpoint_id",
            sa.Integer(),
            sa.ForeignKey("spec_endpoints.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("tag", sa.Text(), primary_key=True),
        sa.Column(
            "spec_id",
            sa.Integer(),
            sa.ForeignKey("specs.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("path", sa.String(400), nullable=False),
        sa.Column("method", sa.String(8), nullable=False),
    )
    op.create_index(
        "ix_spec_endpoint_tags_page",
        "spec_endpoint_tags",
        ["spec_id", "tag", "path", "method", "endpoint_id"],
    )
    connection = op.get_bind()
    for batch in _endpoints(connection):
        rows = [
            {
                "endpoint_id": row.id,
                "tag": tag,
                "spec_id": row.spec_id,
                "path": row.path,
                "method": row.method,
            }
            for row in batch
            for tag in _listed_under(row.tags, manual=row.version_id is None)
        ]
        connection.execute(sa.insert(tags), rows)


def downgrade() -> None:
    """Drop the table (the endpoints keep their tags in their own `tags` column)."""
    op.drop_index("ix_spec_endpoint_tags_page", table_name="spec_endpoint_tags")
    op.drop_table("spec_endpoint_tags")


def _endpoints(connection: sa.Connection) -> Iterator[Sequence[sa.Row[Any]]]:
    """Every stored endpoint, `BATCH` at a time, in the order of their ids."""
    last = 0
    while True:
        batch = connection.execute(
            sa.select(ENDPOINTS).where(ENDPOINTS.c.id > last).order_by(ENDPOINTS.c.id).limit(BATCH)
        ).all()
        if not batch:
            return
        yield batch
        last = batch[-1].id


def _listed_under(tags: Any, *, manual: bool) -> list[str]:
    """The tags the listing showed an endpoint under, as it read them at this revision."""
    if manual:
        return [HAND_TYPED]
    names = [str(t) for t in tags] if isinstance(tags, list) else []
    return list(dict.fromkeys(names)) or [UNTAGGED]
