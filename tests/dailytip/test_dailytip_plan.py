from __future__ import annotations

import itertools
import random
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta

from hypothesis import given
from hypothesis import strategies as st

from bot.dailytip.model import MISSED, PENDING, POSTED, Post, Schedule, TipJob
from bot.dailytip.plan import (
    FIRST_RETRY,
    MAX_RETRY,
    STAND_IN,
    next_action_at,
    next_in_rotation,
    plan,
    retry_delay,
)
from bot.learnings.model import Learning

NOW = datetime(2026, 6, 10, 12, 0, tzinfo=UTC)  # 14:00 in Berlin
BERLIN_NINE = datetime(2026, 6, 10, 7, 0, tzinfo=UTC)
BERLIN_NINE_TOMORROW = BERLIN_NINE + timedelta(days=1)


def schedule(
    guild: int = 1, at: time = time(9), zone: str = "Europe/Berlin", **kw: object
) -> Schedule:
    values: dict[str, object] = {
        "guild_id": guild,
        "channel_id": 100 + guild,
        "at": at,
        "timezone": zone,
        "enabled": True,
        "active_from": NOW - timedelta(days=30),
        "rotation_seed": 42,
    }
    values.update(kw)
    return Schedule(**values)  # type: ignore[arg-type]


def post(guild: int = 1, day: date = date(2026, 6, 10), status: str = POSTED, **kw: object) -> Post:
    values: dict[str, object] = {
        "id": guild * 1000 + day.toordinal() % 1000,
        "guild_id": guild,
        "local_date": day,
        "channel_id": 100 + guild,
        "tip_slug": "a-tip",
        "rotation_round": 0,
        "status": status,
        "attempts": 1,
        "next_attempt_at": NOW - timedelta(hours=5),
        "lease_owner": None,
        "lease_until": None,
        "claimed_at": NOW - timedelta(hours=5),
        "posted_at": None,
        "message_id": None,
        "last_error": None,
    }
    values.update(kw)
    return Post(**values)  # type: ignore[arg-type]


# -- the rotation -----------------------------------------------------------------------------


def walk(slugs: list[str], days: int, seed: int = 7) -> list[tuple[str, int]]:
    history: list[tuple[str, int]] = []
    for _ in range(days):
        round_number = history[-1][1] if history else 0
        used = [s for s, r in history if r == round_number]
        picked = next_in_rotation(
            slugs, used, round_number, seed, history[-1][0] if history else None
        )
        assert picked is not None
        history.append(picked)
    return history


def test_rotation_shows_every_tip_once_per_round() -> None:
    slugs = [f"tip-{i}" for i in range(7)]
    history = walk(slugs, 21)
    for round_number in range(3):
        shown = [s for s, r in history if r == round_number]
        assert sorted(shown) == slugs
    assert [s for s, _ in history[:7]] != sorted(slugs)  # shuffled, not alphabetical
    assert [s for s, _ in history[:7]] != [s for s, _ in history[7:14]]  # each round anew


@given(st.integers(min_value=2, max_value=30), st.integers(min_value=0, max_value=2**62))
def test_rotation_never_repeats_before_covering_all(count: int, seed: int) -> None:
    slugs = [f"t{i}" for i in range(count)]
    history = walk(slugs, count * 3, seed)
    for start in range(0, count * 3, count):
        assert len({s for s, _ in history[start : start + count]}) == count
    assert all(a[0] != b[0] for a, b in itertools.pairwise(history))


def test_rotation_differs_between_servers() -> None:
    slugs = [f"tip-{i}" for i in range(10)]
    assert walk(slugs, 10, seed=1) != walk(slugs, 10, seed=2)


def test_a_new_tip_joins_the_running_round_and_a_deleted_one_is_skipped() -> None:
    slugs = [f"tip-{i}" for i in range(6)]
    full_round = [s for s, _ in walk(slugs, 6)]
    used, gone = full_round[:3], full_round[4]
    current = [s for s in slugs if s != gone] + ["brand-new"]
    rest: list[str] = []
    while (picked := next_in_rotation(current, used + rest, 0, 7)) is not None and picked[1] == 0:
        rest.append(picked[0])
    assert sorted(used + rest) == sorted(current)  # every current tip once, the new one too
    assert gone not in rest
    # A tip's rank is its own: the tips still due keep the order they had before the change.
    assert [s for s in rest if s != "brand-new"] == [s for s in full_round[3:] if s != gone]


def test_rotation_of_nothing_is_nothing_and_of_one_repeats_it() -> None:
    assert next_in_rotation([], [], 0, 1) is None
    assert next_in_rotation(["only"], ["only"], 0, 1, previous="only") == ("only", 1)


# -- when is what due ------------------------------------------------------------------------


def test_a_fresh_schedule_waits_for_its_time_today() -> None:
    morning = datetime(2026, 6, 10, 5, 0, tzinfo=UTC)
    s = schedule(active_from=morning)
    assert next_action_at(s, None, morning) == BERLIN_NINE
    result = plan(morning, [s], [])
    assert not result.has_work
    assert result.next_at == BERLIN_NINE


def test_scheduled_after_todays_time_starts_tomorrow() -> None:
    s = schedule(active_from=NOW)
    assert next_action_at(s, None, NOW) == BERLIN_NINE_TOMORROW
    assert plan(NOW, [s], []).claims == ()


def test_after_downtime_the_same_days_tip_is_caught_up() -> None:
    s = schedule()
    result = plan(NOW, [s], [])
    assert result.claims == (s,)


def test_a_posted_day_waits_for_tomorrow() -> None:
    s = schedule()
    result = plan(NOW, [s], [post(status=POSTED)])
    assert not result.has_work
    assert result.next_at == BERLIN_NINE_TOMORROW


def test_yesterdays_row_does_not_stand_for_today() -> None:
    s = schedule()
    result = plan(NOW, [s], [post(day=date(2026, 6, 9), status=POSTED)])
    assert result.claims == (s,)


def test_a_failed_post_is_retried_when_its_backoff_ends() -> None:
    s = schedule()
    waiting = post(status=PENDING, next_attempt_at=NOW + timedelta(minutes=2))
    result = plan(NOW, [s], [waiting])
    assert not result.has_work
    assert result.next_at == NOW + timedelta(minutes=2)
    due = replace(waiting, next_attempt_at=NOW - timedelta(seconds=1))
    assert plan(NOW, [s], [due]).retries == ((s, due),)


def test_another_processs_server_is_claimed_only_as_a_stand_in_a_little_later() -> None:
    s = schedule(active_from=BERLIN_NINE - timedelta(days=1))
    theirs = plan(BERLIN_NINE, [s], [], elsewhere=lambda guild_id: guild_id == s.guild_id)
    assert not theirs.has_work
    assert theirs.next_at == BERLIN_NINE + STAND_IN
    assert plan(BERLIN_NINE, [s], [], elsewhere=lambda guild_id: False).claims == (s,)
    later = BERLIN_NINE + STAND_IN
    assert plan(later, [s], [], elsewhere=lambda guild_id: True).claims == (s,)
    # A claim the holder left behind is retried by anyone as soon as it may be.
    left = post(status=PENDING, next_attempt_at=BERLIN_NINE - timedelta(seconds=1))
    retried = plan(BERLIN_NINE, [s], [left], elsewhere=lambda guild_id: True)
    assert retried.retries == ((s, left),)


def test_a_claim_in_flight_elsewhere_is_left_alone_until_its_lease_ends() -> None:
    s = schedule()
    busy = post(status=PENDING, lease_owner="other", lease_until=NOW + timedelta(seconds=90))
    result = plan(NOW, [s], [busy])
    assert not result.has_work
    assert result.next_at == NOW + timedelta(seconds=90)


def test_a_pending_claim_from_yesterday_is_missed_never_posted_today() -> None:
    s = schedule()
    stale = post(day=date(2026, 6, 9), status=PENDING)
    result = plan(NOW, [s], [stale])
    assert result.expire == (stale,)
    assert result.retries == ()
    assert result.claims == (s,)  # today's own tip is still owed


def test_a_stopped_schedules_pending_claim_is_dropped() -> None:
    s = schedule(enabled=False)
    pending = post(status=PENDING)
    result = plan(NOW, [s], [pending])
    assert result.drop == (pending,)
    assert result.claims == ()
    assert result.next_at is None


def test_one_servers_pause_does_not_hold_the_others() -> None:
    a, b = schedule(1), schedule(2)
    result = plan(NOW, [a, b], [], holds={1: NOW + timedelta(minutes=5)})
    assert result.claims == (b,)
    assert result.next_at == NOW + timedelta(minutes=5)


def test_next_at_is_the_earliest_server() -> None:
    early = schedule(1, zone="Asia/Kolkata", at=time(23, 0))  # 17:30 UTC
    late = schedule(2, zone="America/New_York", at=time(20, 0))  # 00:00 UTC tomorrow
    rows = [post(1, status=MISSED, day=date(2026, 6, 9))]
    result = plan(NOW, [late, early], rows)
    assert result.next_at == datetime(2026, 6, 10, 17, 30, tzinfo=UTC)


def test_retry_backoff_grows_and_honours_retry_after() -> None:
    rng = random.Random(1)
    delays = [retry_delay(n, None, rng) for n in range(1, 12)]
    assert delays[0] >= FIRST_RETRY
    assert all(b > a for a, b in itertools.pairwise(delays[:5]))  # doubling beats the jitter
    assert max(delays) <= MAX_RETRY * 1.1
    assert retry_delay(1, 600, rng) >= timedelta(seconds=600)


def test_the_nonce_is_stable_per_server_and_day() -> None:
    tip = Learning("t", "tip", "T", "python", "s", "b")
    job = TipJob(1, 5, 6, date(2026, 1, 1), tip, 1, NOW)
    again = replace(job, post_id=2, attempt=3)
    other_day = replace(job, local_date=date(2026, 1, 2))
    assert job.nonce == again.nonce != other_day.nonce
    assert 0 < job.nonce < 2**63
    assert len(str(job.nonce)) <= 25  # Discord's limit on a nonce
