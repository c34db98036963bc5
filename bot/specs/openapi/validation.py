"""Validation of a sanitized document, offline: structural errors, and warnings worth showing."""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import yaml
from jsonschema.exceptions import ValidationError, best_match
from openapi_schema_validator import (
    oas30_format_checker,
    oas31_format_checker,
)
from openapi_spec_validator.validation import (
    OpenAPIV2SpecValidator,
    OpenAPIV30SpecValidator,
    OpenAPIV31SpecValidator,
)
from openapi_spec_validator.validation.exceptions import ExtraParametersError
from referencing import Registry, Resource
from referencing.exceptions import NoSuchResource, Unresolvable
from referencing.jsonschema import DRAFT202012

from bot.specs.openapi.bounded import (
    BoundedOAS30Validator,
    BoundedOAS31Validator,
    BudgetSpent,
    WorkBudget,
    bounded_keyword_validators,
    spending,
)
from bot.specs.openapi.loading import line_of
from bot.specs.openapi.problems import MAX_EXAMPLES_CHECKED, Problem, clip, code, pointer_of
from bot.specs.openapi.safety import DATA_FIELDS, NAME_MAPS, Family, resolve_pointer

SCHEMA_CONTEXT = frozenset({"schema", "schemas", "definitions", "properties", "items"})


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


def _in_schema(parts: list[str | int]) -> bool:
    """Whether a location lies inside a Schema Object (where defects are only warnings)."""
    strs = [p for p in parts if isinstance(p, str)]
    if strs[:2] == ["components", "schemas"] or strs[:1] == ["definitions"]:
        return True
    return any(p in SCHEMA_CONTEXT for p in strs[1:])


def _describe(error: ValidationError) -> str:
    message = " ".join(error.message.split())
    if message.endswith("is not valid under any of the given schemas"):
        return "this does not match any form the specification allows here"
    return clip(message, 240)


def _is_reference_branch(errors: list[ValidationError]) -> bool:
    """The `Reference Object` alternative of a oneOf, which fails only for lack of `$ref`."""
    return all(e.validator == "required" and "'$ref'" in e.message for e in errors)


def _deepest(error: ValidationError) -> ValidationError:
    """The most specific cause of a meta-schema error: down through `oneOf`/`anyOf` while one
    alternative is clearly the one meant (the `$ref` alternative never is).
    """
    error = best_match([error]) or error
    for _ in range(20):
        real = _real_branches(error)
        if len(real) != 1:
            break
        error = best_match(real[0]) or real[0][0]
    return error


def _real_branches(error: ValidationError) -> list[list[ValidationError]]:
    branches: dict[Any, list[ValidationError]] = {}
    for sub in error.context or ():
        branch = sub.relative_schema_path[0] if sub.relative_schema_path else None
        branches.setdefault(branch, []).append(sub)
    return [errs for errs in branches.values() if not _is_reference_branch(errs)]


def _explain(error: ValidationError) -> tuple[list[str | int], str]:
    """(location, message) for a meta-schema error, as precise as the alternatives allow:
    when every alternative fails on the same field (`in: querry`), that field is named.
    """
    best = _deepest(error)
    real = _real_branches(best)
    if len(real) > 1:
        by_place = [{tuple(e.absolute_path): e for e in errs} for errs in real]
        common = set(by_place[0]).intersection(*by_place[1:])
        deeper = [p for p in common if len(p) > len(best.absolute_path)]
        if deeper:
            place = max(deeper, key=len)
            value = code(json.dumps(by_place[0][place].instance, default=str), 60)
            return list(place), f"`{code(str(place[-1]), 40)}` cannot be {value} here"
    return list(best.absolute_path), _describe(best)


def validate(
    family: Family,
    document: Any,
    root_node: yaml.Node | None = None,
    budget: WorkBudget | None = None,
) -> tuple[list[Problem], list[Problem]]:
    """(structural errors, warnings) from openapi-spec-validator on a sanitized document.

    The document is checked against the OpenAPI meta-schema: a failure outside any Schema
    Object breaks the structure (refused); inside one, it is a schema-level defect (warning).
    The validator's own semantic checks (defaults, required names, duplicate operation ids,
    undeclared path parameters) are warnings too: real published documents carry them.
    `default` values are checked within `budget` (see bounded.py); past it they are not.
    """
    validator = VALIDATORS[family](document)
    errors: list[Problem] = []
    warnings: list[Problem] = []
    for error in validator.schema_validator.iter_errors(document):
        parts, message = _explain(error)
        problem = Problem(message, pointer_of(parts), line_of(root_node, parts))
        (warnings if _in_schema(parts) else errors).append(problem)
        if len(errors) + len(warnings) > 500:
            break
    if errors:
        return errors, warnings
    # The semantic pass walks the document without the meta-schema phase's cache (the library
    # memoises `iter_errors` per validator forever, which would keep every document alive).
    root_check = validator.root_validator
    seen = {w.message for w in warnings}
    try:
        with spending(budget or WorkBudget()):
            for error in root_check(validator.schema_path):
                message = _describe(error)
                if isinstance(error, ExtraParametersError):
                    message = f"A `required` name has no property: {message}"
                if message in seen:
                    continue  # the same defect, already reported with its location
                seen.add(message)
                warnings.append(Problem(message))
                if len(warnings) > 500:
                    break
    except BudgetSpent:
        warnings.append(Problem(UNCHECKED_DEFAULTS))
    except (Unresolvable, RecursionError, ValueError, TypeError, KeyError) as error:
        warnings.append(
            Problem(
                f"Validation stopped early: {clip(type(error).__name__ + ': ' + str(error), 200)}"
            )
        )
    return errors, warnings


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
                errors = [_deepest(e) for e in itertools.islice(validator.iter_errors(value), 3)]
        except BudgetSpent:
            unchecked += 1
            return
        except (Unresolvable, RecursionError, ValueError, TypeError, KeyError):
            return
        for error in errors:
            inner = [*where, *error.absolute_path]
            warnings.append(
                Problem(
                    f"The example does not match its schema: {_describe(error)}",
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
    components = (
        document.get("definitions")
        if family == "2.0"
        else ((document.get("components") or {}).get("schemas"))
    )
    base = ["definitions"] if family == "2.0" else ["components", "schemas"]
    if isinstance(components, dict):
        for name, schema in components.items():
            if isinstance(schema, dict) and "example" in schema:
                check_example([*base, name], schema["example"], [*base, name, "example"])
    if unchecked:
        warnings.append(Problem(UNCHECKED_EXAMPLES.format(count=f"{unchecked:,}")))
    return warnings


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
