"""What Nexus exports to Prometheus: every metric's name and meaning lives here.

Two kinds of numbers. Events are counted as they happen (`Metrics.interaction_ended`,
`Metrics.spec_imported`). State — the gateway, the daily tips, the database, the Q&A — is read
when Prometheus scrapes: the endpoint asks for a fresh `Snapshot` first (`StateCollector`), so
nothing is computed for it between scrapes, and nothing at all when metrics are off.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Histogram,
    PlatformCollector,
    ProcessCollector,
    disable_created_metrics,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from bot.telemetry.interactions import OTHER, Span

# Seconds from receiving an interaction to the end of its handling. Discord wants a first
# answer within 3 s: the buckets around it are finer.
INTERACTION_BUCKETS = (0.05, 0.1, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 5.0, 10.0, 30.0)
IMPORT_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0)
QUANTILES = (0.5, 0.9)  # of the time to a question's first answer
MAX_COMMANDS = 200  # distinct command labels kept; more are counted as "other"


@dataclass(frozen=True, slots=True)
class GatewayState:
    """The connection to Discord as the client tracks it (counts since the process started)."""

    connected: bool
    latency_seconds: float | None  # the last heartbeat's round trip; None before the first
    connects: int  # sessions started: the first, then one per reconnect that could not resume
    disconnects: int
    resumes: int


@dataclass(frozen=True, slots=True)
class QaState:
    """The Q&A at a glance: unanswered questions, and how fast recent ones got an answer."""

    open_questions: int
    oldest_open_seconds: float | None
    first_answer_seconds: Sequence[float]  # one per recently asked question that has an answer


@dataclass(frozen=True, slots=True)
class Snapshot:
    """Everything read at scrape time (a part is None when it cannot be read now)."""

    gateway: GatewayState | None = None
    database_bytes: int | None = None
    disk_free_bytes: int | None = None
    tips_posted: int | None = None
    tip_failures: Mapping[str, int] = field(default_factory=dict)
    qa: QaState | None = None


def quantile(values: Sequence[float], q: float) -> float:
    """The `q` quantile of `values` (linear interpolation between the closest ranks)."""
    ordered = sorted(values)
    rank = q * (len(ordered) - 1)
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


class StateCollector(Collector):
    """Serves the latest `Snapshot` as metric families."""

    def __init__(self) -> None:
        self.snapshot = Snapshot()

    def describe(self) -> Iterable[Metric]:
        """No fixed description: the families depend on what the snapshot holds."""
        return []

    def collect(self) -> Iterator[Metric]:
        """The snapshot's numbers, under their metric names."""
        state = self.snapshot
        yield from _gateway(state.gateway)
        if state.database_bytes is not None:
            yield GaugeMetricFamily(
                "nexus_database_bytes",
                "Bytes the database takes on disk (SQLite file and write-ahead log).",
                value=state.database_bytes,
            )
        if state.disk_free_bytes is not None:
            yield GaugeMetricFamily(
                "nexus_database_disk_free_bytes",
                "Bytes free on the disk that holds the database.",
                value=state.disk_free_bytes,
            )
        if state.tips_posted is not None:
            yield CounterMetricFamily(
                "nexus_dailytip_posts",
                "Daily tips posted by this process.",
                value=state.tips_posted,
            )
            failures = CounterMetricFamily(
                "nexus_dailytip_failures",
                "Daily-tip failures by reason: retry (a post failed, tried again later), "
                "disabled (the channel is gone or forbidden), missed (a day passed unposted), "
                "no_tips (the knowledge base has none), error (an unexpected failure).",
                labels=["reason"],
            )
            for reason, count in sorted(state.tip_failures.items()):
                failures.add_metric([reason], count)
            yield failures
        yield from _qa(state.qa)


def _gateway(gateway: GatewayState | None) -> Iterator[Metric]:
    if gateway is None:
        return
    yield GaugeMetricFamily(
        "nexus_gateway_connected",
        "1 while connected to Discord's gateway.",
        value=1.0 if gateway.connected else 0.0,
    )
    if gateway.latency_seconds is not None:
        yield GaugeMetricFamily(
            "nexus_gateway_latency_seconds",
            "Round trip of the last gateway heartbeat.",
            value=gateway.latency_seconds,
        )
    yield CounterMetricFamily(
        "nexus_gateway_disconnects",
        "Times the gateway connection dropped.",
        value=gateway.disconnects,
    )
    yield CounterMetricFamily(
        "nexus_gateway_reconnects",
        "New gateway sessions after the first (a drop that could not be resumed).",
        value=max(gateway.connects - 1, 0),
    )
    yield CounterMetricFamily(
        "nexus_gateway_resumes", "Gateway sessions resumed after a drop.", value=gateway.resumes
    )


def _qa(qa: QaState | None) -> Iterator[Metric]:
    if qa is None:
        return
    yield GaugeMetricFamily(
        "nexus_qa_open_questions", "Questions without any answer yet.", value=qa.open_questions
    )
    if qa.oldest_open_seconds is not None:
        yield GaugeMetricFamily(
            "nexus_qa_oldest_open_question_seconds",
            "Age of the oldest question without an answer.",
            value=qa.oldest_open_seconds,
        )
    first = GaugeMetricFamily(
        "nexus_qa_first_answer_seconds",
        "Time from a question to its first answer, over questions asked in the last 30 days "
        "that have one (quantiles).",
        labels=["quantile"],
    )
    if qa.first_answer_seconds:
        for q in QUANTILES:
            first.add_metric([str(q)], quantile(qa.first_answer_seconds, q))
    yield first
    yield GaugeMetricFamily(
        "nexus_qa_answered_recent_questions",
        "Questions asked in the last 30 days that have an answer (what the quantiles cover).",
        value=len(qa.first_answer_seconds),
    )


class Metrics:
    """Every instrument, on a registry of its own (several bots may share a test process)."""

    def __init__(self) -> None:
        disable_created_metrics()  # no `_created` series beside each counter (process-wide)
        self.registry = CollectorRegistry()
        ProcessCollector(registry=self.registry)
        PlatformCollector(registry=self.registry)
        self.state = StateCollector()
        self.registry.register(self.state)
        self._commands: set[tuple[str, str]] = set()
        self.interactions = Counter(
            "nexus_interactions",
            "Interactions handled, by kind (command, autocomplete, component, form), command "
            "and outcome (ok, refused: the member was told why; error: an incident; "
            "unanswered: nothing answered it).",
            ["kind", "command", "outcome"],
            registry=self.registry,
        )
        self.interaction_seconds = Histogram(
            "nexus_interaction_seconds",
            "Seconds from receiving an interaction to the end of its handling.",
            ["kind", "command"],
            buckets=INTERACTION_BUCKETS,
            registry=self.registry,
        )
        self.deferred = Counter(
            "nexus_interactions_deferred",
            "Interactions whose first answer was a deferral (Discord shows 'thinking…').",
            ["kind", "command"],
            registry=self.registry,
        )
        self.late = Counter(
            "nexus_interactions_late",
            "Answers Discord refused because its 3-second window had passed.",
            ["kind", "command"],
            registry=self.registry,
        )
        self.spec_import_seconds = Histogram(
            "nexus_spec_import_seconds",
            "Seconds an API-spec import spent reading and checking the document (analyse) "
            "and storing it (store).",
            ["phase"],
            buckets=IMPORT_BUCKETS,
            registry=self.registry,
        )

    def interaction_ended(self, span: Span) -> None:
        """Count an interaction whose handling just ended."""
        outcome, deferred = span.settle()
        labels = self._labels(span)
        self.interactions.labels(*labels, outcome).inc()
        self.interaction_seconds.labels(*labels).observe(span.seconds)
        if deferred:
            self.deferred.labels(*labels).inc()
        if span.late:
            self.late.labels(*labels).inc()

    def spec_imported(self, analyse_seconds: float, store_seconds: float) -> None:
        """Record how long an import's two phases took."""
        self.spec_import_seconds.labels("analyse").observe(analyse_seconds)
        self.spec_import_seconds.labels("store").observe(store_seconds)

    def _labels(self, span: Span) -> tuple[str, str]:
        """(kind, command), the command counted as `other` past MAX_COMMANDS distinct ones."""
        labels = (span.kind, span.command)
        if labels not in self._commands:
            if len(self._commands) >= MAX_COMMANDS:
                return span.kind, OTHER
            self._commands.add(labels)
        return labels
