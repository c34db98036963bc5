"""The migrations: one linear chain with one head, and databases built before it upgrade cleanly.

Until the chain was made linear, 0002, 0003 and 0004 each followed 0001 and 0007 followed 0003,
and the bot upgraded to all heads. The tests rebuild that graph from the revision files (only
their `down_revision` differs), build databases with it, and upgrade them with today's code.
"""

from __future__ import annotations

import itertools
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Connection, Engine

from bot.db.engine import Database
from bot.db.migrate import (
    MIGRATIONS,
    MigrationError,
    alembic_config,
    chain,
    current_revision,
    head_revision,
    linear_position,
    new_revision,
    next_revision_id,
)

# The graph as it was before the chain was made linear (each revision: the one it followed).
BRANCHED = {"0001": None, "0002": "0001", "0003": "0001", "0004": "0001", "0007": "0003"}
DOWN_REVISION = re.compile(r"^down_revision: str \| None = .*$", re.MULTILINE)


def branched_graph(where: Path, without: tuple[str, ...] = ()) -> Path:
    """The revision files as they were before the chain was linear (`without` some of them)."""
    copy = where / "branched"
    shutil.copytree(MIGRATIONS, copy, ignore=shutil.ignore_patterns("__pycache__"))
    for path in (copy / "versions").glob("*.py"):
        revision = path.name.split("_", 1)[0]
        if revision in without:
            path.unlink()
            continue
        down = BRANCHED[revision]
        source = DOWN_REVISION.sub(f"down_revision: str | None = {down!r}", path.read_text())
        path.write_text(source)
    return copy


@pytest.fixture
def sync_engine(tmp_path: Path) -> Iterator[Engine]:
    engine = create_engine(f"sqlite:///{tmp_path / 'nexus.db'}")
    yield engine
    engine.dispose()


def alembic_upgrade(engine: Engine, migrations: Path, *revisions: str) -> None:
    for revision in revisions:
        with engine.begin() as conn:
            command.upgrade(alembic_config(conn, migrations), revision)


def recorded(engine: Engine) -> set[str]:
    with engine.connect() as conn:
        return {row[0] for row in conn.execute(text("SELECT version_num FROM alembic_version"))}


def tables(conn: Connection) -> list[str]:
    rows = conn.execute(text("SELECT name FROM sqlite_master WHERE type = 'table'"))
    return sorted(name for (name,) in rows if name != "alembic_version")


def snapshot(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table (full-text tables and their shadow tables included)."""
    with engine.connect() as conn:
        return {
            name: sorted(
                (tuple(row) for row in conn.execute(text(f'SELECT * FROM "{name}"'))), key=repr
            )
            for name in tables(conn)
        }


def schema(engine: Engine) -> set[tuple[str, str, str | None]]:
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT type, name, sql FROM sqlite_master"))
        return {(kind, name, sql) for kind, name, sql in rows}


STAMP = "'2026-11-20 10:00:00.000000'"
ROWS = {
    # 0001
    "entries": "INSERT INTO entries VALUES (1, 'cache-reads', 'tip', 'Cache reads', 'caching', "
    "'Cache what is read often.', 'Put a TTL on it.', '[]', '[\"cache\"]', '[]', '[]', NULL, "
    f"'tips/cache-reads.md', 'abc', {STAMP})",
    "entries_fts": "INSERT INTO entries_fts (rowid, title, aliases, tags, summary, body) "
    "VALUES (1, 'Cache reads', '', 'cache', 'Cache what is read often.', 'Put a TTL on it.')",
    "bot_state": f"INSERT INTO bot_state VALUES ('commands_hash', 'f00', {STAMP})",
    "guild_settings": f"INSERT INTO guild_settings VALUES (111, 'Europe/Berlin', {STAMP})",
    # 0002
    "daily_tip_schedules": "INSERT INTO daily_tip_schedules VALUES (111, 222, 9, 0, "
    f"'Europe/Berlin', 1, {STAMP}, 42, NULL, NULL, NULL, 0, 333, {STAMP}, {STAMP})",
    "daily_tip_posts": "INSERT INTO daily_tip_posts VALUES (1, 111, '2026-11-20', 222, "
    f"'cache-reads', 0, 'posted', 1, {STAMP}, NULL, NULL, {STAMP}, {STAMP}, 444, NULL)",
    # 0003
    "qa_settings": f"INSERT INTO qa_settings VALUES (111, 555, {STAMP})",
    "qa_questions": "INSERT INTO qa_questions VALUES (1, 111, 333, 555, 666, "
    "'Why is celery retrying twice?', 'It runs twice.', '[\"celery\", \"retries\"]', NULL, "
    f"{STAMP}, NULL)",
    "qa_answers": "INSERT INTO qa_answers VALUES (1, 111, 1, 777, 'acks_late.', NULL, "
    f"{STAMP}, NULL)",
    "qa_fts": "INSERT INTO qa_fts (rowid, title, details, tags, answers) VALUES "
    "(1, 'Why is celery retrying twice?', 'It runs twice.', 'celery retries', 'acks_late.')",
    # 0004
    "spec_settings": f"INSERT INTO spec_settings VALUES (111, 555, NULL, 333, {STAMP})",
    "specs": f"INSERT INTO specs VALUES (1, 111, 'billing', 'Billing API', 333, {STAMP}, {STAMP})",
    "spec_endpoints": "INSERT INTO spec_endpoints VALUES (1, 111, 1, NULL, 'GET', '/invoices', "
    f"'GET /invoices', 'abcd', 'List invoices', '[]', 0, '', 333, {STAMP})",
    "spec_notes": "INSERT INTO spec_notes VALUES (1, 111, 1, 'GET /invoices', 333, 'Paged.', "
    f"{STAMP})",
    "spec_follows": f"INSERT INTO spec_follows VALUES (1, 111, 1, 333, 'spec', '', {STAMP})",
}


def fill(engine: Engine) -> None:
    """A row in every table the database has (what a server in use would have)."""
    with engine.begin() as conn:
        present = set(tables(conn))
        for table, insert in ROWS.items():
            if table in present:
                conn.execute(text(insert))


async def upgrade_with_today_s_code(path: Path) -> Database:
    database = Database(f"sqlite+aiosqlite:///{path}")
    await database.upgrade()
    return database


def fresh_schema(tmp_path: Path) -> set[tuple[str, str, str | None]]:
    engine = create_engine(f"sqlite:///{tmp_path / 'fresh.db'}")
    try:
        alembic_upgrade(engine, MIGRATIONS, "head")
        return schema(engine)
    finally:
        engine.dispose()


# -- the graph ---------------------------------------------------------------------------------


def test_the_graph_has_exactly_one_head() -> None:
    script = ScriptDirectory.from_config(alembic_config())
    assert script.get_heads() == [head_revision()]
    assert script.get_bases() == ["0001"]


def test_the_graph_is_one_linear_chain_of_every_revision_file() -> None:
    script = ScriptDirectory.from_config(alembic_config())
    order = chain()
    files = sorted(p.name for p in (MIGRATIONS / "versions").glob("*.py"))
    assert len(order) == len(files)
    assert [name.split("_", 1)[0] for name in files] == order  # numbered in chain order
    for before, after in itertools.pairwise(order):
        revision = script.get_revision(after)
        assert revision is not None
        assert revision.down_revision == before  # one parent, never a merge
        assert not revision.dependencies
        assert script.get_revision(before).nextrev == frozenset({after})  # never a branch
    assert order[:5] == ["0001", "0002", "0003", "0004", "0007"]  # what databases recorded


# -- databases built with the branched graph -----------------------------------------------------


async def test_a_database_at_the_three_old_heads_upgrades_with_its_rows_intact(
    tmp_path: Path, sync_engine: Engine
) -> None:
    alembic_upgrade(sync_engine, branched_graph(tmp_path), "heads")
    assert recorded(sync_engine) == {"0002", "0004", "0007"}
    fill(sync_engine)
    before = snapshot(sync_engine)
    assert all(before[table] for table in ROWS)

    database = await upgrade_with_today_s_code(tmp_path / "nexus.db")
    try:
        assert await current_revision(database.engine) == head_revision() == "0007"
        await database.upgrade()  # and again: nothing to do
        assert await current_revision(database.engine) == "0007"
    finally:
        await database.close()
    assert recorded(sync_engine) == {"0007"}
    assert snapshot(sync_engine) == before
    assert schema(sync_engine) == fresh_schema(tmp_path)


async def test_a_database_from_before_the_titles_index_gets_it_filled(
    tmp_path: Path, sync_engine: Engine
) -> None:
    alembic_upgrade(sync_engine, branched_graph(tmp_path, without=("0007",)), "heads")
    assert recorded(sync_engine) == {"0002", "0003", "0004"}
    fill(sync_engine)
    before = snapshot(sync_engine)

    database = await upgrade_with_today_s_code(tmp_path / "nexus.db")
    try:
        assert await current_revision(database.engine) == "0007"
    finally:
        await database.close()
    after = snapshot(sync_engine)
    assert {table: after[table] for table in before} == before
    assert schema(sync_engine) == fresh_schema(tmp_path)
    with sync_engine.connect() as conn:
        found = conn.execute(
            text("SELECT rowid, tags FROM qa_titles_fts WHERE qa_titles_fts MATCH 'cel*'")
        ).all()
    assert [tuple(row) for row in found] == [(1, "celery retries")]


async def test_a_database_off_the_chain_is_refused_and_left_as_it_was(
    tmp_path: Path, sync_engine: Engine
) -> None:
    # 0004 and 0007 without 0002: never produced by the bot, which upgraded to every head.
    alembic_upgrade(sync_engine, branched_graph(tmp_path), "0004", "0007")
    assert recorded(sync_engine) == {"0004", "0007"}
    before = schema(sync_engine)

    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'nexus.db'}")
    try:
        with pytest.raises(MigrationError, match="not a start of the linear chain"):
            await database.upgrade()
    finally:
        await database.close()
    assert recorded(sync_engine) == {"0004", "0007"}
    assert schema(sync_engine) == before


@pytest.mark.parametrize(
    ("rows", "position"),
    [
        (("0002", "0004", "0007"), "0007"),
        (("0002", "0003", "0004"), "0004"),
        (("0002", "0003"), "0003"),
        (("0002", "0007"), None),  # 0007 implies 0003, but 0004 is missing
        (("0003", "0004"), None),  # 0002 is missing
        (("0002", "0099"), None),  # not a revision of the branched graph
    ],
)
def test_old_rows_map_to_the_revision_with_the_same_migrations(
    rows: tuple[str, ...], position: str | None
) -> None:
    if position is None:
        with pytest.raises(MigrationError):
            linear_position(rows, chain())
    else:
        assert linear_position(rows, chain()) == position


# -- the chain itself ------------------------------------------------------------------------------


@pytest.mark.parametrize("start", chain())
async def test_every_revision_of_the_chain_upgrades_to_the_head(
    tmp_path: Path, sync_engine: Engine, start: str
) -> None:
    alembic_upgrade(sync_engine, MIGRATIONS, start)
    fill(sync_engine)
    before = snapshot(sync_engine)
    database = await upgrade_with_today_s_code(tmp_path / "nexus.db")
    try:
        assert await current_revision(database.engine) == head_revision()
    finally:
        await database.close()
    after = snapshot(sync_engine)
    assert {table: after[table] for table in before} == before
    assert schema(sync_engine) == fresh_schema(tmp_path)


def test_the_chain_downgrades_to_nothing_and_back(tmp_path: Path, sync_engine: Engine) -> None:
    alembic_upgrade(sync_engine, MIGRATIONS, "head")
    with sync_engine.begin() as conn:
        command.downgrade(alembic_config(conn), "base")
    with sync_engine.connect() as conn:
        assert tables(conn) == []
    alembic_upgrade(sync_engine, MIGRATIONS, "head")
    assert schema(sync_engine) == fresh_schema(tmp_path)


# -- adding a revision -----------------------------------------------------------------------------


def test_a_new_revision_is_numbered_and_chained_after_the_head(tmp_path: Path) -> None:
    copy = tmp_path / "migrations"
    shutil.copytree(MIGRATIONS, copy, ignore=shutil.ignore_patterns("__pycache__"))
    assert next_revision_id(copy) == "0008"

    path = new_revision("QA votes", migrations=copy)

    assert path == copy / "versions" / "0008_qa_votes.py"
    assert chain(copy) == [*chain(), "0008"]
    source = path.read_text()
    assert 'down_revision: str | None = "0007"' in source
    assert '"""Apply this revision."""' in source


def test_autogenerate_finds_nothing_when_the_models_match_the_migrations(tmp_path: Path) -> None:
    copy = tmp_path / "migrations"
    shutil.copytree(MIGRATIONS, copy, ignore=shutil.ignore_patterns("__pycache__"))

    path = new_revision("nothing changed", autogenerate=True, migrations=copy)

    upgrade = path.read_text().split("def upgrade() -> None:", 1)[1].split("def downgrade", 1)[0]
    code = [line.strip() for line in upgrade.splitlines() if line.strip()]
    assert [line for line in code if not line.startswith(("#", '"""'))] == ["pass"]
