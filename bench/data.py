"""Building a benchmark database: migrated by the product, content synced by the product,
Q&A written in bulk exactly as the Q&A service stores it, specs imported by the spec service.

Built databases are cached (bench/results/cache/, keyed by everything that shapes them) and
copied for each run, so a second run of the same size starts in seconds.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import random
import shutil
import sqlite3
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench import specgen
from bench.vocab import Vocabulary, Writer
from bot.db.engine import Database
from bot.learnings.sync import sync_content
from bot.qa.followups import NUDGE_AFTER_HOURS, SOLVED_CHECK_AFTER
from bot.specs import Actor, SpecsService
from cogs.learnings.content import check_content

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
FORMAT = "%Y-%m-%d %H:%M:%S.%f"  # how SQLAlchemy stores a DateTime in SQLite
GENERATOR_FILES = ("data.py", "vocab.py", "synth.py", "specgen.py")
SPEC_EDITOR = 4242


@dataclass(frozen=True, slots=True)
class Plan:
    """What one benchmark database holds."""

    questions: int
    specs: int
    endpoints: int
    guild_id: int
    seed: int = 7


@dataclass
class Built:
    path: Path
    questions: int
    answers: int
    answered: int
    accepted: int
    specs: int
    endpoints: int
    notes: int
    build_seconds: float
    from_cache: bool
    vocabulary: dict[str, Any]


def _fingerprint(plan: Plan, content_dir: Path) -> str:
    digest = hashlib.sha256(json.dumps(asdict(plan), sort_keys=True).encode())
    for name in GENERATOR_FILES:
        digest.update((BENCH / name).read_bytes())
    for path in sorted((REPO / "bot" / "db" / "migrations" / "versions").glob("*.py")):
        digest.update(path.read_bytes())
    for path in sorted(content_dir.rglob("*.md")):
        digest.update(path.name.encode())
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()[:20]


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).replace(tzinfo=None).strftime(FORMAT)


def _followups_sent(
    created: datetime, first_answer: datetime | None, accepted: bool, now: datetime
) -> tuple[str | None, str | None]:
    """When a question's nudge and solved check were sent (stamps), if they came due before
    `now`: the nudge once it had waited unanswered, the check a day after the first answer
    when none was accepted."""
    nudged = created + timedelta(hours=NUDGE_AFTER_HOURS)
    nudge = nudged <= now and (first_answer is None or first_answer > nudged)
    checked = first_answer + SOLVED_CHECK_AFTER if first_answer is not None else None
    check = checked is not None and checked <= now and not accepted
    return (
        _stamp(nudged) if nudge else None,
        _stamp(checked) if check and checked is not None else None,
    )


def write_questions(
    path: Path, writer: Writer, plan: Plan, progress: Callable[[str], None]
) -> dict[str, Any]:
    """Insert `plan.questions` questions with their answers and their full-text rows, shaped
    exactly as bot/qa/service.py writes them (one qa_fts row per question).

    The follow-ups that came due before now are stamped as sent when they came due, as the
    bot running through those two years would have sent them (bot/qa/followups.py, with the
    servers' default waits): a community's history owes no follow-ups. Without that, the
    bench's bot sent 200 of a 100,000-question backlog every minute of the measurements.
    """
    rng = random.Random(plan.seed + 1)
    now = datetime.now(UTC)
    end = now - timedelta(days=1)
    span = timedelta(days=730)
    step = span / max(plan.questions, 1)
    start = end - span
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=OFF")
    # The autocomplete index of titles and tags, where the schema has it (bot/qa/service.py).
    titles = (
        conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'qa_titles_fts'").fetchone()
        is not None
    )
    totals = {"answers": 0, "answered": 0, "accepted": 0}
    answer_id = 0
    batch_q: list[tuple[Any, ...]] = []
    batch_a: list[tuple[Any, ...]] = []
    batch_f: list[tuple[Any, ...]] = []

    def flush() -> None:
        conn.executemany(
            "INSERT INTO qa_questions (id, guild_id, author_id, channel_id, message_id, title, "
            "details, tags, accepted_answer_id, created_at, nudged_at, solved_check_at, "
            "edited_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL)",
            batch_q,
        )
        conn.executemany(
            "INSERT INTO qa_answers (id, guild_id, question_id, author_id, body, "
            "notice_message_id, created_at, edited_at) VALUES (?, ?, ?, ?, ?, NULL, ?, NULL)",
            batch_a,
        )
        conn.executemany(
            "INSERT INTO qa_fts (rowid, title, details, tags, answers) VALUES (?, ?, ?, ?, ?)",
            batch_f,
        )
        if titles:
            conn.executemany(
                "INSERT INTO qa_titles_fts (rowid, title, tags) VALUES (?, ?, ?)",
                [(row[0], row[1], row[3]) for row in batch_f],
            )
        batch_q.clear()
        batch_a.clear()
        batch_f.clear()

    with conn:
        for qid in range(1, plan.questions + 1):
            q = writer.question()
            created = start + step * qid
            author = 10**17 + rng.randrange(25_000)
            accepted_id = None
            bodies = []
            first_answer: datetime | None = None
            for index, body in enumerate(q.answers):
                answer_id += 1
                bodies.append(body)
                if q.accepted == index:
                    accepted_id = answer_id
                answered_at = created + timedelta(minutes=5 + rng.randrange(2000))
                first_answer = min(first_answer or answered_at, answered_at)
                batch_a.append(
                    (answer_id, plan.guild_id, qid, 10**17 + rng.randrange(25_000), body,
                     _stamp(answered_at))
                )  # fmt: skip
            nudged, checked = _followups_sent(created, first_answer, accepted_id is not None, now)
            totals["answers"] += len(q.answers)
            totals["answered"] += bool(q.answers)
            totals["accepted"] += accepted_id is not None
            batch_q.append(
                (qid, plan.guild_id, author, 900 + rng.randrange(3), 10**18 + qid, q.title,
                 q.details, json.dumps(list(q.tags)), accepted_id, _stamp(created),
                 nudged, checked)
            )  # fmt: skip
            batch_f.append((qid, q.title, q.details, " ".join(q.tags), "\n\n".join(bodies)))
            if len(batch_q) >= 5000:
                flush()
                progress(f"  questions {qid:,}/{plan.questions:,}")
        flush()
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return totals


async def import_specs(
    db: Database, vocab: Vocabulary, plan: Plan, progress: Callable[[str], None]
) -> tuple[int, int]:
    """Import `plan.specs` documents of `plan.endpoints` endpoints through the spec service."""

    async def in_thread(function: Callable[..., Any], *args: Any) -> Any:
        return await asyncio.to_thread(function, *args)

    service = SpecsService(db, off_loop=in_thread)
    prose = [s for sentences in vocab.sentences.values() for s in sentences if len(s) < 200]
    actor = Actor(SPEC_EDITOR, can_manage=True)
    endpoints = 0
    for index, name in enumerate(specgen.spec_names(plan.specs)):
        ops = specgen.operations(plan.seed * 1000 + index, plan.endpoints, prose)
        title = name.replace("-", " ").title()
        doc = specgen.as_json(specgen.document(title, ops))
        report = await service.import_document(
            plan.guild_id, actor, name, f"{name}.json", doc, "1.0.0"
        )
        endpoints += report.version.endpoint_count
        if (index + 1) % 10 == 0:
            progress(f"  specs {index + 1}/{plan.specs}")
    service.close()
    return plan.specs, endpoints


def add_notes(path: Path, plan: Plan) -> int:
    """Peers' notes on about one endpoint in twenty."""
    rng = random.Random(plan.seed + 2)
    conn = sqlite3.connect(path)
    rows = conn.execute("SELECT spec_id, key FROM spec_endpoints").fetchall()
    chosen = [r for r in rows if rng.random() < 0.05]
    now = _stamp(datetime.now(UTC))
    notes = [
        "Returns 404 when the record is archived, not 410.",
        "Pagination is cursor-based in practice; `page` is ignored past 100.",
        "Needs the `X-Request-ID` header or the gateway drops it.",
        "The mobile app still calls this; do not remove before v3.",
        "Amounts are in cents even though the example shows decimals.",
    ]
    with conn:
        conn.executemany(
            "INSERT INTO spec_notes (guild_id, spec_id, endpoint_key, author_id, body, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            [(plan.guild_id, s, k, 10**17 + rng.randrange(500), rng.choice(notes), now)
             for s, k in chosen],
        )  # fmt: skip
    conn.close()
    return len(chosen)


async def tidy(target: Path) -> None:
    """The full-text indexes merged as the running bot keeps them (`Database.tidy_search`, at
    start and hourly): the bulk load leaves them in several segments."""
    db = Database(f"sqlite+aiosqlite:///{target}")
    try:
        await db.tidy_search()
    finally:
        await db.close()


async def build(
    target: Path,
    plan: Plan,
    vocab: Vocabulary,
    content_dir: Path,
    cache_dir: Path | None,
    progress: Callable[[str], None],
) -> Built:
    """A database for `plan` at `target` (copied from the cache when it was built before)."""
    key = _fingerprint(plan, content_dir)
    cached = cache_dir / f"nexus-{key}.db" if cache_dir else None
    meta_path = cached.with_suffix(".json") if cached else None
    for suffix in ("", "-wal", "-shm"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    if cached is not None and meta_path is not None and cached.is_file() and meta_path.is_file():
        shutil.copyfile(cached, target)
        await tidy(target)  # a database cached before the bot kept its indexes tidy
        meta = json.loads(meta_path.read_text())
        meta.update(path=target, from_cache=True)
        return Built(**meta)
    begin = time.perf_counter()
    db = Database(f"sqlite+aiosqlite:///{target}")
    await db.upgrade()
    report = check_content(content_dir)
    if not report.ok:
        raise RuntimeError(f"generated content is invalid: {report.problems[:3]}")
    await sync_content(db, report.learnings)
    await db.close()
    progress(f"  {len(report.learnings):,} learnings synced")
    writer = Writer(vocab, plan.seed)
    totals = await asyncio.to_thread(write_questions, target, writer, plan, progress)
    db = Database(f"sqlite+aiosqlite:///{target}")
    specs, endpoints = await import_specs(db, vocab, plan, progress) if plan.specs else (0, 0)
    await db.close()
    notes = add_notes(target, plan) if plan.specs else 0
    await tidy(target)
    conn = sqlite3.connect(target)
    conn.execute("PRAGMA optimize")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    built = Built(
        path=target,
        questions=plan.questions,
        answers=totals["answers"],
        answered=totals["answered"],
        accepted=totals["accepted"],
        specs=specs,
        endpoints=endpoints,
        notes=notes,
        build_seconds=time.perf_counter() - begin,
        from_cache=False,
        vocabulary={
            "learnings": len(vocab.entries),
            "sentences": sum(len(s) for s in vocab.sentences.values()),
            "identifiers": len(vocab.identifiers),
            "distinct_body_words": vocab.distinct_words,
        },
    )
    if cached is not None and meta_path is not None:
        cached.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(target, cached)
        meta = asdict(built)
        meta.pop("path")
        meta_path.write_text(json.dumps(meta))
    return built
