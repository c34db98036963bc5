"""Start-up loads content/ without re-checking files the database was last synced with.

Checking every file is most of a start-up (bench/: ~1.2 s for 4,500 learnings of the 2 s
budget); a start on the same files and the same checking code skips it, any change checks all.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

import bot.client
import bot.learnings.check
from bot.client import ContentInvalid, Nexus, create_bot
from bot.config import Settings
from bot.learnings.loader import content_files
from cogs.learnings.content import content_fingerprint
from tests.helpers import TOKEN, write_entry


@pytest.fixture
def content(tmp_path: Path) -> Path:
    root = tmp_path / "content"
    write_entry(root, "generators", body="Lazy sequences with yield.")
    write_entry(root, "decorators", body="Wrapping functions.")
    return root


async def loaded(tmp_path: Path, content: Path) -> Nexus:
    nexus = create_bot(
        Settings(
            discord_token=TOKEN,
            database_url=f"sqlite+aiosqlite:///{tmp_path / 'nexus.db'}",
            content_dir=content,
            health_file=tmp_path / "heartbeat",
        )
    )
    await nexus.db.upgrade()
    try:
        await nexus.load_content()
    finally:
        await nexus.db.close()
    return nexus


def refuse_checks(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    calls: list[Path] = []
    real = bot.client.check_content

    def counted(root: Path) -> bot.learnings.check.ContentReport:
        calls.append(root)
        return real(root)

    monkeypatch.setattr(bot.client, "check_content", counted)
    return calls


async def test_unchanged_content_is_not_checked_again(
    tmp_path: Path, content: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = await loaded(tmp_path, content)
    assert str(first.content_report) == "2 added, 0 updated, 0 removed, 0 unchanged"

    checks = refuse_checks(monkeypatch)
    again = await loaded(tmp_path, content)
    assert checks == []
    assert str(again.content_report) == "0 added, 0 updated, 0 removed, 2 unchanged"
    assert again.services.learnings.get("generators") is not None

    write_entry(content, "generators", body="Lazy sequences with yield from.")
    changed = await loaded(tmp_path, content)
    assert checks == [content]
    assert str(changed.content_report) == "0 added, 1 updated, 0 removed, 1 unchanged"


async def test_invalid_content_is_still_refused(tmp_path: Path, content: Path) -> None:
    await loaded(tmp_path, content)
    (content / "concepts" / "broken.md").write_text("no front matter\n")
    with pytest.raises(ContentInvalid):
        await loaded(tmp_path, content)
    (content / "concepts" / "broken.md").unlink()
    assert str((await loaded(tmp_path, content)).content_report).endswith("2 unchanged")


async def test_new_checking_code_checks_everything(
    tmp_path: Path, content: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    await loaded(tmp_path, content)
    before = content_fingerprint(content)
    # The validating code is part of the fingerprint: a release that changes it checks again.
    service = Path(bot.learnings.check.__file__).with_name("service.py")
    validators = (*bot.learnings.check._VALIDATORS, service)
    monkeypatch.setattr(bot.learnings.check, "_VALIDATORS", validators)
    assert content_fingerprint(content) != before
    checks = refuse_checks(monkeypatch)
    await loaded(tmp_path, content)
    assert checks == [content]


async def test_a_database_that_lost_its_entries_is_synced_again(
    tmp_path: Path, content: Path
) -> None:
    first = await loaded(tmp_path, content)
    await first.db.upgrade()  # reopens the engine
    async with first.db.unit_of_work() as session:
        await session.execute(text("DELETE FROM entries_fts"))
        await session.execute(text("DELETE FROM entries"))
    await first.db.close()
    again = await loaded(tmp_path, content)
    assert str(again.content_report) == "2 added, 0 updated, 0 removed, 0 unchanged"
    assert len(again.services.learnings) == 2


def test_the_learning_files_are_the_markdown_files_in_the_folders_part_by_part(
    tmp_path: Path,
) -> None:
    """What the check reads and the fingerprint hashes: `.md` files in content's folders at any
    depth, in path order part by part; not a file at the top, a folder named like a file, other
    files, or a folder reached through a symlink (walked once, where it is)."""
    root = tmp_path / "content"
    for name in ("concepts/b.md", "concepts/a.md", "concepts-extra/c.md", "tips/deep/d.md",
                 "README.md", "concepts/notes.txt"):  # fmt: skip
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text("x")
    (root / "tips" / "folder.md").mkdir()
    (root / "linked").symlink_to(root / "tips", target_is_directory=True)
    found = [p.relative_to(root).as_posix() for p in content_files(root)]
    # "concepts" before "concepts-extra": part by part, not character by character.
    assert found == ["concepts/a.md", "concepts/b.md", "concepts-extra/c.md", "tips/deep/d.md"]
    assert content_fingerprint(root)[1] == 4
    before = content_fingerprint(root)
    (root / "tips" / "deep" / "d.md").write_text("y")
    assert content_fingerprint(root)[0] != before[0]
