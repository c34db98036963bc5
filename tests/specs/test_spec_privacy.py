"""Forget-me on API specs takes a member's notes off the disk, not only out of the tables."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.backup import backup_database
from bot.db.engine import Database
from bot.specs import Actor, SpecsService
from bot.specs.analysis import in_thread
from tests.specs.test_spec_service import ADMIN, GUILD, Clock, fixture

FRONTEND = Actor(3)
OTHERS = Actor(4)


@pytest.mark.sqlite
@pytest.mark.finding("1 forget-me leaves the words on disk")
async def test_forgotten_notes_are_gone_from_the_disk(db: Database, tmp_path: Path) -> None:
    specs = SpecsService(db, clock=Clock(), off_loop=in_thread)
    await specs.import_document(
        GUILD, ADMIN, "bookings-api", "v1.yaml", fixture("bookings-v1.yaml")
    )
    endpoint = "GET /api/v1/listings/{id}/"
    await specs.add_note(GUILD, OTHERS, "bookings-api", endpoint, "Cached for 60 s upstream")
    await specs.add_note(GUILD, FRONTEND, "bookings-api", endpoint, "Snorkelwhistle returns 404")

    forgotten = await specs.forget(FRONTEND.user_id)
    assert forgotten.notes == 1
    await specs.wipe_traces()

    assert db.file is not None
    backup = backup_database(db.file, tmp_path / "after.db")
    for file in (db.file, Path(f"{db.file}-wal"), backup.path):
        if file.exists():
            assert b"Snorkelwhistle" not in file.read_bytes(), f"still in {file.name}"
    view = await specs.endpoint(GUILD, "bookings-api", endpoint)
    assert [n.body for n in view.notes] == ["Cached for 60 s upstream"], "the others' notes stay"


def test_the_answer_says_how_long_backups_keep_the_notes() -> None:
    from bot.specs import PersonalData
    from cogs.specs.render import forgotten_text

    assert "backups" not in forgotten_text(PersonalData(2, 1, 0))
    assert "within 7 days" in forgotten_text(PersonalData(2, 1, 0), backups_kept=7)
    assert "backups" not in forgotten_text(PersonalData(0, 1, 0), backups_kept=7), "no notes"
