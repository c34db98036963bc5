"""`python -m bot db copy --to URL`: every row into another database, indexed and checked.

The source is built as the benchmark builds its databases (bench/data.py: content synced, Q&A
written as the service writes it, specs imported by the spec service), with daily-tip
schedules, posts, votes and saved chat messages added, so every table has rows to copy.
"""

from __future__ import annotations

import asyncio
import random
import sqlite3
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bench.data import Plan, build
from bench.vocab import Vocabulary
from bench.workload import build_workload
from bot.__main__ import main
from bot.db.copy import CopyError, copy_database, tables
from bot.db.engine import Database
from bot.db.models import (
    BotState,
    DailyTipPost,
    DailyTipSchedule,
    GuildSettings,
    QaAnswer,
    QaMessageLink,
    QaSettings,
    QaVote,
    SpecChange,
    SpecFollow,
    SpecSettings,
    SpecToken,
    SpecVersion,
)
from bot.learnings.service import LearningsService
from bot.qa import Actor, QaService, make_draft
from tests.figures import report
from tests.helpers import REPO
from tests.postgres import PostgresDatabases

GUILD = 4_000_000_000_000_000
QUERIES = 40  # per search: /search and /qa search
TOP = 3


def sqlite_url(path: Path) -> str:
    return f"sqlite+aiosqlite:///{path}"


async def source_database(path: Path, questions: int, specs: int, endpoints: int) -> Database:
    """A database of `questions` Q&A and `specs` specs (bench/data.py), with every other table
    given rows: servers' settings, daily-tip schedules and posts, votes and saved messages.
    """
    vocab = Vocabulary.from_content(REPO / "content")
    plan = Plan(questions, specs, endpoints, GUILD)
    await build(path, plan, vocab, REPO / "content", None, lambda _: None)
    db = Database(sqlite_url(path))
    rng = random.Random(3)
    now = datetime.now(UTC)
    servers = max(questions // 20, 5)
    async with db.unit_of_work() as session:
        answers = (await session.scalars(select(QaAnswer).order_by(QaAnswer.id))).all()
        session.add(BotState(key="commands_hash", value="0" * 64, updated_at=now))
        session.add(QaSettings(guild_id=GUILD, channel_id=900, updated_at=now))
        session.add(SpecSettings(guild_id=GUILD, channel_id=901, editor_role_id=5, updated_at=now))
        for version in (await session.scalars(select(SpecVersion))).all():
            for n, rule in enumerate(("endpoint-removed", "parameter-added")):
                session.add(
                    SpecChange(
                        guild_id=GUILD,
                        spec_id=version.spec_id,
                        version_id=version.id,
                        position=n,
                        severity="breaking" if n == 0 else "info",
                        rule=rule,
                        endpoint_key=f"GET /things/{n}",
                        tags=["things"],
                        message=f"{rule} on GET /things/{n}",
                    )
                )
            session.add(
                SpecToken(
                    guild_id=GUILD,
                    spec_id=version.spec_id,
                    token_hash=f"{version.spec_id:064x}",
                    channel_id=901,
                    created_by=10**17 + 3,
                    created_at=now,
                )
            )
            session.add(
                SpecFollow(
                    guild_id=GUILD,
                    spec_id=version.spec_id,
                    user_id=10**17 + 3,
                    scope="spec",
                    target="",
                    created_at=now,
                )
            )
        for n in range(servers):
            guild = GUILD + 1 + n
            session.add(GuildSettings(guild_id=guild, timezone="Africa/Nairobi", created_at=now))
            session.add(
                DailyTipSchedule(
                    guild_id=guild,
                    channel_id=guild + 7,
                    hour=rng.randrange(24),
                    minute=rng.randrange(60),
                    timezone="Africa/Nairobi",
                    enabled=n % 7 != 0,
                    active_from=now,
                    rotation_seed=rng.randrange(2**40),
                    created_at=now,
                    updated_at=now,
                )
            )
            for day in range(3):
                session.add(
                    DailyTipPost(
                        guild_id=guild,
                        local_date=date(2026, 11, 1) + timedelta(days=day),
                        channel_id=guild + 7,
                        tip_slug="cache-keys",
                        status="posted",
                        next_attempt_at=now,
                        claimed_at=now,
                        posted_at=now,
                        message_id=guild + day,
                    )
                )
        for answer in answers[:: max(len(answers) // 500, 1)]:
            session.add(
                QaVote(guild_id=GUILD, answer_id=answer.id, voter_id=10**17 + 1, created_at=now)
            )
            session.add(
                QaMessageLink(
                    guild_id=GUILD,
                    question_id=answer.question_id,
                    answer_id=answer.id,
                    saved_by_id=10**17 + 2,
                    channel_id=900,
                    message_id=answer.id + 10**18,
                    created_at=now,
                )
            )
    return db


async def counts(db: Database) -> dict[str, int]:
    async with db.read() as session:
        return {
            t.name: int(await session.scalar(select(func.count()).select_from(t)) or 0)
            for t in tables()
        }


async def copy(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """`python -m bot db copy ARGV`, run as the command line runs it: status, out, err."""
    capsys.readouterr()
    status = await asyncio.to_thread(main, ["db", "copy", *argv])
    out, err = capsys.readouterr()
    return status, out, err


@pytest.mark.timeout(180)
async def test_10k_questions_copied_to_postgresql_answer_searches_as_on_sqlite(
    postgres: PostgresDatabases, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "nexus.db"
    started = time.monotonic()
    source = await source_database(path, questions=10_000, specs=3, endpoints=20)
    built = time.monotonic() - started
    async with postgres.empty() as url:
        target = Database(url)
        try:
            status, out, err = await copy(capsys, "--database-url", sqlite_url(path), "--to", url)
            assert status == 0, err
            copied = time.monotonic() - started - built
            before, after = await counts(source), await counts(target)
            assert after == before
            assert before["qa_questions"] == 10_000
            assert before["qa_answers"] > 10_000
            assert all(before.values()), f"every table has rows to copy: {before}"
            for table, rows in before.items():  # the command's own table says the same
                assert any(line.split()[:3] == [table, f"{rows:,}", f"{rows:,}"]
                           for line in out.splitlines()), table  # fmt: skip
            assert "search answers" in out

            vocab = Vocabulary.from_content(REPO / "content")
            work = build_workload(vocab, path, QUERIES, seed=5)
            for name, queries, top in (
                ("search", work.searches[:QUERIES], learnings_top),
                ("qa search", work.qa_searches[:QUERIES], questions_top),
            ):
                timed = time.monotonic()
                on_sqlite = await top(source, queries)
                timed, sqlite_s = time.monotonic(), time.monotonic() - timed
                on_postgres = await top(target, queries)
                postgres_s = time.monotonic() - timed
                found = [q for q in queries if on_sqlite[q][1]]
                assert len(found) >= QUERIES // 2, f"{name}: the workload finds little on SQLite"
                # The same rows match on both: the copy and its index are whole. (Queries of
                # stop words only, such as "when to", find nothing with PostgreSQL's English
                # dictionary, while FTS5 indexes every word: counted, kept rare.)
                same_total = [q for q in queries if on_sqlite[q][0] == on_postgres[q][0]]
                assert len(same_total) >= QUERIES - QUERIES // 10, (name, on_sqlite, on_postgres)
                # The questions are ranked by the same bm25 on both (the learnings by bm25 and
                # ts_rank): the agreement is reported.
                first = sum(on_sqlite[q][1][:1] == on_postgres[q][1][:1] for q in found)
                same_set = sum(set(on_sqlite[q][1]) == set(on_postgres[q][1]) for q in found)
                shared = sum(len(set(on_sqlite[q][1]) & set(on_postgres[q][1])) for q in found)
                key = name.replace(" ", "_")
                report(
                    "db copy",
                    **{
                        f"{key}_same_matches": f"{len(same_total)}/{len(queries)}",
                        f"{key}_same_first": f"{first}/{len(found)}",
                        f"{key}_same_top{TOP}_set": f"{same_set}/{len(found)}",
                        f"{key}_top{TOP}_overlap": f"{shared}/{TOP * len(found)}",
                        # Mean time of one search through the service (reported, not asserted).
                        f"{key}_ms_sqlite": 1000 * sqlite_s / len(queries),
                        f"{key}_ms_postgresql": 1000 * postgres_s / len(queries),
                    },
                )
                if name == "search":  # the learnings' names weigh most on both
                    assert first >= len(found) * 3 // 4, (first, len(found))
            report("db copy", rows=sum(before.values()), build_s=built, copy_s=copied)

            # The sequences were moved past the copied ids: a new question takes the next id.
            qa = QaService(target, ask_cooldown=timedelta(0))
            asked = await qa.ask(GUILD, Actor(10**17 + 9), make_draft("After the move", "Ok?", ""))
            assert asked.id == 10_001
        finally:
            await target.close()
            await source.close()


async def learnings_top(db: Database, queries: list[str]) -> dict[str, tuple[int, list[object]]]:
    """What /search finds for each query: how many, and the first TOP."""
    service = LearningsService(db)
    await service.refresh()
    found: dict[str, tuple[int, list[object]]] = {}
    for query in queries:
        page = await service.search(query)
        found[query] = (page.total, [hit.slug for hit in page.hits[:TOP]])
    return found


async def questions_top(db: Database, queries: list[str]) -> dict[str, tuple[int, list[object]]]:
    """What /qa search finds for each query: how many, and the first TOP."""
    qa = QaService(db)
    found: dict[str, tuple[int, list[object]]] = {}
    for query in queries:
        page = await qa.search(GUILD, query)
        found[query] = (page.total, [hit.question.id for hit in page.hits[:TOP]])
    return found


async def test_a_copy_between_sqlite_files_searches_exactly_as_the_source(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path, copied = tmp_path / "nexus.db", tmp_path / "moved" / "nexus.db"
    source = await source_database(path, questions=300, specs=1, endpoints=5)
    target = Database(sqlite_url(copied))
    try:
        status, _out, err = await copy(
            capsys, "--database-url", sqlite_url(path), "--to", sqlite_url(copied)
        )
        assert status == 0, err
        assert await counts(target) == await counts(source)
        work = build_workload(Vocabulary.from_content(REPO / "content"), path, QUERIES, seed=9)
        # The same index, written by the same indexers: the same results, in the same order.
        assert await learnings_top(target, work.searches) == await learnings_top(
            source, work.searches
        )
        assert await questions_top(target, work.qa_searches) == await questions_top(
            source, work.qa_searches
        )
    finally:
        await target.close()
        await source.close()


async def test_a_target_with_rows_is_refused_unless_forced(
    postgres: PostgresDatabases, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "nexus.db"
    source = await source_database(path, questions=60, specs=1, endpoints=5)
    async with postgres.migrated() as url:
        target = Database(url)
        try:
            qa = QaService(target, ask_cooldown=timedelta(0))
            await qa.ask(GUILD, Actor(10**17 + 9), make_draft("Already here", "Kept?", ""))
            status, _out, err = await copy(capsys, "--database-url", sqlite_url(path), "--to", url)
            assert status == 2
            assert "is not empty" in err
            assert "qa_questions (1)" in err
            assert "--force" in err
            assert "Traceback" not in err
            assert (await counts(target))["qa_questions"] == 1, "nothing was touched"
            missing = url.rsplit("/", 1)[0] + "/no_such_database"
            status, _out, err = await copy(
                capsys, "--database-url", sqlite_url(path), "--to", missing
            )
            assert status == 1
            assert 'database "no_such_database" does not exist' in err
            assert len(err.strip().splitlines()) == 1

            status, _out, err = await copy(
                capsys, "--database-url", sqlite_url(path), "--to", url, "--force"
            )
            assert status == 0, err
            assert await counts(target) == await counts(source)
            gone = await qa.search(GUILD, "Already here")
            assert all(hit.question.title != "Already here" for hit in gone.hits)
            asked = await qa.ask(GUILD, Actor(10**17 + 9), make_draft("After the move", "?", ""))
            assert asked.id == 61, "the ids continue after the copied ones"
        finally:
            await target.close()
            await source.close()


async def test_a_copy_back_from_postgresql_to_sqlite(
    postgres: PostgresDatabases, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path, back = tmp_path / "nexus.db", tmp_path / "back.db"
    source = await source_database(path, questions=60, specs=1, endpoints=5)
    async with postgres.empty() as url:
        there, returned = Database(url), Database(sqlite_url(back))
        try:
            assert (await copy(capsys, "--database-url", sqlite_url(path), "--to", url))[0] == 0
            status, _out, err = await copy(capsys, "--database-url", url, "--to", sqlite_url(back))
            assert status == 0, err
            assert await counts(returned) == await counts(there) == await counts(source)
            work = build_workload(Vocabulary.from_content(REPO / "content"), path, 10, seed=2)
            assert await questions_top(returned, work.qa_searches) == await questions_top(
                source, work.qa_searches
            )
        finally:
            await there.close()
            await returned.close()
            await source.close()


async def test_what_cannot_be_copied_is_one_clear_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "nexus.db"
    source = await source_database(path, questions=20, specs=0, endpoints=0)
    await source.close()
    src = sqlite_url(path)
    cases = [
        (["--database-url", src, "--to", "mysql://nexus@db/nexus"], 2, "--to: expected a driver"),
        (["--database-url", src, "--to", src], 2, "the target is the source itself"),
        (
            [
                "--database-url",
                sqlite_url(tmp_path / "none.db"),
                "--to",
                sqlite_url(tmp_path / "b.db"),
            ],
            2,
            "there is no database at",
        ),
        (
            ["--database-url", src, "--to", "postgresql+asyncpg://nexus@127.0.0.1:1/nexus"],
            1,
            "could not be reached",
        ),
    ]
    for argv, expected, says in cases:
        status, _out, err = await copy(capsys, *argv)
        assert (status, says in err) == (expected, True), (argv, err)
        assert len(err.strip().splitlines()) == 1
        assert "Traceback" not in err
    assert not (tmp_path / "none.db").exists(), "a missing source is not created"


async def test_a_copy_reads_one_snapshot_and_fails_when_the_source_moved(tmp_path: Path) -> None:
    path, copied = tmp_path / "nexus.db", tmp_path / "copy.db"
    source = await source_database(path, questions=30, specs=0, endpoints=0)
    before = await counts(source)
    await source.close()

    def bot_writes(line: str) -> None:
        """A bot still running: it writes once bot_state is copied, before qa_answers is."""
        if line.startswith("copied bot_state"):
            with sqlite3.connect(path) as conn:
                conn.execute(
                    "INSERT INTO bot_state (key, value, updated_at) VALUES ('late', '1', "
                    "'2026-12-01 00:00:00.000000')"
                )
                conn.execute(
                    "INSERT INTO qa_answers (guild_id, question_id, body, created_at) "
                    "VALUES (?, 1, 'written during the copy', '2026-12-01 00:00:00.000000')",
                    (GUILD,),
                )
            conn.close()

    with pytest.raises(CopyError, match="the source changed while it was copied") as failed:
        await copy_database(sqlite_url(path), sqlite_url(copied), progress=bot_writes)
    assert "bot_state, qa_answers" in str(failed.value)
    assert "copy again with --force" in str(failed.value)
    target = Database(sqlite_url(copied))
    try:
        assert await counts(target) == before, "the copy is the snapshot taken when it began"
    finally:
        await target.close()


async def test_a_target_the_bot_started_on_is_taken_without_force(
    postgres: PostgresDatabases, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A bot started on the new database first (compose brings both up) synced the learnings
    and wrote its own state: no community data, so the copy replaces them."""
    from bot.learnings.sync import sync_content
    from cogs.learnings.content import check_content

    path = tmp_path / "nexus.db"
    source = await source_database(path, questions=40, specs=0, endpoints=0)
    async with postgres.migrated() as url:
        target = Database(url)
        try:
            await sync_content(target, check_content(REPO / "content").learnings[:5])
            async with target.unit_of_work() as session:
                session.add(BotState(key="commands_hash", value="1" * 64))
            status, out, err = await copy(capsys, "--database-url", sqlite_url(path), "--to", url)
            assert status == 0, err
            assert "emptying the target\n" in out
            assert await counts(target) == await counts(source)
        finally:
            await target.close()
            await source.close()
