"""The document as found: its OpenAPI family, and every reference checked before anything
follows one (`x-` extension content dropped as opaque data).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import yaml

from bot.specs.openapi.loading import TOO_MANY_VALUES, line_of
from bot.specs.openapi.problems import (
    BUNDLE_HINT,
    MAX_NESTING,
    MAX_NODES,
    MAX_OBJECTS,
    DocumentRejected,
    Problem,
    code,
    pointer_of,
    pointer_parts,
    reject,
)

# Dialects a document may name with `$schema` / `jsonSchemaDialect`: the validators know them
# without fetching anything.
KNOWN_DIALECTS = frozenset(
    {
        "https://spec.openapis.org/oas/3.1/dialect/base",
        "https://spec.openapis.org/oas/3.1/dialect/2024-11-10",
        "https://json-schema.org/draft/2020-12/schema",
        "https://json-schema.org/draft/2019-09/schema",
        "http://json-schema.org/draft-07/schema#",
        "http://json-schema.org/draft-07/schema",
        "http://json-schema.org/draft-04/schema#",
        "http://json-schema.org/draft-04/schema",
    }
)
# Objects whose keys are names chosen by the author (a property called `x-request-id`, a header
# called `x-rate-limit`), not fixed fields: there an `x-` key is a name, not an extension.
NAME_MAPS = frozenset(
    {
        "properties",
        "patternProperties",
        "definitions",
        "$defs",
        "dependentSchemas",
        "dependentRequired",
        "schemas",
        "parameters",
        "headers",
        "examples",
        "requestBodies",
        "securitySchemes",
        "securityDefinitions",
        "links",
        "callbacks",
        "pathItems",
        "variables",
        "scopes",
        "mapping",
        "content",
        "encoding",
        "webhooks",
    }
)
# Fields whose value is literal data (an example, a default), never part of the structure.
DATA_FIELDS = frozenset({"example", "default", "enum", "const", "value"})
REFERENCE_FIELDS = ("$ref", "$dynamicRef", "$recursiveRef", "operationRef")
MAPPING_NAME_RE = re.compile(r"[A-Za-z0-9._-]+")

Family = Literal["2.0", "3.0", "3.1"]
TOO_MANY_OBJECTS = (
    f"The document describes more than {MAX_OBJECTS:,} objects (schemas, properties, "
    "operations, parameters...), more than Nexus reads in one import. Split the API into "
    "several specs and import them one by one."
)


def detect_family(doc: Any) -> tuple[Family, str]:
    """("3.1", "3.1.0") for a 3.1 document; refuses what is not OpenAPI 3.0/3.1 or Swagger 2.0."""
    if not isinstance(doc, dict):
        found = "a list" if isinstance(doc, list) else f"a {type(doc).__name__}"
        raise reject(f"The document must be an object at the top level; this one is {found}.")
    if "swagger" in doc:
        if str(doc["swagger"]) != "2.0":
            raise reject(
                f"`swagger: {code(doc['swagger'], 20)}` is not supported: Swagger 2.0 and "
                "OpenAPI 3.0/3.1 are.",
                "/swagger",
            )
        return "2.0", "2.0"
    version = doc.get("openapi")
    if version is None:
        raise reject(
            "This does not look like an OpenAPI document: it has no `openapi` (3.x) or "
            "`swagger` (2.0) field at the top."
        )
    if not isinstance(version, str):
        raise reject(
            f'`openapi` must be a version string such as "3.0.3" (quoted, with the patch '
            f"number); this document has {code(version, 20)}.",
            "/openapi",
        )
    match = re.fullmatch(r"3\.([0-9]+)\.[0-9]+(?:-[0-9A-Za-z.-]+)?", version.strip())
    if match is None or match.group(1) not in {"0", "1"}:
        raise reject(
            f"OpenAPI {code(version, 20)} is not supported: Swagger 2.0, OpenAPI 3.0.x and "
            "3.1.x are.",
            "/openapi",
        )
    return ("3.0" if match.group(1) == "0" else "3.1"), version.strip()


def is_extension(container_key: str | None, key: str) -> bool:
    """Whether `key` (in an object found under `container_key`) is an `x-` extension field."""
    return key.startswith("x-") and container_key not in NAME_MAPS


@dataclass(slots=True)
class _Sanitized:
    document: Any
    local_refs: list[tuple[str, str]] = field(default_factory=list)  # (target, where)


def sanitize(doc: Any, root_node: yaml.Node | None = None) -> _Sanitized:
    """A copy of `doc` without `x-` extension content, after checking every reference.

    Refused, naming the pointer: a `$ref` (or `$dynamicRef`, `$recursiveRef`, `operationRef`,
    discriminator mapping) that points outside the document, an `$id` (it would make `#/...`
    references resolve against another address), an unknown `$schema` dialect, nesting deeper
    than MAX_NESTING, more than MAX_NODES values, or more than MAX_OBJECTS objects outside
    examples and defaults (each costs the validators ~0.1-0.25 ms). The copy is what validators
    see.
    """
    result = _Sanitized(None)
    count = objects = 0

    def fail(message: str, parts: list[str | int], hint: str | None = None) -> DocumentRejected:
        return reject(message, pointer_of(parts), line_of(root_node, parts), hint)

    def copy(value: Any, container_key: str | None, parts: list[str | int], data: bool) -> Any:
        nonlocal count, objects
        count += 1
        if count > MAX_NODES:
            raise reject(TOO_MANY_VALUES)
        if not data and isinstance(value, dict):
            objects += 1
            if objects > MAX_OBJECTS:
                raise reject(TOO_MANY_OBJECTS)
        if len(parts) > MAX_NESTING:
            raise fail(f"The document nests deeper than {MAX_NESTING} levels.", parts)
        if isinstance(value, list):
            return [copy(item, "[]", [*parts, i], data) for i, item in enumerate(value)]
        if not isinstance(value, dict):
            return value
        names = container_key in NAME_MAPS
        out: dict[str, Any] = {}
        for key, item in value.items():
            key = str(key)
            if not data and not names and key.startswith("x-"):
                continue  # opaque extension content: never checked, resolved or validated
            here = [*parts, key]
            if isinstance(item, str) and (not names or container_key == "mapping"):
                _check_keyword(key, item, here, data, container_key, result, fail)
            if data:
                out[key] = copy(item, key, here, True)
                continue
            item_is_data = not names and (
                key in DATA_FIELDS or (key == "examples" and isinstance(item, list))
            )
            out[key] = copy(item, key, here, item_is_data)
        return out

    result.document = copy(doc, None, [], False)
    return result


def _check_keyword(
    key: str,
    value: str,
    here: list[str | int],
    data: bool,
    container_key: str | None,
    result: _Sanitized,
    fail: Callable[[str, list[str | int], str | None], DocumentRejected],
) -> None:
    """Check one string-valued field for references that would leave the document."""
    if key in REFERENCE_FIELDS:
        local = value == "#" or value.startswith("#/")
        if key in ("$dynamicRef", "$recursiveRef"):
            local = value.startswith("#")
        if not local:
            raise fail(_outside_message(key, value), here, BUNDLE_HINT)
        if not data and key in ("$ref", "operationRef"):
            result.local_refs.append((value, pointer_of(here[:-1])))
        return
    if data:
        return
    if container_key == "mapping":  # a discriminator mapping value: a schema name or a ref
        if value.startswith("#/"):
            result.local_refs.append((value, pointer_of(here)))
        elif not MAPPING_NAME_RE.fullmatch(value) or value.lower().endswith(
            (".json", ".yaml", ".yml")
        ):
            raise fail(_outside_message("discriminator mapping", value), here, BUNDLE_HINT)
    elif key == "$id":
        raise fail(
            f"`$id: {code(value, 80)}` changes where references resolve; Nexus reads "
            "self-contained documents only. Remove the `$id`.",
            here,
            None,
        )
    elif key in ("$schema", "jsonSchemaDialect") and value not in KNOWN_DIALECTS:
        raise fail(
            f"`{key}: {code(value, 80)}` names a dialect Nexus does not know (and will not "
            "fetch). Remove it or use the OpenAPI 3.1 default.",
            here,
            None,
        )


def _outside_message(key: str, value: str) -> str:
    lowered = value.lower()
    if lowered.startswith(("http:", "https:")):
        kind = "a remote URL"
    elif lowered.startswith("file:"):
        kind = "a file on disk"
    elif re.match(r"[a-z][a-z0-9+.-]*:", lowered):
        kind = "an address outside the document"
    else:
        kind = "another file"
    return f"`{key}: {code(value, 100)}` points to {kind}."


def resolve_pointer(doc: Any, ref: str) -> tuple[Any, list[str]]:
    """The value a local `#/...` reference points at, and its path; KeyError if there is none."""
    parts = pointer_parts(ref[1:])
    node = doc
    for part in parts:
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            raise KeyError(part)
    return node, parts


def check_local_refs(original: Any, clean: _Sanitized, root_node: yaml.Node | None = None) -> None:
    """Every local reference must land on something, outside `x-` content, without a loop of
    references that never reaches a value (`A -> B -> A`).
    """
    problems: list[Problem] = []
    settled: set[str] = set()
    for ref, where in clean.local_refs:
        if ref in settled:
            continue
        chain = [ref]
        current = ref
        while True:
            try:
                target, parts = resolve_pointer(clean.document, current)
            except KeyError:
                reason = _missing_reason(original, current)
                problems.append(
                    Problem(
                        f"`$ref: {code(current, 120)}` {reason}.",
                        where,
                        line_of(root_node, pointer_parts(where)),
                    )
                )
                break
            settled.add(current)
            nxt = target.get("$ref") if isinstance(target, dict) else None
            if not isinstance(nxt, str) or not nxt.startswith("#"):
                break
            if nxt in chain:
                loop = " → ".join(f"`{code(r, 60)}`" for r in [*chain, nxt])
                problems.append(
                    Problem(
                        f"These references point at each other without ever reaching a "
                        f"schema: {loop}.",
                        pointer_of(list(parts)),
                        line_of(root_node, list(parts)),
                    )
                )
                break
            chain.append(nxt)
            current = nxt
        if len(problems) > 50:
            break
    if problems:
        raise DocumentRejected(problems)


def _missing_reason(original: Any, ref: str) -> str:
    try:
        resolve_pointer(original, ref)
    except KeyError:
        return "points at nothing in the document"
    return "points into `x-` extension content, which Nexus keeps as opaque data"
