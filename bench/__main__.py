"""`python -m bench`: how fast Nexus answers at 1k, 10k and 100k Q&A (see bench/README.md).

python -m bench                 # the full run (about 15-25 minutes on 2 cores)
python -m bench --smoke         # seconds: small sizes, few runs (the test suite runs it)
python -m bench --sizes 10k     # one size
python -m bench --database postgresql+asyncpg://user@host/db   # the same, on PostgreSQL
python -m bench search-quality  # how often search puts the right answer first (-v: the misses)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import sqlite3
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import postgres, specgen
from bench.data import Plan, build
from bench.fullstack import (
    MEMBERS,
    AnswerClock,
    BotProcess,
    Driver,
    add_members,
    run_scenario,
    run_throughput,
)
from bench.launcher import bot_config
from bench.machine import describe
from bench.report import check_targets, table, targets_text
from bench.service import Bench
from bench.synth import write_content
from bench.vocab import Vocabulary
from bench.workload import build_workload
from bot.qa import make_draft
from localdiscord.emulator import FakeDiscord

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
RESULTS = BENCH / "results"


@dataclass(frozen=True, slots=True)
class Tier:
    name: str
    questions: int
    learnings_scale: int


@dataclass(frozen=True, slots=True)
class Config:
    tiers: tuple[Tier, ...]
    runs: int
    warmup: int
    specs: int
    endpoints: int
    import_endpoints: int
    baseline_budget_s: float
    throughput_total: int
    in_flight: int
    restarts: int
    smoke: bool
    keep: bool = False
    # None: SQLite files. A PostgreSQL URL: a fresh database on its server for each size.
    database: str | None = None


SIZES = {"1k": 1_000, "10k": 10_000, "100k": 100_000}


def config_from(args: argparse.Namespace) -> Config:
    if args.smoke:
        return Config(
            tiers=(Tier("smoke", 300, 1),),
            runs=args.runs or 15,
            warmup=3,
            specs=2,
            endpoints=20,
            import_endpoints=40,
            baseline_budget_s=0.3,
            throughput_total=100,
            in_flight=50,
            restarts=1,
            smoke=True,
            database=args.database,
        )
    names = [s.strip() for s in args.sizes.split(",") if s.strip()]
    largest = max(names, key=lambda n: SIZES[n])
    tiers = tuple(Tier(n, SIZES[n], args.learnings_scale if n == largest else 1) for n in names)
    return Config(
        tiers=tiers,
        runs=args.runs or 500,
        warmup=20,
        specs=50,
        endpoints=200,
        import_endpoints=1000,
        baseline_budget_s=args.baseline_budget,
        throughput_total=3000,
        in_flight=50,
        restarts=3,
        smoke=False,
        database=args.database,
    )


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


async def keep_similar(bench: Bench, drafts: list[Any]) -> list[Any]:
    """Drafts for which /ask finds similar answered questions: the timed step is the search,
    and a draft with none would be posted (and put the member on the /ask cooldown)."""
    kept = []
    for d in drafts:
        if await bench.qa.similar(bench.guild_id, make_draft(d.title, d.details, d.tags)):
            kept.append(d)
    return kept


async def run_tier(
    tier: Tier, cfg: Config, vocab: Vocabulary, work_root: Path, server: postgres.Server | None
) -> dict[str, Any]:
    started = time.monotonic()
    load_at_start = [round(x, 2) for x in os.getloadavg()]
    work = work_root / tier.name
    work.mkdir(parents=True, exist_ok=True)
    content = work / "content"  # named like the real folder: entries record "content/..." paths
    learnings = write_content(content, vocab, REPO / "content", tier.learnings_scale, seed=3)
    guild_id = FakeDiscord().guild_id  # the emulator's ids are deterministic
    plan = Plan(tier.questions, cfg.specs, cfg.endpoints, guild_id)
    say(f"[{tier.name}] database: {tier.questions:,} questions, {learnings:,} learnings, "
        f"{cfg.specs} specs × {cfg.endpoints} endpoints")  # fmt: skip
    db_path = work / "nexus.db"
    built = await build(db_path, plan, vocab, content, None if cfg.smoke else RESULTS / "cache",
                        say)  # fmt: skip
    say(f"[{tier.name}] database ready ({'cache' if built.from_cache else 'built'} "
        f"{built.build_seconds:.0f} s)")  # fmt: skip
    url: str | None = None
    loading: dict[str, Any] = {}
    if server is not None:
        began = time.monotonic()
        url = await server.fresh_database(tier.name)
        say(f"[{tier.name}] loading it into PostgreSQL ({postgres.database_name(url)})")
        loading["rows"] = await postgres.load(db_path, url, say)
        loading["seconds"] = round(time.monotonic() - began, 1)

    workload = build_workload(vocab, db_path, cfg.runs + cfg.warmup, seed=5)
    bench = Bench(db_path, guild_id, workload, cfg.runs, url)
    await bench.open()
    workload.drafts = await keep_similar(bench, workload.drafts) or workload.drafts
    say(f"[{tier.name}] service layer")
    service = await bench.measure_services()
    say(f"[{tier.name}] {'tsvector' if url else 'FTS5'} floor")
    floor = await bench.measure_floors()
    say(f"[{tier.name}] baselines")
    baselines = await bench.measure_baselines(cfg.baseline_budget_s)
    sizes = await bench.database_sizes(tier.questions)
    service_outcomes = bench.outcomes
    await bench.close()

    result: dict[str, Any] = {
        "label": f"{tier.questions // 1000}k Q&A · {learnings:,} learnings"
        if tier.questions >= 1000
        else f"{tier.questions} Q&A · {learnings:,} learnings",
        "questions": tier.questions,
        "learnings": learnings,
        "learnings_scale": tier.learnings_scale,
        "database": {k: v for k, v in asdict(built).items() if k != "path"},
        **({"postgres_load": loading} if loading else {}),
        "service": {k: v.as_dict() for k, v in service.items()},
        "service_outcomes": service_outcomes,
        "floor": {k: v.as_dict() for k, v in floor.items()},
        "baselines": {
            op: {kind: s.as_dict() for kind, s in kinds.items()} for op, kinds in baselines.items()
        },
        "sizes": sizes,
        "workload": workload.mix,
        # Other work on the machine skews every number: 1-minute load at the start of the tier.
        "load_average_at_start": load_at_start,
    }
    say(f"[{tier.name}] full stack")
    try:
        result.update(await full_stack(tier, cfg, workload, work, content, db_path, vocab, url))
    finally:
        if server is not None and url is not None and not cfg.keep:
            await server.drop(url)
    result["seconds"] = round(time.monotonic() - started, 1)
    result["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    return result


async def full_stack(
    tier: Tier,
    cfg: Config,
    workload: Any,
    work: Path,
    content: Path,
    db_path: Path,
    vocab: Vocabulary,
    url: str | None = None,
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    # No 3-second deadline here: under load a late answer must still be measured (and counted
    # in "over_3s"), not turned into an emulator error.
    fake = FakeDiscord(interaction_deadline=None, timeout=120)
    members = add_members(fake, MEMBERS)
    clock = AnswerClock(fake)
    log = work / "bot.log"
    await fake.start()
    try:
        config = bot_config(fake, url or db_path, content, work)
        bot = await BotProcess.start(config, log)
        first = bot.startup()
        await bot.stop()
        restarts = []
        for _ in range(cfg.restarts):
            bot = await BotProcess.start(config, log)
            restarts.append(bot.startup())
            if len(restarts) < cfg.restarts:
                await bot.stop()
        median = sorted(restarts, key=lambda r: r["spawn_to_ready_s"])[len(restarts) // 2]
        out["startup"] = {"first": first, "unchanged": median, "unchanged_runs": restarts}
        out["memory_after_start"] = bot.memory()

        driver = Driver(fake, clock, workload, members)
        scenarios: dict[str, Any] = {}
        for name, call in driver.operations().items():
            say(f"[{tier.name}]   {name}")
            scenarios[name] = await run_scenario(bot, call, cfg.runs, cfg.warmup)
            scenarios[name]["rss_after_mb"] = bot.memory()["rss_mb"]  # where memory grows
            driver.forget()
        out["full_stack"] = scenarios
        say(f"[{tier.name}]   throughput, {cfg.in_flight} in flight")
        out["throughput"] = await run_throughput(
            bot, driver.operations(), cfg.throughput_total, cfg.in_flight
        )
        out["throughput"]["rss_after_mb"] = bot.memory()["rss_mb"]
        driver.forget()
        out["full_stack_outcomes"] = driver.outcomes
        if workload.spec_refs:
            say(f"[{tier.name}]   spec import, {cfg.import_endpoints} endpoints")
            prose = [s for ss in vocab.sentences.values() for s in ss if len(s) < 200]
            ops = specgen.operations(99, cfg.import_endpoints, prose)
            v1 = specgen.as_json(specgen.document("Bench Import API", ops, "1.0.0"))
            v2 = specgen.as_json(
                specgen.document("Bench Import API", specgen.next_version(ops, 98), "1.1.0")
            )
            await bot.stalls()
            first_import = await driver.spec_import("bench-import", "bench-import.json", v1)
            next_import = await driver.spec_import("bench-import", "bench-import.json", v2)
            stall = await bot.stalls()
            out["spec_import"] = {
                "endpoints": cfg.import_endpoints,
                "bytes": [len(v1), len(v2)],
                "first": first_import,
                "next": next_import,
                "max_stall_ms": round(stall["max_stall_ms"], 2),
                "rss_after_mb": bot.memory()["rss_mb"],
            }
            driver.forget()
        out["memory"] = bot.memory()
        await bot.stop()

        say(f"[{tier.name}]   content sync of one changed file")
        bench = Bench(db_path, fake.guild_id, workload, cfg.runs, url)
        await bench.open()
        out["content_sync"] = await bench.content_sync_one_file(content)
        await bench.close()
        # ... and a start-up that finds one more changed file (the sync happens in setup_hook).
        target = sorted((content / "concepts").glob("*.md"))[1]
        target.write_text(target.read_text("utf-8").rstrip("\n") + "\n\nEdited again.\n", "utf-8")
        bot = await BotProcess.start(config, log)
        out["startup"]["one_changed"] = bot.startup()
        await bot.stop()
    finally:
        await fake.stop()
    return out


def main(argv: list[str] | None = None) -> int:
    args_given = sys.argv[1:] if argv is None else argv
    if args_given[:1] == ["search-quality"]:  # hit@1, hit@3, MRR on learners' questions
        from bench.quality import main as search_quality

        return search_quality(args_given[1:])
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument("--smoke", action="store_true", help="tiny sizes and few runs (seconds)")
    parser.add_argument("--sizes", default="1k,10k,100k", help="comma-separated: 1k, 10k, 100k")
    parser.add_argument("--runs", type=int, default=0, help="timed runs per operation (500)")
    parser.add_argument(
        "--learnings-scale",
        type=int,
        default=20,
        help="learnings at the largest size: the real ones times this (synthetic variants)",
    )
    parser.add_argument(
        "--baseline-budget",
        type=float,
        default=20.0,
        help="seconds per slow baseline before it stops early (at least 30 runs)",
    )
    parser.add_argument("--out", type=Path, help="the JSON file (default: bench/results/...)")
    parser.add_argument("--keep", action="store_true", help="keep the work folder (databases)")
    parser.add_argument(
        "--database",
        metavar="URL",
        help="a PostgreSQL server's database (postgresql+asyncpg://user:pass@host/db): each "
        "size is measured on a new database made there (default: SQLite files)",
    )
    args = parser.parse_args(argv)
    if args.database and not postgres.is_postgres(args.database):
        parser.error("--database takes a postgresql+asyncpg:// URL (SQLite is the default)")
    for size in args.sizes.split(","):
        if size.strip() and size.strip() not in SIZES:
            parser.error(f"unknown size {size!r}; use {', '.join(SIZES)}")
    cfg = replace(config_from(args), keep=args.keep)
    return asyncio.run(run(cfg, args.out, args.keep))


async def run(cfg: Config, out: Path | None, keep: bool) -> int:
    began = time.monotonic()
    server = postgres.Server(cfg.database) if cfg.database else None
    database = (
        {"backend": "PostgreSQL", "version": await server.version()}
        if server is not None
        else {"backend": "SQLite", "version": sqlite3.sqlite_version}
    )
    vocab = Vocabulary.from_content(REPO / "content")
    RESULTS.mkdir(parents=True, exist_ok=True)
    work_root = Path(tempfile.mkdtemp(prefix="work-", dir=RESULTS))
    results: dict[str, Any] = {
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        **describe(REPO),
        "mode": "smoke" if cfg.smoke else "full",
        "database": database,
        "settings": {k: v for k, v in asdict(cfg).items() if k not in ("tiers", "database")},
        "notes": [
            "full stack: the production bot in its own process, real discord.py, against the "
            "local Discord (localdiscord.emulator) in the benchmark process; latency is from the "
            "INTERACTION_CREATE "
            "being sent to the interaction callback arriving (for /ask: the modal submission "
            "to the follow-up with similar questions; for /spec import: to the final response)",
            "the emulator runs with interaction_deadline=None so late answers are measured; "
            "answers later than 3 s are counted in over_3s",
            "service layer, baselines and the raw floor (FTS5 on SQLite, tsvector on "
            "PostgreSQL): same database, same inputs, one process",
            "baselines with a time budget stop early (at least 30 runs); see runs",
        ],
        "tiers": {},
    }
    try:
        for tier in cfg.tiers:
            tier_result = await run_tier(tier, cfg, vocab, work_root, server)
            tier_result["targets"] = check_targets(tier_result)
            results["tiers"][tier.name] = tier_result
    finally:
        if not keep:
            shutil.rmtree(work_root, ignore_errors=True)
    results["seconds"] = round(time.monotonic() - began, 1)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = out or RESULTS / f"bench-{results['mode']}-{stamp}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=1, ensure_ascii=False))
    head = results["machine"]
    versions = results["versions"]
    print(
        f"Nexus benchmark ({results['mode']}) · {head['cpu']} · {head['usable_cores']} cores · "
        f"Python {versions['python']} · {database['backend']} {database['version']} · "
        f"discord.py {versions['discord.py']} · commit {results['commit'][:12]}"
    )
    print(table(results))
    largest = list(results["tiers"])[-1]
    print()
    print(targets_text(results["tiers"][largest]["targets"], results["tiers"][largest]["label"]))
    print(f"\nJSON: {path}  ({results['seconds']:.0f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
