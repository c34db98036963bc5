"""The budgets that keep one document from holding the analysis worker for minutes.

Each document here is small to upload and was costly to read: a 1.5 KB YAML whose aliases
expand to 1.37 million values, 200 KB of JSON holding 70,000 empty schemas (the validator's
schema walk was quadratic), examples or defaults under schemas with 40 alternatives,
`uniqueItems` over 20,000 objects. Each is read by the real analysis process with a stop after
`GUARD` seconds: before the budgets they ran into it; now each is refused with a clear message
or imported with a warning saying what was not checked. Assertions are on what the import says,
never on timings (the seconds are printed with the suite's figures).
"""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from bot.specs.analysis import ANALYSIS_TIMEOUT, Analysis, AnalysisPool, analyse
from bot.specs.openapi import DocumentRejected
from bot.specs.openapi.problems import MAX_NODES, MAX_OBJECTS
from tests.figures import report

GUARD = 30.0  # seconds: a stop for a runaway read, far above what these take now


def alias_bomb() -> bytes:
    """1.5 KB of YAML: schemas nested through `allOf` aliases, 1.37 million values expanded."""
    widths = (4, 5, 5, 6, 6, 7, 8)
    schemas = ["    S0: &s0 {type: string, description: a plain text value}"]
    for level, width in enumerate(widths, 1):
        refs = ", ".join([f"*s{level - 1}"] * width)
        schemas.append(f"    S{level}: &s{level} {{allOf: [{refs}]}}")
    about = "A catalogue of items, with their prices and stock levels. " * 14
    lines = [
        "openapi: 3.0.3",
        "info:",
        "  title: Catalogue",
        "  version: '1'",
        f"  description: {about.strip()}",
        "paths:",
        "  /items:",
        "    get:",
        "      responses:",
        "        '200':",
        "          description: ok",
        "          content:",
        "            application/json:",
        f"              schema: {{$ref: '#/components/schemas/S{len(widths)}'}}",
        "components:",
        "  schemas:",
        *schemas,
    ]
    return ("\n".join(lines) + "\n").encode()


def openapi(**extra: Any) -> dict[str, Any]:
    return {
        "openapi": "3.0.3",
        "info": {"title": "t", "version": "1"},
        "paths": {"/a": {"get": {"responses": {"200": {"description": "ok"}}}}},
        **extra,
    }


def with_example(schema: dict[str, Any], example: Any) -> bytes:
    doc = openapi()
    doc["paths"]["/a"]["get"]["responses"]["200"]["content"] = {
        "application/json": {"schema": schema, "example": example}
    }
    return json.dumps(doc, separators=(",", ":")).encode()


# An item matches only the last of 41 alternatives: each value is tried against all of them.
MANY_ALTERNATIVES = {
    "type": "array",
    "items": {
        "anyOf": [
            *({"type": "integer", "minimum": i} for i in range(40)),
            {"type": "string", "pattern": "^z+$"},
        ]
    },
}


async def analysed(data: bytes, filename: str, stop_after: float = GUARD) -> Analysis:
    pool = AnalysisPool(timeout=stop_after)
    try:
        started = time.perf_counter()
        try:
            result: Analysis = await pool(analyse, data, filename, None, None)
        finally:
            report("spec budgets", **{filename: time.perf_counter() - started})
        return result
    finally:
        pool.close()


async def rejection(data: bytes, filename: str) -> str:
    with pytest.raises(DocumentRejected) as caught:
        await analysed(data, filename)
    return caught.value.message


def messages(result: Analysis) -> list[str]:
    return [w.message for w in result.summary.warnings]


@pytest.mark.timeout(GUARD + 30)
@pytest.mark.finding("7 one server's document stalls every server's imports")
async def test_a_small_yaml_expanding_to_over_a_million_values_is_refused() -> None:
    data = alias_bomb()
    assert len(data) < 1600
    message = await rejection(data, "alias-bomb.yaml")
    assert f"expands to more than {MAX_NODES:,} values through its aliases" in message
    assert "alias bomb" in message


@pytest.mark.timeout(GUARD + 30)
@pytest.mark.finding("7 one server's document stalls every server's imports")
async def test_a_document_with_more_objects_than_the_budget_is_refused() -> None:
    count = MAX_OBJECTS + 10_000
    data = json.dumps(
        openapi(components={"schemas": {"All": {"allOf": [{}] * count}}}),
        separators=(",", ":"),
    ).encode()
    assert len(data) < 250_000
    message = await rejection(data, "many-schemas.json")
    assert f"more than {MAX_OBJECTS:,} objects" in message
    assert "Split the API into several specs" in message


@pytest.mark.timeout(ANALYSIS_TIMEOUT + 30)
async def test_the_most_objects_the_budget_allows_are_read_in_time() -> None:
    """The budget and the production timeout agree (the library's schema walk was quadratic
    in the number of schemas: 23 CPU seconds here, 5 with the walk's ids kept in a set)."""
    count = MAX_OBJECTS - 100
    data = json.dumps(
        openapi(components={"schemas": {"All": {"allOf": [{}] * count}}}),
        separators=(",", ":"),
    ).encode()
    result = await analysed(data, "most-schemas.json", stop_after=ANALYSIS_TIMEOUT)
    assert messages(result) == []
    assert len(result.endpoint_rows) == 1


@pytest.mark.timeout(GUARD + 30)
async def test_examples_too_costly_to_check_are_imported_unchecked_with_a_warning() -> None:
    data = with_example(MANY_ALTERNATIVES, ["zzzz"] * 100_000)
    result = await analysed(data, "costly-example.json")
    assert messages(result) == [
        "Examples not checked against their schemas: 1 (checking them all is too much work: "
        "large examples, or schemas with many alternatives)."
    ]
    assert len(result.endpoint_rows) == 1


@pytest.mark.timeout(GUARD + 30)
async def test_defaults_too_costly_to_check_are_left_with_a_warning() -> None:
    schema = {**MANY_ALTERNATIVES, "default": ["zzzz"] * 100_000}
    data = json.dumps(openapi(components={"schemas": {"Codes": schema}})).encode()
    result = await analysed(data, "costly-default.json")
    assert any("Checking the `default` values" in m for m in messages(result)), messages(result)


@pytest.mark.timeout(GUARD + 30)
async def test_unique_items_over_many_objects_is_checked_in_one_pass() -> None:
    items = [{"id": i, "tags": ["a", "b"]} for i in range(20_000)]
    unique = {"type": "array", "uniqueItems": True, "items": {"type": "object"}}
    fine = await analysed(with_example(unique, items), "unique.json")
    again = {"tags": ["a", "b"], "id": 7.0}  # the same value as item 7, written differently
    repeated = await analysed(with_example(unique, [*items, again]), "repeated.json")
    assert messages(fine) == []
    [warning] = messages(repeated)
    assert warning.startswith("The example does not match its schema: ")
    assert "item 20000 repeats an earlier one" in warning
