"""Notes on endpoints have a cooldown per member, held inside the note's own transaction: ten
notes sent at the same moment store one, and the member may add the next once it has passed.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.core.actor import Actor
from bot.db.engine import Database
from bot.db.models import SpecNote
from bot.errors import OnCooldown
from bot.specs import SpecsService
from bot.specs.analysis import in_thread
from bot.specs.notes import NOTE_COOLDOWN
from tests.harness import Harness
from tests.specs.test_specs import import_spec

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "openapi"
GUILD = 111
ADMIN, MEMBER = Actor(1, can_manage=True), Actor(3)
ENDPOINT = "GET /api/v1/listings/{id}/"
AT_ONCE = 10


class Clock:
    """A clock that stands still until the test moves it."""

    def __init__(self) -> None:
        self.now = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


async def notes_stored(db: Database) -> int:
    async with db.read() as session:
        return int(await session.scalar(select(func.count()).select_from(SpecNote)) or 0)


async def test_a_member_adds_one_note_per_cooldown(db: Database) -> None:
    clock = Clock()
    specs = SpecsService(db, clock=clock, off_loop=in_thread)
    bookings = (FIXTURES / "bookings-v1.yaml").read_bytes()
    await specs.import_document(GUILD, ADMIN, "bookings-api", "v1.yaml", bookings)

    await specs.add_note(GUILD, MEMBER, "bookings-api", ENDPOINT, "404 when archived")
    clock.now += NOTE_COOLDOWN - timedelta(seconds=5)
    with pytest.raises(OnCooldown, match=r"add a note again in 5 s"):
        await specs.add_note(GUILD, MEMBER, "bookings-api", ENDPOINT, "and 410 when deleted")
    await specs.add_note(GUILD, ADMIN, "bookings-api", ENDPOINT, "another member may")
    clock.now += timedelta(seconds=5)
    view = await specs.add_note(GUILD, MEMBER, "bookings-api", ENDPOINT, "and 410 when deleted")
    assert {n.body for n in view.notes} == {
        "404 when archived",
        "another member may",
        "and 410 when deleted",
    }

    clock.now += NOTE_COOLDOWN
    at_once = await asyncio.gather(
        *(
            specs.add_note(GUILD, MEMBER, "bookings-api", ENDPOINT, f"note {i}")
            for i in range(AT_ONCE)
        ),
        return_exceptions=True,
    )
    refused = [r for r in at_once if isinstance(r, OnCooldown)]
    assert len(refused) == AT_ONCE - 1, at_once
    assert await notes_stored(db) == 4


@pytest.mark.finding("9 no limits on reads and notes")
async def test_ten_notes_at_once_through_the_bot_store_one(nexus: Harness) -> None:
    fake, bot = nexus.fake, nexus.bot
    clock = Clock()
    bot.services = replace(
        bot.services, specs=SpecsService(bot.db, clock=clock, off_loop=in_thread)
    )
    imported = await import_spec(fake, "bookings-api", "bookings-v1.yaml", user="admin")
    assert imported.errors == []
    note = {"spec": "bookings-api", "endpoint": ENDPOINT, "text": "404 when archived"}

    results = await asyncio.gather(
        *(fake.slash("spec note", note, user="member") for _ in range(AT_ONCE))
    )
    added = [r for r in results if "📝 Note added" in (r.content or "")]
    refused = [r for r in results if "add a note again in 20 s" in (r.content or "")]
    assert len(added) == 1
    assert len(refused) == AT_ONCE - 1
    assert all(r.ephemeral for r in refused), "a refusal is shown only to its member"
    assert not added[0].ephemeral, "the note is shown to the peers"
    assert await notes_stored(bot.db) == 1

    clock.now += NOTE_COOLDOWN
    later = await fake.slash("spec note", {**note, "text": "410 once deleted"}, user="member")
    assert "📝 Note added" in (later.content or "")
    assert await notes_stored(bot.db) == 2
