"""API specs through the real bot and the local Discord: import, announce, follow, browse."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text as sql

from bot.config import Settings
from localdiscord.emulator import FakeDiscord, Upload
from localdiscord.emulator.interactions import InteractionResult
from localdiscord.emulator.limits import walk_components
from tests.harness import Harness, nothing_pings, running_bot

JSON = dict[str, Any]
FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "openapi"
SPEC_CHANNEL = "api-specs"


def upload(name: str) -> Upload:
    return Upload(name, (FIXTURES / name).read_bytes())


def is_follower_notice(message: JSON) -> bool:
    """A follower notice pings exactly the members it names, nobody else, no role, no reply."""
    mentions = message.get("allowed_mentions") or {}
    users = sorted(str(u) for u in mentions.get("users") or [])
    named = sorted(re.findall(r"<@(\d+)>", str(message.get("content") or "")))
    return (
        str(message.get("content") or "").startswith("🔔")
        and not mentions.get("parse")
        and not mentions.get("roles")
        and not mentions.get("replied_user")
        and bool(users)
        and users == named
    )


@pytest.fixture
async def nexus(
    fake: FakeDiscord, settings: Settings, caplog: pytest.LogCaptureFixture
) -> AsyncIterator[Harness]:
    """The shared harness with the spec rule: only follower notices ping, and only followers."""
    caplog.set_level(logging.WARNING)
    async with running_bot(fake, settings) as harness:
        yield harness
    pinging = [
        m for m in fake.all_sent_messages() if not (nothing_pings(m) or is_follower_notice(m))
    ]
    assert pinging == [], "only follower notices may ping, and only their followers"
    assert fake.unknown_requests == [], "the bot called routes the emulator does not know"
    unexpected = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert unexpected == []


async def setup_specs(fake: FakeDiscord) -> None:
    done = await fake.slash(
        "spec setup", {"channel": SPEC_CHANNEL, "role": "Moderator"}, user="owner"
    )
    assert done.ephemeral
    assert "✅ Saved." in (done.content or "")


async def import_spec(
    fake: FakeDiscord, name: str, fixture: str, *, user: str = "moderator", **extra: Any
) -> InteractionResult:
    return await fake.slash(
        "spec import", {"name": name, "file": upload(fixture), **extra}, user=user, timeout=30
    )


async def until(fake: FakeDiscord, check: Any, what: str) -> Any:
    """Wait (bounded) for what the bot does after answering, e.g. an announcement (an empty
    result means "not yet")."""
    return await fake.world.wait_for(lambda: check() or None, what, 10.0)


def spec_channel_messages(fake: FakeDiscord, needle: str) -> list[JSON]:
    return [m for m in fake.channel_messages(SPEC_CHANNEL) if needle in embed_text(m)]


def embed_text(message: JSON) -> str:
    parts = []
    for embed in message.get("embeds") or []:
        parts += [embed.get("title") or "", embed.get("description") or ""]
        parts += [f"{f['name']}\n{f['value']}" for f in embed.get("fields") or []]
    return "\n".join(parts)


# -- import, announce, follow -----------------------------------------------------------------


async def test_two_versions_announce_and_mention_only_followers(nexus: Harness) -> None:
    fake = nexus.fake
    await setup_specs(fake)
    first = await import_spec(fake, "bookings-api", "bookings-v1.yaml")
    assert first.ephemeral
    assert first.embeds[0]["title"] == "✅ Imported bookings-api · 1.0.0"
    [announced] = await until(
        fake, lambda: spec_channel_messages(fake, "New API spec"), "the first announcement"
    )
    assert announced["embeds"][0]["title"] == "📘 New API spec: bookings-api · 1.0.0"
    assert fake.pings(announced) == {"users": [], "roles": [], "everyone": False}

    # member follows one endpoint (picked through autocomplete); member2 the whole spec;
    # admin follows another spec only and must hear nothing about this one.
    await import_spec(fake, "payments", "payments-swagger2.json")
    choices = await fake.autocomplete(
        "spec follow",
        {"spec": "bookings-api", "endpoint": "bookings id"},
        focused="endpoint",
        user="member",
    )
    value = next(c["value"] for c in choices if c["value"] == "GET /api/v1/bookings/{id}/")
    followed = await fake.slash(
        "spec follow", {"spec": "bookings-api", "endpoint": value}, user="member"
    )
    assert followed.ephemeral
    assert "You follow: `GET /api/v1/bookings/{id}/`" in (followed.content or "")
    await fake.slash("spec follow", {"spec": "bookings-api"}, user="member2")
    await fake.slash("spec follow", {"spec": "payments"}, user="admin")

    second = await import_spec(fake, "bookings-api", "bookings-v2.yaml")
    assert second.ephemeral
    assert second.embeds[0]["title"] == "✅ Imported bookings-api · 2.0.0"
    assert "Since `1.0.0`: 🔴" in second.embeds[0]["description"]

    await until(
        fake,
        lambda: any(
            (m.get("content") or "").startswith("🔔") for m in fake.channel_messages(SPEC_CHANNEL)
        ),
        "the follower notice",
    )
    messages = fake.channel_messages(SPEC_CHANNEL)
    announcement = next(m for m in messages if "1.0.0 → 2.0.0" in embed_text(m))
    description = announcement["embeds"][0]["description"]
    change_lines = [line for line in description.split("\n") if line[:1] in "🔴🟡🔵"]
    assert change_lines[0].startswith("🔴")
    assert "`DELETE /api/v1/bookings/{id}/` — removed" in description
    assert fake.pings(announcement) == {"users": [], "roles": [], "everyone": False}

    [notice] = [m for m in messages if (m.get("content") or "").startswith("🔔")]
    users = fake.users
    pinged = fake.pings(notice)
    assert sorted(pinged["users"]) == sorted([users["member"], users["member2"]])
    assert (pinged["roles"], pinged["everyone"]) == ([], False)
    assert users["admin"] not in pinged["users"]
    assert notice["message_reference"]["message_id"] == announcement["id"]
    assert "`GET /api/v1/bookings/{id}/`" in notice["content"]


async def test_without_a_spec_channel_the_announcement_goes_where_the_import_ran(
    nexus: Harness,
) -> None:
    fake = nexus.fake
    result = await import_spec(fake, "payments", "payments-swagger2.json", user="owner")
    assert result.ephemeral
    [announced] = await until(fake, lambda: result.followups, "the announcement follow-up")
    assert not announced["flags"] & 64
    assert announced["embeds"][0]["title"] == "📘 New API spec: payments · 1.4.2"


# -- refusals ---------------------------------------------------------------------------------


async def test_bad_documents_are_refused_clearly_and_store_nothing(nexus: Harness) -> None:
    fake = nexus.fake
    await setup_specs(fake)
    remote = await import_spec(fake, "reviews", "remote-ref-https.yaml")
    assert remote.ephemeral
    text = remote.content or (remote.followups[-1]["content"] if remote.followups else "")
    assert "points to a remote URL" in text
    assert "properties/price_paid/$ref`, line 29" in text

    wrong = await fake.slash(
        "spec import",
        {"name": "reviews", "file": Upload("notes.txt", b"GET /reviews")},
        user="moderator",
    )
    assert wrong.ephemeral
    assert "`notes.txt` is not a JSON or YAML file" in (wrong.content or "")
    not_theirs = await fake.slash(
        "spec import",
        {"name": "reviews", "file": Upload("notes.txt", b"GET /reviews")},
        user="member",
    )
    assert "JSON or YAML" not in (not_theirs.content or "")  # who may comes before what is wrong
    assert "can change specs" in (not_theirs.content or "")

    huge = await fake.slash(
        "spec import",
        {"name": "reviews", "file": Upload("big.json", b" " * (5 * 1024 * 1024 + 1))},
        user="moderator",
    )
    assert huge.ephemeral
    assert "the limit is 5 MB" in (huge.content or "")

    latin = await fake.slash(
        "spec import",
        {"name": "reviews", "file": Upload("api.yaml", "title: Café".encode("latin-1"))},
        user="moderator",
    )
    assert "not UTF-8 text" in (latin.content or latin.followups[-1]["content"])

    denied = await import_spec(fake, "reviews", "bookings-v1.yaml", user="member")
    assert denied.ephemeral
    assert "can change specs" in (denied.content or "")

    missing = await fake.slash("spec list", {"spec": "reviews"})
    assert missing.ephemeral
    assert "no spec `reviews` here yet" in (missing.content or "")
    assert fake.channel_messages(SPEC_CHANNEL) == []


# -- browsing ---------------------------------------------------------------------------------


async def test_browse_note_and_export(nexus: Harness) -> None:
    fake = nexus.fake
    await setup_specs(fake)
    await import_spec(fake, "bookings-api", "bookings-v1.yaml")

    specs = await fake.autocomplete("spec endpoint", {"spec": "book"}, focused="spec")
    assert [c["value"] for c in specs] == ["bookings-api"]
    shown = await fake.slash(
        "spec endpoint", {"spec": "bookings-api", "endpoint": "POST /api/v1/bookings/"}
    )
    assert not shown.ephemeral
    embed = shown.embeds[0]
    assert embed["title"] == "🟩 POST /api/v1/bookings/"
    names = [f["name"] for f in embed["fields"]]
    assert "Request body (required)" in names
    assert "Request example" in names

    listing = await fake.slash("spec list", {"spec": "bookings-api"})
    assert listing.embeds[0]["title"] == "📚 bookings-api — listings"
    assert "spec:tags:" in str(listing.custom_ids())
    turned = await fake.click(listing, next(c for c in listing.custom_ids() if c.endswith(":2")))
    assert turned.message is not None
    assert turned.message["embeds"][0]["title"] == "📚 bookings-api — bookings"
    tags = next(c for c in listing.custom_ids() if c.startswith("spec:tags:"))
    jumped = await fake.select(listing, tags, ["4"])
    assert jumped.message is not None
    assert jumped.message["embeds"][0]["title"] == "📚 bookings-api — auth"

    noted = await fake.slash(
        "spec note",
        {
            "spec": "bookings-api",
            "endpoint": "GET /api/v1/listings/{id}/",
            "text": "404 when the listing is archived",
        },
        user="member2",
    )
    assert "📝 Notes from peers (1)" in embed_text(noted.message or {})

    exported = await fake.slash("spec export", {"spec": "bookings-api"})
    assert exported.ephemeral
    [attachment] = (exported.message or {})["attachments"]
    assert attachment["filename"] == "bookings-api-1.0.0.yaml"
    assert fake.file_bytes(attachment) == (FIXTURES / "bookings-v1.yaml").read_bytes()


async def test_changes_are_paginated(nexus: Harness) -> None:
    fake = nexus.fake
    await import_spec(fake, "bookings-api", "bookings-v1.yaml", user="owner")
    await import_spec(fake, "bookings-api", "bookings-v2.yaml", user="owner")
    versions = await fake.autocomplete(
        "spec changes", {"spec": "bookings-api", "from": ""}, focused="from"
    )
    assert [c["value"] for c in versions] == ["2", "1"]
    page = await fake.slash("spec changes", {"spec": "bookings-api", "from": "1", "to": "2"})
    assert page.embeds[0]["title"] == "🔁 bookings-api: 1.0.0 → 2.0.0"
    assert page.embeds[0]["description"].split("\n")[1].startswith("🔴")
    following = await fake.click(page, next(c for c in page.custom_ids() if c.endswith(":2")))
    assert following.message is not None
    assert "page 2/" in following.message["embeds"][0]["footer"]["text"]


async def test_a_busy_database_delays_spec_pages_but_never_drops_them(
    nexus: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Reading a page takes 3.2 s: the listing, its page turns, its tag menu and the changelog's
    are acknowledged within Discord's 3 s and drawn when ready; a quick turn is one request."""
    fake = nexus.fake
    await import_spec(fake, "bookings-api", "bookings-v1.yaml", user="owner")
    await import_spec(fake, "bookings-api", "bookings-v2.yaml", user="owner")
    quick = await fake.slash("spec list", {"spec": "bookings-api"})
    turned = await fake.click(quick, next(c for c in quick.custom_ids() if c.endswith(":2")))
    assert (quick.type, turned.type) == (4, 7)  # answered at once, the page turned in place

    specs = nexus.bot.services.specs

    def slow(read: Any) -> Any:
        async def late(*args: Any, **kwargs: Any) -> Any:
            await asyncio.sleep(3.2)
            return await read(*args, **kwargs)

        return late

    changes = await fake.slash("spec changes", {"spec": "bookings-api"})
    monkeypatch.setattr(specs, "listing", slow(specs.listing))
    monkeypatch.setattr(specs, "changes", slow(specs.changes))

    def title(result: InteractionResult) -> str:
        return str(result.embeds[0]["title"]) if result.embeds else ""

    listing = await fake.slash("spec list", {"spec": "bookings-api"})
    assert (listing.type, listing.errors, title(listing)) == (5, [], "📚 bookings-api — listings")
    turned = await fake.click(listing, next(c for c in listing.custom_ids() if c.endswith(":2")))
    assert (turned.type, turned.errors) == (6, [])  # acknowledged; the page follows
    await until(fake, lambda: title(turned) == "📚 bookings-api — bookings", "the turned page")
    tags = next(c for c in listing.custom_ids() if c.startswith("spec:tags:"))
    jumped = await fake.select(listing, tags, ["4"])
    assert (jumped.type, jumped.errors) == (6, [])
    await until(fake, lambda: title(jumped) == "📚 bookings-api — auth", "the tag's page")

    further = await fake.click(changes, next(c for c in changes.custom_ids() if c.endswith(":2")))
    assert (further.type, further.errors) == (6, [])

    def second_page() -> bool:
        return "page 2/" in str(further.embeds[0]["footer"]["text"] if further.embeds else "")

    await until(fake, second_page, "the changelog's second page")


async def test_hand_typed_endpoint_through_the_modal(nexus: Harness) -> None:
    fake = nexus.fake
    await setup_specs(fake)
    refused = await fake.slash("spec add", {"spec": "bookings-api"}, user="member")
    assert refused.ephemeral
    assert refused.modal is None
    opened = await fake.slash("spec add", {"spec": "bookings-api"}, user="moderator")
    assert opened.modal is not None
    saved = await opened.submit_modal(
        {
            "spec:add:method": "post",
            "spec:add:path": "/api/v1/payments/mpesa/",
            "spec:add:summary": "Start an M-Pesa payment",
            "spec:add:request_example": '{"booking": 981, "phone": "+254700000000"}',
            "spec:add:response_example": "",
        }
    )
    assert not saved.ephemeral
    assert "`POST /api/v1/payments/mpesa/`" in (saved.content or "")
    assert '"phone": "+254700000000"' in embed_text(saved.message or {})
    reopened = await fake.slash("spec add", {"spec": "bookings-api"}, user="moderator")
    bad = await reopened.submit_modal(
        {
            "spec:add:method": "FETCH",
            "spec:add:path": "/x",
            "spec:add:summary": "x",
            "spec:add:request_example": "",
            "spec:add:response_example": "",
        }
    )
    assert bad.ephemeral
    assert "not an HTTP method" in (bad.content or "")
    fixing = await bad.click("form:fix", user="moderator")
    assert fixing.modal is not None
    assert "spec:add:method" in str(fixing.modal["components"])
    fields = walk_components(fixing.modal["components"])
    typed = {c["custom_id"]: c.get("value") for c in fields if c.get("type") == 4}
    assert typed["spec:add:method"] == "FETCH"
    assert typed["spec:add:path"] == "/x"
    found = await fake.autocomplete(
        "spec endpoint", {"spec": "bookings-api", "endpoint": "mpesa"}, focused="endpoint"
    )
    assert [c["value"] for c in found] == ["POST /api/v1/payments/mpesa/"]


# -- deleting a spec, forgetting a member -------------------------------------------------------


async def test_an_editor_deletes_a_spec_after_confirming(nexus: Harness) -> None:
    fake = nexus.fake
    await setup_specs(fake)
    await import_spec(fake, "bookings-api", "bookings-v1.yaml")
    await import_spec(fake, "bookings-api", "bookings-v2.yaml")
    await fake.slash(
        "spec note",
        {"spec": "bookings-api", "endpoint": "GET /api/v1/listings/", "text": "paged by 20"},
        user="member2",
    )
    await fake.slash("spec follow", {"spec": "bookings-api"}, user="member")

    refused = await fake.slash("spec delete", {"spec": "bookings-api"}, user="member")
    assert refused.ephemeral
    assert "Moderator" in (refused.content or "") or "role" in (refused.content or "")

    prompt = await fake.slash("spec delete", {"spec": "bookings-api"}, user="moderator")
    assert prompt.ephemeral
    assert "2 versions" in (prompt.content or "")
    assert "1 note, 1 follow" in (prompt.content or "")
    kept = await prompt.click("spec:delete:no")
    assert "Nothing was deleted" in (kept.content or "")
    assert await fake.autocomplete("spec endpoint", {"spec": "book"}, focused="spec")

    prompt = await fake.slash("spec delete", {"spec": "bookings-api"}, user="moderator")
    done = await prompt.click("spec:delete:yes")
    assert "is deleted (2 versions" in (done.content or ""), done
    assert await fake.autocomplete("spec endpoint", {"spec": "book"}, focused="spec") == []
    gone = await fake.slash("spec list", {"spec": "bookings-api"})
    assert gone.ephemeral
    assert "no spec `bookings-api`" in (gone.content or "")
    async with nexus.bot.db.read() as session:
        left = {
            table: await session.scalar(sql(f"SELECT count(*) FROM {table}"))
            for table in (
                "spec_versions",
                "spec_endpoints",
                "spec_changes",
                "spec_notes",
                "spec_follows",
            )
        }
    assert set(left.values()) == {0}, left

    # The same name starts a fresh spec.
    again = await import_spec(fake, "bookings-api", "bookings-v1.yaml")
    assert again.errors == []
    assert again.embeds


async def test_forget_me_deletes_notes_and_follows_and_unnames_the_rest(nexus: Harness) -> None:
    fake = nexus.fake
    await setup_specs(fake)
    await import_spec(fake, "bookings-api", "bookings-v1.yaml", user="admin")
    note = {"spec": "bookings-api", "endpoint": "GET /api/v1/listings/", "text": "paged by 20"}
    await fake.slash("spec note", note, user="admin")
    await fake.slash("spec note", {**note, "text": "sorted by date"}, user="member2")
    await fake.slash("spec follow", {"spec": "bookings-api"}, user="admin")

    nothing = await fake.slash("spec forget-me", user="member")
    assert "nothing to forget" in (nothing.content or "")

    prompt = await fake.slash("spec forget-me", user="admin")
    assert "**1 note**" in (prompt.content or "")
    assert "**1 thing**" in (prompt.content or "")
    stranger = await fake.click(prompt, "spec:forget:yes", user="member2")
    assert "belong to the member who ran the command" in (stranger.content or "")
    done = await prompt.click("spec:forget:yes")
    assert "1 note and 1 follow deleted" in (done.content or ""), done
    assert "Your name was removed from" in (done.content or "")

    shown = await fake.slash(
        "spec endpoint", {"spec": "bookings-api", "endpoint": "GET /api/v1/listings/"}
    )
    text = embed_text(shown.message or {})
    assert "sorted by date" in text, "the others' notes stay"
    assert "paged by 20" not in text
    async with nexus.bot.db.read() as session:
        named = await session.scalar(
            sql(
                "SELECT (SELECT count(*) FROM specs WHERE created_by = :admin)"
                " + (SELECT count(*) FROM spec_versions WHERE imported_by = :admin)"
                " + (SELECT count(*) FROM spec_follows WHERE user_id = :admin)"
            ),
            {"admin": nexus.fake.user("admin").id},
        )
    assert named == 0


def endpoint_form(path: str) -> dict[str, str]:
    return {
        "spec:add:method": "get",
        "spec:add:path": path,
        "spec:add:summary": "Read it",
        "spec:add:request_example": "",
        "spec:add:response_example": "",
    }


@pytest.mark.finding("3 one form id for everyone")
async def test_two_open_add_forms_each_save_into_their_own_spec(nexus: Harness) -> None:
    """Two editors fill in /spec add at the same time: each form is its own, not the last one
    opened (a form shared by everyone saved one editor's endpoint into the other's spec)."""
    fake = nexus.fake
    await setup_specs(fake)
    first = await fake.slash("spec add", {"spec": "alpha-api"}, user="moderator")
    second = await fake.slash("spec add", {"spec": "beta-api"}, user="owner")
    assert first.modal is not None
    assert second.modal is not None
    assert first.modal["custom_id"] != second.modal["custom_id"]
    saved_first = await first.submit_modal(endpoint_form("/alpha/"))
    saved_second = await second.submit_modal(endpoint_form("/beta/"))
    assert "**alpha-api**" in (saved_first.content or ""), saved_first.content
    assert "**beta-api**" in (saved_second.content or ""), saved_second.content
    alpha = await fake.slash("spec endpoint", {"spec": "alpha-api", "endpoint": "GET /alpha/"})
    assert "/alpha/" in embed_text(alpha.message or {})
