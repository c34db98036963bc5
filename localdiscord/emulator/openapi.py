"""Discord's published OpenAPI document, as a check of every request the bot sends.

The document (discord/discord-api-spec, MIT; `discord_api/` holds it with its licence and
source) names each route's operation and the JSON Schema (2020-12) of its body. `DiscordApi`
matches a request (method and path, ids filled in) to its operation and validates the JSON body
or a multipart `payload_json` against that schema; what does not fit comes back as problems
(`RestApi.schema_problems` checks a recorded request when a test asks).

Snowflakes are strings with a pattern in the document; Discord accepts integers too, so the
snowflake schema is widened to both before anything is compiled. A validator is compiled once
per operation and kept for the process.
"""

from __future__ import annotations

import functools
import gzip
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

from jsonschema import Draft202012Validator, ValidationError, validators
from jsonschema.exceptions import best_match
from jsonschema.protocols import Validator
from referencing import Registry, Resource
from referencing.exceptions import Unresolvable
from referencing.jsonschema import DRAFT202012

DOCUMENT = Path(__file__).with_name("discord_api") / "openapi.json.gz"
BASE_URI = "urn:discord-api:openapi"
SNOWFLAKE_SCHEMA = "SnowflakeType"
MAX_SNOWFLAKE = 2**64 - 1
METHODS = ("get", "put", "post", "delete", "patch")
REMEMBERED = 1024  # bodies whose answer is kept (then all are forgotten at once)
SHOWN = 160  # characters of a problem's message (it quotes the value, which may be long)
COMPONENT_REF = "#/components/schemas/"
ANNOTATIONS = {"const", "title", "description"}
DISCRIMINATOR = "type"
DISPATCH = "x-nexus-dispatch"  # our keyword: {discriminator value as JSON: branch}
JSON = dict[str, Any]


@dataclass(frozen=True)
class Operation:
    """One operation of the document: a method on a path template, and its body's schema."""

    method: str
    template: str
    operation_id: str
    body_schema: str | None  # a JSON pointer into the document, None when it takes no body
    body_required: bool

    @functools.cached_property
    def segments(self) -> tuple[str, ...]:
        return tuple(self.template.strip("/").split("/"))


@dataclass
class DiscordApi:
    """The operations of Discord's document, matched to requests; validators compiled lazily."""

    document: Mapping[str, Any]
    _routes: dict[tuple[str, int], list[Operation]] = field(default_factory=dict, init=False)
    _validators: dict[str, Validator] = field(default_factory=dict, init=False)
    _answers: dict[tuple[str, str], tuple[str, ...]] = field(default_factory=dict, init=False)
    _registry: Registry[Any] = field(init=False)

    def __post_init__(self) -> None:
        self._registry = _registry(self.document)
        for template, item in self.document.get("paths", {}).items():
            for method in METHODS:
                if method in item:
                    operation = _operation(template, method, item[method])
                    self._routes.setdefault((operation.method, len(operation.segments)), []).append(
                        operation
                    )
        for operations in self._routes.values():
            # A literal segment beats a parameter: /messages/@original before /messages/{id}.
            operations.sort(key=lambda o: tuple(s.startswith("{") for s in o.segments))

    @classmethod
    def published(cls) -> DiscordApi:
        """The vendored document (read, adapted and indexed once per process)."""
        return _published()

    def operation(self, method: str, path: str) -> Operation | None:
        """The operation `method path` (e.g. `POST /channels/1/messages`) is, or None."""
        parts = tuple(path.strip("/").split("/"))
        for operation in self._routes.get((method.upper(), len(parts)), ()):
            if all(
                s == p or (s.startswith("{") and p)
                for s, p in zip(operation.segments, parts, strict=True)
            ):
                return operation
        return None

    def problems(self, method: str, path: str, body: Any, *, multipart: bool = False) -> list[str]:
        """Why Discord's document does not allow this request ([] when it fits).

        `body` is the parsed JSON body (or `payload_json` of a multipart request), None when
        the request carried none.
        """
        operation = self.operation(method, path)
        if operation is None:
            return [f"Discord's API has no operation {method.upper()} {path}"]
        if body is None:
            if operation.body_required and not multipart:
                return [f"{operation.operation_id} needs a JSON body"]
            return []
        if operation.body_schema is None:
            return [f"{operation.operation_id} takes no JSON body"]
        # The same body is often sent again (the command list at every start, a page of a
        # listing): its answer is remembered by its text.
        key = (operation.operation_id, json.dumps(body))
        found = self._answers.get(key)
        if found is None:
            validator = self._validator(operation)
            found = (
                ()
                if validator.is_valid(body)
                else tuple(map(_describe, validator.iter_errors(body)))
            )
            if len(self._answers) >= REMEMBERED:
                self._answers.clear()
            self._answers[key] = found
        return list(found)

    def _validator(self, operation: Operation) -> Validator:
        key = operation.operation_id
        validator = self._validators.get(key)
        if validator is None:
            ref = f"{BASE_URI}#{quote(operation.body_schema or '', safe='/~')}"
            validator = DiscordValidator({"$ref": ref}, registry=self._registry)
            self._validators[key] = validator
        return validator


def read_document() -> dict[str, Any]:
    """The vendored document as published (a fresh copy)."""
    with gzip.open(DOCUMENT, "rb") as compressed:
        document: dict[str, Any] = json.load(compressed)
    return document


@functools.cache
def _published() -> DiscordApi:
    return DiscordApi(_adapted(read_document()))


def _adapted(document: dict[str, Any]) -> dict[str, Any]:
    """The document with integer snowflakes accepted, made quick to check.

    Every step keeps the rules as they are: unions become enums or dispatch on `type`, an
    `allOf` that an `enum` beside it already implies is dropped, and references to components
    are resolved (with `referencing`) once, here, instead of at every value checked.
    """
    accept_integer_snowflakes(document)
    schemas = document["components"]["schemas"]
    for node in list(_nodes(document)):
        if not isinstance(node, dict):
            continue
        for keyword in ("oneOf", "anyOf"):
            branches = node.get(keyword)
            if not isinstance(branches, list):
                continue
            rewritten = _as_enum(branches, schemas) or _by_discriminator(branches, schemas)
            if rewritten is not None:
                del node[keyword]
                _merge(node, rewritten)
    nodes = list(_nodes(document))  # a tree until here; resolved references make it a graph
    resolver = _registry(document).resolver(BASE_URI)
    for node in nodes:
        children = node.items() if isinstance(node, dict) else enumerate(node)
        for key, child in list(children):
            if _is_reference(child):
                node[key] = _resolved(child, resolver)
    for node in nodes:
        _drop_implied_all_of(node)
    return document


def _registry(document: Mapping[str, Any]) -> Registry[Any]:
    resource = Resource.from_contents(document, default_specification=DRAFT202012)
    return Registry().with_resource(BASE_URI, resource)


def _merge(node: JSON, rewritten: JSON) -> None:
    """Put a rewritten union's keywords into `node`; under `allOf` where a keyword is taken."""
    if any(k in node and node[k] != v for k, v in rewritten.items()):
        node.setdefault("allOf", []).append(rewritten)
    else:
        node.update(rewritten)


def _drop_implied_all_of(node: Any) -> None:
    """{"enum": [2], "allOf": [<the component types>]}: the enum already says it."""
    if not isinstance(node, dict) or "allOf" not in node or not isinstance(node.get("enum"), list):
        return
    implied = DiscordValidator({"allOf": node["allOf"]})
    try:
        if all(implied.is_valid(value) for value in node["enum"]):
            del node["allOf"]
    except Unresolvable:  # a reference left as it was: keep the allOf
        return


def _is_reference(value: Any) -> bool:
    """A reference, alone or with a description beside it (which validates nothing)."""
    return (
        isinstance(value, dict)
        and isinstance(value.get("$ref"), str)
        and set(value) <= {"$ref", "description", "title"}
    )


def _resolved(reference: JSON, resolver: Any) -> Any:
    """What a reference (and the references it names) resolves to, in the document itself."""
    target: Any = reference
    while _is_reference(target):
        target = resolver.lookup(target["$ref"]).contents
    return target


def _nodes(value: Any) -> Iterator[Any]:
    """Every object and array in the document (it must still be a tree)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            yield item
            stack.extend(item.values())
        elif isinstance(item, list):
            yield item
            stack.extend(item)


def _target(schema: Any, schemas: Mapping[str, Any]) -> Any:
    """`schema`, or what its `#/components/schemas/...` reference names."""
    while isinstance(schema, dict) and isinstance(schema.get("$ref"), str):
        name = schema["$ref"].removeprefix(COMPONENT_REF)
        if name == schema["$ref"] or name not in schemas:
            return schema
        schema = schemas[name]
    return schema


def _as_enum(branches: list[Any], schemas: Mapping[str, Any]) -> JSON | None:
    """A union of constants ({"title": "PRIMARY", "const": 1}, ...) as one `enum`.

    The same rule: the constants are distinct, so a value matches one branch exactly when it is
    one of them (a constant's type is part of it).
    """
    values = []
    for branch in branches:
        target = _target(branch, schemas)
        if not isinstance(target, dict) or "const" not in target or set(target) - ANNOTATIONS:
            return None
        values.append(target["const"])
    if len({json.dumps(v, sort_keys=True) for v in values}) != len(values):
        return None
    return {"enum": values}


def _by_discriminator(branches: list[Any], schemas: Mapping[str, Any]) -> JSON | None:
    """A union of objects told apart by their `type` (components, options, callbacks), checked
    against the one branch its `type` names (the `DISPATCH` keyword).

    The same rule when every branch is an object that requires `type` and the branches' `type`
    values do not overlap; checking one branch instead of all of them keeps the check cheap,
    and an error then names the field that is wrong rather than "not valid under any".
    """
    dispatch: JSON = {}
    for branch in branches:
        values = _discriminator_values(_target(branch, schemas), schemas)
        if values is None:
            return None
        for value in values:
            key = _key(value)
            if key in dispatch:
                return None
            dispatch[key] = branch
    return {
        "type": "object",
        "required": [DISCRIMINATOR],
        "properties": {DISCRIMINATOR: {"enum": [json.loads(k) for k in dispatch]}},
        DISPATCH: dispatch,
    }


def _key(value: Any) -> str:
    """A discriminator value as a dispatch key (1 and 1.0 are one JSON number)."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return json.dumps(value)


def _dispatch(
    validator: Draft202012Validator, dispatch: Mapping[str, Any], instance: Any, schema: Any
) -> Iterator[ValidationError]:
    """The `DISPATCH` keyword: validate against the branch the value's `type` names (a value
    without one, or with an unknown one, is refused by the union's own `required` and `enum`).
    """
    if not isinstance(instance, dict) or DISCRIMINATOR not in instance:
        return
    try:
        branch = dispatch.get(_key(instance[DISCRIMINATOR]))
    except (TypeError, ValueError):
        return
    if branch is not None:
        yield from validator.descend(instance, branch)


def _discriminator_values(target: Any, schemas: Mapping[str, Any]) -> list[Any] | None:
    if not isinstance(target, dict) or target.get("type") != "object":
        return None
    if DISCRIMINATOR not in (target.get("required") or []):
        return None
    prop = _target((target.get("properties") or {}).get(DISCRIMINATOR), schemas)
    if not isinstance(prop, dict):
        return None
    if "const" in prop:
        return [prop["const"]]
    enum = prop.get("enum")
    return list(enum) if isinstance(enum, list) and enum else None


def accept_integer_snowflakes(document: dict[str, Any]) -> None:
    """Widen the snowflake schema to integers: Discord reads `123` as it reads `"123"`."""
    snowflake = document["components"]["schemas"][SNOWFLAKE_SCHEMA]
    types = snowflake["type"]
    snowflake["type"] = [*(types if isinstance(types, list) else [types]), "integer"]
    snowflake.update(minimum=0, maximum=MAX_SNOWFLAKE)  # for integers; strings keep the pattern


def _operation(template: str, method: str, spec: Mapping[str, Any]) -> Operation:
    body = spec.get("requestBody") or {}
    content = body.get("content") or {}
    media = next((m for m in ("application/json", "multipart/form-data") if m in content), None)
    pointer = None
    if media is not None:
        pointer = "/" + "/".join(
            _escape(s) for s in ("paths", template, method, "requestBody", "content", media)
        )
        pointer += "/schema"
    return Operation(
        method=method.upper(),
        template=template,
        operation_id=str(spec.get("operationId") or f"{method} {template}"),
        body_schema=pointer,
        body_required=bool(body.get("required")),
    )


def _escape(segment: str) -> str:
    """A JSON pointer segment (RFC 6901)."""
    return segment.replace("~", "~0").replace("/", "~1")


def _describe(error: ValidationError) -> str:
    """The most telling part of `error`, at its place in the body ("embeds.0.title: ...")."""
    leaf = best_match([error])
    where = ".".join(str(p) for p in leaf.absolute_path) or "body"
    message = leaf.message
    if len(message) > SHOWN:  # it starts with the value: keep its start and what is wrong
        message = message[: SHOWN // 2] + "…" + message[-(SHOWN // 2) :]
    return f"{where}: {message}"


# Draft 2020-12 with the dispatch keyword the adapted document uses.
DiscordValidator = validators.extend(Draft202012Validator, {DISPATCH: _dispatch})
