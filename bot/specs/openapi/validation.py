"""Validation of a sanitized document, offline: structural errors, and warnings worth showing."""

from __future__ import annotations

import itertools
from typing import Any

import yaml
from openapi_schema_validator import (
    oas30_format_checker,
    oas31_format_checker,
)
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from bot.specs.openapi.bounded import (
    BoundedOAS30Validator,
    BoundedOAS31Validator,
    BudgetSpent,
    WorkBudget,
    spending,
)
from bot.specs.openapi.explain import deepest, example_error, explain
from bot.specs.openapi.loading import line_of
from bot.specs.openapi.meta_schema import fast_valid, meta_errors, refuse_retrieval
from bot.specs.openapi.problems import MAX_EXAMPLES_CHECKED, Problem, code, pointer_of
from bot.specs.openapi.safety import DATA_FIELDS, NAME_MAPS, Family, resolve_pointer


def validate(
    family: Family,
    document: Any,
    root_node: yaml.Node | None = None,
    unresolved: tuple[str, ...] = (),
) -> list[Problem]:
    """Warnings from the OpenAPI meta-schema on a sanitized document.

    Whatever breaks it is a warning naming its pointer: real published documents carry such
    defects (a response key that is not a status code, a stray field, a path parameter marked
    optional) and Swagger UI shows them anyway; the reader skips what it cannot use. Objects
    that stand for a reference to nothing (`unresolved`) are already reported. A document that
    fits is known in milliseconds (jsonschema-rs); for one that does not, jsonschema-rs says
    where, and openapi-spec-validator's Python validator says why (`explain`), there only.
    """
    if fast_valid(family, document):
        return []
    warnings: list[Problem] = []
    for error in meta_errors(family, document):
        parts, message = explain(error)
        pointer = pointer_of(parts)
        if any(pointer == u or pointer.startswith(u + "/") for u in unresolved):
            continue
        warnings.append(Problem(message, pointer, line_of(root_node, parts)))
        if len(warnings) > 500:
            break
    return warnings


UNCHECKED_DEFAULTS = (
    "Checking the `default` values against their schemas took too much work (large values, or "
    "schemas with many alternatives), so the remaining checks of defaults and names were skipped."
)
UNCHECKED_EXAMPLES = (
    "Examples not checked against their schemas: {count} (checking them all is too much "
    "work: large examples, or schemas with many alternatives)."
)


def _document_registry(document: Any) -> Registry[Any]:
    resource: Resource[Any] = DRAFT202012.create_resource(document)
    return Registry(retrieve=refuse_retrieval).with_resource(DOCUMENT_URI, resource)  # type: ignore[call-arg]


DOCUMENT_URI = "urn:nexus:document"
# Where a schema holds other schemas: maps of them, lists of them, and single ones.
SCHEMA_MAPS = frozenset(
    {"properties", "patternProperties", "$defs", "definitions", "dependentSchemas"}
)
SCHEMA_LISTS = frozenset({"allOf", "anyOf", "oneOf", "prefixItems", "items"})
SCHEMA_ONES = frozenset(
    {
        "items",
        "additionalProperties",
        "additionalItems",
        "not",
        "if",
        "then",
        "else",
        "contains",
        "propertyNames",
        "unevaluatedItems",
        "unevaluatedProperties",
    }
)


def lint(
    family: Family,
    document: Any,
    root_node: yaml.Node | None = None,
    budget: WorkBudget | None = None,
) -> list[Problem]:
    """Schema-level defects the meta-schema leaves out: examples and defaults that do not
    match their schema, and `required` names with no property (outside `allOf`, which
    `semantics` covers). Examples and defaults are checked within `budget` (see bounded.py);
    past it they are counted, not checked.
    """
    warnings: list[Problem] = []
    registry = _document_registry(document)
    cls: Any = BoundedOAS31Validator if family == "3.1" else BoundedOAS30Validator
    checker = oas31_format_checker if family == "3.1" else oas30_format_checker
    budget = budget or WorkBudget()
    checked = unchecked = unchecked_defaults = 0
    seen_schemas: set[int] = set()

    def check_example(
        schema_parts: list[str | int], value: Any, where: list[str | int], what: str = "example"
    ) -> None:
        nonlocal checked, unchecked, unchecked_defaults
        checked += 1
        if checked > MAX_EXAMPLES_CHECKED:
            return
        if budget.spent_out:
            if what == "default":
                unchecked_defaults += 1
            else:
                unchecked += 1
            return
        ref = f"{DOCUMENT_URI}#{pointer_of(schema_parts)}"
        try:
            validator = cls({"$ref": ref}, registry=registry, format_checker=checker)
            with spending(budget):
                errors = [deepest(e) for e in itertools.islice(validator.iter_errors(value), 3)]
        except BudgetSpent:
            if what == "default":
                unchecked_defaults += 1
            else:
                unchecked += 1
            return
        except Exception:
            return
        for error in errors:
            inner = [*where, *error.absolute_path]
            warnings.append(
                Problem(
                    f"The {what} does not match its schema: {example_error(error)}",
                    pointer_of(inner),
                    line_of(root_node, inner),
                )
            )

    def walk_schema(node: Any, parts: list[str | int], depth: int) -> None:
        """Every schema inside a schema, each `default` checked against its own schema."""
        if not isinstance(node, dict) or id(node) in seen_schemas or depth > 150:
            return
        seen_schemas.add(id(node))
        # Before 3.1 a `$ref` replaces its object: a `default` beside it is no part of the
        # schema (kube-openapi writes `default: {}` beside every nested object's `$ref`).
        ignored = "$ref" in node and family != "3.1"
        nullable_none = node.get("default", 0) is None and node.get("nullable") is True
        if "default" in node and not ignored and not nullable_none:
            check_example(parts, node["default"], [*parts, "default"], "default")
        for key, value in node.items():
            if key in SCHEMA_MAPS and isinstance(value, dict):
                for name, sub in value.items():
                    walk_schema(sub, [*parts, key, name], depth + 1)
            elif key in SCHEMA_LISTS and isinstance(value, list):
                for index, sub in enumerate(value):
                    walk_schema(sub, [*parts, key, index], depth + 1)
            elif key in SCHEMA_ONES:
                walk_schema(value, [*parts, key], depth + 1)

    def walk(node: Any, parts: list[str | int], container_key: str | None) -> None:
        if len(warnings) > 500:
            return
        if isinstance(node, list):
            for i, item in enumerate(node):
                walk(item, [*parts, i], "[]")
            return
        if not isinstance(node, dict):
            return
        names = container_key in NAME_MAPS
        if not names:
            _lint_required(node, parts, warnings, root_node)
            schema = node.get("schema")
            if isinstance(schema, dict | bool):
                schema_parts = [*parts, "schema"]
                walk_schema(schema, schema_parts, 0)
                if "example" in node:
                    check_example(schema_parts, node["example"], [*parts, "example"])
                examples = node.get("examples")
                if isinstance(examples, dict):
                    for name, example in examples.items():
                        value, ok = example_value(document, example, family)
                        if ok:
                            check_example(schema_parts, value, [*parts, "examples", name])
        for key, value in node.items():
            if not names and key in DATA_FIELDS:
                continue
            walk(value, [*parts, key], key)

    walk(document, [], None)
    # A component schema's own `example` should satisfy the schema itself.
    if family == "2.0":
        components = document.get("definitions")
    else:
        holder = document.get("components")
        components = holder.get("schemas") if isinstance(holder, dict) else None
    base = ["definitions"] if family == "2.0" else ["components", "schemas"]
    if isinstance(components, dict):
        for name, schema in components.items():
            if isinstance(schema, dict) and "example" in schema and not null_placeholder(schema):
                check_example([*base, name], schema["example"], [*base, name, "example"])
            walk_schema(schema, [*base, name], 0)
    if unchecked_defaults:
        warnings.append(Problem(UNCHECKED_DEFAULTS))
    if unchecked:
        warnings.append(Problem(UNCHECKED_EXAMPLES.format(count=f"{unchecked:,}")))
    return warnings


def duplicate_operation_ids(
    family: Family, document: Any, root_node: yaml.Node | None = None
) -> list[Problem]:
    """An `operationId` used by two operations: each one after the first, naming the first."""
    first: dict[str, str] = {}
    warnings: list[Problem] = []
    paths = document.get("paths")
    if not isinstance(paths, dict):
        return warnings
    for path, item in paths.items():
        if not isinstance(item, dict):
            continue
        for method, op in item.items():
            if method not in METHODS or not isinstance(op, dict):
                continue
            op_id = op.get("operationId")
            if not isinstance(op_id, str):
                continue
            here = f"{method.upper()} {path}"
            if op_id not in first:
                first[op_id] = here
                continue
            where = ["paths", path, method, "operationId"]
            warnings.append(
                Problem(
                    f"`operationId` `{code(op_id, 60)}` is also the id of "
                    f"`{code(first[op_id], 80)}`; code generators need each to be unique.",
                    pointer_of(where),
                    line_of(root_node, where),
                )
            )
    return warnings


METHODS = frozenset({"get", "put", "post", "delete", "options", "head", "patch", "trace"})


def null_placeholder(schema: Any) -> bool:
    """An `example: null` on a typed schema that cannot be null: a generator's way of writing
    no example (swagger-core, and so springdoc, writes one on every schema), read as none.
    """
    if not isinstance(schema, dict) or "example" not in schema or schema["example"] is not None:
        return False
    kind = schema.get("type")
    nullable = (
        schema.get("nullable") is True
        or kind == "null"
        or (isinstance(kind, list) and "null" in kind)
    )
    return kind is not None and not nullable


def example_value(document: Any, example: Any, family: Family) -> tuple[Any, bool]:
    """The value of an Example Object (3.x, maybe a `$ref`) or a Swagger 2 example by mime."""
    if family == "2.0":
        return example, True
    if isinstance(example, dict) and isinstance(example.get("$ref"), str):
        try:
            example, _ = resolve_pointer(document, example["$ref"])
        except KeyError:
            return None, False
    if isinstance(example, dict) and "value" in example:
        return example["value"], True
    return None, False


def _lint_required(
    node: dict[str, Any],
    parts: list[str | int],
    warnings: list[Problem],
    root_node: yaml.Node | None,
) -> None:
    required = node.get("required")
    properties = node.get("properties")
    if not isinstance(required, list) or not isinstance(properties, dict):
        return
    if any(
        k in node for k in ("allOf", "anyOf", "oneOf", "additionalProperties", "patternProperties")
    ):
        return
    missing = [str(n) for n in required if isinstance(n, str) and n not in properties]
    if missing:
        shown = ", ".join(f"`{code(n, 40)}`" for n in missing[:5])
        where = [*parts, "required"]
        warnings.append(
            Problem(
                f"`required` names {shown}, but the schema has no such property.",
                pointer_of(where),
                line_of(root_node, where),
            )
        )
