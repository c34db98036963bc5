"""What members type for specs: names, labels, notes, hand-typed endpoints, follow matching."""

from __future__ import annotations

import pytest

from bot.errors import BadInput
from bot.specs.diff import Change
from bot.specs.following import match_followers
from bot.specs.validation import (
    EXAMPLE_MAX,
    NOTE_MAX,
    choice_value,
    clean_label,
    make_manual_draft,
    make_note,
    parse_endpoint_ref,
    parse_spec_name,
)


@pytest.mark.parametrize("raw", ["bookings-api", "  Bookings-API ", "v2", "a"])
def test_spec_names(raw: str) -> None:
    assert parse_spec_name(raw) == raw.strip().lower()


@pytest.mark.parametrize(
    ("raw", "hint"),
    [
        ("Bookings API", "`bookings-api`"),
        ("-x", "`x`"),
        ("a" * 41, ""),
        ("caf\u00e9 api", "`cafe-api`"),
    ],
)
def test_bad_spec_names_get_a_hint(raw: str, hint: str) -> None:
    with pytest.raises(BadInput, match="lowercase letters, digits and dashes") as caught:
        parse_spec_name(raw)
    assert hint in caught.value.message


def test_labels() -> None:
    assert clean_label(" 2.0.0-rc1\n") == "2.0.0-rc1"
    for bad in ("", "   ", "#3", "12", "x" * 41):
        with pytest.raises(BadInput):
            clean_label(bad)


def test_notes() -> None:
    assert make_note("  404 when\tarchived \n") == "404 when    archived"
    for bad in ("", "@here look", "<@&123> look", "x" * (NOTE_MAX + 1)):
        with pytest.raises(BadInput):
            make_note(bad)


def test_hand_typed_endpoints() -> None:
    draft = make_manual_draft(" patch ", "/api/v1/listings/{id}/", " Update  a listing ", "", None)
    assert (draft.key, draft.summary, draft.request_example) == (
        "PATCH /api/v1/listings/{id}/",
        "Update a listing",
        None,
    )
    assert make_manual_draft("GET", "/a", "A", "not json").request_example == "not json"
    assert make_manual_draft("GET", "/a", "A", '{"a":1}').request_example == '{\n "a": 1\n}'


@pytest.mark.parametrize(
    ("method", "path", "summary", "example", "expected"),
    [
        ("FETCH", "/a", "s", None, "not an HTTP method"),
        ("GET", "a/b", "s", None, "must start with `/`"),
        ("GET", "/a b", "s", None, "no spaces"),
        ("GET", "/a", "", None, "one-line summary"),
        ("GET", "/a", "@everyone new endpoint", None, "mentions"),
        ("GET", "/a", "s", "x" * (EXAMPLE_MAX + 1), "at most"),
    ],
)
def test_bad_hand_typed_endpoints(
    method: str, path: str, summary: str, example: str | None, expected: str
) -> None:
    with pytest.raises(BadInput, match=expected):
        make_manual_draft(method, path, summary, example)


def test_endpoint_references() -> None:
    assert parse_endpoint_ref("get  /api/v1/x") == ("GET /api/v1/x", "get /api/v1/x")
    assert parse_endpoint_ref("bookings id") == (None, "bookings id")
    assert parse_endpoint_ref("~0123456789abcdef") == (None, "~0123456789abcdef")
    assert choice_value("GET /a") == "GET /a"
    long_key = "GET /" + "a" * 120
    assert choice_value(long_key).startswith("~")
    assert len(choice_value(long_key)) == 17


def test_follow_matching() -> None:
    changes = [
        Change("response-property-removed", "GET /b/{id}/", "m", ("bookings",)),
        Change("path-added", "GET /w/", "m", ("listings",)),
    ]
    follows = [
        (1, "endpoint", "GET /b/{id}/"),
        (1, "tag", "bookings"),
        (2, "tag", "reviews"),
        (3, "spec", ""),
    ]
    notices = {n.user_id: n for n in match_followers(follows, changes, first_import=False)}
    assert set(notices) == {1, 3}
    assert notices[1].counts == {"breaking": 1, "warning": 0, "info": 0}  # one change, once
    assert notices[1].reasons == ("`GET /b/{id}/`", "tag `bookings`")
    assert notices[3].total == 2
    first = match_followers(follows, [], first_import=True)
    assert [(n.user_id, n.first_import) for n in first] == [(3, True)]
