"""One table for the terminal (and an issue note), and the targets checked against the results."""

from __future__ import annotations

import math
from typing import Any

OPS = (
    "concept",
    "concept autocomplete",
    "search",
    "qa search",
    "qa autocomplete",
    "ask similar",
    "spec endpoint",
    "spec autocomplete",
)
LABELS = {
    "concept": "/concept",
    "concept autocomplete": "/concept autocomplete",
    "search": "/search",
    "qa search": "/qa search",
    "qa autocomplete": "/qa show autocomplete",
    "ask similar": "/ask similar step",
    "spec endpoint": "/spec endpoint",
    "spec autocomplete": "/spec endpoint autocomplete",
}
FLOOR_INDEX = {"SQLite": "FTS5", "PostgreSQL": "TSVECTOR"}  # what each database searches with
AUTOCOMPLETE = {"concept autocomplete", "qa autocomplete", "spec autocomplete"}
LOOKUP_P99_MS = 30.0
AUTOCOMPLETE_P99_MS = 10.0
FLOOR_GAP_MS = 2.0
BASELINE_RATIO = 20.0
STALL_MS = 100.0
STARTUP_S = 2.0
RSS_MB = 150.0


def _f(value: float | None, digits: int | None = None) -> str:
    """A number as it reads best: 0.042, 3.21, 14.2, 153."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if digits is None:
        size = abs(value)
        digits = 0 if size >= 100 else 1 if size >= 10 else 2 if size >= 1 else 3
    return f"{value:.{digits}f}"


def _triple(summary: dict[str, Any] | None) -> str:
    if not summary:
        return "–"
    return f"{_f(summary['p50_ms'])} / {_f(summary['p95_ms'])} / {_f(summary['p99_ms'])}"


def _pair(summary: dict[str, Any] | None) -> str:
    if not summary:
        return "–"
    return f"{_f(summary['p50_ms'])} / {_f(summary['p99_ms'])}"


def _times(ratio: float) -> str:
    return f"{ratio:.1f}×" if ratio < 10 else f"{ratio:.0f}×"


def _ratio(base: dict[str, Any] | None, ours: dict[str, Any] | None) -> str:
    if not base or not ours:
        return "–"
    p50 = base["p50_ms"] / max(ours["p50_ms"], 1e-3)
    p99 = base["p99_ms"] / max(ours["p99_ms"], 1e-3)
    return f"{_times(p50)} / {_times(p99)}"


def table(results: dict[str, Any]) -> str:
    """Rows are measurements, columns are the sizes."""
    tiers = results["tiers"]
    names = list(tiers)
    headers = [tiers[n]["label"] for n in names]
    rows: list[tuple[str, list[str]]] = []

    def section(title: str) -> None:
        rows.append((title, [""] * len(names)))

    def row(label: str, cell: Any) -> None:
        rows.append((label, [cell(tiers[n]) for n in names]))

    section("FULL STACK p50 / p95 / p99 ms (INTERACTION_CREATE -> callback)")
    for op in OPS:
        row(f"  {LABELS[op]}", lambda t, op=op: _triple(t["full_stack"].get(op)))
    section("  longest event-loop stall during it (ms)")
    for op in OPS:
        row(f"    {LABELS[op]}", lambda t, op=op: _f(t["full_stack"].get(op, {}).get(
            "max_stall_ms")))  # fmt: skip
    section("SERVICE LAYER p50 / p99 ms")
    for op in OPS:
        row(f"  {LABELS[op]}", lambda t, op=op: _pair(t["service"].get(op)))
    index = FLOOR_INDEX.get(results.get("database", {}).get("backend", "SQLite"), "FTS5")
    section(f"RAW {index} FLOOR p50 / p99 ms; full stack p50 minus floor p50")
    for op in ("search", "qa search", "qa autocomplete", "ask similar"):
        row(f"  {LABELS[op]}", lambda t, op=op: _pair(t["floor"].get(op)))
        row(
            f"    gap at p50 (ms, target ≤ {FLOOR_GAP_MS:g})",
            lambda t, op=op: (
                _f(t["full_stack"][op]["p50_ms"] - t["floor"][op]["p50_ms"], 2)
                if op in t["full_stack"] and op in t["floor"]
                else "–"
            ),
        )
    section("BASELINES p50 / p99 ms, and how many times slower than the service (p50 / p99)")
    for op in OPS:
        for kind, name in (
            ("like", "LIKE '%term%' scan"),
            ("like newest", "LIKE, newest first, LIMIT"),
            ("fuzzy", "fuzzy over every row"),
        ):
            if not any(tiers[n]["baselines"].get(op, {}).get(kind) for n in names):
                continue  # a baseline this operation does not have
            row(
                f"  {LABELS[op]}: {name}",
                lambda t, op=op, kind=kind: (
                    (
                        f"{_pair(t['baselines'].get(op, {}).get(kind))}  "
                        f"({_ratio(t['baselines'].get(op, {}).get(kind), t['service'].get(op))})"
                    )
                    if t["baselines"].get(op, {}).get(kind)
                    else "–"
                ),
            )
    section("START-UP AND CONTENT")
    row("  start-up to ready, unchanged content (s)", lambda t: _f(
        t["startup"]["unchanged"]["spawn_to_ready_s"], 2))  # fmt: skip
    row("    of which interpreter + imports (s)", lambda t: _f(
        t["startup"]["unchanged"]["interpreter_and_imports_s"], 2))  # fmt: skip
    row("    of which setup_hook (s)", lambda t: _f(
        t["startup"]["unchanged"]["setup_hook_s"], 2))  # fmt: skip
    row("  start-up to ready, one file changed (s)", lambda t: _f(
        t["startup"]["one_changed"]["spawn_to_ready_s"], 2))  # fmt: skip
    row("  content sync of one changed file (ms)", lambda t: _f(
        t["content_sync"]["total_s"] * 1000))  # fmt: skip
    section("SPECS (1,000-endpoint document)")
    row("  import through /spec import (s)", lambda t: _f(
        t["spec_import"]["first"]["seconds"], 2) if t.get("spec_import") else "–")  # fmt: skip
    row("  import + diff of the next version (s)", lambda t: _f(
        t["spec_import"]["next"]["seconds"], 2) if t.get("spec_import") else "–")  # fmt: skip
    row("  longest stall during the imports (ms)", lambda t: _f(
        t["spec_import"]["max_stall_ms"]) if t.get("spec_import") else "–")  # fmt: skip
    section("RESOURCES AND LOAD")
    row("  bot peak RSS (MB)", lambda t: str(t["memory"]["peak_rss_mb"]))
    row("  DB file (MB)", lambda t: _f(t["sizes"]["file_mb"]))
    row("  Q&A tables + FTS per 10k questions (MB)", lambda t: _f(
        t["sizes"]["qa_mb_per_10k_questions"]))  # fmt: skip
    row("  throughput, 50 in flight (interactions/s)", lambda t: _f(
        t["throughput"]["per_second"]))  # fmt: skip
    row("    latency under load p50 / p95 / p99 (ms)", lambda t: _triple(
        t["throughput"]["latency"]))  # fmt: skip
    row("    longest stall under load (ms)", lambda t: _f(t["throughput"]["max_stall_ms"]))
    row(
        "    bot CPU / emulator CPU (cores)",
        lambda t: f"{t['throughput']['bot_cpu_share']} / {t['throughput']['emulator_cpu_share']}",
    )

    width = max(len(label) for label, _ in rows) + 2
    col = max(14, *(len(h) for h in headers), *(len(c) for _, cells in rows for c in cells)) + 2
    lines = [" " * width + "".join(h.ljust(col) for h in headers)]
    for label, cells in rows:
        lines.append(label.ljust(width) + "".join(c.ljust(col) for c in cells))
    return "\n".join(line.rstrip() for line in lines)


def check_targets(tier: dict[str, Any]) -> list[dict[str, Any]]:
    """The issue's targets, each with the measured value and whether it holds."""
    checks: list[dict[str, Any]] = []

    def check(what: str, value: float | None, limit: float, *, at_least: bool = False) -> None:
        ok = value is not None and (value >= limit if at_least else value <= limit)
        checks.append(
            {"target": what, "value": None if value is None else round(value, 2), "limit": limit,
             "ok": ok}
        )  # fmt: skip

    fs = tier["full_stack"]
    for op in OPS:
        if op not in fs:
            continue
        limit = AUTOCOMPLETE_P99_MS if op in AUTOCOMPLETE else LOOKUP_P99_MS
        check(f"{LABELS[op]} full-stack p99 ms", fs[op]["p99_ms"], limit)
    for op, floor in tier["floor"].items():
        if op in fs:
            check(f"{LABELS[op]} full-stack p50 - raw floor p50 ms",
                  fs[op]["p50_ms"] - floor["p50_ms"], FLOOR_GAP_MS)  # fmt: skip
    for op, kinds in tier["baselines"].items():
        like = kinds.get("like")
        ours = tier["service"].get(op)
        if like and ours and op in ("search", "qa search", "qa autocomplete", "ask similar"):
            check(f"{LABELS[op]} LIKE p50 / service p50", like["p50_ms"] / ours["p50_ms"],
                  BASELINE_RATIO, at_least=True)  # fmt: skip
            check(f"{LABELS[op]} LIKE p99 / service p99", like["p99_ms"] / ours["p99_ms"],
                  BASELINE_RATIO, at_least=True)  # fmt: skip
    stalls = [v.get("max_stall_ms", 0.0) for v in fs.values()]
    stalls.append(tier["throughput"]["max_stall_ms"])
    if tier.get("spec_import"):
        stalls.append(tier["spec_import"]["max_stall_ms"])
    check("longest event-loop stall ms (every scenario, spec imports included)", max(stalls),
          STALL_MS)  # fmt: skip
    check("start-up to ready s (unchanged content)",
          tier["startup"]["unchanged"]["spawn_to_ready_s"], STARTUP_S)  # fmt: skip
    check("bot peak RSS MB", tier["memory"]["peak_rss_mb"], RSS_MB)
    return checks


def targets_text(checks: list[dict[str, Any]], label: str) -> str:
    lines = [f"Targets at {label}:"]
    for c in checks:
        mark = "ok  " if c["ok"] else "MISS"
        sign = "≥" if "LIKE" in c["target"] else "≤"
        lines.append(f"  [{mark}] {c['target']}: {c['value']} (target {sign} {c['limit']:g})")
    return "\n".join(lines)
