"""The diff, rule by rule: each rule has a before/after pair of real (small) OpenAPI documents."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import pytest

from bot.specs.diff import RULES, SEVERITY_ORDER, Change, diff
from bot.specs.openapi import OperationInfo, read_spec

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "openapi"
JSON = dict[str, Any]


def read(paths: JSON, *, security: list[JSON] | None = None) -> dict[str, OperationInfo]:
    document: JSON = {
        "openapi": "3.0.3",
        "info": {"title": "Bookings", "version": "1"},
        "paths": paths,
        "components": {
            "securitySchemes": {
                "jwt": {"type": "http", "scheme": "bearer"},
                "key": {"type": "apiKey", "in": "header", "name": "X-Key"},
            }
        },
    }
    if security is not None:
        document["security"] = security
    return read_spec(json.dumps(document).encode(), "bookings.json").operations


def schema(properties: JSON, required: list[str] | None = None) -> JSON:
    out: JSON = {"type": "object", "properties": properties}
    if required:
        out["required"] = required
    return out


def body(of: JSON, media: str = "application/json") -> JSON:
    return {media: {"schema": of}}


def operation(
    *,
    params: list[JSON] | None = None,
    request: JSON | None = None,
    request_required: bool = True,
    responses: JSON | None = None,
    **extra: Any,
) -> JSON:
    op: JSON = {
        "tags": ["bookings"],
        "responses": responses
        if responses is not None
        else {"200": {"description": "ok", "content": body(BOOKING)}},
    }
    if params:
        op["parameters"] = params
    if request is not None:
        op["requestBody"] = {"required": request_required, "content": request}
    op.update(extra)
    return op


def query(name: str, **schema_fields: Any) -> JSON:
    required = schema_fields.pop("required", False)
    deprecated = schema_fields.pop("deprecated", False)
    return {
        "name": name,
        "in": "query",
        "required": required,
        "deprecated": deprecated,
        "schema": {"type": "string", **schema_fields},
    }


BOOKING = schema(
    {
        "id": {"type": "integer"},
        "status": {"type": "string", "enum": ["pending", "confirmed"]},
        "email": {"type": "string", "format": "email"},
        "nights": {"type": "integer", "format": "int32"},
    },
    ["id", "status"],
)
CREATE = schema(
    {
        "listing": {"type": "integer"},
        "guests": {"type": "integer", "format": "int32"},
        "kind": {"type": "string", "enum": ["stay", "experience"]},
        "message": {"type": "string"},
    },
    ["listing"],
)


def with_schema(base: JSON, change: Any) -> JSON:
    out = copy.deepcopy(base)
    change(out)
    return out


def pair_for(rule: str) -> tuple[JSON, JSON, JSON | None, JSON | None]:
    """(paths before, paths after, root security before, after) for one rule."""
    item = {"get": operation()}
    bookings = "/bookings/"
    one = "/bookings/{id}/"
    path_id = {"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}
    post = {"post": operation(request=body(CREATE))}
    cases: dict[str, tuple[JSON, JSON]] = {
        "path-added": ({bookings: item}, {bookings: item, "/wishlists/": item}),
        "path-removed": ({bookings: item, "/wishlists/": item}, {bookings: item}),
        "operation-added": ({bookings: item}, {bookings: {**item, **post}}),
        "operation-removed": ({bookings: {**item, **post}}, {bookings: item}),
        "deprecated-operation-removed": (
            {bookings: {**item, "post": operation(deprecated=True)}},
            {bookings: item},
        ),
        "path-parameter-renamed": (
            {one: {"get": operation(params=[path_id])}},
            {
                "/bookings/{bookingId}/": {
                    "get": operation(params=[{**path_id, "name": "bookingId"}])
                }
            },
        ),
        "operation-deprecated": ({bookings: item}, {bookings: {"get": operation(deprecated=True)}}),
        "operation-undeprecated": (
            {bookings: {"get": operation(deprecated=True)}},
            {bookings: item},
        ),
        "parameter-added-required": (
            {bookings: item},
            {bookings: {"get": operation(params=[query("city", required=True)])}},
        ),
        "parameter-added-optional": (
            {bookings: item},
            {bookings: {"get": operation(params=[query("city")])}},
        ),
        "parameter-removed": (
            {bookings: {"get": operation(params=[query("city")])}},
            {bookings: item},
        ),
        "parameter-made-required": (
            {bookings: {"get": operation(params=[query("city")])}},
            {bookings: {"get": operation(params=[query("city", required=True)])}},
        ),
        "parameter-made-optional": (
            {bookings: {"get": operation(params=[query("city", required=True)])}},
            {bookings: {"get": operation(params=[query("city")])}},
        ),
        "parameter-type-changed": (
            {bookings: {"get": operation(params=[query("page")])}},
            {bookings: {"get": operation(params=[query("page", type="integer")])}},
        ),
        "parameter-format-changed": (
            {bookings: {"get": operation(params=[query("from", format="date")])}},
            {bookings: {"get": operation(params=[query("from", format="date-time")])}},
        ),
        "parameter-enum-value-removed": (
            {bookings: {"get": operation(params=[query("status", enum=["pending", "done"])])}},
            {bookings: {"get": operation(params=[query("status", enum=["pending"])])}},
        ),
        "parameter-enum-value-added": (
            {bookings: {"get": operation(params=[query("status", enum=["pending"])])}},
            {bookings: {"get": operation(params=[query("status", enum=["pending", "done"])])}},
        ),
        "parameter-deprecated": (
            {bookings: {"get": operation(params=[query("city")])}},
            {bookings: {"get": operation(params=[query("city", deprecated=True)])}},
        ),
        "request-body-added-required": (
            {bookings: {"post": operation()}},
            {bookings: {"post": operation(request=body(CREATE))}},
        ),
        "request-body-added-optional": (
            {bookings: {"post": operation()}},
            {bookings: {"post": operation(request=body(CREATE), request_required=False)}},
        ),
        "request-body-removed": ({bookings: post}, {bookings: {"post": operation()}}),
        "request-body-made-required": (
            {bookings: {"post": operation(request=body(CREATE), request_required=False)}},
            {bookings: post},
        ),
        "request-body-made-optional": (
            {bookings: post},
            {bookings: {"post": operation(request=body(CREATE), request_required=False)}},
        ),
        "request-media-type-removed": (
            {bookings: {"post": operation(request={**body(CREATE), **body(CREATE, "text/csv")})}},
            {bookings: post},
        ),
        "request-media-type-added": (
            {bookings: post},
            {bookings: {"post": operation(request={**body(CREATE), **body(CREATE, "text/csv")})}},
        ),
    }

    def request_change(mutate: Any) -> tuple[JSON, JSON]:
        return {bookings: post}, {
            bookings: {"post": operation(request=body(with_schema(CREATE, mutate)))}
        }

    def response_change(mutate: Any) -> tuple[JSON, JSON]:
        after = {"200": {"description": "ok", "content": body(with_schema(BOOKING, mutate))}}
        return {bookings: item}, {bookings: {"get": operation(responses=after)}}

    def add_coupon(required: bool) -> Any:
        def mutate(s: JSON) -> None:
            s["properties"]["coupon"] = {"type": "string"}
            if required:
                s["required"] = [*s["required"], "coupon"]

        return mutate

    def set_in(name: str, key: str, value: Any) -> Any:
        return lambda s: s["properties"][name].__setitem__(key, value)

    cases.update(
        {
            "request-property-added-required": request_change(add_coupon(True)),
            "request-property-added-optional": request_change(add_coupon(False)),
            "request-property-removed": request_change(lambda s: s["properties"].pop("message")),
            "request-property-made-required": request_change(
                lambda s: s.__setitem__("required", ["listing", "guests"])
            ),
            "request-property-made-optional": request_change(
                lambda s: s.__setitem__("required", [])
            ),
            "request-property-type-changed": request_change(set_in("guests", "type", "string")),
            "request-property-format-changed": request_change(set_in("guests", "format", "int64")),
            "request-property-enum-value-removed": request_change(set_in("kind", "enum", ["stay"])),
            "request-property-enum-value-added": request_change(
                set_in("kind", "enum", ["stay", "experience", "long-stay"])
            ),
            "response-property-added": response_change(
                lambda s: s["properties"].__setitem__("nights_left", {"type": "integer"})
            ),
            "response-property-removed": response_change(lambda s: s["properties"].pop("email")),
            "response-property-made-optional": response_change(
                lambda s: s.__setitem__("required", ["id"])
            ),
            "response-property-made-required": response_change(
                lambda s: s.__setitem__("required", ["id", "status", "email"])
            ),
            "response-property-type-changed": response_change(set_in("id", "type", "string")),
            "response-property-format-changed": response_change(
                set_in("nights", "format", "int64")
            ),
            "response-property-enum-value-added": response_change(
                set_in("status", "enum", ["pending", "confirmed", "cancelled"])
            ),
            "response-property-enum-value-removed": response_change(
                set_in("status", "enum", ["pending"])
            ),
        }
    )
    deprecated_nights = with_schema(BOOKING, set_in("nights", "deprecated", True))
    cases["deprecated-response-property-removed"] = (
        {
            bookings: {
                "get": operation(
                    responses={"200": {"description": "ok", "content": body(deprecated_nights)}}
                )
            }
        },
        {
            bookings: {
                "get": operation(
                    responses={
                        "200": {
                            "description": "ok",
                            "content": body(
                                with_schema(BOOKING, lambda s: s["properties"].pop("nights"))
                            ),
                        }
                    }
                )
            }
        },
    )
    # A breaking change (a removed method) released as a minor version (VERSIONS below).
    cases["breaking-without-major-version"] = cases["operation-removed"]
    error = {"description": "nope", "content": body(schema({"detail": {"type": "string"}}))}
    ok = {"description": "ok", "content": body(BOOKING)}
    cases.update(
        {
            "response-status-added": (
                {bookings: item},
                {bookings: {"get": operation(responses={"200": ok, "404": error})}},
            ),
            "response-success-status-removed": (
                {bookings: {"get": operation(responses={"200": ok, "206": ok})}},
                {bookings: item},
            ),
            "response-error-status-removed": (
                {bookings: {"get": operation(responses={"200": ok, "404": error})}},
                {bookings: item},
            ),
            "response-media-type-removed": (
                {
                    bookings: {
                        "get": operation(
                            responses={
                                "200": {
                                    **ok,
                                    "content": {**body(BOOKING), **body(BOOKING, "text/csv")},
                                }
                            }
                        )
                    }
                },
                {bookings: item},
            ),
        }
    )
    security: dict[str, tuple[JSON, JSON, list[JSON] | None, list[JSON] | None]] = {
        "security-added": ({bookings: item}, {bookings: item}, None, [{"jwt": []}]),
        "security-removed": ({bookings: item}, {bookings: item}, [{"jwt": []}], None),
        "security-changed": ({bookings: item}, {bookings: item}, [{"jwt": []}], [{"key": []}]),
        "security-alternative-added": (
            {bookings: item},
            {bookings: item},
            [{"jwt": []}],
            [{"jwt": []}, {"key": []}],
        ),
    }
    if rule in security:
        return security[rule]
    before, after = cases[rule]
    return before, after, None, None


# What a client written against the old version feels (independent of the RULES table).
BREAKING = {
    "path-removed",
    "operation-removed",
    "parameter-added-required",
    "parameter-made-required",
    "parameter-type-changed",
    "parameter-enum-value-removed",
    "request-body-added-required",
    "request-body-made-required",
    "request-media-type-removed",
    "request-property-added-required",
    "request-property-made-required",
    "request-property-type-changed",
    "request-property-enum-value-removed",
    "response-success-status-removed",
    "response-property-removed",
    "response-property-type-changed",
    "security-added",
    "security-changed",
    "breaking-without-major-version",
}
WARNING = {
    "deprecated-operation-removed",
    "deprecated-response-property-removed",
    "operation-deprecated",
    "parameter-removed",
    "parameter-format-changed",
    "parameter-deprecated",
    "request-body-removed",
    "request-property-removed",
    "request-property-format-changed",
    "response-error-status-removed",
    "response-media-type-removed",
    "response-property-made-optional",
    "response-property-format-changed",
    "response-property-enum-value-added",
    "security-removed",
}


# The (old, new) `info.version` of a rule's pair; a new major version for the others.
VERSIONS = {"breaking-without-major-version": ("1.4.0", "1.5.0")}


def expected_severity(rule: str) -> str:
    return "breaking" if rule in BREAKING else "warning" if rule in WARNING else "info"


@pytest.mark.parametrize("rule", sorted(RULES))
def test_each_rule_on_its_own_before_and_after_pair(rule: str) -> None:
    before, after, security_before, security_after = pair_for(rule)
    changes = diff(
        read(before, security=security_before),
        read(after, security=security_after),
        VERSIONS.get(rule, ("1.0.0", "2.0.0")),
    )
    matching = [c for c in changes if c.rule == rule]
    assert len(matching) == 1, f"{rule}: got {[(c.rule, c.message) for c in changes]}"
    assert matching[0].severity == expected_severity(rule)
    # A rule's pair shows that rule and, at most, the side effects of the same edit.
    assert all(c.endpoint for c in changes)


def test_every_rule_has_a_pair() -> None:
    for rule in RULES:
        pair_for(rule)  # raises KeyError for a rule without its documents


def test_an_unchanged_document_has_no_changes() -> None:
    operations = read_spec((FIXTURES / "bookings-v1.yaml").read_bytes(), "v1.yaml").operations
    assert diff(operations, operations) == []


def test_nested_additions_are_reported_once_on_the_new_parent() -> None:
    before = {"/bookings/": {"get": operation()}}
    guest = schema({"name": {"type": "string"}, "email": {"type": "string"}})
    after_schema = with_schema(BOOKING, lambda s: s["properties"].__setitem__("guest", guest))
    after = {
        "/bookings/": {
            "get": operation(
                responses={"200": {"description": "ok", "content": body(after_schema)}}
            )
        }
    }
    changes = diff(read(before), read(after))
    assert [(c.rule, c.message) for c in changes] == [
        ("response-property-added", "new response 200 property `guest`")
    ]


def test_the_bookings_v2_release_is_classed_as_a_client_would_feel_it() -> None:
    v1 = read_spec((FIXTURES / "bookings-v1.yaml").read_bytes(), "v1.yaml").operations
    v2 = read_spec((FIXTURES / "bookings-v2.yaml").read_bytes(), "v2.yaml").operations
    changes = diff(v1, v2)
    found = {(c.rule, c.endpoint) for c in changes}
    expected_breaking = {
        ("operation-removed", "DELETE /api/v1/bookings/{id}/"),
        ("request-property-added-required", "POST /api/v1/bookings/"),
        ("response-property-removed", "GET /api/v1/bookings/{id}/"),
        ("parameter-enum-value-removed", "GET /api/v1/bookings/"),
        ("security-added", "GET /api/v1/listings/{id}/availability/"),
        ("response-property-type-changed", "GET /api/v1/listings/{listing_id}/reviews/"),
    }
    assert expected_breaking <= found
    assert {
        ("path-added", "GET /api/v1/wishlists/"),
        ("path-added", "POST /api/v1/bookings/{id}/cancel/"),
        ("operation-deprecated", "PATCH /api/v1/listings/{id}/"),
        ("parameter-deprecated", "GET /api/v1/listings/"),
        ("response-error-status-removed", "POST /api/v1/bookings/"),
        ("path-parameter-renamed", "GET /api/v1/listings/{listing_id}/reviews/"),
        ("request-property-added-optional", "POST /api/v1/bookings/"),
    } <= found
    # The renamed reviews path is the same endpoint: no removal, no new required parameter.
    assert not any("reviews" in c.endpoint and c.rule.endswith("removed") for c in changes)
    assert not any(c.rule == "parameter-added-required" for c in changes)
    # Breaking first, then warnings, then info.
    ranks = [SEVERITY_ORDER[c.severity] for c in changes]
    assert ranks == sorted(ranks)
    assert all(isinstance(c, Change) and c.tags for c in changes)


LIVE_LINK = re.compile(r"(?<!\\)\[[^\]]*\]\((?:https?:)?//")


def test_text_from_the_document_never_makes_a_live_link() -> None:
    """A summary, enum value, media type or property name holding a masked link reaches the
    change messages as text: no `[label](https://…)` Discord would render as a link."""
    bait = "[Claim your free Nitro](https://nitro.example/claim)"
    old = read({"/a": {"get": operation(summary="Read")}})
    new = read(
        {
            "/a": {"get": operation(summary="Read", params=[query("q", enum=[bait])])},
            "/b": {"get": operation(summary=bait)},
            "/c": {"post": operation(request=body(schema({bait: {"type": "string"}})))},
        }
    )
    messages = [change.message for change in diff(old, new)]
    assert any("Claim your free Nitro" in m for m in messages), messages
    assert [m for m in messages if LIVE_LINK.search(m)] == []
