"""Meta-schema errors explained in plain words: where the defect is (the most specific place
the alternatives allow) and what is wrong, naming the field and the form expected.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from jsonschema.exceptions import ValidationError, best_match

from bot.specs.openapi.problems import clip, code


def _field(parts: list[str | int]) -> str:
    """How a message names the value at `parts`: its key, or `item 2`, or the document."""
    if not parts:
        return "the document"
    last = parts[-1]
    return f"item {last}" if isinstance(last, int) else f"`{code(str(last), 60)}`"


def _form_name(sub: Any) -> str:
    if isinstance(sub, dict):
        ref = sub.get("$ref")
        if isinstance(ref, str):
            return f"a {code(ref.rsplit('/', 1)[-1], 40)}"
        if isinstance(sub.get("description"), str):
            return f"a {code(sub['description'], 60)}"
        if isinstance(sub.get("type"), str):
            return f"a {code(sub['type'], 20)}"
    return "another form"


def _forms(error: ValidationError) -> str:
    """The forms a `oneOf`/`anyOf` allows (`a Schema or a Reference`)."""
    alternatives = _schema(error).get(str(error.validator))
    names = list(dict.fromkeys(_form_name(s) for s in alternatives or []))
    if not names:
        return "another form"
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]


def _json(value: Any, limit: int = 60) -> str:
    return code(json.dumps(value, default=str, ensure_ascii=False), limit)


def _unexpected(error: ValidationError) -> list[str]:
    """The keys of an object that its schema does not allow (`additionalProperties: false`)."""
    schema = _schema(error)
    known = schema.get("properties") or {}
    patterns = list(schema.get("patternProperties") or {})
    instance = error.instance if isinstance(error.instance, dict) else {}
    return [
        str(k)
        for k in instance
        if k not in known and not any(re.search(p, str(k)) for p in patterns)
    ]


def _schema(error: ValidationError) -> dict[str, Any]:
    """The (meta-)schema that failed, as an object (a boolean schema reads as empty)."""
    return dict(error.schema) if isinstance(error.schema, Mapping) else {}


def _describe(error: ValidationError, parts: list[str | int]) -> tuple[list[str | int], str]:
    """(location, message) in plain words for one meta-schema error."""
    message = " ".join(error.message.split())
    field = _field(parts)
    if error.validator in ("oneOf", "anyOf"):
        return parts, f"{field} does not match any form allowed here: expected {_forms(error)}."
    if error.validator == "additionalProperties" and error.validator_value is False:
        extra = _unexpected(error)
        if extra:
            where = [*parts, extra[0]]
            if parts and parts[-1] == "responses":
                return where, (
                    f"`{code(extra[0], 60)}` is not a status code (such as `200` or `4XX`) or "
                    "`default`; the response is kept under that name."
                )
            if extra[0] in ("consumes", "produces") and "requestBody" in (
                _schema(error).get("properties") or {}
            ):
                return where, (
                    f"`{extra[0]}` is a Swagger 2.0 field; in OpenAPI 3.x media types are the "
                    "keys of `content`. Ignored."
                )
            shown = ", ".join(f"`{code(k, 40)}`" for k in extra[:5])
            verb = "is not a field" if len(extra) == 1 else "are not fields"
            hint = ""
            if "required" in extra and len(parts) >= 2 and parts[-2] == "content":
                hint = " (`required` belongs on the request body, above `content`)"
            if extra[0] == "schema" and len(parts) >= 2 and parts[-2] == "headers":
                hint = " (a Swagger 2.0 header has `type` itself; `schema` is OpenAPI 3's form)"
            return where, f"{shown} {verb} allowed here{hint}; ignored."
    if error.validator == "type" and "security" in parts[-3:]:
        if parts[-1] == "security" and isinstance(error.instance, dict):
            return parts, (
                "`security` should be a list of requirements (`- name: []`); this one object "
                "is read as the only requirement."
            )
        if len(parts) >= 3 and parts[-3] == "security" and isinstance(error.instance, dict):
            return parts, (
                f"The scopes of {field} should be a list (`[]`); "
                f"{_json(error.instance)} is read with its keys as the scopes."
            )
    if error.validator == "type":
        expected = error.validator_value
        if isinstance(expected, list):
            expected = " or ".join(str(t) for t in expected)
        found = _json(error.instance)
        return parts, f"{field} should be of type {code(str(expected), 40)}; it is {found}."
    if error.validator == "required":
        return parts, f"{clip(message, 200)} (missing here)."
    if error.validator == "const":  # the validator's words would show Python's `True`
        expected = _json(error.validator_value)
        return parts, f"{field} must be {expected} here; it is {_json(error.instance)}."
    return parts, clip(message, 240)


def _is_reference_branch(errors: list[ValidationError]) -> bool:
    """The `Reference Object` alternative of a oneOf, for a value without `$ref`: never the form
    meant, even when it also fails on the value's other fields (a Swagger 2.0 `jsonReference`
    allows no other field).
    """
    return any(e.validator == "required" and "'$ref'" in e.message for e in errors)


def deepest(error: ValidationError) -> ValidationError:
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


def explain(error: ValidationError) -> tuple[list[str | int], str]:
    """(location, message) for a meta-schema error, as precise as the alternatives allow:
    when every alternative fails on the same field (`in: querry`), that field is named.
    """
    best = deepest(error)
    real = _real_branches(best)
    if len(real) > 1:
        by_place = [{tuple(e.absolute_path): e for e in errs} for errs in real]
        common = set(by_place[0]).intersection(*by_place[1:])
        deeper = [p for p in common if len(p) > len(best.absolute_path)]
        if deeper:
            place = max(deeper, key=len)
            value = _json(by_place[0][place].instance)
            return list(place), f"`{code(str(place[-1]), 40)}` cannot be {value} here."
    optional = _optional_path_parameter(error)
    if optional is not None:
        written = optional.instance.get("required") if isinstance(optional.instance, dict) else None
        return [*optional.absolute_path, "required"], _path_parameter_message(written)
    if _is_optional_path_parameter_31(best):
        return list(best.absolute_path), _path_parameter_message(best.instance)
    return _describe(best, list(best.absolute_path))


def _path_parameter_message(written: Any) -> str:
    return (
        f"A path parameter must be `required: true` (it is {_json(written)}); it is read "
        "as required."
    )


def _is_optional_path_parameter_31(error: ValidationError) -> bool:
    """OpenAPI 3.1's meta-schema says it directly: `required` must be the constant true, in the
    `then` of its `if: {in: path}`.
    """
    path = list(error.absolute_path)
    return (
        error.validator == "const"
        and error.validator_value is True
        and len(path) >= 3
        and path[-1] == "required"
        and path[-3] == "parameters"
        and "then" in error.schema_path
    )


def _optional_path_parameter(error: ValidationError) -> ValidationError | None:
    """The error, among `error` and its alternatives' causes, about a path parameter that is
    not marked required (the meta-schemas say so only through which form fails).
    """
    queue = [error]
    for _ in range(200):
        if not queue:
            break
        current = queue.pop(0)
        instance = current.instance
        if (
            isinstance(instance, dict)
            and instance.get("in") == "path"
            and instance.get("required") is not True
        ):
            return current
        queue.extend(current.context or ())
    return None


def example_error(error: ValidationError) -> str:
    """Why an example does not match its schema, in the validator's words or the forms."""
    message = " ".join(error.message.split())
    if message.endswith("is not valid under any of the given schemas"):
        return f"it matches none of {_forms(error)}"
    return clip(message, 240)
