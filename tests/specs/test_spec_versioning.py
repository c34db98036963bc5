"""Versioning rules of the diff: breaking changes need a version that announces them, and what
an earlier version deprecated may go with a warning; in the diff, the command-line check and
what members read in Discord."""

from __future__ import annotations

import json
import zlib
from pathlib import Path
from typing import Any

import pytest

from bot.__main__ import main
from bot.specs.analysis import analyse, read_model
from bot.specs.diff import VERSION_ENDPOINT, diff
from bot.specs.openapi import read_spec
from bot.specs.versioning import judge, next_major
from localdiscord.emulator import Upload
from tests.harness import Harness
from tests.specs.test_specs import (
    SPEC_CHANNEL,
    embed_text,
    nexus,  # noqa: F401 - the fixture
    setup_specs,
    spec_channel_messages,
    until,
)

JSON = dict[str, Any]
OK = {"200": {"description": "ok"}}


def booking(*, deprecated_nights: bool = False, nights: bool = True) -> JSON:
    properties: JSON = {"id": {"type": "integer"}, "status": {"type": "string"}}
    if nights:
        properties["nights"] = {"type": "integer", "deprecated": deprecated_nights}
    return {"type": "object", "properties": properties, "required": ["id"]}


def document(version: str, paths: JSON) -> bytes:
    spec = {"openapi": "3.0.3", "info": {"title": "Bookings", "version": version}, "paths": paths}
    return json.dumps(spec).encode()


def read_ops(version: str, paths: JSON) -> Any:
    return read_spec(document(version, paths), "b.json").operations


def bookings_paths(
    *, delete: bool = True, deprecated_city: bool = False, city: bool = True, **body: bool
) -> JSON:
    params = [
        {
            "name": "city",
            "in": "query",
            "deprecated": deprecated_city,
            "schema": {"type": "string"},
        }
    ]
    get: JSON = {
        "responses": {
            "200": {
                "description": "ok",
                "content": {"application/json": {"schema": booking(**body)}},
            }
        }
    }
    if city:
        get["parameters"] = params
    paths: JSON = {"/bookings": {"get": get}}
    if delete:
        paths["/bookings/{id}"] = {
            "delete": {
                "tags": ["bookings"],
                "parameters": [
                    {"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}
                ],
                "responses": OK,
            }
        }
    return paths


# -- the version rule, on its own -------------------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new", "allows"),
    [
        ("1.4.2", "2.0.0", True),
        ("1.4.2", "1.5.0", False),
        ("1.4.2", "1.4.3", False),
        ("1.4.2", "1.4.2", False),
        ("2.0.0", "1.9.0", False),
        ("v1", "v2", True),  # a major-only version
        ("v2", "v2.1", False),
        ("1.2", "1.3", False),  # major.minor
        ("1.2", "2", True),
        ("0.3.1", "0.4.0", True),  # under 1.0 the minor is the major
        ("0.3.1", "0.3.2", False),
        ("0.9.0", "1.0.0", True),
        ("2.0.0-rc.1", "2.0.0", True),  # a pre-release may still break
        ("1.9.0", "2.0.0-beta.1", True),
        ("1.4.0", "1.5.0-beta.1", False),
        ("2024-01-01", "2024-06-20", True),  # dated releases: a later date
        ("2024-06-20", "2024-06-20", False),
        ("2024-06-20", "2024-01-01", False),
        ("2024.01", "2024.02", True),
        ("20240101", "20240102", True),
        ("beta", "gamma", True),  # unreadable: only an unchanged version is flagged
        ("beta", "beta", False),
        ("2024-01-01", "3.0.0", True),  # a switch of scheme: cannot tell
    ],
)
def test_which_version_changes_announce_breaking_changes(old: str, new: str, allows: bool) -> None:
    assert judge(old, new).allows_breaking is allows


def test_the_advised_version_is_the_next_major() -> None:
    assert next_major("1.4.2") == "2.0.0"
    assert next_major("v3") == "4.0.0"
    assert next_major("0.3.1") == "0.4.0"
    assert next_major("2024-01-01") == ""
    assert next_major("beta") == ""


# -- in the diff ------------------------------------------------------------------------------


def test_a_breaking_change_in_a_minor_release_is_flagged_once_on_the_version() -> None:
    old = read_ops("1.4.0", bookings_paths())
    new = read_ops("1.5.0", bookings_paths(delete=False))
    changes = diff(old, new, ("1.4.0", "1.5.0"))
    flagged = [c for c in changes if c.rule == "breaking-without-major-version"]
    assert [(c.severity, c.endpoint) for c in flagged] == [("breaking", VERSION_ENDPOINT)]
    assert flagged[0].tags == ("bookings",), "followers of the broken endpoints' tags hear of it"
    assert flagged[0].message == (
        "1 breaking change, but the version `1.4.0` → `1.5.0` is not a new major version: "
        "clients that take every release of the same major version as compatible will break "
        "(a breaking release after it would be `2.0.0`)"
    )
    assert diff(old, new, ("1.4.0", "2.0.0")) == [c for c in changes if c not in flagged]
    assert diff(old, new) == [c for c in changes if c not in flagged], "no versions, no rule"


def test_an_unchanged_version_is_named_as_such() -> None:
    old = read_ops("2024-06-20", bookings_paths())
    new = read_ops("2024-06-20", bookings_paths(delete=False))
    [flagged] = [
        c for c in diff(old, new, ("2024-06-20", "2024-06-20")) if c.endpoint == "info.version"
    ]
    assert flagged.message.startswith(
        "1 breaking change, but the version `2024-06-20` did not change"
    )


def test_a_document_without_a_version_is_not_judged_by_it() -> None:
    old = read_ops("1.4.0", bookings_paths())
    new = read_ops("1.4.0", bookings_paths(delete=False))
    for versions in (("", ""), ("1.4.0", ""), ("", "1.4.0")):
        assert [c.rule for c in diff(old, new, versions)] == ["path-removed"], versions


def test_compatible_changes_need_no_new_major() -> None:
    old = read_ops("1.4.0", bookings_paths(delete=False))
    new = read_ops("1.4.0", bookings_paths())
    changes = diff(old, new, ("1.4.0", "1.4.0"))
    assert [c.rule for c in changes] == ["path-added"]


def test_removing_what_was_deprecated_before_is_a_warning_and_needs_no_new_major() -> None:
    old = read_ops("1.4.0", bookings_paths(deprecated_city=True, deprecated_nights=True))
    new = read_ops("1.5.0", bookings_paths(city=False, nights=False))
    changes = diff(old, new, ("1.4.0", "1.5.0"))
    assert sorted((c.rule, c.severity, c.message) for c in changes) == [
        (
            "deprecated-response-property-removed",
            "warning",
            "response 200 property `nights` was removed (deprecated before)",
        ),
        ("parameter-removed", "warning", "query parameter `city` was removed (deprecated before)"),
    ]


def test_removing_what_was_not_deprecated_still_breaks() -> None:
    old = read_ops("1.4.0", bookings_paths())
    new = read_ops("2.0.0", bookings_paths(nights=False))
    [change] = diff(old, new, ("1.4.0", "2.0.0"))
    assert (change.rule, change.severity) == ("response-property-removed", "breaking")


def test_a_deprecation_in_the_new_version_only_does_not_soften_its_removal() -> None:
    """ "Deprecated earlier" means in the old version: a property removed in the release that
    would deprecate it was never announced."""
    old = read_ops("1.4.0", bookings_paths())
    new = read_ops("1.5.0", bookings_paths(nights=False, deprecated_city=True))
    rules = {c.rule for c in diff(old, new, ("1.4.0", "1.5.0"))}
    assert {"response-property-removed", "breaking-without-major-version"} <= rules


# -- the stored model carries the version to the next import ----------------------------------


def test_the_next_import_compares_with_the_stored_version() -> None:
    first = analyse(document("1.4.0", bookings_paths()), "b.json", None, None)
    assert read_model(first.model)[0] == "1.4.0"
    second = analyse(document("1.5.0", bookings_paths(delete=False)), "b.json", first.model, None)
    assert any(c.endpoint == "info.version" for c in second.changes)


def test_a_model_stored_before_versions_were_kept_skips_the_rule() -> None:
    first = analyse(document("1.4.0", bookings_paths()), "b.json", None, None)
    lines = zlib.decompress(first.model).decode().split("\n")
    assert lines[0] == '{"api_version":"1.4.0"}'
    older = zlib.compress("\n".join(lines[1:]).encode())
    assert read_model(older)[0] is None
    second = analyse(document("1.5.0", bookings_paths(delete=False)), "b.json", older, None)
    assert [c.rule for c in second.changes] == ["path-removed"]


# -- `python -m bot spec check` ---------------------------------------------------------------


def test_the_check_shows_the_version_rule(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    old, minor, deprecated, cleaned = (tmp_path / f"{n}.json" for n in ("a", "b", "c", "d"))
    old.write_bytes(document("1.4.0", bookings_paths()))
    minor.write_bytes(document("1.5.0", bookings_paths(delete=False)))
    status = main(["spec", "check", str(old), str(minor)])
    out = capsys.readouterr().out
    assert status == 1
    assert "🔴 2 breaking" in out
    assert "- 🔴 `info.version` — 1 breaking change, but the version `1.4.0` → `1.5.0`" in out

    deprecated.write_bytes(document("1.4.0", bookings_paths(deprecated_nights=True)))
    cleaned.write_bytes(document("1.5.0", bookings_paths(nights=False)))
    status = main(["spec", "check", str(deprecated), str(cleaned)])
    out = capsys.readouterr().out
    assert status == 0, out
    assert "🟡 1 warning" in out
    assert "was removed (deprecated before)" in out
    assert "info.version" not in out


# -- what members read ------------------------------------------------------------------------


async def test_members_see_the_version_rule_in_the_announcement_and_the_changelog(
    nexus: Harness,  # noqa: F811 - the fixture
) -> None:
    fake = nexus.fake
    await setup_specs(fake)

    async def publish(version: str, paths: JSON) -> None:
        upload = Upload(f"bookings-{version}.json", document(version, paths))
        done = await fake.slash(
            "spec import", {"name": "bookings", "file": upload}, user="moderator", timeout=30
        )
        assert done.ephemeral
        assert done.embeds[0]["title"] == f"✅ Imported bookings · {version}"

    await publish("1.4.0", bookings_paths(deprecated_nights=True))
    await publish("1.5.0", bookings_paths(delete=False, deprecated_nights=True))
    await publish("1.6.0", bookings_paths(delete=False, nights=False))

    [minor] = await until(
        fake, lambda: spec_channel_messages(fake, "1.4.0 → 1.5.0"), "the 1.5.0 announcement"
    )
    text = embed_text(minor)
    assert "🔴 `info.version` — 1 breaking change, but the version `1.4.0` → `1.5.0`" in text
    [cleanup] = await until(
        fake, lambda: spec_channel_messages(fake, "1.5.0 → 1.6.0"), "the 1.6.0 announcement"
    )
    text = embed_text(cleanup)
    assert "🟡 `GET /bookings` — response 200 property `nights` was removed (deprecated" in text
    assert "🔴" not in text
    assert "info.version" not in text
    assert all(m["channel_id"] for m in fake.channel_messages(SPEC_CHANNEL))

    page = await fake.slash("spec changes", {"spec": "bookings", "from": "1", "to": "3"})
    description = page.embeds[0]["description"]
    assert "`info.version`" in description
    assert "removed (deprecated before)" in description


@pytest.mark.parametrize("with_version_line", [True, False])
def test_model_details_are_the_models_lines_read_a_little_at_a_time(
    with_version_line: bool,
) -> None:
    # Storing a version reads each endpoint's details from the model as it writes them: the
    # same texts, in the order of the analysis' rows, however the reads split the lines (wide
    # characters included), with or without the version line older models lack.
    from bot.specs.analysis import MODEL_READ, model_details

    ops = [
        {"key": f"GET /items/{i}", "summary": "Élément " + "é" * (i % 50), "n": "x" * (i * 37)}
        for i in range(400)
    ]
    lines = [json.dumps(op, ensure_ascii=False, separators=(",", ":")) for op in ops]
    head = ['{"api_version":"2.1.0"}'] if with_version_line else []
    blob = zlib.compress("\n".join([*head, *lines]).encode(), 6)
    assert len(zlib.decompress(blob)) > 10 * MODEL_READ  # many reads, lines split across them
    assert list(model_details(blob)) == lines
    assert [json.loads(d)["key"] for d in model_details(blob)] == list(read_model(blob)[1])
    empty = zlib.compress(b'{"api_version":"1.0.0"}')
    assert list(model_details(empty)) == []
