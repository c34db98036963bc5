"""SQLAlchemy models. Every table that holds community data is scoped by `guild_id`.

A server's rows are `InAServer` (their own `id`, then `guild_id`), those of a spec `InASpec`
(and `spec_id`), a server's settings `OnePerServer` (keyed by `guild_id`).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from bot.db.types import UTCDateTime, utcnow


class Base(DeclarativeBase):
    """The declarative base of every model; aware datetimes are stored as UTC."""

    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime()}


# The columns a kind of table starts with (`sort_order` puts them first, in this order).


class InAServer:
    """Rows of a server: each its own `id`, and the server's `guild_id`."""

    id: Mapped[int] = mapped_column(Integer, primary_key=True, sort_order=-3)
    guild_id: Mapped[int] = mapped_column(BigInteger, sort_order=-2)


class InASpec(InAServer):
    """Rows of one of a server's specs, deleted with it."""

    spec_id: Mapped[int] = mapped_column(ForeignKey("specs.id", ondelete="CASCADE"), sort_order=-1)


class OnePerServer:
    """One row per server, keyed by the server's `guild_id`."""

    guild_id: Mapped[int] = mapped_column(
        BigInteger, primary_key=True, autoincrement=False, sort_order=-1
    )


class Entry(Base):
    """One learning (concept, challenge or tip), indexed from a file in content/."""

    __tablename__ = "entries"
    __table_args__ = (Index("ix_entries_kind_topic", "kind", "topic"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(60), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(100))
    topic: Mapped[str] = mapped_column(String(32))
    summary: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    aliases: Mapped[list[str]] = mapped_column(JSON, default=list)
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    related: Mapped[list[str]] = mapped_column(JSON, default=list)
    docs: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    why: Mapped[str | None] = mapped_column(String(300), default=None)
    source_path: Mapped[str] = mapped_column(String(300))
    content_hash: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class BotState(Base):
    """Small key/value facts the bot keeps about itself (e.g. the hash of its command payload)."""

    __tablename__ = "bot_state"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class GuildSettings(OnePerServer, Base):
    """Per-server settings."""

    __tablename__ = "guild_settings"

    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


# -- peer Q&A ---------------------------------------------------------------------------------


class QaSettings(OnePerServer, Base):
    """Where a server's questions are posted (None: in the channel where they are asked; a
    forum: each question is a post), and how long a solved post stays open.
    """

    __tablename__ = "qa_settings"

    channel_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    # Minutes a post with an accepted answer stays open, quiet, before it is archived (None:
    # the default, bot.qa.forum.QUIET_PERIOD).
    archive_after_minutes: Mapped[int | None] = mapped_column(Integer, default=None)
    # Follow-ups (bot.qa.followups): hours an unanswered question waits before it is nudged
    # (None: the default; 0: never), the role a nudge mentions (None: none), the mentors'
    # channel the weekly digest goes to (None: no digest) and the ISO week it last went out.
    nudge_after_hours: Mapped[int | None] = mapped_column(Integer, default=None)
    helper_role_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    mentors_channel_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    digest_week: Mapped[str | None] = mapped_column(String(10), default=None)
    # Days a question may stay without an answer or an accept before it is closed as stale
    # (None: never).
    stale_after_days: Mapped[int | None] = mapped_column(Integer, default=None)


class QaQuestion(InAServer, Base):
    """A member's question; `author_id` is None once its author asked to be anonymised."""

    __tablename__ = "qa_questions"
    __table_args__ = (
        Index("ix_qa_questions_guild_created", "guild_id", "created_at"),
        Index("ix_qa_questions_author", "author_id", "created_at"),
        Index("ix_qa_questions_guild_accepted", "guild_id", "accepted_at"),
        Index("ix_qa_questions_archive_due", "archive_due_at"),
        Index("ix_qa_questions_nudged", "nudged_at"),
        Index("ix_qa_questions_solved_check", "solved_check_at"),
        # What a full-text search's join reads (migration 0016).
        Index("ix_qa_questions_search", "id", "guild_id", "accepted_answer_id"),
        # /qa mine, and /qa open oldest first (migration 0017).
        Index("ix_qa_questions_guild_author", "guild_id", "author_id"),
        Index("ix_qa_questions_guild_open", "guild_id", "closed_at", "created_at"),
    )

    author_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    channel_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    message_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    title: Mapped[str] = mapped_column(String(150))
    details: Mapped[str] = mapped_column(Text)
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    # No foreign key: answers already point at their question; the service keeps this in step.
    accepted_answer_id: Mapped[int | None] = mapped_column(Integer, default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    edited_at: Mapped[datetime | None] = mapped_column(default=None)
    # When `accepted_answer_id` was last set (None for answers accepted before it was kept).
    accepted_at: Mapped[datetime | None] = mapped_column(default=None)
    # A forum post: the forum it is in (`channel_id` is then the post's thread, `message_id`
    # its first message), and when it is to be archived (None: not due).
    forum_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    archive_due_at: Mapped[datetime | None] = mapped_column(default=None)
    # Closed by its asker or a moderator: why ("solved", "duplicate", "outdated"), when, and
    # the question it duplicates.
    close_reason: Mapped[str | None] = mapped_column(String(16), default=None)
    closed_at: Mapped[datetime | None] = mapped_column(default=None)
    duplicate_of: Mapped[int | None] = mapped_column(Integer, default=None)
    # Follow-ups sent, each once: the nudge of an unanswered question, and the asker asked
    # whether an answer solved it. Set too when one is no longer needed (an answer came, an
    # answer was accepted, the question was closed): only pending ones stay empty, indexed.
    nudged_at: Mapped[datetime | None] = mapped_column(default=None)
    solved_check_at: Mapped[datetime | None] = mapped_column(default=None)


class QaAnswer(InAServer, Base):
    """A peer's answer to a question; deleted with its question."""

    __tablename__ = "qa_answers"
    __table_args__ = (
        Index("ix_qa_answers_question", "question_id"),
        Index("ix_qa_answers_author", "author_id", "created_at"),
    )

    question_id: Mapped[int] = mapped_column(ForeignKey("qa_questions.id", ondelete="CASCADE"))
    author_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    body: Mapped[str] = mapped_column(Text)
    # The channel message that told the asker (it shows the text: edited and deleted with it).
    notice_message_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    edited_at: Mapped[datetime | None] = mapped_column(default=None)


class QaMessageLink(InAServer, Base):
    """A question (`answer_id` None) or an answer saved from a chat message: the message it
    came from and the member who saved it (None once they asked to be forgotten).
    """

    __tablename__ = "qa_message_links"
    __table_args__ = (
        Index("ix_qa_message_links_question", "question_id", "answer_id"),
        Index("ix_qa_message_links_saver", "saved_by_id", "created_at"),
    )

    question_id: Mapped[int] = mapped_column(ForeignKey("qa_questions.id", ondelete="CASCADE"))
    answer_id: Mapped[int | None] = mapped_column(
        ForeignKey("qa_answers.id", ondelete="CASCADE"), default=None
    )
    saved_by_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    channel_id: Mapped[int] = mapped_column(BigInteger)
    message_id: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class QaVote(InAServer, Base):
    """A member's 👍 on an answer: one per member and answer, deleted with the answer."""

    __tablename__ = "qa_votes"
    __table_args__ = (
        UniqueConstraint("answer_id", "voter_id", name="uq_qa_votes_answer_voter"),
        Index("ix_qa_votes_guild_created", "guild_id", "created_at"),
        Index("ix_qa_votes_voter", "voter_id"),
    )

    answer_id: Mapped[int] = mapped_column(ForeignKey("qa_answers.id", ondelete="CASCADE"))
    voter_id: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class DailyTipSchedule(OnePerServer, Base):
    """A server's daily tip: where, at what local time in which IANA zone, and whether it is on.

    Never deleted (`/dailytip stop` switches it off), so the server's tip rotation survives a pause.
    """

    __tablename__ = "daily_tip_schedules"

    channel_id: Mapped[int] = mapped_column(BigInteger)
    hour: Mapped[int] = mapped_column(Integer)
    minute: Mapped[int] = mapped_column(Integer)
    timezone: Mapped[str] = mapped_column(String(64))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    # Slots due before this instant are not owed: a schedule set after today's time starts
    # tomorrow, while a restart later the same day still catches up.
    active_from: Mapped[datetime] = mapped_column(default=utcnow)
    rotation_seed: Mapped[int] = mapped_column(BigInteger)
    log_channel_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    disabled_reason: Mapped[str | None] = mapped_column(String(300), default=None)
    disabled_at: Mapped[datetime | None] = mapped_column(default=None)
    notice_pending: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_by: Mapped[int | None] = mapped_column(BigInteger, default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class DailyTipPost(InAServer, Base):
    """One server's tip for one local date: claimed (pending), then posted, or missed.

    The unique (guild_id, local_date) row is claimed before anything is sent, so no restart,
    reconnect or second process can post the same day twice.
    """

    __tablename__ = "daily_tip_posts"
    __table_args__ = (
        UniqueConstraint("guild_id", "local_date", name="uq_daily_tip_posts_guild_date"),
        Index("ix_daily_tip_posts_status", "status"),
        Index("ix_daily_tip_posts_local_date", "local_date"),
    )

    local_date: Mapped[date] = mapped_column(Date)
    channel_id: Mapped[int] = mapped_column(BigInteger)
    tip_slug: Mapped[str] = mapped_column(String(60))
    rotation_round: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column()
    lease_owner: Mapped[str | None] = mapped_column(String(32), default=None)
    lease_until: Mapped[datetime | None] = mapped_column(default=None)
    claimed_at: Mapped[datetime] = mapped_column(default=utcnow)
    posted_at: Mapped[datetime | None] = mapped_column(default=None)
    message_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    last_error: Mapped[str | None] = mapped_column(String(300), default=None)


# -- API specs --------------------------------------------------------------------------------


class SpecSettings(OnePerServer, Base):
    """A server's spec channel (announcements) and the role allowed to import and add endpoints."""

    __tablename__ = "spec_settings"

    channel_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    editor_role_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    updated_by: Mapped[int | None] = mapped_column(BigInteger, default=None)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Spec(InAServer, Base):
    """A named API of a server (`bookings-api`): its versions, endpoints, notes and followers."""

    __tablename__ = "specs"
    __table_args__ = (UniqueConstraint("guild_id", "name", name="uq_specs_guild_name"),)

    name: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(200))
    created_by: Mapped[int | None] = mapped_column(BigInteger, default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class SpecVersion(InASpec, Base):
    """One imported document: kept whole (zlib) for export, and reduced (`model`, zlib JSON of
    its operations) for the next version's diff.
    """

    __tablename__ = "spec_versions"
    __table_args__ = (
        UniqueConstraint("spec_id", "number", name="uq_spec_versions_number"),
        UniqueConstraint("spec_id", "label", name="uq_spec_versions_label"),
    )

    number: Mapped[int] = mapped_column(Integer)
    label: Mapped[str] = mapped_column(String(64))
    openapi: Mapped[str] = mapped_column(String(24))
    source_format: Mapped[str] = mapped_column(String(8))
    filename: Mapped[str] = mapped_column(String(200))
    size_bytes: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    document: Mapped[bytes] = mapped_column(LargeBinary)
    model: Mapped[bytes] = mapped_column(LargeBinary)
    info: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    warnings: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    warning_count: Mapped[int] = mapped_column(Integer, default=0)
    endpoint_count: Mapped[int] = mapped_column(Integer, default=0)
    breaking_count: Mapped[int] = mapped_column(Integer, default=0)
    change_count: Mapped[int] = mapped_column(Integer, default=0)
    imported_by: Mapped[int | None] = mapped_column(BigInteger, default=None)
    imported_at: Mapped[datetime] = mapped_column(default=utcnow)


class SpecEndpoint(InASpec, Base):
    """An endpoint of a spec: imported (its spec's current version) or hand-typed (no version).

    `detail` is the endpoint as JSON text, serialised off the event loop when imported.
    """

    __tablename__ = "spec_endpoints"
    __table_args__ = (
        Index("ix_spec_endpoints_spec_key", "spec_id", "key"),
        Index("ix_spec_endpoints_spec_hash", "spec_id", "key_hash"),
    )

    version_id: Mapped[int | None] = mapped_column(
        ForeignKey("spec_versions.id", ondelete="CASCADE"), default=None
    )
    method: Mapped[str] = mapped_column(String(8))
    path: Mapped[str] = mapped_column(String(400))
    key: Mapped[str] = mapped_column(String(410))
    key_hash: Mapped[str] = mapped_column(String(16))
    summary: Mapped[str] = mapped_column(String(200), default="")
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    deprecated: Mapped[bool] = mapped_column(Boolean, default=False)
    detail: Mapped[str] = mapped_column(Text)
    author_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SpecEndpointTag(Base):
    """Where a spec's listing shows an endpoint: one row per tag it has (`other` for an imported
    endpoint without tags, `hand-typed` for a hand-typed one), written with the endpoint and
    deleted with it.

    `path` and `method` repeat the endpoint's, so the index walks a tag in the listing's order
    and a page is read with LIMIT/OFFSET, whatever the size of the spec.
    """

    __tablename__ = "spec_endpoint_tags"
    __table_args__ = (
        Index("ix_spec_endpoint_tags_page", "spec_id", "tag", "path", "method", "endpoint_id"),
    )

    endpoint_id: Mapped[int] = mapped_column(
        ForeignKey("spec_endpoints.id", ondelete="CASCADE"), primary_key=True
    )
    tag: Mapped[str] = mapped_column(Text, primary_key=True)
    spec_id: Mapped[int] = mapped_column(ForeignKey("specs.id", ondelete="CASCADE"))
    path: Mapped[str] = mapped_column(String(400))
    method: Mapped[str] = mapped_column(String(8))


class SpecChange(InASpec, Base):
    """One change a version brought, against the version before it."""

    __tablename__ = "spec_changes"
    __table_args__ = (Index("ix_spec_changes_version", "version_id", "position"),)

    version_id: Mapped[int] = mapped_column(ForeignKey("spec_versions.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    severity: Mapped[str] = mapped_column(String(8))
    rule: Mapped[str] = mapped_column(String(48))
    endpoint_key: Mapped[str] = mapped_column(String(410))
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    message: Mapped[str] = mapped_column(String(500))


class SpecNote(InASpec, Base):
    """A peer's note on an endpoint ("404 when the listing is archived"); kept across versions."""

    __tablename__ = "spec_notes"
    __table_args__ = (
        Index("ix_spec_notes_spec_key", "spec_id", "endpoint_key"),
        Index("ix_spec_notes_author", "author_id"),
    )

    endpoint_key: Mapped[str] = mapped_column(String(410))
    author_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SpecFollow(InASpec, Base):
    """A member following a whole spec, one of its tags, or one endpoint (`scope`, `target`)."""

    __tablename__ = "spec_follows"
    __table_args__ = (
        UniqueConstraint("spec_id", "user_id", "scope", "target", name="uq_spec_follows"),
        Index("ix_spec_follows_user", "guild_id", "user_id"),
    )

    user_id: Mapped[int] = mapped_column(BigInteger)
    scope: Mapped[str] = mapped_column(String(8))
    target: Mapped[str] = mapped_column(String(410), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SpecToken(InASpec, Base):
    """The one token that lets CI push new versions of a spec over HTTP; only its hash is kept.

    `channel_id` is where it was created: pushes are announced there when the server has no
    spec channel (as `/spec import` announces where it runs).
    """

    __tablename__ = "spec_tokens"
    __table_args__ = (
        UniqueConstraint("spec_id", name="uq_spec_tokens_spec"),
        UniqueConstraint("token_hash", name="uq_spec_tokens_hash"),
    )

    token_hash: Mapped[str] = mapped_column(String(64))
    channel_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    created_by: Mapped[int | None] = mapped_column(BigInteger, default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(default=None)
