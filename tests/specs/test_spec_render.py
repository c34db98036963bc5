"""Spec embeds and messages stay inside Discord's limits and ping only followers."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.specs.diff import Change, diff
from bot.specs.model import (
    EndpointView,
    FollowerNotice,
    FollowView,
    ImportReport,
    ManualEndpoint,
    NoteView,
    SpecRef,
    VersionRef,
)
from bot.specs.openapi import OperationInfo, Problem, read_spec
from cogs._kit import text
from cogs._kit.limits import MESSAGE_CONTENT, embed_problems
from cogs.specs import endpoint, render

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "openapi"
NOW = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
SPEC = SpecRef(1, "bookings-api", "Nestly Bookings API")


def version(number: int, label: str) -> VersionRef:
    return VersionRef(number, number, label, "3.0.3", 14, NOW, 1)


def operations(name: str) -> dict[str, OperationInfo]:
    return read_spec((FIXTURES / name).read_bytes(), name).operations


def report(
    changes: tuple[Change, ...] = (),
    followers: tuple[FollowerNotice, ...] = (),
    *,
    first: bool = False,
    warnings: tuple[Problem, ...] = (),
) -> ImportReport:
    return ImportReport(
        spec=SPEC,
        version=version(2, "2.0.0"),
        previous=None if first else version(1, "1.0.0"),
        source_format="yaml",
        warnings=warnings,
        warning_count=len(warnings),
        changes=changes,
        announce_channel_id=None,
        followers=followers,
        analyse_seconds=0.4,
        store_seconds=0.1,
    )


@pytest.mark.parametrize(
    "key",
    [
        "POST /api/v1/bookings/",
        "GET /api/v1/bookings/{id}/",
        "GET /api/v1/listings/",
        "POST /api/v1/listings/{listing_id}/reviews/",
    ],
)
def test_endpoint_embeds_fit(key: str) -> None:
    op = operations("bookings-v2.yaml")[key]
    notes = tuple(
        NoteView(i, 10 + i, "404 when the listing is archived. " * 9, NOW) for i in range(5)
    )
    view = EndpointView(SPEC, version(2, "2.0.0"), key, op, None, notes, 12)
    embed = endpoint.endpoint_embed(view)
    assert embed_problems(embed) == []
    names = [f.name for f in embed.fields]
    assert "📝 Notes from peers (12)" in names
    assert embed.description is not None
    assert "🔐" in embed.description or "🌐" in embed.description


def test_an_endpoint_shows_its_parts() -> None:
    op = operations("bookings-v2.yaml")["POST /api/v1/bookings/"]
    embed = endpoint.endpoint_embed(EndpointView(SPEC, None, op["key"], op, None, (), 0))
    fields = {f.name: f.value or "" for f in embed.fields}
    assert "payment_method" in fields["Request body (required)"]
    assert "card|mpesa|chapa *" in fields["Request body (required)"]
    assert '"payment_method": "mpesa"' in fields["Request example"]
    assert "`201`" in fields["Responses"]
    assert "Response 201 body" in fields
    assert embed.description is not None
    assert "`jwtAuth` (HTTP bearer \\(JWT\\)) **or** `sessionAuth`" in embed.description


def test_a_huge_endpoint_still_fits() -> None:
    op = operations("bookings-v1.yaml")["GET /api/v1/bookings/"]
    op["summary"] = "s" * 300
    op["description"] = "d" * 5000
    op["parameters"] = [dict(op["parameters"][0], name=f"p{i}" * 20) for i in range(60)]  # type: ignore[misc]
    view = EndpointView(SPEC, None, op["key"], op, None, (), 0)
    assert embed_problems(endpoint.endpoint_embed(view)) == []


def test_a_hand_typed_endpoint() -> None:
    manual = ManualEndpoint("Start an M-Pesa payment", '{"booking": 1}', "```\nhi", 5, NOW)
    view = EndpointView(SPEC, None, "POST /pay/", None, manual, (), 0)
    embed = endpoint.endpoint_embed(view)
    assert embed_problems(embed) == []
    assert "Typed by hand by <@5>" in (embed.description or "")
    response = next(f.value for f in embed.fields if f.name.startswith("Response example"))
    assert response is not None
    assert response.count("```") == 2  # a fence in the example cannot break out


def test_markdown_in_member_text_is_escaped() -> None:
    manual = ManualEndpoint("**bold** _x_ `code`", None, None, 5, NOW)
    embed = endpoint.endpoint_embed(EndpointView(SPEC, None, "GET /a_b/", None, manual, (), 0))
    assert "\\*\\*bold\\*\\*" in (embed.description or "")


def test_the_announcement_puts_breaking_changes_first_and_fits() -> None:
    changes = tuple(diff(operations("bookings-v1.yaml"), operations("bookings-v2.yaml")))
    embed = render.announcement_embed(report(changes), importer_id=42)
    assert embed_problems(embed) == []
    assert embed.description is not None
    lines = [line for line in embed.description.split("\n") if line[:1] in "🔴🟡🔵"]
    icons = [line[0] for line in lines]
    assert icons == sorted(icons, key="🔴🟡🔵".index)
    assert icons[0] == "🔴"
    assert "imported by <@42>" in embed.description


def test_a_long_changelog_is_cut_with_a_pointer_to_the_rest() -> None:
    many = tuple(Change("response-property-removed", f"GET /r/{i}/", "x" * 200) for i in range(80))
    embed = render.announcement_embed(report(many), importer_id=42)
    assert embed_problems(embed) == []
    assert re.search(r"…and \d+ more: `/spec changes spec:bookings-api`", embed.description or "")


def test_follower_notices_mention_exactly_their_users() -> None:
    followers = tuple(
        FollowerNotice(
            10**17 + i, ("tag `bookings`", "`GET /api/v1/bookings/{id}/`"), {"breaking": 2}
        )
        for i in range(120)
    )
    messages = render.follower_notices(report((), followers))
    assert len(messages) > 1
    seen: list[int] = []
    for content, users in messages:
        assert len(content) <= MESSAGE_CONTENT
        assert [int(u) for u in re.findall(r"<@(\d+)>", content)] == users
        assert "@everyone" not in content
        seen += users
    assert seen == [f.user_id for f in followers]


def test_no_followers_no_notice() -> None:
    assert render.follower_notices(report()) == []


def test_first_import_notice() -> None:
    notice = FollowerNotice(7, ("every change",), {}, first_import=True)
    [(content, users)] = render.follower_notices(report((), (notice,), first=True))
    assert users == [7]
    assert "first imported version" in content


def test_the_importer_sees_warnings() -> None:
    warnings = tuple(Problem(f"defect {i} *here*", f"/paths/{i}", i) for i in range(20))
    embed = render.import_embed(report(warnings=warnings))
    assert embed_problems(embed) == []
    field = embed.fields[0]
    assert field.name == "⚠️ 20 warnings (imported anyway)"
    assert "…and 12 more." in (field.value or "")
    assert "defect 0 \\*here\\*" in (field.value or "")


def test_code_spans_cannot_be_closed_by_member_text() -> None:
    assert text.code("a`b") == "`aˋb`"
    assert text.block("x```y", 50).count("```") == 2


def test_change_counts_read_as_plain_english() -> None:
    assert render.counts_line({"breaking": 10, "warning": 1, "info": 23}) == (
        "🔴 10 breaking changes · 🟡 1 warning · 🔵 23 compatible changes"
    )
    assert render.counts_line({"breaking": 1}) == "🔴 1 breaking change"
    assert render.counts_line({}) == "no changes"


def live_links(content: str) -> list[str]:
    """Masked links Discord would render: outside code spans, not escaped."""
    outside_code = re.sub(r"`[^`]*`", "", content)
    return re.findall(r"(?<!\\)\[[^\]]*\]\((?:https?:)?//[^)]*\)", outside_code)


def test_document_text_in_a_follower_notice_makes_no_live_link() -> None:
    """A version label or a tag from a document, holding a backtick and a masked link, stays
    text in the notice that pings followers."""
    bait = "x` [Claim your free Nitro](https://nitro.example/claim) `y"
    tagged = FollowerNotice(7, (FollowView("tag", bait).describe(),), {"breaking": 1})
    labelled = replace(report((), (tagged,)), version=version(2, bait))
    [(content, users)] = render.follower_notices(labelled)
    assert users == [7]
    assert "Claim your free Nitro" in content
    assert live_links(content) == []
