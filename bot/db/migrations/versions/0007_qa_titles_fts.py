"""A small full-text index of question titles and tags, with prefix indexes, for autocomplete.

Autocomplete searches what is being typed ("dja", "celery re") as word prefixes. In the main
index (qa_fts: titles, details, tags and answers) a prefix stands for many words with long
lists of questions to merge: ~20 ms for "res" at 100,000 questions. Titles and tags are a tenth
of that text, and prefix indexes of one to three characters turn a prefix into one lookup.
Kept in step with qa_fts by bot/qa/service.py (same rowid: the question id).

Revision ID: 0007
Revises: 0004
Create Date: 2026-11-23
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0007"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create the titles-and-tags index and fill it from the questions there are."""
    op.execute(
        "CREATE VIRTUAL TABLE qa_titles_fts USING fts5("
        "title, tags, tokenize='porter unicode61', prefix='1 2 3')"
    )
    op.execute(
        "INSERT INTO qa_titles_fts (rowid, title, tags) "
        "SELECT q.id, q.title, coalesce((SELECT group_concat(t.value, ' ') "
        "FROM json_each(q.tags) t), '') FROM qa_questions q"
    )


def downgrade() -> None:
    """Drop the titles-and-tags index."""
    op.execute("DROP TABLE qa_titles_fts")
