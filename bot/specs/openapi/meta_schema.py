"""The official OpenAPI meta-schemas, and where and why a document breaks them: jsonschema-rs
finds where (in milliseconds), and openapi-spec-validator's Python validator, run on the
failing values only, gives the errors that `explain` puts in plain words.
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
import json
from collections.abc import Iterator
from importlib import resources
from typing import Any

import jsonschema_rs
from jsonschema.exceptions import ValidationError
from jsonschema.validators import validator_for
from referencing.exceptions import NoSuchResource

from bot.specs.openapi.safety import Family


def refuse_retrieval(uri: str) -> Any:
    """Fetch nothing: every schema a validator here reads is given to it."""
    raise NoSuchResource(ref=uri)  # type: ignore[call-arg]


META_SCHEMAS = {"2.0": "v2.0", "3.0": "v3.0", "3.1": "v3.1"}


@functools.cache
def meta_schema(family: Family) -> dict[str, Any]:
    """The official OpenAPI meta-schema of `family`, as openapi-spec-validator ships it."""
    folder = resources.files("openapi_spec_validator") / "resources" / "schemas"
    loaded: dict[str, Any] = json.loads(
        (folder / META_SCHEMAS[family] / "schema.json").read_text("utf-8")
    )
    return loaded


@functools.cache
def compiled_meta_schema(family: Family) -> Any:
    """The meta-schema compiled by jsonschema-rs: nothing is ever fetched, and formats are not
    asserted (as in the Python pass, so both agree on what is valid).
    """
    return jsonschema_rs.validator_for(
        meta_schema(family), retriever=refuse_retrieval, validate_formats=False
    )


@functools.cache
def python_meta_schema(family: Family) -> Any:
    """The meta-schema for Python's jsonschema, whose errors carry the alternatives that
    `explain` reads (the meta-schema refers to nothing outside itself: nothing is fetched).
    """
    schema = meta_schema(family)
    return validator_for(schema)(schema)


def fast_valid(family: Family, document: Any) -> bool:
    """Whether the document fits its meta-schema, by the compiled validator (milliseconds for
    what the Python pass takes seconds); False when it cannot tell (the Python pass decides).
    """
    try:
        return bool(compiled_meta_schema(family).is_valid(document))
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException:  # a value it cannot take (a huge integer), or a panic in Rust
        return False


def meta_errors(family: Family, document: Any) -> Iterator[ValidationError]:
    """The Python validator's errors on `document`, as its whole pass would give them, but
    computed only where jsonschema-rs finds one: each failing keyword is run again by Python on
    the value it failed on. A whole pass spends seconds on a megabyte document (most of them
    resolving OpenAPI 3.1's `$dynamicRef`s); this, about what jsonschema-rs spends. Whatever
    cannot be placed this way is left to the whole pass.
    """
    try:
        errors = _located_errors(family, document)
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException:  # a value jsonschema-rs cannot take, or a path that is not there
        errors = None
    if errors is None:
        yield from python_meta_schema(family).iter_errors(document)
    else:
        yield from errors


def _located_errors(family: Family, document: Any) -> list[ValidationError] | None:
    """The errors `meta_errors` gives, or None if one of jsonschema-rs's cannot be followed."""
    failures = [
        _follow(family, document, list(e.instance_path), list(e.evaluation_path))
        for e in itertools.islice(compiled_meta_schema(family).iter_errors(document), 1000)
    ]
    followed = [f for f in failures if f is not None]
    if not followed or len(followed) < len(failures):
        return None
    errors: list[ValidationError] = []
    done: set[tuple[Any, ...]] = set()
    for failure in sorted(followed, key=lambda f: f.order):
        key = (tuple(failure.order), failure.keyword)
        if key in done:  # `required` fails once per missing name: one run says them all
            continue
        done.add(key)
        errors.extend(_keyword_errors(family, failure))
    return errors


@dataclasses.dataclass
class _Failure:
    """One keyword of the meta-schema failing on one value, found by jsonschema-rs."""

    place: list[str | int]  # where the value is in the document
    value: Any
    parent: dict[str, Any]  # the meta-schema object holding the keyword
    keyword: str
    schema_path: list[str | int]  # to `parent`, as the Python validator writes schema paths
    order: list[int]  # where the Python validator's whole pass meets it (see `_follow`)
    resolver: Any  # how the Python validator resolves references from `parent`


# Keywords whose subschema applies to a value inside the instance, and to no other.
_INTO_ONE = frozenset({"items", "additionalProperties", "unevaluatedProperties"})
_INTO_NAMED = frozenset({"properties", "patternProperties"})
_ALTERNATIVES = frozenset({"allOf", "anyOf", "oneOf"})
_SAME_VALUE = frozenset({"not", "if", "then", "else"})
_NAMED_SAME_VALUE = frozenset({"dependentSchemas"})


def _follow(
    family: Family, document: Any, instance_path: list[Any], evaluation_path: list[Any]
) -> _Failure | None:
    """The failure one jsonschema-rs error names, found by following its evaluation path
    through the meta-schema (and the JSON Schema meta-schemas it refers to, resolved as the
    Python validator resolves them) and its instance path through the document; None where the
    two cannot be followed (a keyword not read here).

    `order` holds the position of each step among its siblings (a keyword among its object's
    keys, a property among the properties, a value among the instance's items): the Python
    validator's whole pass goes through them in that order, so sorting by it gives its order.
    """
    root = meta_schema(family)
    schema: Any = root
    resolver = python_meta_schema(family)._resolver
    value = document
    place: list[str | int] = []
    order: list[int] = []
    steps, rest = list(evaluation_path), list(instance_path)

    def into_value() -> None:
        nonlocal value
        part = rest.pop(0)
        if isinstance(value, list):
            index = int(part)
            key: str | int = index
            order.append(index)
        else:  # jsonschema-rs may give the key "200" as 200
            key = part if part in value else str(part)
            order.append(list(value).index(key))
        value = value[key]
        place.append(key)

    while len(steps) > 1:
        step = steps.pop(0)
        if not isinstance(schema, dict):
            return None
        keys = list(schema)
        # `then` and `else` are run by `if`, where `if` stands among the keys.
        order.append(keys.index("if" if step in ("then", "else") else step))
        if step == "$ref":
            resolved = resolver.lookup(schema["$ref"])
            schema, resolver = resolved.contents, resolved.resolver
        elif step == "$dynamicRef":
            schema = _dynamic_anchor(root, schema["$dynamicRef"])
        elif step in _INTO_NAMED:
            name = steps.pop(0)
            order.append(list(schema[step]).index(name))
            schema = schema[step][name]
            into_value()
        elif step in _NAMED_SAME_VALUE:
            name = steps.pop(0)
            order.append(list(schema[step]).index(name))
            schema = schema[step][name]
        elif step in _ALTERNATIVES:
            index = int(steps.pop(0))
            order.append(index)
            schema = schema[step][index]
        elif step in _INTO_ONE:
            schema = schema[step]
            into_value()
        elif step in _SAME_VALUE:
            schema = schema[step]
        else:
            return None
    keyword = str(steps[0])
    if rest or not isinstance(schema, dict) or keyword not in schema:
        return None
    if keyword not in python_meta_schema(family).VALIDATORS:
        return None
    order.append(list(schema).index(keyword))
    # The Python validator's schema paths leave out the `$ref`s it follows.
    schema_path = [p for p in evaluation_path[:-1] if p != "$ref"]
    return _Failure(place, value, schema, keyword, schema_path, order, resolver)


def _dynamic_anchor(root: dict[str, Any], target: Any) -> Any:
    """The one schema of the meta-schema holding the `$dynamicAnchor` that `target` names."""
    name = target[1:] if isinstance(target, str) and target.startswith("#") else None
    found = [
        d
        for d in (root.get("$defs") or {}).values()
        if isinstance(d, dict) and d.get("$dynamicAnchor") == name
    ]
    if len(found) != 1:
        raise KeyError(target)
    return found[0]


def _keyword_errors(family: Family, failure: _Failure) -> Iterator[ValidationError]:
    """The Python validator's errors for one keyword of the meta-schema on one value, placed
    as its whole pass places them (what `descend` does for each keyword).
    """
    parent, keyword, value = failure.parent, failure.keyword, failure.value
    validator = python_meta_schema(family).evolve(schema=parent, _resolver=failure.resolver)
    keyword_value = parent[keyword]
    for error in validator.VALIDATORS[keyword](validator, keyword_value, value, parent) or ():
        error._set(
            validator=keyword,
            validator_value=keyword_value,
            instance=value,
            schema=parent,
            type_checker=validator.TYPE_CHECKER,
        )
        if keyword not in {"if", "$ref"}:
            error.schema_path.appendleft(keyword)
        error.schema_path.extendleft(reversed(failure.schema_path))
        error.path.extendleft(reversed(failure.place))
        yield error
