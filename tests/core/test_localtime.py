from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.core.localtime import (
    POPULAR_ZONES,
    first_due_on_or_after,
    local_due,
    parse_time_of_day,
    resolve_timezone,
    suggest_timezones,
    utc_offset,
)
from bot.errors import BadInput

BERLIN = ZoneInfo("Europe/Berlin")


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("09:00", time(9, 0)),
        ("9:00", time(9, 0)),
        (" 0900 ", time(9, 0)),
        ("18.30", time(18, 30)),
        ("7h05", time(7, 5)),
        ("00:00", time(0, 0)),
        ("23:59", time(23, 59)),
        ("9am", time(9, 0)),
        ("6:30 pm", time(18, 30)),
        ("12am", time(0, 0)),
        ("12 p.m.", time(12, 0)),
    ],
)
def test_times_people_type_are_understood(typed: str, expected: time) -> None:
    assert parse_time_of_day(typed) == expected


@pytest.mark.parametrize("typed", ["", "9", "24:00", "9:60", "13pm", "0am", "noon", "9:5", "-1:00"])
def test_bad_times_get_a_clear_error(typed: str) -> None:
    with pytest.raises(BadInput, match="HH:MM"):
        parse_time_of_day(typed)


@pytest.mark.parametrize(
    ("typed", "zone"),
    [
        ("Europe/Berlin", "Europe/Berlin"),
        ("europe/berlin", "Europe/Berlin"),
        ("Lagos", "Africa/Lagos"),
        ("new york", "America/New_York"),
        ("America/New York", "America/New_York"),
        ("utc", "UTC"),
        ("GMT", "UTC"),
        ("US/Eastern", "US/Eastern"),  # a legacy alias: accepted when typed, never suggested
    ],
)
def test_time_zones_resolve_to_iana_names(typed: str, zone: str) -> None:
    assert resolve_timezone(typed) == zone


def test_unknown_zone_names_the_problem_and_suggests() -> None:
    with pytest.raises(BadInput, match="not a time zone") as raised:
        resolve_timezone("Europe/Berln")
    assert "Europe/Berlin" in raised.value.message
    with pytest.raises(BadInput):
        resolve_timezone("localtime")  # the host's zone is exactly what Nexus must not use
    with pytest.raises(BadInput):
        resolve_timezone("   ")


def test_autocomplete_ranks_cities_and_never_exceeds_25() -> None:
    assert suggest_timezones("berl")[0] == "Europe/Berlin"
    assert suggest_timezones("nairobi") == ["Africa/Nairobi"]
    assert suggest_timezones("Berln")[0] == "Europe/Berlin"  # a typo still finds it
    assert suggest_timezones("") == list(POPULAR_ZONES[:25])
    for query in ("", "a", "america", "e", "/"):
        found = suggest_timezones(query)
        assert 0 < len(found) <= 25
        assert all(resolve_timezone(z) == z for z in found)
    assert suggest_timezones("zzzzqqq") == []
    assert not any(z.startswith(("Etc/", "US/")) for z in suggest_timezones("e"))


def test_utc_offsets_follow_dst() -> None:
    winter = datetime(2026, 1, 15, 12, tzinfo=UTC)
    summer = datetime(2026, 7, 15, 12, tzinfo=UTC)
    assert utc_offset("Europe/Berlin", winter) == "UTC+01:00"
    assert utc_offset("Europe/Berlin", summer) == "UTC+02:00"
    assert utc_offset("Asia/Kolkata", summer) == "UTC+05:30"
    assert utc_offset("America/New_York", winter) == "UTC-05:00"
    assert utc_offset("UTC", winter) == "UTC"


@pytest.mark.parametrize(
    "zone", ["Europe/Berlin", "America/New_York", "Asia/Kolkata", "Africa/Lagos", "UTC"]
)
def test_nine_oclock_is_nine_on_the_wall_every_day_of_the_year(zone: str) -> None:
    tz = ZoneInfo(zone)
    day = date(2026, 1, 1)
    offsets = set()
    while day.year == 2026:
        due = local_due(day, time(9), tz)
        assert due is not None
        assert due.tzinfo is UTC
        local = due.astimezone(tz)
        assert (local.date(), local.time()) == (day, time(9))
        offsets.add(local.utcoffset())
        day += timedelta(days=1)
    assert len(offsets) == (2 if zone in {"Europe/Berlin", "America/New_York"} else 1)


def test_berlin_nine_oclock_moves_in_utc_across_both_transitions() -> None:
    nine = time(9)
    assert local_due(date(2026, 3, 28), nine, BERLIN) == datetime(2026, 3, 28, 8, tzinfo=UTC)
    assert local_due(date(2026, 3, 29), nine, BERLIN) == datetime(2026, 3, 29, 7, tzinfo=UTC)
    assert local_due(date(2026, 10, 24), nine, BERLIN) == datetime(2026, 10, 24, 7, tzinfo=UTC)
    assert local_due(date(2026, 10, 25), nine, BERLIN) == datetime(2026, 10, 25, 8, tzinfo=UTC)


def test_a_time_in_the_spring_gap_posts_when_the_clocks_jump() -> None:
    # 29 March 2026: Berlin goes from 02:00 CET straight to 03:00 CEST (01:00 UTC).
    due = local_due(date(2026, 3, 29), time(2, 30), BERLIN)
    assert due == datetime(2026, 3, 29, 1, 0, tzinfo=UTC)
    assert due.astimezone(BERLIN).time() == time(3, 0)
    # New York, 8 March 2026: 02:00 EST -> 03:00 EDT (07:00 UTC).
    ny = local_due(date(2026, 3, 8), time(2, 30), ZoneInfo("America/New_York"))
    assert ny == datetime(2026, 3, 8, 7, 0, tzinfo=UTC)
    # Lord Howe Island moves by half an hour: 02:00 -> 02:30 on 4 October 2026.
    lord_howe = ZoneInfo("Australia/Lord_Howe")
    lh = local_due(date(2026, 10, 4), time(2, 15), lord_howe)
    assert lh is not None
    assert lh.astimezone(lord_howe).time() == time(2, 30)


def test_a_time_in_the_autumn_fold_posts_at_its_first_occurrence() -> None:
    # 25 October 2026: 02:00-03:00 happens twice in Berlin (CEST, then CET).
    due = local_due(date(2026, 10, 25), time(2, 30), BERLIN)
    assert due == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
    assert due.astimezone(BERLIN).fold == 0


def test_a_local_date_that_never_happened_has_no_post() -> None:
    apia = ZoneInfo("Pacific/Apia")  # Samoa skipped Friday 30 December 2011
    assert local_due(date(2011, 12, 30), time(9), apia) is None
    after = first_due_on_or_after(date(2011, 12, 30), time(9), apia)
    assert after.astimezone(apia).date() == date(2011, 12, 31)
