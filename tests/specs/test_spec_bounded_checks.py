"""Examples and defaults are checked against the document's schemas with bounded work.

A pattern such as `^(a+)+$` sends Python's backtracking `re` into hours of work on a
35-character string; the checks run on RE2 (linear time) instead. Each hostile document is read
by the real analysis process with a stop after `GUARD` seconds: before the fix they ran into it
(and, in production, held the one worker for 120 s); the assertions are on what the import
says, never on how fast it was.
"""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from bot.specs.analysis import Analysis, AnalysisPool, analyse
from bot.specs.openapi import read_spec
from tests.figures import report

GUARD = 30.0  # seconds: a stop for a runaway check, far above the milliseconds these take
BOMB = "^(a+)+$"
BOMB_TEXT = "a" * 34 + "!"  # 35 characters: about 2^34 backtracking steps for Python's `re`
MEDIA = "/paths/~1a/get/responses/200/content/application~1json"


def document(schema: dict[str, Any], example: Any, family: str = "3.0.3") -> bytes:
    media = {"schema": schema, "example": example}
    return json.dumps(
        {
            "openapi": family,
            "info": {"title": "t", "version": "1"},
            "paths": {
                "/a": {
                    "get": {
                        "responses": {
                            "200": {"description": "ok", "content": {"application/json": media}}
                        }
                    }
                }
            },
        }
    ).encode()


def with_default(schema: dict[str, Any], default: Any) -> bytes:
    return json.dumps(
        {
            "openapi": "3.0.3",
            "info": {"title": "t", "version": "1"},
            "paths": {"/a": {"get": {"responses": {"200": {"description": "ok"}}}}},
            "components": {"schemas": {"Code": {**schema, "default": default}}},
        }
    ).encode()


async def analysed(data: bytes, filename: str = "api.json") -> Analysis:
    pool = AnalysisPool(timeout=GUARD)
    try:
        started = time.perf_counter()
        result: Analysis = await pool(analyse, data, filename, None, None)
        report("bounded checks", **{filename: time.perf_counter() - started})
        return result
    finally:
        pool.close()


def messages(result: Analysis) -> list[str]:
    return [w.message for w in result.summary.warnings]


HOSTILE = {
    "example": document({"type": "string", "pattern": BOMB}, BOMB_TEXT),
    "default": with_default({"type": "string", "pattern": BOMB}, BOMB_TEXT),
    "patternProperties": document(
        {"type": "object", "patternProperties": {BOMB: {"type": "integer"}}},
        {BOMB_TEXT: "not matched, so free", "aaa": "matched, so not a number"},
        "3.1.0",
    ),
    "additionalProperties": document(
        {"type": "object", "patternProperties": {BOMB: {}}, "additionalProperties": False},
        {BOMB_TEXT: 1},
        "3.1.0",
    ),
    "propertyNames": document(
        {"type": "object", "propertyNames": {"pattern": BOMB}}, {BOMB_TEXT: 1}, "3.1.0"
    ),
    "a subschema's $schema": document(
        {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "type": "string",
            "pattern": BOMB,
        },
        BOMB_TEXT,
        "3.1.0",
    ),
}


@pytest.mark.timeout(GUARD + 30)
@pytest.mark.parametrize("where", list(HOSTILE))
@pytest.mark.finding("7 one server's document stalls every server's imports")
async def test_a_backtracking_pattern_is_checked_in_linear_time(where: str) -> None:
    result = await analysed(HOSTILE[where], f"{where.replace(' ', '-')}.json")
    found = messages(result)
    assert any("does not match" in m or "is not of type 'integer'" in m for m in found), found


def test_an_ordinary_pattern_still_catches_a_bad_example() -> None:
    schema = {"type": "string", "pattern": r"^[A-Z]{3}-\d{4}$"}
    bad = read_spec(document(schema, "abc-123"), "api.json")
    good = read_spec(document(schema, "ABC-1234"), "api.json")
    assert [w.message for w in bad.warnings] == [
        "The example does not match its schema: 'abc-123' does not match '^[A-Z]{3}-\\\\d{4}$'"
    ]
    assert (
        bad.warnings[0].pointer == "/paths/~1a/get/responses/200/content/application~1json/example"
    )
    assert good.warnings == ()


@pytest.mark.parametrize(
    ("pattern", "why"),
    [
        (r"^(a)\1$", "RE2 cannot run it (invalid escape sequence: \\1)"),
        (r"^(?!admin).*$", "RE2 cannot run it (invalid perl operator: (?!)"),
    ],
)
def test_a_pattern_re2_cannot_run_is_a_warning_not_an_error(pattern: str, why: str) -> None:
    spec = read_spec(document({"type": "string", "pattern": pattern}, "anything"), "api.json")
    [warning] = spec.warnings
    assert warning.message == (
        f"The pattern `{pattern}` is not checked against examples or defaults: {why}."
    )
    assert (
        warning.pointer == "/paths/~1a/get/responses/200/content/application~1json/schema/pattern"
    )
    assert len(spec.operations) == 1
