"""`python -m bot spec check OLD NEW`: a changelog for a pull request, and a merge gate."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.__main__ import main

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "openapi"
V1, V2 = str(FIXTURES / "bookings-v1.yaml"), str(FIXTURES / "bookings-v2.yaml")


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    status = main(["spec", "check", *args])
    out, err = capsys.readouterr()
    return status, out, err


def test_breaking_changes_are_listed_first_and_fail_the_check(
    capsys: pytest.CaptureFixture[str],
) -> None:
    status, out, err = run(capsys, V1, V2)
    assert status == 1
    assert err == ""
    lines = out.splitlines()
    assert lines[0] == "### Nestly Bookings API: 1.0.0 → 2.0.0"
    assert lines[2].startswith("🔴 10 breaking · 🟡 7 warning · 🔵 23 compatible")
    items = [line for line in lines if line.startswith("- ")]
    assert len(items) == 40
    icons = [line[2] for line in items]
    assert icons == sorted(icons, key="🔴🟡🔵".index), "most severe first"
    assert "- 🔴 `DELETE /api/v1/bookings/{id}/` — removed" in out


def test_the_gate_level_is_chosen(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, V1, V2, "--fail-on", "never")[0] == 0
    assert run(capsys, V1, V2, "--fail-on", "warning")[0] == 1
    same, out, _ = run(capsys, V1, V1)
    assert same == 0
    assert "No change to any endpoint" in out


def test_a_compatible_change_passes_the_breaking_gate(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    def document(paths: dict[str, object]) -> Path:
        spec = {"openapi": "3.0.3", "info": {"title": "T", "version": "1"}, "paths": paths}
        path = tmp_path / f"{len(paths)}.json"
        path.write_text(json.dumps(spec))
        return path

    ok = {"responses": {"200": {"description": "ok"}}}
    old = document({"/a": {"get": ok}})
    new = document({"/a": {"get": ok}, "/b": {"get": ok}})
    status, out, _ = run(capsys, str(old), str(new))
    assert status == 0
    assert "🔵 1 compatible" in out
    assert run(capsys, str(new), str(old))[0] == 1, "removing it breaks"


def test_an_unreadable_document_says_why_in_one_place(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    status, out, err = run(capsys, V1, str(FIXTURES / "remote-ref-https.yaml"))
    assert (status, out) == (2, "")
    assert "points to a remote URL" in err
    assert "Traceback" not in err
    missing, _, err = run(capsys, V1, str(tmp_path / "nope.yaml"))
    assert missing == 2
    assert "cannot read" in err


def test_text_from_the_documents_cannot_break_the_markdown(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    ok = {"responses": {"200": {"description": "ok"}}}
    bait = "/x`y[Claim](https:~1~1nitro.example)"
    old = tmp_path / "old.json"
    new = tmp_path / "new.json"
    info = {"title": "T", "version": "1"}
    old.write_text(json.dumps({"openapi": "3.0.3", "info": info, "paths": {"/a": {"get": ok}}}))
    paths = {"/a": {"get": ok}, bait: {"get": {**ok, "summary": "[Claim](https://nitro.example)"}}}
    new.write_text(json.dumps({"openapi": "3.0.3", "info": info, "paths": paths}))
    status, out, _ = run(capsys, str(old), str(new))
    assert status == 0
    [item] = [line for line in out.splitlines() if line.startswith("- ")]
    endpoint = item.split("`")[1]
    assert "`" not in endpoint.replace("ˋ", "")
    assert item.count("`") % 2 == 0, "every code span is closed"
    assert "\\[Claim\\]" in item, "the summary's masked link is escaped"


def test_the_example_workflow_runs_the_check_as_the_command_line_takes_it() -> None:
    import shlex

    import yaml

    from bot.__main__ import build_parser

    workflow = yaml.safe_load(
        (FIXTURES.parents[2] / "examples/github-actions/spec-check.yml").read_text()
    )
    steps = workflow["jobs"]["changelog"]["steps"]
    [script] = [s["run"] for s in steps if "spec check" in s.get("run", "")]
    [line] = [line for line in script.splitlines() if "python -m bot spec check" in line]
    words = shlex.split(line.split("python -m bot", 1)[1].split(">")[0])
    args = build_parser().parse_args(words)
    assert (args.spec_command, args.fail_on) == ("check", "breaking")
