"""API specs on a real SQLite file: import, browse, notes, follows, changelogs, export."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.db.engine import Database
from bot.db.models import Spec, SpecChange, SpecEndpoint, SpecVersion
from bot.errors import AlreadyExists, BadInput, NotAllowed, NotFound
from bot.specs import Actor, SpecsService, make_manual_draft
from bot.specs.analysis import in_thread
from bot.specs.openapi import DocumentRejected
from bot.specs.validation import choice_value

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "openapi"
GUILD, OTHER_GUILD = 111, 222
ROLE = 900
ADMIN = Actor(1, can_manage=True)
BACKEND = Actor(2, frozenset({ROLE}))
FRONTEND = Actor(3)
FRONTEND2 = Actor(4)


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


@pytest.fixture
def specs(db: Database) -> SpecsService:
    return SpecsService(db, clock=Clock(), off_loop=in_thread)


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


async def count(db: Database, model: type[object]) -> int:
    async with db.read() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def import_v1_v2(specs: SpecsService) -> None:
    await specs.import_document(
        GUILD, ADMIN, "bookings-api", "v1.yaml", fixture("bookings-v1.yaml")
    )
    await specs.import_document(
        GUILD, ADMIN, "bookings-api", "v2.yaml", fixture("bookings-v2.yaml")
    )


# -- import ---------------------------------------------------------------------------------


async def test_first_import_stores_the_version_and_its_endpoints(
    specs: SpecsService, db: Database
) -> None:
    report = await specs.import_document(
        GUILD, ADMIN, "bookings-api", "bookings-v1.yaml", fixture("bookings-v1.yaml")
    )
    assert (report.spec.name, report.spec.title) == ("bookings-api", "Nestly Bookings API")
    assert (report.version.number, report.version.label, report.version.openapi) == (
        1,
        "1.0.0",
        "3.0.3",
    )
    assert report.version.endpoint_count == 13
    assert report.previous is None
    assert report.changes == ()
    assert await count(db, SpecEndpoint) == 13
    async with db.read() as session:
        version = await session.scalar(select(SpecVersion))
    assert version is not None
    assert version.info["tags"] == ["listings", "bookings", "reviews", "auth"]
    assert version.size_bytes == len(fixture("bookings-v1.yaml"))


async def test_a_new_version_is_diffed_and_replaces_the_endpoints(
    specs: SpecsService, db: Database
) -> None:
    await specs.import_document(
        GUILD, ADMIN, "bookings-api", "v1.yaml", fixture("bookings-v1.yaml")
    )
    report = await specs.import_document(
        GUILD, ADMIN, "bookings-api", "v2.yaml", fixture("bookings-v2.yaml")
    )
    assert report.previous is not None
    assert report.previous.label == "1.0.0"
    assert report.version.number == 2
    assert report.counts["breaking"] >= 6
    assert report.changes[0].severity == "breaking"
    assert await count(db, SpecEndpoint) == 14
    assert await count(db, SpecChange) == len(report.changes)
    async with db.read() as session:
        keys = set((await session.scalars(select(SpecEndpoint.key))).all())
    assert "DELETE /api/v1/bookings/{id}/" not in keys
    assert "POST /api/v1/bookings/{id}/cancel/" in keys


async def test_a_rejected_document_stores_nothing(specs: SpecsService, db: Database) -> None:
    for name in ("remote-ref-https.yaml", "ref-cycle.yaml", "alias-bomb.yaml"):
        with pytest.raises(DocumentRejected):
            await specs.import_document(GUILD, ADMIN, "reviews", name, fixture(name))
    assert await count(db, Spec) == 0
    assert await count(db, SpecVersion) == 0
    assert await count(db, SpecEndpoint) == 0


async def test_warnings_are_kept_with_the_version(specs: SpecsService, db: Database) -> None:
    report = await specs.import_document(
        GUILD, ADMIN, "promotions", "schema-defects.yaml", fixture("schema-defects.yaml")
    )
    assert report.warning_count == 7
    async with db.read() as session:
        version = await session.scalar(select(SpecVersion))
    assert version is not None
    assert version.warning_count == 7
    assert any("ends_on" in w["message"] for w in version.warnings)


async def test_the_same_document_twice_is_refused(specs: SpecsService) -> None:
    await specs.import_document(
        GUILD, ADMIN, "bookings-api", "v1.yaml", fixture("bookings-v1.yaml")
    )
    with pytest.raises(BadInput, match=r"exactly the document of version `1\.0\.0`"):
        await specs.import_document(
            GUILD, ADMIN, "bookings-api", "again.yaml", fixture("bookings-v1.yaml")
        )


async def test_version_labels(specs: SpecsService) -> None:
    first = await specs.import_document(
        GUILD, ADMIN, "bookings-api", "v1.yaml", fixture("bookings-v1.yaml"), "sprint-3"
    )
    assert first.version.label == "sprint-3"
    with pytest.raises(AlreadyExists, match="already has a version `sprint-3`"):
        await specs.import_document(
            GUILD, ADMIN, "bookings-api", "v2.yaml", fixture("bookings-v2.yaml"), "sprint-3"
        )
    with pytest.raises(BadInput, match="cannot be a bare number"):
        await specs.import_document(
            GUILD, ADMIN, "bookings-api", "v2.yaml", fixture("bookings-v2.yaml"), "2"
        )
    # info.version repeated by a forgetful author gets the version number appended.
    edited = fixture("bookings-v2.yaml").replace(b"version: 2.0.0", b"version: sprint-3")
    second = await specs.import_document(GUILD, ADMIN, "bookings-api", "v2.yaml", edited)
    assert second.version.label == "sprint-3 (#2)"


async def test_who_may_import(specs: SpecsService) -> None:
    with pytest.raises(NotAllowed, match="until an admin picks a role"):
        await specs.import_document(
            GUILD, BACKEND, "bookings-api", "v1.yaml", fixture("bookings-v1.yaml")
        )
    with pytest.raises(NotAllowed, match="Manage Server"):
        await specs.configure(GUILD, BACKEND, role_id=ROLE)
    await specs.configure(GUILD, ADMIN, role_id=ROLE, channel_id=555)
    report = await specs.import_document(
        GUILD, BACKEND, "bookings-api", "v1.yaml", fixture("bookings-v1.yaml")
    )
    assert report.announce_channel_id == 555
    with pytest.raises(NotAllowed, match=f"<@&{ROLE}>"):
        await specs.import_document(
            GUILD, FRONTEND, "bookings-api", "v2.yaml", fixture("bookings-v2.yaml")
        )
    settings = await specs.configure(GUILD, ADMIN, clear_role=True)
    assert (settings.channel_id, settings.editor_role_id) == (555, None)


async def test_a_bad_name_or_file_is_refused_before_anything_else(specs: SpecsService) -> None:
    with pytest.raises(BadInput, match="such as `bookings-api`"):
        await specs.import_document(GUILD, ADMIN, "Bookings API", "v1.yaml", b"x")
    with pytest.raises(BadInput, match="not a JSON or YAML file"):
        await specs.import_document(GUILD, ADMIN, "bookings", "v1.docx", b"x")


async def test_an_import_racing_another_is_told_to_retry(specs: SpecsService, db: Database) -> None:
    await specs.import_document(
        GUILD, ADMIN, "bookings-api", "v1.yaml", fixture("bookings-v1.yaml")
    )

    async def sneaky_off_loop(function: object, *args: object) -> object:
        result = await in_thread(function, *args)  # type: ignore[arg-type]
        # Another process imports a version while this one was being read.
        other = SpecsService(db, off_loop=in_thread)
        await other.import_document(
            GUILD,
            ADMIN,
            "bookings-api",
            "v3.yaml",
            fixture("bookings-v1.yaml").replace(b"version: 1.0.0", b"version: 1.0.1"),
        )
        return result

    racing = SpecsService(db, off_loop=sneaky_off_loop)
    with pytest.raises(BadInput, match="was imported while yours was being read"):
        await racing.import_document(
            GUILD, ADMIN, "bookings-api", "v2.yaml", fixture("bookings-v2.yaml")
        )
    assert await count(db, SpecVersion) == 2


async def test_the_document_crosses_to_the_analysis_compressed_and_is_stored_as_sent(
    db: Database,
) -> None:
    # The worker process gets the upload compressed as it is stored (a fraction of its bytes,
    # so the bot never pickles the whole upload), and the version keeps exactly those bytes.
    import zlib

    sent: list[bytes] = []

    async def recording_off_loop(function: object, *args: object) -> object:
        assert isinstance(args[0], bytes)
        sent.append(args[0])
        return await in_thread(function, *args)  # type: ignore[arg-type]

    specs = SpecsService(db, off_loop=recording_off_loop)
    upload = fixture("bookings-v1.yaml")
    report = await specs.import_document(GUILD, ADMIN, "bookings-api", "v1.yaml", upload)
    assert report.version.number == 1
    assert len(sent) == 1
    assert zlib.decompress(sent[0]) == upload
    assert len(sent[0]) < len(upload) / 2
    async with db.read() as session:
        stored = await session.scalar(select(SpecVersion.document))
    assert stored == sent[0]
    assert (await specs.export(GUILD, "bookings-api", None)).data == upload


async def test_specs_are_per_server(specs: SpecsService) -> None:
    await specs.import_document(
        GUILD, ADMIN, "bookings-api", "v1.yaml", fixture("bookings-v1.yaml")
    )
    with pytest.raises(NotFound, match="no spec `bookings-api` here yet"):
        await specs.listing(OTHER_GUILD, spec_name="bookings-api")
    assert await specs.suggest_specs(OTHER_GUILD, "") == []


# -- browsing -------------------------------------------------------------------------------


async def test_endpoint_lookup_and_autocomplete(specs: SpecsService) -> None:
    await import_v1_v2(specs)
    choices = await specs.suggest_endpoints(GUILD, "bookings-api", "bookings id")
    values = [c.value for c in choices]
    assert "GET /api/v1/bookings/{id}/" in values
    assert all("bookings" in v for v in values)
    assert len(await specs.suggest_endpoints(GUILD, "bookings-api", "")) <= 25
    view = await specs.endpoint(GUILD, "bookings-api", "get /api/v1/bookings/{id}/")
    assert view.operation is not None
    assert view.operation["summary"] == "Get a booking"
    assert view.version is not None
    assert view.version.label == "2.0.0"
    # Free text that names one endpoint finds it; ambiguous text lists candidates.
    view = await specs.endpoint(GUILD, "bookings-api", "wishlists")
    assert view.key == "GET /api/v1/wishlists/"
    with pytest.raises(NotFound, match="matches several endpoints"):
        await specs.endpoint(GUILD, "bookings-api", "bookings")
    with pytest.raises(NotFound, match="has no endpoint `GET /nowhere`"):
        await specs.endpoint(GUILD, "bookings-api", "GET /nowhere")


async def test_long_paths_travel_as_a_hash(specs: SpecsService) -> None:
    path = "/api/v1/" + "/".join(f"segment-{i}" for i in range(12)) + "/"
    document = {
        "openapi": "3.0.3",
        "info": {"title": "Long", "version": "1"},
        "paths": {path: {"get": {"summary": "Deep", "responses": {"200": {"description": "ok"}}}}},
    }
    await specs.import_document(GUILD, ADMIN, "long", "long.json", json.dumps(document).encode())
    key = f"GET {path}"
    assert len(key) > 100
    [choice] = await specs.suggest_endpoints(GUILD, "long", "deep")
    assert choice.value == choice_value(key)
    assert choice.value.startswith("~")
    assert len(choice.value) <= 100
    view = await specs.endpoint(GUILD, "long", choice.value)
    assert view.key == key


async def test_listing_is_paginated_by_tag(specs: SpecsService) -> None:
    await import_v1_v2(specs)
    first = await specs.listing(GUILD, spec_name="bookings-api")
    assert [tag for tag, _ in first.tags] == ["listings", "bookings", "reviews", "auth"]
    assert first.tag == "listings"
    assert first.page == 1
    assert first.total == 14
    bookings = await specs.listing(GUILD, spec_name="bookings-api", tag="Bookings")
    assert bookings.tag == "bookings"
    assert {e.key for e in bookings.entries} >= {"POST /api/v1/bookings/{id}/cancel/"}
    last = await specs.listing(GUILD, spec_id=first.spec.id, page=99)
    assert (last.page, last.tag) == (last.pages, "auth")
    with pytest.raises(NotFound, match="has no tag `payments`"):
        await specs.listing(GUILD, spec_name="bookings-api", tag="payments")
    with pytest.raises(NotFound):
        await specs.listing(OTHER_GUILD, spec_id=first.spec.id)


async def test_a_big_tag_spans_several_pages(specs: SpecsService) -> None:
    paths = {
        f"/items/{i}/": {"get": {"tags": ["items"], "responses": {"200": {"description": "ok"}}}}
        for i in range(32)
    }
    document = {"openapi": "3.0.3", "info": {"title": "Items", "version": "1"}, "paths": paths}
    await specs.import_document(GUILD, ADMIN, "items", "items.json", json.dumps(document).encode())
    page = await specs.listing(GUILD, spec_name="items", page=3)
    assert (page.tag, page.part, page.parts, page.pages, len(page.entries)) == ("items", 3, 3, 3, 2)


# -- hand-typed endpoints and notes ---------------------------------------------------------


async def test_hand_typed_endpoints_live_beside_imported_ones(specs: SpecsService) -> None:
    await specs.configure(GUILD, ADMIN, role_id=ROLE)
    draft = make_manual_draft(
        "post", "/api/v1/payments/mpesa/", "Start an M-Pesa payment", '{"booking": 981}', None
    )
    view = await specs.add_manual(GUILD, BACKEND, "bookings-api", draft)
    assert view.manual is not None
    assert view.manual.request_example == '{\n "booking": 981\n}'
    assert view.operation is None
    await specs.import_document(
        GUILD, ADMIN, "bookings-api", "v1.yaml", fixture("bookings-v1.yaml")
    )
    listing = await specs.listing(GUILD, spec_name="bookings-api", tag="hand-typed")
    assert [e.key for e in listing.entries] == ["POST /api/v1/payments/mpesa/"]
    assert listing.entries[0].manual
    # Its author may redo it; another editor may not; an imported endpoint cannot be re-typed.
    redo = make_manual_draft("POST", "/api/v1/payments/mpesa/", "Pay with M-Pesa")
    assert (await specs.add_manual(GUILD, BACKEND, "bookings-api", redo)).manual is not None
    with pytest.raises(AlreadyExists, match="already typed"):
        await specs.add_manual(GUILD, Actor(9, frozenset({ROLE})), "bookings-api", redo)
    taken = make_manual_draft("GET", "/api/v1/bookings/", "Mine")
    with pytest.raises(AlreadyExists, match="already in the imported document"):
        await specs.add_manual(GUILD, BACKEND, "bookings-api", taken)
    with pytest.raises(NotAllowed):
        await specs.add_manual(GUILD, FRONTEND, "bookings-api", redo)


async def test_notes_are_kept_across_versions(specs: SpecsService) -> None:
    await specs.import_document(
        GUILD, ADMIN, "bookings-api", "v1.yaml", fixture("bookings-v1.yaml")
    )
    view = await specs.add_note(
        GUILD, FRONTEND, "bookings-api", "GET /api/v1/listings/{id}/", "404 when archived"
    )
    assert [n.body for n in view.notes] == ["404 when archived"]
    await specs.import_document(
        GUILD, ADMIN, "bookings-api", "v2.yaml", fixture("bookings-v2.yaml")
    )
    view = await specs.endpoint(GUILD, "bookings-api", "GET /api/v1/listings/{id}/")
    assert view.note_count == 1
    assert view.notes[0].author_id == FRONTEND.user_id
    with pytest.raises(BadInput, match="mentions `@everyone`"):
        await specs.add_note(
            GUILD, FRONTEND, "bookings-api", "GET /api/v1/wishlists/", "@everyone look"
        )


# -- changes, export ------------------------------------------------------------------------


async def test_changelog_between_versions(specs: SpecsService) -> None:
    await import_v1_v2(specs)
    page = await specs.changes(GUILD, spec_name="bookings-api")
    assert (page.older.label, page.newer.label) == ("1.0.0", "2.0.0")
    assert page.changes[0].severity == "breaking"
    assert page.total == sum(page.counts.values())
    assert page.pages > 1
    last = await specs.changes(GUILD, spec_id=page.spec.id, older="1", newer="2", page=page.pages)
    assert last.changes[-1].severity == "info"
    with pytest.raises(BadInput, match="older version first"):
        await specs.changes(GUILD, spec_name="bookings-api", older="2", newer="1")
    with pytest.raises(NotFound, match="no version `7`"):
        await specs.changes(GUILD, spec_name="bookings-api", older="7")
    choices = await specs.suggest_versions(GUILD, "bookings-api", "")
    assert [c.value for c in choices] == ["2", "1"]


async def test_first_version_has_no_changelog(specs: SpecsService) -> None:
    await specs.import_document(
        GUILD, ADMIN, "bookings-api", "v1.yaml", fixture("bookings-v1.yaml")
    )
    with pytest.raises(NotFound, match="nothing to compare it with"):
        await specs.changes(GUILD, spec_name="bookings-api")


async def test_export_returns_the_document_as_imported(specs: SpecsService) -> None:
    await import_v1_v2(specs)
    latest = await specs.export(GUILD, "bookings-api", None)
    assert latest.data == fixture("bookings-v2.yaml")
    assert latest.filename == "bookings-api-2.0.0.yaml"
    first = await specs.export(GUILD, "bookings-api", "1.0.0")
    assert first.data == fixture("bookings-v1.yaml")
    await specs.import_document(
        GUILD, ADMIN, "payments", "payments.json", fixture("payments-swagger2.json")
    )
    assert (await specs.export(GUILD, "payments", "#1")).filename == "payments-1.4.2.json"


# -- follows --------------------------------------------------------------------------------


async def test_followers_hear_only_of_what_they_follow(specs: SpecsService) -> None:
    first = await specs.import_document(
        GUILD, ADMIN, "bookings-api", "v1.yaml", fixture("bookings-v1.yaml")
    )
    assert first.followers == ()
    await specs.follow(
        GUILD, FRONTEND.user_id, "bookings-api", endpoint="GET /api/v1/bookings/{id}/"
    )
    await specs.follow(GUILD, FRONTEND.user_id, "bookings-api", tag="reviews")
    await specs.follow(GUILD, FRONTEND2.user_id, "bookings-api", tag="auth")
    await specs.follow(GUILD, 5, "bookings-api", endpoint="GET /api/v1/listings/{id}/reviews/")
    report = await specs.import_document(
        GUILD, ADMIN, "bookings-api", "v2.yaml", fixture("bookings-v2.yaml")
    )
    by_user = {n.user_id: n for n in report.followers}
    # FRONTEND2 follows `auth`: only info changes there (a 429 and a new way to sign in).
    assert set(by_user) == {FRONTEND.user_id, FRONTEND2.user_id}
    assert by_user[FRONTEND.user_id].counts["breaking"] >= 2
    assert set(by_user[FRONTEND.user_id].reasons) == {
        "`GET /api/v1/bookings/{id}/`",
        "tag `reviews`",
    }
    assert by_user[FRONTEND2.user_id].counts["breaking"] == 0


async def test_spec_followers_hear_of_the_first_import(specs: SpecsService) -> None:
    draft = make_manual_draft("GET", "/api/v1/listings/", "Search listings")
    await specs.add_manual(GUILD, ADMIN, "bookings-api", draft)
    await specs.follow(GUILD, FRONTEND.user_id, "bookings-api")
    await specs.follow(GUILD, FRONTEND2.user_id, "bookings-api", endpoint="GET /api/v1/listings/")
    report = await specs.import_document(
        GUILD, ADMIN, "bookings-api", "v1.yaml", fixture("bookings-v1.yaml")
    )
    assert [(n.user_id, n.first_import) for n in report.followers] == [(FRONTEND.user_id, True)]


async def test_follow_and_unfollow(specs: SpecsService) -> None:
    await specs.import_document(
        GUILD, ADMIN, "bookings-api", "v1.yaml", fixture("bookings-v1.yaml")
    )
    result = await specs.follow(GUILD, 7, "bookings-api", tag="BOOKINGS")
    assert result.changed
    assert [f.describe() for f in result.follows] == ["tag `bookings`"]
    again = await specs.follow(GUILD, 7, "bookings-api", tag="bookings")
    assert not again.changed
    with pytest.raises(BadInput, match="not both"):
        await specs.follow(GUILD, 7, "bookings-api", tag="bookings", endpoint="x")
    with pytest.raises(NotFound, match="has no tag `payments`"):
        await specs.follow(GUILD, 7, "bookings-api", tag="payments")
    await specs.follow(GUILD, 7, "bookings-api")
    left = await specs.unfollow(GUILD, 7, "bookings-api", tag="bookings")
    assert [f.describe() for f in left.follows] == ["every change"]
    with pytest.raises(NotFound, match="were not following that"):
        await specs.unfollow(GUILD, 7, "bookings-api", tag="bookings")
    cleared = await specs.unfollow(GUILD, 7, "bookings-api", everything=True)
    assert cleared.follows == ()
