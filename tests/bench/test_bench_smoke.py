"""`python -m bench --smoke` runs end to end and writes the results it promises, on SQLite and
(`--database`) on PostgreSQL.

Timings are not asserted (they depend on the machine); the structure is: every operation
measured through the full stack, at the service layer, against the baselines and the raw
full-text floor, plus start-up, content sync, spec import, memory, sizes, throughput and stalls.
"""

from __future__ import annotations

import asyncio
import json
import math
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import REPO
from tests.postgres import PostgresDatabases

OPS = {
    "concept",
    "concept autocomplete",
    "search",
    "qa search",
    "qa autocomplete",
    "ask similar",
    "spec endpoint",
    "spec autocomplete",
}
SUMMARY_KEYS = {"runs", "p50_ms", "p95_ms", "p99_ms", "max_ms", "mean_ms"}


def _summary(value: dict[str, Any], runs: int | None = None) -> None:
    assert set(value) >= SUMMARY_KEYS
    p50, p95, p99 = (float(value[k]) for k in ("p50_ms", "p95_ms", "p99_ms"))
    assert 0 <= p50 <= p95 <= p99 <= float(value["max_ms"])
    assert not math.isnan(p50)
    if runs is not None:
        assert value["runs"] == runs


def run_smoke(out: Path, *more: str) -> tuple[dict[str, Any], str]:
    """`python -m bench --smoke` with `more` arguments: its JSON results and what it printed."""
    done = subprocess.run(
        [sys.executable, "-m", "bench", "--smoke", "--out", str(out), *more],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(out.read_text()), done.stdout


@pytest.fixture(scope="module")
def smoke(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], str]:
    return run_smoke(tmp_path_factory.mktemp("bench") / "smoke.json")


@pytest.mark.timeout(150)
def test_smoke_results_hold_every_measurement(smoke: tuple[dict[str, Any], str]) -> None:
    results, _ = smoke
    assert results["database"]["backend"] == "SQLite"
    holds_every_measurement(results)


def holds_every_measurement(results: dict[str, Any]) -> None:
    """Every figure the table shows is in the results, of the right shape."""
    assert results["mode"] == "smoke"
    assert {"cpu", "cores", "memory_mb"} <= set(results["machine"])
    assert {"python", "sqlite", "discord.py", "SQLAlchemy"} <= set(results["versions"])
    assert isinstance(results["commit"], str)
    assert results["commit"]
    tiers = results["tiers"]
    assert isinstance(tiers, dict)
    assert list(tiers) == ["smoke"]
    tier = tiers["smoke"]
    runs = results["settings"]["runs"]

    assert set(tier["full_stack"]) == OPS
    for op, value in tier["full_stack"].items():
        _summary(value, runs)
        assert value["over_3s"] == 0, op
        assert value["max_stall_ms"] >= 0
    assert set(tier["service"]) == OPS
    for value in tier["service"].values():
        _summary(value, runs)
    assert set(tier["floor"]) == {"search", "qa search", "qa autocomplete", "ask similar"}
    for value in tier["floor"].values():
        _summary(value, runs)
    assert set(tier["baselines"]) == OPS
    for kinds in tier["baselines"].values():
        assert "like" in kinds
        for value in kinds.values():
            _summary(value)

    # Every /concept and autocomplete really answered; /ask found similar questions.
    outcomes = tier["full_stack_outcomes"]
    assert sum(outcomes["concept"].values()) >= runs
    assert outcomes["ask similar"].get("similar", 0) >= runs
    assert outcomes["concept autocomplete"].get("choices", 0) > 0

    startup = tier["startup"]
    for key in ("first", "unchanged", "one_changed"):
        assert startup[key]["spawn_to_ready_s"] > 0
    assert startup["first"]["commands_synced"] is True
    assert startup["unchanged"]["commands_synced"] is False  # same payload: not sent again
    assert "0 added, 0 updated, 0 removed" in startup["unchanged"]["content"]
    assert "1 updated" in startup["one_changed"]["content"]
    assert "1 updated" in tier["content_sync"]["report"]

    imported = tier["spec_import"]
    assert imported["first"]["errors"] == []
    assert imported["next"]["errors"] == []
    assert imported["first"]["seconds"] > 0
    assert imported["next"]["seconds"] > 0
    assert tier["memory"]["peak_rss_mb"] > 0
    assert tier["sizes"]["qa_mb_per_10k_questions"] > 0
    throughput = tier["throughput"]
    assert throughput["in_flight"] == 50
    assert throughput["interactions"] == results["settings"]["throughput_total"]
    assert throughput["per_second"] > 0
    assert {t["target"] for t in tier["targets"]} >= {"bot peak RSS MB"}


def test_smoke_prints_one_table(smoke: tuple[dict[str, Any], str]) -> None:
    _, printed = smoke
    assert " · SQLite 3." in printed.splitlines()[0]
    prints_one_table(printed, "RAW FTS5 FLOOR")


def prints_one_table(printed: str, floor: str) -> None:
    assert "FULL STACK p50 / p95 / p99" in printed
    assert "BASELINES" in printed
    assert floor in printed
    assert "/spec endpoint autocomplete" in printed
    assert "Targets at" in printed
    assert Path(printed.rsplit("JSON: ", 1)[1].split()[0]).name == "smoke.json"


@pytest.mark.timeout(180)
async def test_smoke_on_postgresql(postgres: PostgresDatabases, tmp_path: Path) -> None:
    """The same measurements and the same table on PostgreSQL: the data loaded into a new
    database on the server, the floor measured with tsvector queries; the database is
    dropped afterwards."""
    import asyncpg

    from bench.postgres import asyncpg_url

    results, printed = await asyncio.to_thread(
        run_smoke, tmp_path / "smoke.json", "--database", postgres.server_url
    )
    assert results["database"]["backend"] == "PostgreSQL"
    assert results["database"]["version"][:1].isdigit()
    assert " · PostgreSQL " in printed.splitlines()[0]
    holds_every_measurement(results)
    prints_one_table(printed, "RAW TSVECTOR FLOOR")
    tier = results["tiers"]["smoke"]
    loaded = tier["postgres_load"]["rows"]
    assert loaded["qa_questions"] == tier["questions"]
    assert loaded["qa_answers"] == tier["database"]["answers"]
    assert loaded["spec_endpoints"] == tier["database"]["endpoints"]
    conn = await asyncpg.connect(asyncpg_url(postgres.server_url))
    try:
        left = await conn.fetch("SELECT datname FROM pg_database WHERE datname LIKE 'nexus_bench%'")
    finally:
        await conn.close()
    assert left == []
