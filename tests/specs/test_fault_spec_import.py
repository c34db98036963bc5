"""Faults: the process killed (SIGKILL) in the middle of a spec import.

A child process imports large OpenAPI documents (bench/specgen.py, 250+ endpoints) again and
again with the real `SpecsService.import_document` on a real SQLite file, and prints ("acks")
each version id once its import has returned, i.e. after its one transaction committed. The
parent SIGKILLs it after a number of acks, checks the file, and starts the next child on it:

* production settings, the kill right after an ack (where test_faults.py kills /ask bursts);
* the kill held inside the next import's transaction: after the first chunk of its endpoints
  (a new spec; a new version, whose predecessor's endpoints it has already deleted), and at the
  COMMIT with every row written. Those children cap SQLite's page cache, so the open
  transaction spills its pages into the write-ahead log: half an import is *on disk* when the
  process dies, and the test counts those frames.

After each kill: PRAGMA integrity_check passes; every acknowledged version is stored; nothing
half-written is there (the in-flight import is all there or not at all; the current version
of each spec has exactly the endpoints its document has, counted by parsing the document with
the project's parser, and every version its changelog rows); and a fresh `Database` on the same
file upgrades and takes the next import. The child also reports, from SQLite's own statement
trace, how many COMMITs each import took (one) and whether any row was written outside a
transaction (none): an import that committed in several steps fails here.

Reading and diffing a document is CPU work with no database in it (~0.8 s a document), so the
parent does it once and the child's `off_loop` hands the results to the service: the child
spends its time in the database, where the kills must land.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import pickle
import sqlite3
import time
import zlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.specgen import as_json, document, next_version, operations
from bot.db.engine import Database
from bot.specs import Actor, SpecsService
from bot.specs.analysis import Analysis, analyse, in_thread
from bot.specs.openapi import read_spec
from tests.figures import report
from tests.hardening.test_faults import acks_then_kill, integrity, migrated, start_child

__all__ = ["migrated"]  # the fixture, imported from test_faults

ENDPOINTS = 250  # > INSERT_CHUNK (200): an import writes its endpoints in several statements
VERSIONS_PER_SPEC = 3  # a spec gets A, B, A: created, then two versions that change things
SPILL_CACHE_PAGES = 16  # 64 KB of page cache: an import's transaction spills into the WAL
PAUSE = 15.0  # how long the child holds the transaction open at the kill point (killed first)
ADMIN = Actor(1, can_manage=True)
GUILD = 1

# The child. Acks go to stdout, progress to a trail file (its last line says where the kill
# landed), and the plan (documents, analyses, where to stop) comes from plan.json.
SPEC_IMPORTS = """
import asyncio, hashlib, json, pickle, sys, time, zlib
from pathlib import Path
from sqlalchemy import event
from sqlalchemy.util import await_
from bot.db.engine import Database
from bot.specs.analysis import in_thread
from bot.specs import Actor, SpecsService

db_file = Path(sys.argv[1])
plan = json.loads((db_file.parent / "plan.json").read_text())
documents = [(name, Path(path).read_bytes()) for name, path in plan["documents"]]
analyses = pickle.loads(Path(plan["analyses"]).read_bytes())
trail = open(plan["trail"], "a", buffering=1)
state = {"n": 0, "commits": 0, "loose": 0, "open": False, "released": 0, "paused": False}
held = []   # acks of committed imports, held back until the next import is mid-transaction

def traced(sql):   # every statement SQLite runs, BEGIN and COMMIT included (aiosqlite thread)
    verb = sql.split(None, 1)[0].upper() if sql.strip() else ""
    if verb == "BEGIN":
        state["open"] = True
    elif verb in ("COMMIT", "END"):
        state["open"] = False
        state["commits"] += 1
    elif verb == "ROLLBACK":
        state["open"] = False
    elif verb in ("INSERT", "UPDATE", "DELETE", "REPLACE") and not state["open"]:
        state["loose"] += 1   # a write that autocommits on its own

def on_connect(dbapi_connection, _record):
    await_(dbapi_connection.driver_connection.set_trace_callback(traced))
    if plan["cache_pages"]:
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA cache_size={plan['cache_pages']}")
        cursor.close()

def kill_point():
    if not held:
        return
    if state["released"] + len(held) >= plan["acks"] and not state["paused"]:
        state["paused"] = True
        print(f"paused {state['n']}", file=trail)   # written before the last ack: then the kill
    while held:
        print(held.pop(0), flush=True)
        state["released"] += 1
    if state["paused"]:
        time.sleep(plan["pause"])   # the transaction stays open; the parent kills us here

def after_execute(conn, cursor, statement, parameters, context, executemany):
    if (plan["kill_point"] == "endpoints" and executemany
            and statement.startswith("INSERT INTO spec_endpoints")):
        kill_point()   # the first chunk of endpoints is written, the rest is not

def on_commit(conn):   # runs before the DBAPI commit: every row is written, none committed
    if plan["kill_point"] == "commit":
        kill_point()

async def off_loop(function, packed, filename, model, previous):
    data = zlib.decompress(packed)   # the importer sends the document compressed
    key = (hashlib.sha256(data).hexdigest(), model and hashlib.sha256(model).hexdigest())
    if key in analyses:
        return analyses[key]
    return await in_thread(function, packed, filename, model, previous)

async def main():
    db = Database(f"sqlite+aiosqlite:///{db_file}")
    engine = db.engine.sync_engine
    event.listen(engine, "connect", on_connect)
    event.listen(engine, "after_cursor_execute", after_execute)
    event.listen(engine, "commit", on_commit)
    specs = SpecsService(db, off_loop=off_loop)
    n = plan["start"]
    while True:
        state.update(n=n, commits=0, loose=0)
        print(f"begin {n}", file=trail)
        filename, data = documents[n % plan["per_spec"] % 2]
        report = await specs.import_document(
            1, Actor(1, can_manage=True), f"market-{n // plan['per_spec']}", filename, data)
        print(f"done {n} {report.version.id}", file=trail)
        ack = f"{report.version.id} {state['commits']} {state['loose']}"
        if plan["kill_point"] == "after-commit":
            print(ack, flush=True)   # acknowledged: the import is committed
        else:
            held.append(ack)
        n += 1

asyncio.run(main())
"""


@dataclass(frozen=True)
class Expected:
    """What the project's parser reads in one document."""

    title: str
    keys: frozenset[str]


@dataclass(frozen=True)
class Round:
    kill_point: str  # "after-commit", "endpoints" or "commit"
    in_flight: int | None  # the kind of import to kill: 0 a new spec, 1-2 a new version
    cache_pages: int  # 0: SQLite's default page cache
    min_acks: int


ROUNDS = (
    Round("after-commit", None, 0, 6),
    Round("endpoints", 0, SPILL_CACHE_PAGES, 3),
    Round("endpoints", 1, SPILL_CACHE_PAGES, 3),
    Round("commit", 2, SPILL_CACHE_PAGES, 3),
)


@dataclass
class Documents:
    files: list[tuple[str, Path]]  # A, B: the child imports A, B, A into each spec
    expected: dict[str, Expected]  # by sha256
    analyses: dict[tuple[str, str | None], Analysis]  # by (sha256, sha256 of previous model)
    analyses_file: Path


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def make_documents(folder: Path) -> Documents:
    ops = operations(7, ENDPOINTS, ["What this endpoint does, in the words of its authors."])
    a = as_json(document("Market API", ops, "1.0.0"))
    b = as_json(document("Market API, next release", next_version(ops, 8), "2.0.0"))
    files = [
        ("market-a.json", folder / "market-a.json"),
        ("market-b.json", folder / "market-b.json"),
    ]
    files[0][1].write_bytes(a)
    files[1][1].write_bytes(b)
    expected: dict[str, Expected] = {}
    for (name, _), data in zip(files, (a, b), strict=True):
        parsed = read_spec(data, name)
        expected[sha(data)] = Expected(parsed.title, frozenset(parsed.operations))
    assert len(expected) == 2
    assert expected[sha(a)].keys != expected[sha(b)].keys, "each import really changes things"
    assert min(len(e.keys) for e in expected.values()) > 200
    first = analyse(a, files[0][0], None, None)
    second = analyse(b, files[1][0], first.model, (first.sha256, "1.0.0"))
    third = analyse(a, files[0][0], second.model, (second.sha256, "2.0.0"))
    analyses = {
        (sha(a), None): first,
        (sha(b), sha(first.model)): second,
        (sha(a), sha(second.model)): third,
    }
    analyses_file = folder / "analyses.pickle"
    analyses_file.write_bytes(pickle.dumps(analyses))
    return Documents(files, expected, analyses, analyses_file)


def cached_off_loop(docs: Documents) -> Callable[..., Awaitable[Any]]:
    async def off_loop(
        function: Callable[..., Analysis],
        packed: bytes,
        filename: str,
        model: bytes | None,
        previous: tuple[str, str] | None,
    ) -> Analysis:
        # The importer sends the document compressed as it is stored.
        found = docs.analyses.get((sha(zlib.decompress(packed)), model and sha(model)))
        if found is not None:
            return found
        return await in_thread(function, packed, filename, model, previous)

    return off_loop


def uncommitted_wal_frames(db_file: Path) -> int:
    """Frames of the write-ahead log after its last commit frame: an open transaction's pages.

    Read before anything opens the database again (the last connection to close checkpoints
    and removes the log). Frames of an older generation of the log carry other salts.
    """
    wal = Path(f"{db_file}-wal")
    if not wal.exists():
        return 0
    data = wal.read_bytes()
    if len(data) < 32:
        return 0
    page_size = int.from_bytes(data[8:12], "big")
    salts = data[16:24]
    size = 24 + page_size
    commits: list[bool] = []
    for offset in range(32, len(data) - size + 1, size):
        if data[offset + 8 : offset + 16] != salts:
            break
        commits.append(int.from_bytes(data[offset + 4 : offset + 8], "big") != 0)
    last_commit = max((i for i, commit in enumerate(commits) if commit), default=-1)
    return len(commits) - 1 - last_commit


def stored_versions(db_file: Path) -> int:
    conn = sqlite3.connect(db_file)
    try:
        return int(conn.execute("SELECT count(*) FROM spec_versions").fetchone()[0])
    finally:
        conn.close()


def check_database(db_file: Path, docs: Documents, acknowledged: set[int]) -> set[int]:
    """Everything acknowledged is there, whole; nothing else is there but whole imports.

    Returns the stored version ids.
    """
    conn = integrity(db_file)
    try:
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        versions = conn.execute(
            "SELECT id, spec_id, number, sha256, endpoint_count, change_count FROM spec_versions"
        ).fetchall()
        stored = {v[0] for v in versions}
        missing = acknowledged - stored
        assert not missing, f"acknowledged versions are missing: {sorted(missing)}"

        by_spec: dict[int, list[tuple[Any, ...]]] = {}
        for version in versions:
            version_id, spec_id, _number, digest, endpoint_count, change_count = version
            by_spec.setdefault(spec_id, []).append(version)
            assert digest in docs.expected, f"version {version_id}: a document never imported"
            assert endpoint_count == len(docs.expected[digest].keys), (
                f"version {version_id} claims {endpoint_count} endpoints"
            )
            changes, last = conn.execute(
                "SELECT count(*), max(position) FROM spec_changes WHERE version_id = ?",
                (version_id,),
            ).fetchone()
            assert changes == change_count, (
                f"version {version_id}: {changes} of its {change_count} changelog rows stored"
            )
            assert last is None or last == changes - 1

        specs = conn.execute("SELECT id, name, title FROM specs").fetchall()
        assert {s[0] for s in specs} == set(by_spec), "a spec row without any version"
        for spec_id, name, title in specs:
            mine = sorted(by_spec[spec_id], key=lambda v: v[2])
            assert [v[2] for v in mine] == list(range(1, len(mine) + 1)), f"{name}: numbering"
            assert all(v[5] > 0 for v in mine[1:]), f"{name}: a new version changed nothing"
            latest_id, digest = mine[-1][0], mine[-1][3]
            wanted = docs.expected[digest]
            assert title == wanted.title, f"{name}: the title of another version"
            rows = conn.execute(
                "SELECT version_id, key FROM spec_endpoints WHERE spec_id = ?", (spec_id,)
            ).fetchall()
            assert {r[0] for r in rows} <= {latest_id}, (
                f"{name}: endpoints of an older version are left"
            )
            keys = [r[1] for r in rows]
            assert len(keys) == len(wanted.keys), (
                f"{name}: {len(keys)} endpoints stored, its document has {len(wanted.keys)}"
            )
            assert set(keys) == wanted.keys, f"{name}: other endpoints than its document's"

        # Spec search runs on spec_endpoints itself (LIKE); should a full-text index for specs
        # appear, it must agree with its base table too.
        for (table,) in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'spec%' "
            "AND sql LIKE '%USING fts5%'"
        ).fetchall():
            conn.execute(f"INSERT INTO {table}({table}) VALUES('integrity-check')")
    finally:
        conn.close()
    return stored


def in_flight_acks(start: int, plan: Round) -> int:
    """How many acks to wait for so that the kill lands in the import kind `plan` wants."""
    wanted = plan.min_acks
    while plan.in_flight is not None and (start + wanted) % VERSIONS_PER_SPEC != plan.in_flight:
        wanted += 1
    return wanted


async def test_sigkill_during_spec_imports_keeps_every_acknowledged_version_whole(
    migrated: Path,
) -> None:
    started = time.perf_counter()
    work = migrated.parent
    docs = await asyncio.to_thread(make_documents, work)
    acknowledged: set[int] = set()
    unacknowledged: set[int] = set()  # whole imports that committed but were killed before acking
    figures = {"acks": 0, "kills": 0, "held_mid_transaction": 0, "uncommitted_wal_frames": 0}
    for number, plan in enumerate(ROUNDS):
        start = stored_versions(migrated)
        wanted = in_flight_acks(start, plan)
        trail_file = work / f"trail-{number}.txt"
        (work / "plan.json").write_text(
            json.dumps(
                {
                    "documents": [[name, str(path)] for name, path in docs.files],
                    "analyses": str(docs.analyses_file),
                    "trail": str(trail_file),
                    "start": start,
                    "per_spec": VERSIONS_PER_SPEC,
                    "kill_point": plan.kill_point,
                    "cache_pages": plan.cache_pages,
                    "acks": wanted,
                    "pause": PAUSE,
                }
            )
        )
        child = start_child(SPEC_IMPORTS, migrated)
        acks = await asyncio.to_thread(acks_then_kill, child, wanted)
        frames = uncommitted_wal_frames(migrated)  # before anything opens the file again
        trail = trail_file.read_text().splitlines()
        figures["kills"] += 1
        figures["acks"] += len(acks)

        ids: set[int] = set()
        for ack in acks:
            version_id, commits, loose = (int(x) for x in ack.split())
            assert commits == 1, f"version {version_id} was imported in {commits} commits"
            assert loose == 0, f"version {version_id}: {loose} writes outside its transaction"
            ids.add(version_id)
        assert len(ids) == len(acks) >= wanted
        assert not ids & acknowledged, "an acknowledged id was handed out again"
        acknowledged |= ids

        stored = check_database(migrated, docs, acknowledged)
        extra = stored - acknowledged - unacknowledged
        assert len(extra) <= 1, "at most the import in flight when killed"
        unacknowledged |= extra
        if plan.kill_point != "after-commit":
            # The kill landed inside the transaction of import `start + wanted`, as planned.
            in_flight = start + wanted
            assert trail[-1] == f"paused {in_flight}", trail[-3:]
            assert extra == set(), "the interrupted import left rows behind"
            assert stored_versions(migrated) == in_flight, "the interrupted import is gone"
            assert frames > 0, "the open transaction had spilled pages into the log"
            figures["held_mid_transaction"] += 1
            figures["uncommitted_wal_frames"] += frames

    # A fresh Database on the same file upgrades and takes the next imports.
    db = Database(f"sqlite+aiosqlite:///{migrated}")
    try:
        await db.upgrade()
        specs = SpecsService(db, off_loop=cached_off_loop(docs))
        n = stored_versions(migrated)
        name, path = docs.files[n % VERSIONS_PER_SPEC % 2]
        spec_name = f"market-{n // VERSIONS_PER_SPEC}"
        following = await specs.import_document(GUILD, ADMIN, spec_name, name, path.read_bytes())
        assert following.version.number == n % VERSIONS_PER_SPEC + 1
        name, path = docs.files[0]
        created = await specs.import_document(
            GUILD, ADMIN, "after-restart", name, path.read_bytes()
        )
        assert created.version.number == 1
    finally:
        await db.close()
    acknowledged |= {following.version.id, created.version.id}
    assert check_database(migrated, docs, acknowledged) == acknowledged | unacknowledged
    figures["committed_unacknowledged"] = len(unacknowledged)

    seconds = time.perf_counter() - started
    report("spec import kills", **figures)
    print(f"\nspec import kills: {figures}, {seconds:.1f} s")
