"""Baseline: the whole schema, as revisions 0001 to 0004 and 0007 had built it, in one revision.

Learnings index, bot state and server settings; daily tip schedules and their post log; peer
Q&A; API specs; and the full-text tables the search keeps in step: FTS5 tables on SQLite
(bot.db.search.sqlite), tables with weighted `tsvector` columns, GIN and trigram indexes on
PostgreSQL (bot.db.search.postgresql).
It keeps the id of the last revision it replaces, so a database those had upgraded is at this
one already (`bot.db.migrate` joins its three rows into this one). Ids 0001 to 0006 are never
used again.

Revision ID: 0007
Revises:
Create Date: 2026-12-06
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

from bot.db.types import UTCDateTime

revision: str = "0007"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# In the order they are created; dropped in the reverse order.
TABLES = (
    "entries",
    "bot_state",
    "guild_settings",
    "daily_tip_schedules",
    "daily_tip_posts",
    "qa_settings",
    "qa_questions",
    "qa_answers",
    "spec_settings",
    "specs",
    "spec_versions",
    "spec_endpoints",
    "spec_changes",
    "spec_notes",
    "spec_follows",
)
# Full-text tables (SQLite FTS5), filled by the services; rowid = the id of the row indexed.
# Each database has its own full-text steps here, chosen by `op.get_bind().dialect`.
FULL_TEXT = {
    "entries_fts": "title, aliases, tags, summary, body, tokenize='porter unicode61'",
    "qa_fts": "title, details, tags, answers, tokenize='porter unicode61'",
    # Titles and tags only, with prefix indexes: autocomplete's small index.
    "qa_titles_fts": "title, tags, tokenize='porter unicode61', prefix='1 2 3'",
}


def _words(column: str) -> str:
    """`column`'s words as English lexemes: punctuation is a space first, as FTS5's unicode61
    reads it (`node.js` is `node` and `js`, never one host-name token).
    """
    return f"to_tsvector('english', regexp_replace({column}, '[^[:alnum:]_]+', ' ', 'g'))"


def _weighted(*columns: tuple[str, str]) -> str:
    """A generated, stored tsvector of `columns`, each with its weight (A highest)."""
    parts = " || ".join(f"setweight({_words(c)}, '{w}')" for c, w in columns)
    return f"tsvector GENERATED ALWAYS AS ({parts}) STORED"


# PostgreSQL: one table per index, filled by the services (id = the id of the row indexed),
# its tsvector columns generated from the text, with GIN indexes; pg_trgm indexes the titles
# for typo-tolerant autocomplete.
POSTGRES_FULL_TEXT = (
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE TABLE entries_search (id integer PRIMARY KEY, title text NOT NULL, "
    "aliases text NOT NULL, tags text NOT NULL, summary text NOT NULL, body text NOT NULL, "
    "document "
    + _weighted(("title", "A"), ("aliases", "A"), ("summary", "B"), ("tags", "C"), ("body", "D"))
    + ")",
    "CREATE INDEX ix_entries_search_document ON entries_search USING gin (document)",
    "CREATE TABLE qa_search (id integer PRIMARY KEY, title text NOT NULL, "
    "details text NOT NULL, tags text NOT NULL, answers text NOT NULL, "
    "document "
    + _weighted(("title", "A"), ("tags", "B"), ("details", "C"), ("answers", "D"))
    + ", topic "
    + _weighted(("title", "A"), ("tags", "B"), ("details", "C"))
    + ", heading "
    + _weighted(("title", "A"), ("tags", "B"))
    + ")",
    "CREATE INDEX ix_qa_search_document ON qa_search USING gin (document)",
    "CREATE INDEX ix_qa_search_topic ON qa_search USING gin (topic)",
    "CREATE INDEX ix_qa_search_heading ON qa_search USING gin (heading)",
    "CREATE INDEX ix_qa_search_title_trgm ON qa_search USING gin (lower(title) gin_trgm_ops)",
)
POSTGRES_FULL_TEXT_TABLES = ("entries_search", "qa_search")


def required(name: str, type_: Any, **options: Any) -> sa.Column[Any]:
    """A column that is never NULL."""
    return sa.Column(name, type_, nullable=False, **options)


def optional(name: str, type_: Any) -> sa.Column[Any]:
    """A column that may be NULL."""
    return sa.Column(name, type_, nullable=True)


def strings(**lengths: int) -> list[sa.Column[Any]]:
    """Text columns of at most so many characters, never NULL: `strings(name=40)`."""
    return [required(name, sa.String(length)) for name, length in lengths.items()]


def at(name: str, *, nullable: bool = False) -> sa.Column[Any]:
    """An instant, stored as UTC."""
    return sa.Column(name, UTCDateTime(), nullable=nullable)


def discord_id(name: str, *, nullable: bool = False) -> sa.Column[Any]:
    """The id of a Discord server, channel, message, user or role (64 bits)."""
    return sa.Column(name, sa.BigInteger(), nullable=nullable)


def in_a_server() -> tuple[sa.Column[Any], sa.Column[Any]]:
    """`id` and `guild_id`: the first columns of every table holding a server's rows."""
    return sa.Column("id", sa.Integer(), primary_key=True), discord_id("guild_id")


def one_per_server() -> sa.Column[Any]:
    """`guild_id` as the key: the first column of a table of one row per server."""
    return sa.Column("guild_id", sa.BigInteger(), primary_key=True, autoincrement=False)


def owned_by(name: str, table: str, *, nullable: bool = False) -> sa.Column[Any]:
    """A column holding the id of a row of `table`: its rows are deleted with that row."""
    foreign = sa.ForeignKey(f"{table}.id", ondelete="CASCADE")
    return sa.Column(name, sa.Integer(), foreign, nullable=nullable)


def in_a_spec() -> tuple[sa.Column[Any], ...]:
    """`id`, `guild_id` and `spec_id`: the first columns of every table holding a spec's rows."""
    return (*in_a_server(), owned_by("spec_id", "specs"))


def upgrade() -> None:
    """Create every table, index and full-text table of the schema."""
    op.create_table(
        "entries",
        sa.Column("id", sa.Integer(), primary_key=True),
        required("slug", sa.String(60), unique=True),
        *strings(kind=16, title=100, topic=32, summary=300),
        required("body", sa.Text()),
        required("aliases", sa.JSON()),
        required("tags", sa.JSON()),
        required("related", sa.JSON()),
        required("docs", sa.JSON()),
        optional("why", sa.String(300)),
        *strings(source_path=300, content_hash=64),
        at("updated_at"),
        sa.Index("ix_entries_kind_topic", "kind", "topic"),
    )
    op.create_table(
        "bot_state",
        sa.Column("key", sa.String(64), primary_key=True),
        required("value", sa.Text()),
        at("updated_at"),
    )
    op.create_table(
        "guild_settings",
        one_per_server(),
        required("timezone", sa.String(64)),
        at("created_at"),
    )
    _daily_tips()
    _qa()
    _specs()
    if op.get_bind().dialect.name == "postgresql":
        for statement in POSTGRES_FULL_TEXT:
            op.execute(statement)
        return
    for name, columns in FULL_TEXT.items():
        op.execute(f"CREATE VIRTUAL TABLE {name} USING fts5({columns})")


def _daily_tips() -> None:
    """The daily tip schedules and the one-row-per-local-day post log."""
    op.create_table(
        "daily_tip_schedules",
        one_per_server(),
        discord_id("channel_id"),
        required("hour", sa.Integer()),
        required("minute", sa.Integer()),
        *strings(timezone=64),
        required("enabled", sa.Boolean()),
        at("active_from"),
        required("rotation_seed", sa.BigInteger()),
        discord_id("log_channel_id", nullable=True),
        optional("disabled_reason", sa.String(300)),
        at("disabled_at", nullable=True),
        required("notice_pending", sa.Boolean()),
        discord_id("updated_by", nullable=True),
        at("created_at"),
        at("updated_at"),
    )
    op.create_table(
        "daily_tip_posts",
        *in_a_server(),
        required("local_date", sa.Date()),
        discord_id("channel_id"),
        *strings(tip_slug=60),
        required("rotation_round", sa.Integer()),
        *strings(status=16),
        required("attempts", sa.Integer()),
        at("next_attempt_at"),
        optional("lease_owner", sa.String(32)),
        at("lease_until", nullable=True),
        at("claimed_at"),
        at("posted_at", nullable=True),
        discord_id("message_id", nullable=True),
        optional("last_error", sa.String(300)),
        sa.UniqueConstraint("guild_id", "local_date", name="uq_daily_tip_posts_guild_date"),
        sa.Index("ix_daily_tip_posts_status", "status"),
        sa.Index("ix_daily_tip_posts_local_date", "local_date"),
    )


def _qa() -> None:
    """Peer Q&A: the Q&A channel of each server, questions and answers."""
    op.create_table(
        "qa_settings",
        one_per_server(),
        discord_id("channel_id", nullable=True),
        at("updated_at"),
    )
    op.create_table(
        "qa_questions",
        *in_a_server(),
        discord_id("author_id", nullable=True),
        discord_id("channel_id", nullable=True),
        discord_id("message_id", nullable=True),
        *strings(title=150),
        required("details", sa.Text()),
        required("tags", sa.JSON()),
        optional("accepted_answer_id", sa.Integer()),
        at("created_at"),
        at("edited_at", nullable=True),
        sa.Index("ix_qa_questions_guild_created", "guild_id", "created_at"),
        sa.Index("ix_qa_questions_author", "author_id", "created_at"),
    )
    op.create_table(
        "qa_answers",
        *in_a_server(),
        owned_by("question_id", "qa_questions"),
        discord_id("author_id", nullable=True),
        required("body", sa.Text()),
        discord_id("notice_message_id", nullable=True),
        at("created_at"),
        at("edited_at", nullable=True),
        sa.Index("ix_qa_answers_question", "question_id"),
        sa.Index("ix_qa_answers_author", "author_id", "created_at"),
    )


def _specs() -> None:
    """API specs: imported OpenAPI versions, endpoints, changes, notes, follows, settings."""
    op.create_table(
        "spec_settings",
        one_per_server(),
        discord_id("channel_id", nullable=True),
        discord_id("editor_role_id", nullable=True),
        discord_id("updated_by", nullable=True),
        at("updated_at"),
    )
    op.create_table(
        "specs",
        *in_a_server(),
        *strings(name=40, title=200),
        discord_id("created_by", nullable=True),
        at("created_at"),
        at("updated_at"),
        sa.UniqueConstraint("guild_id", "name", name="uq_specs_guild_name"),
    )
    op.create_table(
        "spec_versions",
        *in_a_spec(),
        required("number", sa.Integer()),
        *strings(label=64, openapi=24, source_format=8, filename=200),
        required("size_bytes", sa.Integer()),
        *strings(sha256=64),
        required("document", sa.LargeBinary()),
        required("model", sa.LargeBinary()),
        required("info", sa.JSON()),
        required("warnings", sa.JSON()),
        required("warning_count", sa.Integer()),
        required("endpoint_count", sa.Integer()),
        required("breaking_count", sa.Integer()),
        required("change_count", sa.Integer()),
        discord_id("imported_by", nullable=True),
        at("imported_at"),
        sa.UniqueConstraint("spec_id", "number", name="uq_spec_versions_number"),
        sa.UniqueConstraint("spec_id", "label", name="uq_spec_versions_label"),
    )
    op.create_table(
        "spec_endpoints",
        *in_a_spec(),
        owned_by("version_id", "spec_versions", nullable=True),
        *strings(method=8, path=400, key=410, key_hash=16, summary=200),
        required("tags", sa.JSON()),
        required("deprecated", sa.Boolean()),
        required("detail", sa.Text()),
        discord_id("author_id", nullable=True),
        at("created_at"),
        sa.Index("ix_spec_endpoints_spec_key", "spec_id", "key"),
        sa.Index("ix_spec_endpoints_spec_hash", "spec_id", "key_hash"),
    )
    op.create_table(
        "spec_changes",
        *in_a_spec(),
        owned_by("version_id", "spec_versions"),
        required("position", sa.Integer()),
        *strings(severity=8, rule=48, endpoint_key=410),
        required("tags", sa.JSON()),
        *strings(message=500),
        sa.Index("ix_spec_changes_version", "version_id", "position"),
    )
    op.create_table(
        "spec_notes",
        *in_a_spec(),
        *strings(endpoint_key=410),
        discord_id("author_id", nullable=True),
        required("body", sa.Text()),
        at("created_at"),
        sa.Index("ix_spec_notes_spec_key", "spec_id", "endpoint_key"),
        sa.Index("ix_spec_notes_author", "author_id"),
    )
    op.create_table(
        "spec_follows",
        *in_a_spec(),
        discord_id("user_id"),
        *strings(scope=8, target=410),
        at("created_at"),
        sa.UniqueConstraint("spec_id", "user_id", "scope", "target", name="uq_spec_follows"),
        sa.Index("ix_spec_follows_user", "guild_id", "user_id"),
    )


def downgrade() -> None:
    """Drop every table `upgrade` created (and their indexes with them)."""
    postgresql = op.get_bind().dialect.name == "postgresql"
    for name in reversed(POSTGRES_FULL_TEXT_TABLES if postgresql else tuple(FULL_TEXT)):
        op.execute(f"DROP TABLE {name}")
    for name in reversed(TABLES):
        op.drop_table(name)
