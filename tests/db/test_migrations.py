"""The migrations: one linear chain from the baseline, and databases built before it upgrade.

The baseline (0007) replaced revisions 0001 to 0004 and 0007, with which 0002, 0003 and 0004
each followed 0001 and 0007 followed 0003; the bot upgraded to all their heads. Those revisions
are kept, as databases applied them, in `fixtures/squashed/`: the tests build databases with
them and upgrade them with today's code.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Connection, Engine

from bot.db import migrate
from bot.db.engine import Database
from bot.db.migrate import (
    BASELINE,
    MIGRATIONS,
    SQUASHED,
    MigrationError,
    alembic_config,
    baseline_row,
    chain,
    current_revision,
    head_revision,
    new_revision,
    next_revision_id,
)
from bot.db.revision import code_head

SQUASHED_REVISIONS = Path(__file__).with_name("fixtures") / "squashed"


def squashed_config(connection: Connection | None = None) -> Config:
    """The revisions the baseline replaced, as databases applied them (the branched graph)."""
    cfg = alembic_config(connection)
    cfg.set_main_option("path_separator", "os")
    cfg.set_main_option("version_locations", str(SQUASHED_REVISIONS))
    return cfg


@pytest.fixture
def sync_engine(tmp_path: Path) -> Iterator[Engine]:
    engine = create_engine(f"sqlite:///{tmp_path / 'nexus.db'}")
    yield engine
    engine.dispose()


def alembic_upgrade(engine: Engine, *revisions: str, squashed: bool = False) -> None:
    for revision in revisions:
        with engine.begin() as conn:
            config = squashed_config(conn) if squashed else alembic_config(conn)
            command.upgrade(config, revision)


def recorded(engine: Engine) -> set[str]:
    with engine.connect() as conn:
        return {row[0] for row in conn.execute(text("SELECT version_num FROM alembic_version"))}


def tables(conn: Connection) -> list[str]:
    rows = conn.execute(text("SELECT name FROM sqlite_master WHERE type = 'table'"))
    return sorted(name for (name,) in rows if name != "alembic_version")


def snapshot(engine: Engine) -> dict[str, list[dict[str, Any]]]:
    """Every row of every table (full-text tables and their shadow tables included), each row
    by column name."""
    with engine.connect() as conn:
        return {
            name: sorted(
                (dict(row._mapping) for row in conn.execute(text(f'SELECT * FROM "{name}"'))),
                key=repr,
            )
            for name in tables(conn)
        }


def kept(
    after: dict[str, list[dict[str, Any]]], before: dict[str, list[dict[str, Any]]]
) -> dict[str, list[dict[str, Any]]]:
    """`after` as far as `before` saw it: its tables and columns (a revision may add columns)."""
    seen = {table: list(rows[0]) if rows else [] for table, rows in before.items()}
    return {
        table: sorted(
            ({column: row[column] for column in seen[table]} for row in after[table]), key=repr
        )
        for table in before
    }


def schema(engine: Engine) -> set[tuple[str, str, str | None]]:
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT type, name, sql FROM sqlite_master"))
        return {(kind, name, sql) for kind, name, sql in rows}


STAMP = "'2026-11-20 10:00:00.000000'"
ROWS = {
    "entries": "INSERT INTO entries VALUES (1, 'cache-reads', 'tip', 'Cache reads', 'caching', "
    "'Cache what is read often.', 'Put a TTL on it.', '[]', '[\"cache\"]', '[]', '[]', NULL, "
    f"'tips/cache-reads.md', 'abc', {STAMP})",
    "entries_fts": "INSERT INTO entries_fts (rowid, title, aliases, tags, summary, body) "
    "VALUES (1, 'Cache reads', '', 'cache', 'Cache what is read often.', 'Put a TTL on it.')",
    "bot_state": f"INSERT INTO bot_state VALUES ('commands_hash', 'f00', {STAMP})",
    "guild_settings": f"INSERT INTO guild_settings VALUES (111, 'Europe/Berlin', {STAMP})",
    "daily_tip_schedules": "INSERT INTO daily_tip_schedules VALUES (111, 222, 9, 0, "
    f"'Europe/Berlin', 1, {STAMP}, 42, NULL, NULL, NULL, 0, 333, {STAMP}, {STAMP})",
    "daily_tip_posts": "INSERT INTO daily_tip_posts VALUES (1, 111, '2026-11-20', 222, "
    f"'cache-reads', 0, 'posted', 1, {STAMP}, NULL, NULL, {STAMP}, {STAMP}, 444, NULL)",
    "qa_settings": "INSERT INTO qa_settings (guild_id, channel_id, updated_at) "
    f"VALUES (111, 555, {STAMP})",
    "qa_questions": "INSERT INTO qa_questions (id, guild_id, author_id, channel_id, message_id, "
    "title, details, tags, accepted_answer_id, created_at, edited_at) "
    "VALUES (1, 111, 333, 555, 666, "
    "'Why is celery retrying twice?', 'It runs twice.', '[\"celery\", \"retries\"]', NULL, "
    f"{STAMP}, NULL)",
    "qa_answers": "INSERT INTO qa_answers VALUES (1, 111, 1, 777, 'acks_late.', NULL, "
    f"{STAMP}, NULL)",
    "qa_fts": "INSERT INTO qa_fts (rowid, title, details, tags, answers) VALUES "
    "(1, 'Why is celery retrying twice?', 'It runs twice.', 'celery retries', 'acks_late.')",
    "qa_titles_fts": "INSERT INTO qa_titles_fts (rowid, title, tags) VALUES "
    "(1, 'Why is celery retrying twice?', 'celery retries')",
    "spec_settings": f"INSERT INTO spec_settings VALUES (111, 555, NULL, 333, {STAMP})",
    "specs": f"INSERT INTO specs VALUES (1, 111, 'billing', 'Billing API', 333, {STAMP}, {STAMP})",
    "spec_versions": "INSERT INTO spec_versions VALUES (1, 111, 1, 1, 'v1', '3.1.0', 'yaml', "
    f"'billing.yaml', 10, 'ff', x'00', x'00', '{{}}', '[]', 0, 1, 0, 0, 333, {STAMP})",
    "spec_endpoints": "INSERT INTO spec_endpoints VALUES (1, 111, 1, 1, 'GET', '/invoices', "
    f"'GET /invoices', 'abcd', 'List invoices', '[]', 0, '', 333, {STAMP})",
    "spec_changes": "INSERT INTO spec_changes VALUES (1, 111, 1, 1, 0, 'info', 'added', "
    "'GET /invoices', '[]', 'GET /invoices was added.')",
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
        alembic_upgrade(engine, "head")
        return schema(engine)
    finally:
        engine.dispose()


# -- the graph ---------------------------------------------------------------------------------


def test_the_graph_has_exactly_one_head_and_starts_at_the_baseline() -> None:
    script = ScriptDirectory.from_config(alembic_config())
    assert script.get_heads() == [head_revision()]
    assert script.get_bases() == [BASELINE] == ["0007"]


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


def test_the_head_read_from_the_file_names_is_alembic_s() -> None:
    """A start compares the database with this head to skip Alembic when nothing is pending."""
    assert code_head() == head_revision() == chain()[-1]


async def test_a_start_on_a_database_at_the_head_does_not_load_alembic(tmp_path: Path) -> None:
    path = tmp_path / "nexus.db"
    database = await upgrade_with_today_s_code(path)
    await database.close()
    probe = (
        "import asyncio, sys; from bot.db.engine import Database; "
        f"db = Database('sqlite+aiosqlite:///{path}'); "
        "asyncio.run(db.upgrade()); asyncio.run(db.close()); "
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'alembic')[:3])"
    )
    run = partial(subprocess.run, capture_output=True, text=True, timeout=60, check=True)
    result = await asyncio.to_thread(run, [sys.executable, "-c", probe])
    assert result.stdout.strip() == "[]"


def test_the_ids_before_the_baseline_are_never_used_again() -> None:
    after_the_baseline = chain()[1:]
    assert all(int(revision) > int(BASELINE) for revision in after_the_baseline)
    assert int(next_revision_id()) > int(BASELINE)
    # What the fixtures hold is what the baseline replaced.
    squashed = ScriptDirectory.from_config(squashed_config())
    assert {rev.revision for rev in squashed.walk_revisions()} == SQUASHED


# -- databases built with the revisions the baseline replaced ----------------------------------


async def test_a_database_at_the_old_heads_joins_the_baseline_with_its_rows_intact(
    tmp_path: Path, sync_engine: Engine
) -> None:
    alembic_upgrade(sync_engine, "heads", squashed=True)
    assert recorded(sync_engine) == {"0002", "0004", "0007"}
    fill(sync_engine)
    before = snapshot(sync_engine)
    assert all(before[table] for table in ROWS)

    database = await upgrade_with_today_s_code(tmp_path / "nexus.db")
    try:
        assert await current_revision(database.engine) == head_revision()
        await database.upgrade()  # and again: nothing to do
        assert await current_revision(database.engine) == head_revision()
    finally:
        await database.close()
    after = snapshot(sync_engine)
    assert kept(after, before) == before
    # Exactly the schema the baseline builds (then upgraded like a fresh database).
    assert schema(sync_engine) == fresh_schema(tmp_path)


async def test_the_baseline_builds_exactly_the_schema_the_old_revisions_built(
    tmp_path: Path, sync_engine: Engine
) -> None:
    alembic_upgrade(sync_engine, "heads", squashed=True)
    baseline = create_engine(f"sqlite:///{tmp_path / 'baseline.db'}")
    try:
        alembic_upgrade(baseline, BASELINE)
        assert schema(baseline) == schema(sync_engine)
    finally:
        baseline.dispose()


@pytest.mark.parametrize(
    "targets",
    [
        ("0002", "0003", "0004"),  # all three branches, from before the titles index (0007)
        ("0004", "0007"),  # 0002 missing: never produced by the bot, which upgraded every head
        ("0001",),
    ],
)
async def test_a_database_the_baseline_cannot_bring_forward_is_refused_and_left_as_it_was(
    tmp_path: Path, sync_engine: Engine, targets: tuple[str, ...]
) -> None:
    alembic_upgrade(sync_engine, *targets, squashed=True)
    assert recorded(sync_engine) == set(targets)
    fill(sync_engine)
    rows, before = snapshot(sync_engine), schema(sync_engine)

    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'nexus.db'}")
    try:
        with pytest.raises(MigrationError, match=r"older than the migrations baseline \(0007\)"):
            await database.upgrade()
    finally:
        await database.close()
    assert recorded(sync_engine) == set(targets)
    assert schema(sync_engine) == before
    assert snapshot(sync_engine) == rows


def test_the_refusal_says_what_to_do() -> None:
    with pytest.raises(MigrationError) as refused:
        baseline_row(["0002", "0003", "0004"])
    message = str(refused.value)
    assert "0002, 0003, 0004" in message
    assert "Upgrade it first with a Nexus from before the baseline" in message
    assert "restore a backup" in message


@pytest.mark.parametrize(
    ("rows", "row"),
    [
        (("0002", "0004", "0007"), "0007"),  # today's heads: the baseline's schema
        (("0007", "0004", "0002"), "0007"),
        ((), None),  # a new database
        (("0007",), None),  # at the baseline already
        (("0008",), None),  # on the chain, past the baseline
        (("0002", "0003", "0004"), MigrationError),
        (("0002", "0007"), MigrationError),
        (("0004",), MigrationError),
    ],
)
def test_old_rows_join_the_baseline_or_are_refused(
    rows: tuple[str, ...], row: str | type[MigrationError] | None
) -> None:
    if row is MigrationError:
        with pytest.raises(MigrationError):
            baseline_row(rows)
    else:
        assert baseline_row(rows) == row


# -- the chain itself ------------------------------------------------------------------------------


@pytest.mark.parametrize("start", chain())
async def test_every_revision_of_the_chain_upgrades_to_the_head(
    tmp_path: Path, sync_engine: Engine, start: str
) -> None:
    alembic_upgrade(sync_engine, start)
    fill(sync_engine)
    before = snapshot(sync_engine)
    database = await upgrade_with_today_s_code(tmp_path / "nexus.db")
    try:
        assert await current_revision(database.engine) == head_revision()
    finally:
        await database.close()
    after = snapshot(sync_engine)
    assert kept(after, before) == before
    assert schema(sync_engine) == fresh_schema(tmp_path)


def test_spec_endpoint_tags_file_the_endpoints_stored_before_them(sync_engine: Engine) -> None:
    """0008 files every stored endpoint where the listing showed it: under each of its tags,
    "other" without any, "hand-typed" when typed by hand; in batches, however many there are."""
    alembic_upgrade(sync_engine, "0007")
    endpoint = text(
        "INSERT INTO spec_endpoints VALUES (:id, 111, 1, :version, :method, :path, :key, 'abcd', "
        f"'', :tags, 0, '', NULL, {STAMP})"
    )
    stored = [
        (1, 1, "GET", "/invoices", ["billing", "reports"]),
        (2, 1, "POST", "/invoices", []),
        (3, None, "POST", "/refunds", []),
        (4, None, "GET", "/invoices", []),  # typed by hand beside the imported one
        *((n, 1, "GET", f"/items/{n}", ["items"]) for n in range(5, 2505)),
    ]
    with sync_engine.begin() as conn:
        conn.execute(text(ROWS["specs"]))
        conn.execute(text(ROWS["spec_versions"]))
        conn.execute(
            endpoint,
            [
                {
                    "id": n,
                    "version": v,
                    "method": m,
                    "path": p,
                    "key": f"{m} {p}",
                    "tags": json.dumps(t),
                }
                for n, v, m, p, t in stored
            ],
        )
    alembic_upgrade(sync_engine, "0008")
    with sync_engine.connect() as conn:
        filed = conn.execute(
            text("SELECT endpoint_id, tag, spec_id, path, method FROM spec_endpoint_tags")
        ).all()
    assert sorted(filed)[:5] == [
        (1, "billing", 1, "/invoices", "GET"),
        (1, "reports", 1, "/invoices", "GET"),
        (2, "other", 1, "/invoices", "POST"),
        (3, "hand-typed", 1, "/refunds", "POST"),
        (4, "hand-typed", 1, "/invoices", "GET"),
    ]
    assert sorted(filed)[5:] == [(n, "items", 1, f"/items/{n}", "GET") for n in range(5, 2505)]


def test_qa_followups_count_the_questions_stored_before_them_as_followed_up(
    sync_engine: Engine,
) -> None:
    """0012: a question asked before follow-ups existed is never nudged nor checked (its time
    passed long ago); one asked after is, when it comes due."""
    alembic_upgrade(sync_engine, "0011")
    with sync_engine.begin() as conn:
        conn.execute(text(ROWS["qa_questions"]))
    alembic_upgrade(sync_engine, "0012")
    with sync_engine.connect() as conn:
        row = conn.execute(
            text("SELECT created_at, nudged_at, solved_check_at FROM qa_questions WHERE id = 1")
        ).one()
    assert row[1] == row[2] == row[0] == STAMP.strip("'")


def test_the_chain_downgrades_to_nothing_and_back(tmp_path: Path, sync_engine: Engine) -> None:
    alembic_upgrade(sync_engine, "head")
    with sync_engine.begin() as conn:
        command.downgrade(alembic_config(conn), "base")
    with sync_engine.connect() as conn:
        left = text("SELECT name FROM sqlite_master WHERE tbl_name != 'alembic_version'")
        assert conn.execute(left).all() == []  # no table, index or full-text table
    alembic_upgrade(sync_engine, "head")
    assert schema(sync_engine) == fresh_schema(tmp_path)


# -- adding a revision -----------------------------------------------------------------------------


def test_a_new_revision_is_numbered_and_chained_after_the_head(tmp_path: Path) -> None:
    copy = tmp_path / "migrations"
    shutil.copytree(MIGRATIONS, copy, ignore=shutil.ignore_patterns("__pycache__"))
    head = head_revision()
    following = f"{int(head) + 1:04d}"
    assert next_revision_id(copy) == following

    path = new_revision("QA votes", migrations=copy)

    assert path == copy / "versions" / f"{following}_qa_votes.py"
    assert chain(copy) == [*chain(), following]
    source = path.read_text()
    assert f'down_revision: str | None = "{head}"' in source
    assert '"""Apply this revision."""' in source


def test_the_new_revision_command_writes_the_next_revision(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    copy = tmp_path / "migrations"
    shutil.copytree(MIGRATIONS, copy, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(migrate, "new_revision", partial(new_revision, migrations=copy))
    assert migrate.main(["new", "spec tags"]) == 0
    written = copy / "versions" / f"{int(head_revision()) + 1:04d}_spec_tags.py"
    assert capsys.readouterr().out.endswith(f"wrote {written}\n")


def test_autogenerate_finds_nothing_when_the_models_match_the_migrations(tmp_path: Path) -> None:
    copy = tmp_path / "migrations"
    shutil.copytree(MIGRATIONS, copy, ignore=shutil.ignore_patterns("__pycache__"))

    path = new_revision("nothing changed", autogenerate=True, migrations=copy)

    upgrade = path.read_text().split("def upgrade() -> None:", 1)[1].split("def downgrade", 1)[0]
    code = [line.strip() for line in upgrade.splitlines() if line.strip()]
    assert [line for line in code if not line.startswith(("#", '"""'))] == ["pass"]
