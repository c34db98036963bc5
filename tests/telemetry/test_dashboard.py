"""The Grafana dashboard in examples/ is built on what the bot exports: every query names
metrics and labels that exist, and every metric of Nexus has a panel."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from bot.telemetry.interactions import Span
from bot.telemetry.metrics import GatewayState, Metrics, QaState, Snapshot
from tests.helpers import REPO

DASHBOARD = REPO / "examples" / "grafana-dashboard.json"
METRIC = re.compile(r"\b(?:nexus|process)_[a-z0-9_]+\b")
SELECTOR = re.compile(r"\b((?:nexus|process)_[a-z0-9_]+)\{([^}]*)\}")
MATCHER = re.compile(r"(\w+)\s*(?:=~|!~|!=|=)")
TEMPLATE_LABELS = {"job", "instance"}  # added by Prometheus when it scrapes


def exported() -> dict[str, set[str]]:
    """Every sample name the bot exports (with every kind of state present) and its labels."""
    metrics = Metrics()
    span = Span("command", "/concept")
    span.late = True
    span.answer = lambda: (True, True)
    metrics.interaction_ended(span)
    metrics.spec_imported(0.2, 0.1)
    metrics.state.snapshot = Snapshot(
        gateway=GatewayState(True, 0.04, 2, 1, 1),
        database_bytes=1 << 20,
        disk_free_bytes=1 << 30,
        tips_posted=3,
        tip_failures={"retry": 1},
        qa=QaState(open_questions=2, oldest_open_seconds=60.0, first_answer_seconds=(30.0,)),
    )
    names: dict[str, set[str]] = {}
    text = generate_latest(metrics.registry).decode()
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            names.setdefault(sample.name, set()).update(sample.labels)
    return names


def queries(dashboard: dict[str, Any]) -> list[str]:
    found = [
        target["expr"]
        for panel in dashboard["panels"]
        for target in panel.get("targets", [])
        if "expr" in target
    ]
    found += [
        variable["definition"]
        for variable in dashboard["templating"]["list"]
        if variable["type"] == "query"
    ]
    return found


@pytest.fixture(scope="module")
def dashboard() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    return loaded


def test_every_query_names_metrics_the_bot_exports(dashboard: dict[str, Any]) -> None:
    names = exported()
    for query in queries(dashboard):
        used = METRIC.findall(query)
        assert used, f"a query without a Nexus metric: {query}"
        unknown = [name for name in used if name not in names]
        assert unknown == [], f"{query} names what the bot does not export"


def test_every_label_a_query_matches_on_exists(dashboard: dict[str, Any]) -> None:
    names = exported()
    for query in queries(dashboard):
        for metric, matchers in SELECTOR.findall(query):
            labels = set(MATCHER.findall(matchers)) - TEMPLATE_LABELS
            assert labels <= names[metric] | {"le"}, f"{metric} has no label {labels}: {query}"


def test_every_nexus_metric_has_a_panel(dashboard: dict[str, Any]) -> None:
    shown = {name for query in queries(dashboard) for name in METRIC.findall(query)}
    families = {re.sub(r"_(total|bucket|count|sum)$", "", n) for n in exported()}
    shown_families = {re.sub(r"_(total|bucket|count|sum)$", "", n) for n in shown}
    missing = sorted(f for f in families if f.startswith("nexus_") and f not in shown_families)
    assert missing == []


def test_the_dashboard_is_importable(dashboard: dict[str, Any]) -> None:
    panels = dashboard["panels"]
    ids = [panel["id"] for panel in panels]
    assert len(ids) == len(set(ids))
    for panel in panels:
        grid = panel["gridPos"]
        assert grid["x"] + grid["w"] <= 24
        if panel["type"] != "row":
            assert panel["datasource"] == {"type": "prometheus", "uid": "${datasource}"}
            assert panel["targets"]
    variables = {v["name"] for v in dashboard["templating"]["list"]}
    assert variables == {"datasource", "job", "instance"}
