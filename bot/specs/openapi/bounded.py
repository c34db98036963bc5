"""Checking values against a document's own schemas, with bounded work.

The document chooses the schemas its examples and defaults are checked against, and a schema
can make that check cost anything: `pattern: ^(a+)+$` against a 35-character string keeps
Python's backtracking `re` busy for hours, `uniqueItems` compares every pair of objects, and
100,000 example values under a 40-branch `anyOf` take minutes. The validators built here
differ from the libraries' in four ways:

- `pattern`, `patternProperties` (and `additionalProperties` beside it) match with RE2, in
  linear time. A pattern RE2 cannot run (backreferences, lookaround) is not checked;
  `scan_patterns` names each one so the import says so;
- every keyword evaluated spends steps of the `WorkBudget` in force (more for a big list or
  object); when it is spent, `BudgetSpent` stops the check instead of letting it run on;
- `uniqueItems` is checked in linear time;
- a subschema's `$schema` does not switch to the standard validator of that dialect (which
  would bring Python's `re` back).

Examples and defaults are both checked with these validators (`validation.lint`).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

import attrs
import re2
import yaml
from jsonschema.exceptions import ValidationError
from jsonschema.validators import extend
from openapi_schema_validator import OAS30Validator, OAS31Validator

from bot.specs.openapi.loading import line_of
from bot.specs.openapi.problems import Problem, code, pointer_of
from bot.specs.openapi.safety import DATA_FIELDS, NAME_MAPS

MAX_PATTERN_CHARS = 1000
# Steps for all the values one pass checks against schemas (examples, or defaults). One
# step is one keyword applied to one value, plus one per item of a list or object it looks at.
# Measured in CPU seconds on this 2-core machine: 290,000 steps a second for example values
# under a 41-branch `anyOf` (the costliest kind: each value tried against every branch),
# 350,000 under a 3-branch one, 1,000,000 for plain typed items. So a pass stops after about
# 2 s at worst; real documents spend a few hundred steps (bookings-v1.yaml: 215).
MAX_CHECK_STEPS = 600_000

Keyword = Callable[[Any, Any, Any, Any], Any]


class BudgetSpent(Exception):
    """The check used up its `WorkBudget`: what is left is not checked."""


class WorkBudget:
    """Steps a check may still take; `spend` raises BudgetSpent once they run out.

    `skip_unevaluated`: leave `unevaluatedProperties` unchecked (see `scan_patterns`).
    """

    def __init__(self, steps: int = MAX_CHECK_STEPS, *, skip_unevaluated: bool = False) -> None:
        """A budget of `steps` keyword applications."""
        self.left = steps
        self.spent_out = False
        self.skip_unevaluated = skip_unevaluated

    def spend(self, steps: int) -> None:
        """Take `steps` from the budget (BudgetSpent when there are none left)."""
        self.left -= steps
        if self.left < 0:
            self.spent_out = True
            raise BudgetSpent


_BUDGET: ContextVar[WorkBudget | None] = ContextVar("schema_check_budget", default=None)


@contextmanager
def spending(budget: WorkBudget) -> Iterator[WorkBudget]:
    """Every bounded check inside the block spends `budget`."""
    token = _BUDGET.set(budget)
    try:
        yield budget
    finally:
        _BUDGET.reset(token)


_RE2_OPTIONS = re2.Options()
_RE2_OPTIONS.log_errors = False


@functools.lru_cache(maxsize=1024)
def compiled(pattern: str) -> tuple[Any, str]:
    """(the RE2 program for `pattern`, "") or (None, why it is not checked)."""
    if len(pattern) > MAX_PATTERN_CHARS:
        return None, f"it is longer than {MAX_PATTERN_CHARS:,} characters"
    try:
        return re2.compile(pattern, _RE2_OPTIONS), ""
    except re2.error as error:
        reason = error.args[0] if error.args else ""
        if isinstance(reason, bytes):
            reason = reason.decode("utf-8", "replace")
        return None, f"RE2 cannot run it ({reason or 'unsupported syntax'})"


def _spend(steps: int) -> None:
    """Spend `steps` of the budget in force, if any."""
    budget = _BUDGET.get()
    if budget is not None:
        budget.spend(steps)


def _search(pattern: Any, text: str) -> bool | None:
    """Whether `pattern` matches somewhere in `text`; None when it is not checked."""
    regexp = compiled(pattern)[0] if isinstance(pattern, str) else None
    return None if regexp is None else regexp.search(text) is not None


def _pattern(validator: Any, pattern: Any, instance: Any, schema: Any) -> Iterator[ValidationError]:
    if validator.is_type(instance, "string") and _search(pattern, instance) is False:
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


def _pattern_properties(
    validator: Any, patterns: Any, instance: Any, schema: Any
) -> Iterator[ValidationError]:
    if not validator.is_type(instance, "object"):
        return
    _spend(len(patterns) * len(instance))
    for pattern, subschema in patterns.items():
        for key, value in instance.items():
            if _search(pattern, key):
                yield from validator.descend(value, subschema, path=key, schema_path=pattern)


def _additional_properties(original: Keyword) -> Keyword:
    """`additionalProperties`, matching the `patternProperties` beside it with RE2."""

    def keyword(validator: Any, extra: Any, instance: Any, schema: Any) -> Iterator[Any]:
        patterns = schema.get("patternProperties")
        if not isinstance(patterns, Mapping) or not patterns:
            yield from original(validator, extra, instance, schema) or ()
            return
        if not validator.is_type(instance, "object"):
            return
        properties = schema.get("properties") or {}
        _spend(len(patterns) * len(instance))
        extras = [
            key
            for key in instance
            if key not in properties and not any(_search(p, key) for p in patterns)
        ]
        if validator.is_type(extra, "object"):
            for key in extras:
                yield from validator.descend(instance[key], extra, path=key)
        elif extra is False and extras:
            shown = ", ".join(repr(key) for key in sorted(extras, key=str))
            yield ValidationError(f"{shown} do not match any of the regexes allowed here")

    return keyword


def _unevaluated_properties(original: Keyword) -> Keyword:
    """`unevaluatedProperties`, skipped where the library would run `patternProperties` on
    Python's `re` (`scan_patterns` says so).
    """

    def keyword(validator: Any, value: Any, instance: Any, schema: Any) -> Any:
        budget = _BUDGET.get()
        if budget is not None and budget.skip_unevaluated:
            return ()
        return original(validator, value, instance, schema)

    return keyword


def _canonical(value: Any) -> Any:
    """A hashable form under which JSON-equal values are equal (`1` and `1.0`; not `true`)."""
    if isinstance(value, bool) or value is None:
        return ("c", value)
    if isinstance(value, float) and value.is_integer():
        return ("n", int(value))
    if isinstance(value, int | float):
        return ("n", value)
    if isinstance(value, list):
        return ("l", tuple(_canonical(item) for item in value))
    if isinstance(value, dict):
        return ("d", frozenset((str(k), _canonical(v)) for k, v in value.items()))
    return ("s", str(value))


def _unique_items(validator: Any, unique: Any, instance: Any, schema: Any) -> Iterator[Any]:
    if not unique or not validator.is_type(instance, "array"):
        return
    seen: set[Any] = set()
    for index, item in enumerate(instance):
        key = _canonical(item)
        if key in seen:
            yield ValidationError(f"item {index} repeats an earlier one (`uniqueItems`)")
            return
        seen.add(key)


def _counted(function: Keyword) -> Keyword:
    """The keyword, spending steps of the budget in force before it runs."""

    def keyword(validator: Any, value: Any, instance: Any, schema: Any) -> Any:
        budget = _BUDGET.get()
        if budget is not None:
            steps = 1
            if isinstance(value, list | dict):
                steps += len(value)
            if isinstance(instance, list | dict):
                steps += len(instance)
            elif isinstance(instance, str):
                steps += len(instance) >> 10
            budget.spend(steps)
        return function(validator, value, instance, schema)

    return keyword


def _bounded(base: Any) -> Any:
    """`base` with the keywords above, every keyword counted, and `$schema` not followed."""
    replaced: dict[str, Keyword] = {"pattern": _pattern, "uniqueItems": _unique_items}
    if "patternProperties" in base.VALIDATORS:
        replaced["patternProperties"] = _pattern_properties
    if "unevaluatedProperties" in base.VALIDATORS:
        original = base.VALIDATORS["unevaluatedProperties"]
        replaced["unevaluatedProperties"] = _unevaluated_properties(original)
    replaced["additionalProperties"] = _additional_properties(
        base.VALIDATORS["additionalProperties"]
    )
    functions = {**base.VALIDATORS, **replaced}
    cls: Any = extend(base, {name: _counted(f) for name, f in functions.items()})
    fields = [(f.name, f.alias) for f in attrs.fields(cls) if f.init]

    def evolve(self: Any, **changes: Any) -> Any:
        changes.setdefault("schema", self.schema)
        for name, alias in fields:
            if alias not in changes:
                changes[alias] = getattr(self, name)
        return cls(**changes)

    cls.evolve = evolve
    return cls


BoundedOAS30Validator = _bounded(OAS30Validator)
BoundedOAS31Validator = _bounded(OAS31Validator)


def scan_patterns(document: Any, root_node: yaml.Node | None = None) -> tuple[list[Problem], bool]:
    """(a warning for each pattern of the document's schemas that values are not checked
    against, whether `unevaluatedProperties` must go unchecked): the library checks it by
    running `patternProperties` on Python's `re`, so a document using both gets it skipped.
    """
    found: list[Problem] = []
    flags = {"patternProperties": False, "unevaluatedProperties": False}

    def warn(pattern: str, why: str, parts: list[str | int]) -> None:
        found.append(
            Problem(
                f"The pattern `{code(pattern, 80)}` is not checked against examples or "
                f"defaults: {why}.",
                pointer_of(parts),
                line_of(root_node, parts),
            )
        )

    stack: list[tuple[Any, list[str | int], str | None]] = [(document, [], None)]
    while stack and len(found) < 50:
        node, parts, container = stack.pop()
        if isinstance(node, list):
            stack.extend((item, [*parts, i], "[]") for i, item in enumerate(node))
            continue
        if not isinstance(node, dict):
            continue
        names = container in NAME_MAPS
        if container == "patternProperties":
            for pattern in node:
                why = compiled(str(pattern))[1]
                if why:
                    warn(str(pattern), why, [*parts, pattern])
        for key, value in node.items():
            if not names:
                if key in DATA_FIELDS:
                    continue
                if key in flags and isinstance(value, dict | bool):
                    flags[key] = True
                if key == "pattern" and isinstance(value, str):
                    why = compiled(value)[1]
                    if why:
                        warn(value, why, [*parts, key])
                    continue
            stack.append((value, [*parts, key], key))
    skip_unevaluated = all(flags.values())
    if skip_unevaluated:
        found.append(
            Problem(
                "`unevaluatedProperties` is not checked against examples or defaults in a "
                "document that also uses `patternProperties`."
            )
        )
    return found, skip_unevaluated
