"""Meta-schema warnings on defective documents: the same words, places and order as a whole
pass of the Python validator gives, found without that pass (jsonschema-rs says where, the
Python validator says why, on the failing values only).
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from bot.specs.openapi import meta_schema
from bot.specs.openapi.explain import explain
from bot.specs.openapi.loading import decode, line_of, load_yaml
from bot.specs.openapi.meta_schema import python_meta_schema
from bot.specs.openapi.problems import Problem, pointer_of
from bot.specs.openapi.safety import Family
from bot.specs.openapi.validation import validate
from tests.fixtures.openapi.builders import as_yaml, marketplace


def whole_pass(family: Family, document: Any, source: Any) -> list[Problem]:
    """The warnings as `validate` gave them from a whole Python pass over the document."""
    errors = itertools.islice(python_meta_schema(family).iter_errors(document), 501)
    return [
        Problem(message, pointer_of(parts), line_of(source, parts))
        for parts, message in map(explain, errors)
    ]


def loaded(document: dict[str, Any]) -> tuple[Any, Any]:
    return load_yaml(decode(as_yaml(document)))


def defective(family: Family, resources: int) -> dict[str, Any]:
    """A generated document with defects spread from its top to its last path."""
    document = marketplace(resources)
    document["openapi"] = "3.1.0" if family == "3.1" else "3.0.3"
    del document["info"]["version"]
    document["tags"][1]["name"] = 7
    document["servers"] = {"url": "https://api.example.com"}  # should be a list
    paths = list(document["paths"].values())
    paths[1]["get"]["parameters"] = [
        {"name": "id", "in": "path", "required": False, "schema": {"type": "string"}},
        {"name": "q", "in": "querry", "schema": {"type": "string"}},
    ]
    paths[1]["get"]["security"] = {"jwt": []}
    last = paths[-1][next(m for m in ("get", "post", "put") if m in paths[-1])]
    last["responses"]["ok"] = {"description": "Fine"}
    last["responses"]["200"]["description"] = 5
    document["components"]["responses"]["Extra"] = {"content": {}}  # no description
    document["stray"] = True
    return document


@pytest.mark.parametrize("family", ["3.0", "3.1"])
def test_defects_read_as_the_whole_pass_reads_them(family: Family) -> None:
    document, source = loaded(defective(family, 6))
    expected = whole_pass(family, document, source)
    assert len(expected) >= 8  # every defect above is found
    assert validate(family, document, source) == expected


def test_swagger_2_defects_inside_json_schema_fields() -> None:
    """Swagger 2.0's meta-schema takes some fields from JSON Schema's own (another document)."""
    document = {
        "swagger": "2.0",
        "info": {"title": "Pay"},
        "paths": {"/a": {"get": {"responses": {"200": {"description": 3}}}}},
        "definitions": {
            "Charge": {
                "type": "object",
                "properties": {"amount": {"type": "integr", "description": 5}},
            }
        },
    }
    document, source = loaded(document)
    expected = whole_pass("2.0", document, source)
    assert len(expected) >= 3
    assert validate("2.0", document, source) == expected


def test_the_python_validator_reads_only_the_failing_values(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Anthropic's published document has no `info.version`: a whole Python pass over its
    1.4 MB took seconds, most of them resolving OpenAPI 3.1's `$dynamicRef`s.
    """
    document = marketplace(60)
    document["openapi"] = "3.1.0"
    del document["info"]["version"]
    document, source = loaded(document)
    real = python_meta_schema("3.1")
    walked: list[Any] = []

    class Watched:
        def __getattr__(self, name: str) -> Any:
            return getattr(real, name)

        def iter_errors(self, instance: Any) -> Any:
            walked.append(instance)
            return real.iter_errors(instance)

    monkeypatch.setattr(meta_schema, "python_meta_schema", lambda family: Watched())
    warnings = validate("3.1", document, source)
    assert warnings == [Problem("'version' is a required property (missing here).", "/info", 3)]
    assert not any(instance is document for instance in walked)


def test_where_jsonschema_rs_fails_the_whole_pass_explains(monkeypatch: pytest.MonkeyPatch) -> None:
    """jsonschema-rs raising on a document (a panic in Rust): the whole Python pass says what is
    wrong, as before.
    """

    class Failing:
        def is_valid(self, instance: Any) -> bool:
            raise RuntimeError("panic")

        def iter_errors(self, instance: Any) -> Any:
            raise RuntimeError("panic")

    document = {
        "openapi": "3.1.0",
        "info": {"title": "Small"},
        "paths": {"/a": {"get": {"responses": {"200": {"description": 5}}}}},
    }
    expected = whole_pass("3.1", document, None)
    monkeypatch.setattr(meta_schema, "compiled_meta_schema", lambda family: Failing())
    assert len(expected) == 2
    assert validate("3.1", document) == expected


def test_a_keyword_python_cannot_rerun_leaves_the_whole_pass(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Re-running one keyword leans on the Python validator's insides (its resolver, how it
    places errors): if that breaks (a new jsonschema), the whole pass explains, nothing is lost.
    """

    def broken(family: Family, failure: Any) -> Any:
        raise AttributeError("_set")

    document, source = loaded(defective("3.1", 2))
    expected = whole_pass("3.1", document, source)
    monkeypatch.setattr(meta_schema, "_keyword_errors", broken)
    assert len(expected) >= 8
    assert validate("3.1", document, source) == expected
