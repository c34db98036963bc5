"""Hardening findings and the tests that hold them, counted in the hardening figures.

A test written for a finding says which: `@pytest.mark.finding("forget-me on disk")`. The run's
figures then show how many findings are held by passing tests, and how many of their tests
passed and failed, e.g. `findings: held=14, tests_passed=19, tests_failed=0`.
"""

from __future__ import annotations

import pytest

from tests.figures import report as figure

_finding_of: dict[str, str] = {}  # test id -> the finding it holds
_held: set[str] = set()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "finding(name): the test holds a hardening finding (it failed before the fix)"
    )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        marker = item.get_closest_marker("finding")
        if marker is not None:
            _finding_of[item.nodeid] = str(marker.args[0])


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    finding = _finding_of.get(report.nodeid)
    if finding is None or report.when != "call":
        return
    if report.passed:
        new = finding not in _held
        _held.add(finding)
        figure("findings", held=int(new), tests_passed=1, tests_failed=0)
    elif report.failed:
        figure("findings", held=0, tests_passed=0, tests_failed=1)
