"""Local time for a server: times of day typed by people, IANA zones, and DST-proof instants."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from rapidfuzz import fuzz, process

from bot.errors import BadInput

# Zones offered by autocomplete; others that zoneinfo knows (US/Eastern, Etc/GMT-3) are accepted
# when typed but not suggested, since they are legacy aliases or have surprising signs.
SUGGESTED_REGIONS = (
    "Africa/",
    "America/",
    "Antarctica/",
    "Asia/",
    "Atlantic/",
    "Australia/",
    "Europe/",
    "Indian/",
    "Pacific/",
)
NOT_ZONES = frozenset({"localtime", "Factory", "posixrules"})
# Shown before anything is typed: where the community lives first, then the usual suspects.
POPULAR_ZONES = (
    "Africa/Lagos",
    "Africa/Nairobi",
    "Africa/Accra",
    "Africa/Cairo",
    "Africa/Johannesburg",
    "Africa/Kigali",
    "Africa/Addis_Ababa",
    "Africa/Casablanca",
    "Africa/Kampala",
    "Africa/Dar_es_Salaam",
    "UTC",
    "Europe/London",
    "Europe/Berlin",
    "Europe/Paris",
    "America/New_York",
    "America/Chicago",
    "America/Los_Angeles",
    "America/Sao_Paulo",
    "Asia/Kolkata",
    "Asia/Dubai",
    "Asia/Singapore",
    "Asia/Tokyo",
    "Australia/Sydney",
)
UTC_NAMES = {"utc", "gmt", "z", "zulu", "universal"}
TIME_RE = re.compile(
    r"(?P<hour>\d{1,2})(?:\s*[:.h]?\s*(?P<minute>\d{2}))?(?:\s*(?P<half>[ap])\.?\s*m?\.?)?",
    re.IGNORECASE,
)


@lru_cache(maxsize=1)
def known_zones() -> dict[str, str]:
    """Every zone name zoneinfo can load, keyed by its case-folded form."""
    return {z.casefold(): z for z in available_timezones() if z not in NOT_ZONES}


@lru_cache(maxsize=1)
def suggested_zones() -> tuple[str, ...]:
    """The zones autocomplete may suggest: UTC, then every zone of SUGGESTED_REGIONS, sorted."""
    zones = sorted(z for z in known_zones().values() if z.startswith(SUGGESTED_REGIONS))
    return ("UTC", *zones)


def _city(zone: str) -> str:
    return zone.rsplit("/", 1)[-1].replace("_", " ").casefold()


def _key(text: str) -> str:
    return " ".join(text.replace("_", " ").split()).casefold()


def resolve_timezone(text: str) -> str:
    """The IANA zone named by `text` (any case; a unique city name is enough), else BadInput."""
    raw = text.strip()
    if not raw:
        raise BadInput("Choose a time zone, e.g. `Africa/Lagos` or `Europe/Berlin`.")
    if raw.casefold() in UTC_NAMES:
        return "UTC"
    zones = known_zones()
    exact = zones.get(raw.replace(" ", "_").casefold())
    if exact is not None:
        return exact
    key = _key(raw)
    by_city = [z for z in suggested_zones() if _city(z) == key]
    if len(by_city) == 1:
        return by_city[0]
    close = suggest_timezones(raw, limit=3)
    hint = f" Did you mean {', '.join(f'`{z}`' for z in close)}?" if close else ""
    raise BadInput(
        f"`{raw[:64]}` is not a time zone I know.{hint} Pick one from the list as you type "
        "(IANA names such as `Africa/Nairobi`)."
    )


def zone_info(name: str) -> ZoneInfo:
    """The ZoneInfo for a stored zone name; UTC if the name is no longer known."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def suggest_timezones(query: str, limit: int = 25) -> list[str]:
    """Zones for autocomplete: city or name prefixes first, then substrings, then close typos."""
    key = _key(query)
    if not key:
        return list(POPULAR_ZONES[:limit])
    ranked: list[tuple[int, str]] = []
    for zone in suggested_zones():
        name, city = _key(zone), _city(zone)
        if name == key or city == key:
            rank = 0
        elif city.startswith(key):
            rank = 1
        elif name.startswith(key):
            rank = 2
        elif key in city:
            rank = 3
        elif key in name:
            rank = 4
        else:
            continue
        ranked.append((rank, zone))
    ranked.sort()
    found = [zone for _, zone in ranked[:limit]]
    city_key = key.rsplit("/", 1)[-1].strip()
    if len(found) < limit and len(city_key) >= 3:
        zones = suggested_zones()
        cities = [_city(z) for z in zones]
        for _, score, index in process.extract(city_key, cities, scorer=fuzz.ratio, limit=limit):
            if score >= 70 and zones[index] not in found:
                found.append(zones[index])
    return found[:limit]


def utc_offset(zone: str, at: datetime) -> str:
    """`UTC+01:00`, `UTC-04:00` or `UTC` for `zone` at the instant `at`."""
    offset = at.astimezone(zone_info(zone)).utcoffset() or timedelta(0)
    if not offset:
        return "UTC"
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes > 0 else "-"
    hours, mins = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours:02d}:{mins:02d}"


def parse_time_of_day(text: str) -> time:
    """`09:00`, `9:00`, `0900`, `18.30`, `9am`, `6:30 pm` -> a time of day, else BadInput."""
    raw = text.strip()
    match = TIME_RE.fullmatch(raw)
    problem = BadInput(
        f"`{raw[:20]}` is not a time of day. Use 24-hour `HH:MM`, e.g. `09:00` or `18:30`."
    )
    if match is None:
        raise problem
    hour, minute = int(match["hour"]), int(match["minute"] or 0)
    if match["half"]:
        if not 1 <= hour <= 12:
            raise problem
        hour = hour % 12 + (12 if match["half"].lower() == "p" else 0)
    elif match["minute"] is None:
        raise problem  # a bare "9" is too ambiguous to guess
    if hour > 23 or minute > 59:
        raise problem
    return time(hour, minute)


def local_due(day: date, at: time, zone: ZoneInfo) -> datetime | None:
    """The UTC instant of a daily post at wall-clock time `at` on local date `day` in `zone`.

    The rule is deliberate and the same for every case: the post is due at the FIRST INSTANT OF
    `day` AT WHICH THE LOCAL WALL CLOCK READS `at` OR LATER. So:

    - an ordinary day: exactly `at` local; 09:00 Europe/Berlin is 08:00 UTC in winter and
      07:00 UTC in summer, 09:00 on the wall all year;
    - `at` skipped by a spring-forward gap (02:30 in Berlin on the last Sunday of March, when
      clocks jump from 02:00 to 03:00): due at the jump, 03:00 local, the first moment 02:30
      has passed; that day's tip is neither skipped nor an hour late;
    - `at` repeated by a fall-back fold (02:30 happens twice on the last Sunday of October): due
      at the first occurrence (summer time, fold=0); the second falls on the same local date,
      whose slot is already claimed, so nothing posts twice;
    - a local date that does not exist at all (Samoa skipped 30 December 2011): None, no post.
    """
    naive = datetime.combine(day, at)
    first = naive.replace(tzinfo=zone, fold=0)
    instant = first.astimezone(UTC)
    if instant.astimezone(zone).replace(tzinfo=None) == naive:
        return instant  # exists; for a fold, fold=0 is the earlier of the two instants
    # `at` falls in a gap. Read with the offset after the jump it lies before the jump, read with
    # the offset before it lies after; find the first second at which the wall clock passes it.
    bounds = sorted((instant, naive.replace(tzinfo=zone, fold=1).astimezone(UTC)))
    low, high = int(bounds[0].timestamp()), int(bounds[1].timestamp())
    while low < high:
        middle = (low + high) // 2
        wall = datetime.fromtimestamp(middle, zone).replace(tzinfo=None)
        if wall >= naive:
            high = middle
        else:
            low = middle + 1
    due = datetime.fromtimestamp(low, UTC)
    return due if due.astimezone(zone).date() == day else None


def first_due_on_or_after(day: date, at: time, zone: ZoneInfo) -> datetime:
    """The first due instant on local date `day` or a later one."""
    for offset in range(3):  # at most one local date can be missing in a row
        due = local_due(day + timedelta(days=offset), at, zone)
        if due is not None:
            return due
    raise ValueError(f"no local date from {day} on has a {at} in {zone}")  # pragma: no cover
