"""`python -m bench --smoke` runs end to end and writes the results it promises.

Timings are not asserted (they depend on the machine); the structure is: every operation
measured through the full stack, at the service layer, against the baselines and the FTS5
floor, plus start-up, content sync, spec import, memory, sizes, throughput and stalls.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import REPO

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


@pytest.fixture(scope="module")
def smoke(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], str]:
    out = tmp_path_factory.mktemp("bench") / "smoke.json"
    done = subprocess.run(
        [sys.executable, "-m", "bench", "--smoke", "--out", str(out)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(out.read_text()), done.stdout


@pytest.mark.timeout(150)
def test_smoke_results_hold_every_measurement(smoke: tuple[dict[str, Any], str]) -> None:
    results, _ = smoke
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
    assert "FULL STACK p50 / p95 / p99" in printed
    assert "BASELINES" in printed
    assert "RAW FTS5 FLOOR" in printed
    assert "/spec endpoint autocomplete" in printed
    assert "Targets at" in printed
    assert Path(printed.rsplit("JSON: ", 1)[1].split()[0]).name == "smoke.json"
