"""Validation of a sanitized document, offline: structural errors, and warnings worth showing."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import yaml
from openapi_schema_validator import (
    oas30_format_checker,
    oas31_format_checker,
)
from openapi_spec_validator.validation import (
    OpenAPIV2SpecValidator,
    OpenAPIV30SpecValidator,
    OpenAPIV31SpecValidator,
)
from openapi_spec_validator.validation.exceptions import (
    DuplicateOperationIDError,
    ExtraParametersError,
)
from referencing import Registry, Resource
from referencing.exceptions import NoSuchResource
from referencing.jsonschema import DRAFT202012

from bot.specs.openapi.bounded import (
    BoundedOAS30Validator,
    BoundedOAS31Validator,
    BudgetSpent,
    WorkBudget,
    bounded_keyword_validators,
    spending,
)
from bot.specs.openapi.explain import deepest, example_error, explain
from bot.specs.openapi.loading import line_of
from bot.specs.openapi.problems import MAX_EXAMPLES_CHECKED, Problem, clip, code, pointer_of
from bot.specs.openapi.safety import DATA_FIELDS, NAME_MAPS, Family, resolve_pointer


class _NoRetrieval(Mapping[str, Callable[[str], Any]]):
    """Resolver handlers for every URL scheme, each refusing: a second belt behind `sanitize`."""

    def __getitem__(self, scheme: str) -> Callable[[str], Any]:
        return _refuse_retrieval

    def __contains__(self, scheme: object) -> bool:
        return True

    def __iter__(self) -> Iterator[str]:
        return iter(())

    def __len__(self) -> int:
        return 0


def _refuse_retrieval(uri: str) -> Any:
    raise NoSuchResource(ref=uri)  # type: ignore[call-arg]


class _OfflineV2(OpenAPIV2SpecValidator):
    resolver_handlers = _NoRetrieval()  # type: ignore[assignment]
    keyword_validators = bounded_keyword_validators(
        OpenAPIV2SpecValidator.keyword_validators, "2.0"
    )


class _OfflineV30(OpenAPIV30SpecValidator):
    resolver_handlers = _NoRetrieval()  # type: ignore[assignment]
    keyword_validators = bounded_keyword_validators(
        OpenAPIV30SpecValidator.keyword_validators, "3.0"
    )


class _OfflineV31(OpenAPIV31SpecValidator):
    resolver_handlers = _NoRetrieval()  # type: ignore[assignment]
    keyword_validators = bounded_keyword_validators(
        OpenAPIV31SpecValidator.keyword_validators, "3.1"
    )


VALIDATORS = {"2.0": _OfflineV2, "3.0": _OfflineV30, "3.1": _OfflineV31}


def validate(
    family: Family,
    document: Any,
    root_node: yaml.Node | None = None,
    budget: WorkBudget | None = None,
    unresolved: tuple[str, ...] = (),
) -> list[Problem]:
    """Warnings from openapi-spec-validator on a sanitized document.

    The document is checked against the OpenAPI meta-schema. Whatever breaks it is a warning
    naming its pointer: real published documents carry such defects (a response key that is
    not a status code, a stray field, a path parameter marked optional) and Swagger UI shows
    them anyway; the reader skips what it cannot use. Objects that stand for a reference to
    nothing (`unresolved`) are already reported. The validator's own semantic checks
    (defaults, required names, duplicate operation ids, undeclared path parameters) are
    warnings too. `default` values are checked within `budget` (see bounded.py); past it they
    are not.
    """
    validator = VALIDATORS[family](document)
    warnings: list[Problem] = []
    seen: set[str] = set()  # the validator's own words, to drop its repeats below
    for error in validator.schema_validator.iter_errors(document):
        seen.add(" ".join(deepest(error).message.split()))
        parts, message = explain(error)
        pointer = pointer_of(parts)
        if any(pointer == u or pointer.startswith(u + "/") for u in unresolved):
            continue
        warnings.append(Problem(message, pointer, line_of(root_node, parts)))
        if len(warnings) > 500:
            break
    # The semantic pass walks the document without the meta-schema phase's cache (the library
    # memoises `iter_errors` per validator forever, which would keep every document alive).
    root_check = validator.root_validator
    try:
        with spending(budget or WorkBudget()):
            for error in root_check(validator.schema_path):
                if isinstance(error, DuplicateOperationIDError):
                    continue  # `duplicate_operation_ids` names both places
                message = " ".join(error.message.split())
                if message.endswith("is not valid under any of the given schemas"):
                    continue  # the meta-schema pass names it, with its place
                if message in seen:
                    continue  # the same defect, already reported with its location
                seen.add(message)
                message = clip(message, 240)
                if isinstance(error, ExtraParametersError):
                    message = f"A `required` name has no property: {message}"
                warnings.append(Problem(message))
                if len(warnings) > 500:
                    break
    except BudgetSpent:
        warnings.append(Problem(UNCHECKED_DEFAULTS))
    except Exception as error:
        warnings.append(
            Problem(
                f"Validation stopped early: {clip(type(error).__name__ + ': ' + str(error), 200)}"
            )
        )
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
    return Registry(retrieve=_refuse_retrieval).with_resource(DOCUMENT_URI, resource)  # type: ignore[call-arg]


DOCUMENT_URI = "urn:nexus:document"


def lint(
    family: Family,
    document: Any,
    root_node: yaml.Node | None = None,
    budget: WorkBudget | None = None,
) -> list[Problem]:
    """Schema-level defects the validator leaves out: examples that do not match their schema,
    and `required` names with no property (outside `allOf`, which the validator covers).
    Examples are checked within `budget` (see bounded.py); past it they are counted, not checked.
    """
    warnings: list[Problem] = []
    registry = _document_registry(document)
    cls: Any = BoundedOAS31Validator if family == "3.1" else BoundedOAS30Validator
    checker = oas31_format_checker if family == "3.1" else oas30_format_checker
    budget = budget or WorkBudget()
    checked = unchecked = 0

    def check_example(schema_parts: list[str | int], value: Any, where: list[str | int]) -> None:
        nonlocal checked, unchecked
        checked += 1
        if checked > MAX_EXAMPLES_CHECKED:
            return
        if budget.spent_out:
            unchecked += 1
            return
        ref = f"{DOCUMENT_URI}#{pointer_of(schema_parts)}"
        try:
            validator = cls({"$ref": ref}, registry=registry, format_checker=checker)
            with spending(budget):
                errors = [deepest(e) for e in itertools.islice(validator.iter_errors(value), 3)]
        except BudgetSpent:
            unchecked += 1
            return
        except Exception:
            return
        for error in errors:
            inner = [*where, *error.absolute_path]
            warnings.append(
                Problem(
                    f"The example does not match its schema: {example_error(error)}",
                    pointer_of(inner),
                    line_of(root_node, inner),
                )
            )

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
            if isinstance(schema, dict) and "example" in schema:
                check_example([*base, name], schema["example"], [*base, name, "example"])
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
