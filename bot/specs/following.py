"""Following a spec, a tag or an endpoint, and which followers a new version concerns."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Literal

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from bot.core.values import rowcount
from bot.db.engine import Database
from bot.db.models import Spec, SpecFollow
from bot.errors import BadInput, NotFound
from bot.specs.lookup import (
    find_spec,
    find_tag,
    latest_version,
    resolve_key,
    spec_ref,
    version_tags,
)
from bot.specs.model import FollowerNotice, FollowList, FollowView, severity_counts
from bot.specs.validation import parse_endpoint_ref

if TYPE_CHECKING:
    from bot.specs.diff import Change

FOLLOWS_PER_SPEC = 25  # follows one member may hold in one spec

FollowScope = Literal["spec", "tag", "endpoint"]


def match_followers(
    follows: Iterable[tuple[int, str, str]],
    changes: Sequence[Change],
    *,
    first_import: bool,
) -> list[FollowerNotice]:
    """Followers (user, scope, target) whose follows the changes touch, one notice each.

    A first import has nothing to diff: followers of the whole spec hear that it arrived.
    """
    by_user: dict[int, list[tuple[str, str]]] = {}
    for user_id, scope, target in follows:
        by_user.setdefault(user_id, []).append((scope, target))
    notices: list[FollowerNotice] = []
    for user_id, scopes in sorted(by_user.items()):
        if first_import:
            if any(scope == "spec" for scope, _ in scopes):
                notices.append(FollowerNotice(user_id, ("every change",), {}, first_import=True))
            continue
        matched: dict[int, Change] = {}
        reasons: list[str] = []
        for scope, target in scopes:
            hits = [
                (i, c)
                for i, c in enumerate(changes)
                if scope == "spec"
                or (scope == "tag" and target in c.tags)
                or (scope == "endpoint" and c.endpoint == target)
            ]
            if hits:
                reasons.append(FollowView(scope, target).describe())
                matched.update(hits)
        if matched:
            notices.append(
                FollowerNotice(user_id, tuple(reasons), severity_counts(matched.values()))
            )
    return notices


async def _follow_target(
    session: AsyncSession, spec: Spec, tag: str | None, endpoint: str | None
) -> tuple[FollowScope, str]:
    if tag is not None and endpoint is not None:
        raise BadInput("Follow a tag or an endpoint, not both at once.")
    if endpoint is not None:
        return "endpoint", await resolve_key(session, spec, endpoint)
    if tag is not None:
        tags = version_tags(await latest_version(session, spec.id))
        return "tag", find_tag(spec, tags, tag)
    return "spec", ""


def _follows_of(spec: Spec, user_id: int) -> ColumnElement[bool]:
    """What the member follows in the spec."""
    return (SpecFollow.spec_id == spec.id) & (SpecFollow.user_id == user_id)


async def _follow_list(
    session: AsyncSession, spec: Spec, user_id: int, *, changed: bool
) -> FollowList:
    rows = (
        await session.execute(
            select(SpecFollow.scope, SpecFollow.target)
            .where(_follows_of(spec, user_id))
            .order_by(SpecFollow.scope, SpecFollow.target)
        )
    ).all()
    return FollowList(spec_ref(spec), tuple(FollowView(r.scope, r.target) for r in rows), changed)


class Following:
    """Members follow a whole spec, one of its tags or one endpoint, and unfollow them."""

    def __init__(self, db: Database, clock: Callable[[], datetime]) -> None:
        self._db = db
        self._clock = clock

    async def follow(
        self,
        guild_id: int,
        user_id: int,
        spec_name: str,
        *,
        tag: str | None = None,
        endpoint: str | None = None,
    ) -> FollowList:
        """Follow the spec (or one tag, or one endpoint of it); following twice changes nothing."""
        async with self._db.unit_of_work() as session:
            spec = await find_spec(session, guild_id, spec_name)
            scope, target = await _follow_target(session, spec, tag, endpoint)
            existing = await session.scalar(
                select(SpecFollow.id).where(
                    _follows_of(spec, user_id),
                    SpecFollow.scope == scope,
                    SpecFollow.target == target,
                )
            )
            if existing is not None:
                return await _follow_list(session, spec, user_id, changed=False)
            count = await session.scalar(
                select(func.count(SpecFollow.id)).where(_follows_of(spec, user_id))
            )
            if int(count or 0) >= FOLLOWS_PER_SPEC:
                raise BadInput(
                    f"You follow {FOLLOWS_PER_SPEC} things in `{spec.name}` already; follow the "
                    "whole spec instead, or unfollow something first."
                )
            session.add(
                SpecFollow(
                    guild_id=guild_id,
                    spec_id=spec.id,
                    user_id=user_id,
                    scope=scope,
                    target=target,
                    created_at=self._clock(),
                )
            )
            await session.flush()
            return await _follow_list(session, spec, user_id, changed=True)

    async def unfollow(
        self,
        guild_id: int,
        user_id: int,
        spec_name: str,
        *,
        tag: str | None = None,
        endpoint: str | None = None,
        everything: bool = False,
    ) -> FollowList:
        """Stop following the spec, a tag, an endpoint, or (`everything`) all of them at once."""
        async with self._db.unit_of_work() as session:
            spec = await find_spec(session, guild_id, spec_name)
            query = delete(SpecFollow).where(_follows_of(spec, user_id))
            if not everything:
                if endpoint is not None:
                    # An endpoint may be gone from the spec already: match the typed key too.
                    exact, _ = parse_endpoint_ref(endpoint)
                    try:
                        key = await resolve_key(session, spec, endpoint)
                    except NotFound:
                        if exact is None:
                            raise
                        key = exact
                    query = query.where(SpecFollow.scope == "endpoint", SpecFollow.target == key)
                elif tag is not None:
                    query = query.where(
                        SpecFollow.scope == "tag",
                        func.lower(SpecFollow.target) == tag.strip().lower(),
                    )
                else:
                    query = query.where(SpecFollow.scope == "spec")
            if rowcount(await session.execute(query)) == 0:
                raise NotFound(
                    f"You were not following that in `{spec.name}`. "
                    "`/spec follow` shows what you follow."
                )
            return await _follow_list(session, spec, user_id, changed=True)
