"""The document as found: its OpenAPI family, and every reference checked before anything
follows one (`x-` extension content dropped as opaque data).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin

import yaml

from bot.specs.openapi.loading import TOO_MANY_VALUES, line_of
from bot.specs.openapi.problems import (
    BUNDLE_HINT,
    MAX_NESTING,
    MAX_NODES,
    MAX_OBJECTS,
    DocumentRejected,
    Family,
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
# Put in place of a `$ref` that points at nothing: the piece reads as "unresolved" where it is
# used, and the validators see an empty object instead of a reference they cannot follow.
UNRESOLVED = "x-nexus-unresolved"

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
    mapping_refs: list[tuple[str, str]] = field(default_factory=list)  # (target, where)
    # References to an `$id` (by its address): each is rewritten to a `#/...` pointer once
    # every `$id` of the document is known (the object holding it, its pointer, the address).
    id_refs: list[tuple[dict[str, Any], list[str | int], str]] = field(default_factory=list)
    ids: dict[str, list[str | int]] = field(default_factory=dict)  # address -> where
    unresolved: list[str] = field(default_factory=list)  # pointers of dangling references


def sanitize(doc: Any, root_node: yaml.Node | None = None) -> _Sanitized:
    """A copy of `doc` without `x-` extension content, after checking every reference.

    Refused, naming the pointer: a `$ref` (or `$dynamicRef`, `$recursiveRef`, `operationRef`,
    discriminator mapping) that points outside the document, an unknown `$schema` dialect,
    nesting deeper than MAX_NESTING, more than MAX_NODES values, or more than MAX_OBJECTS
    objects outside examples and defaults (each costs the validators ~0.1-0.25 ms). A `$ref` to
    the address of an `$id` in the document is rewritten to its `#/...` pointer and the `$id`
    left out, so validators resolve everything against the document alone. A `$ref` inside
    literal data (`example`, `default`, `enum`, `const`) is data: never checked or followed.
    The copy is what validators see.
    """
    result = _Sanitized(None)
    count = objects = 0

    def fail(message: str, parts: list[str | int], hint: str | None = None) -> DocumentRejected:
        return reject(message, pointer_of(parts), line_of(root_node, parts), hint)

    def copy(
        value: Any,
        container_key: str | None,
        parts: list[str | int],
        data: bool,
        base: str,
        named: bool = False,
        in_discriminator: bool = False,
    ) -> Any:
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
            return [copy(item, "[]", [*parts, i], data, base) for i, item in enumerate(value)]
        if not isinstance(value, dict):
            return value
        # Keys of a map of names (`properties`, `schemas`...) are chosen by the author; but a
        # value found *under* a name is an object again (a property called `properties`).
        names = container_key in NAME_MAPS and not named
        if not data and not names and isinstance(value.get("$id"), str):
            # An `$id` names this schema by an address; references to that address (relative
            # to the enclosing `$id`) are references inside the document.
            base = urljoin(base, value["$id"]).split("#")[0]
            result.ids.setdefault(base, parts)
        # A discriminator's `mapping`, not a property that happens to be named `mapping` (or
        # the schema of a property named `discriminator`).
        mapping = names and container_key == "mapping" and in_discriminator
        discriminator = container_key == "discriminator" and not named
        out: dict[str, Any] = {}
        for key, item in value.items():
            key = str(key)
            if not data and not names and key.startswith("x-"):
                continue  # opaque extension content: never checked, resolved or validated
            here = [*parts, key]
            if data:
                out[key] = copy(item, key, here, True, base)
                continue
            if isinstance(item, str) and (not names or mapping):
                if key == "$ref" and not names and not _is_local(item):
                    # Kept for `_settle_id_refs`: local if it names an `$id` of the document.
                    result.id_refs.append((out, here, urljoin(base, item)))
                    out[key] = item
                    continue
                _check_keyword(key, item, here, mapping, result, fail)
            if not names and key == "$id":
                continue  # settled above: validators resolve against the document alone
            item_is_data = not names and (
                key in DATA_FIELDS or (key == "examples" and isinstance(item, list))
            )
            out[key] = copy(item, key, here, item_is_data, base, names, discriminator)
        return out

    result.document = copy(doc, None, [], False, "")
    _settle_id_refs(result, fail)
    return result


def _is_local(ref: str) -> bool:
    return ref == "#" or ref.startswith("#/")


def _settle_id_refs(
    result: _Sanitized, fail: Callable[[str, list[str | int], str | None], DocumentRejected]
) -> None:
    """References by address: to an `$id` of the document they become `#/...` pointers;
    anything else points outside the document and is refused (the first one, in order).
    """
    for holder, here, address in result.id_refs:
        target, _, fragment = address.partition("#")
        where = result.ids.get(target)
        if where is None or (fragment and not fragment.startswith("/")):
            raise fail(_outside_message("$ref", str(holder["$ref"])), here, BUNDLE_HINT)
        local = pointer_of(where) + fragment
        holder["$ref"] = "#" + local
        result.local_refs.append(("#" + local, pointer_of(here[:-1])))


def _check_keyword(
    key: str,
    value: str,
    here: list[str | int],
    mapping: bool,
    result: _Sanitized,
    fail: Callable[[str, list[str | int], str | None], DocumentRejected],
) -> None:
    """Check one string-valued field (outside literal data) for references that would leave
    the document. A `$ref` inside an `example`, `default` or `enum` value is data: it never
    comes here.
    """
    if key in REFERENCE_FIELDS and not mapping:
        local = _is_local(value)
        if key in ("$dynamicRef", "$recursiveRef"):
            local = value.startswith("#")
        if not local:
            raise fail(_outside_message(key, value), here, BUNDLE_HINT)
        if key in ("$ref", "operationRef"):
            result.local_refs.append((value, pointer_of(here[:-1])))
        return
    if mapping:  # a discriminator mapping value: a schema name or a ref
        if value.startswith("#/"):
            result.mapping_refs.append((value, pointer_of(here)))
        elif not MAPPING_NAME_RE.fullmatch(value) or value.lower().endswith(
            (".json", ".yaml", ".yml")
        ):
            raise fail(_outside_message("discriminator mapping", value), here, BUNDLE_HINT)
        else:
            result.mapping_refs.append((value, pointer_of(here)))
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


def check_local_refs(
    original: Any, clean: _Sanitized, root_node: yaml.Node | None = None
) -> list[Problem]:
    """Every local reference should land on something outside `x-` content: one that does not
    is a warning, and the object holding it reads as unresolved (`UNRESOLVED`). Refused: a
    loop of references that never reaches a value (`A -> B -> A`), which nothing can read.
    Discriminator mappings are checked the same way (warnings only).
    """
    problems: list[Problem] = []
    warnings: list[Problem] = []
    settled: set[str] = set()
    dangling: set[str] = set()
    for ref, where in clean.local_refs:
        if ref in dangling:
            _mark_unresolved(clean, ref, where)
            continue
        if ref in settled:
            continue
        chain = [ref]
        current = ref
        while True:
            try:
                target, parts = resolve_pointer(clean.document, current)
            except KeyError:
                if current != ref:
                    break  # reported where that reference is written (each one is listed)
                reason = _missing_reason(original, current)
                warnings.append(
                    Problem(
                        f"`$ref: {code(current, 120)}` {reason}; what uses it reads as unresolved.",
                        where,
                        line_of(root_node, pointer_parts(where)),
                    )
                )
                dangling.add(ref)
                _mark_unresolved(clean, ref, where)
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
    return warnings + _check_mappings(clean, root_node)


def _mark_unresolved(clean: _Sanitized, ref: str, where: str) -> None:
    """Replace the reference at `where` (a `{"$ref": ...}` object) by the unresolved marker."""
    try:
        holder, _ = resolve_pointer(clean.document, "#" + where)
    except KeyError:
        return
    if isinstance(holder, dict) and holder.get("$ref") == ref:
        holder.clear()
        holder[UNRESOLVED] = ref
        clean.unresolved.append(where)


def _check_mappings(clean: _Sanitized, root_node: yaml.Node | None) -> list[Problem]:
    """A discriminator mapping whose target is missing, or is itself only a reference."""
    warnings: list[Problem] = []
    components = clean.document.get("components") if isinstance(clean.document, dict) else None
    schemas = components.get("schemas") if isinstance(components, dict) else None
    for target, where in clean.mapping_refs:
        parts = pointer_parts(where)
        name = code(parts[-1], 60)
        if target.startswith("#/"):
            try:
                value, _ = resolve_pointer(clean.document, target)
            except KeyError:
                value = None
                message = f"points at nothing (`{code(target, 120)}`); that entry is ignored."
            else:
                inner = value.get("$ref") if isinstance(value, dict) else None
                if not isinstance(inner, str):
                    continue
                message = (
                    f"resolves through another `$ref` (`{code(target, 80)}` → "
                    f"`{code(inner, 80)}`): tools differ on which schema that names. Point "
                    "it at the schema itself."
                )
        elif isinstance(schemas, dict) and target in schemas:
            continue
        else:
            message = (
                f"names `{code(target, 80)}`, which is not a schema in `components/schemas`; "
                "that entry is ignored."
            )
        warnings.append(
            Problem(
                f"The discriminator mapping `{name}` {message}",
                where,
                line_of(root_node, parts),
            )
        )
    return warnings


def _missing_reason(original: Any, ref: str) -> str:
    try:
        resolve_pointer(original, ref)
    except KeyError:
        return "points at nothing in the document"
    return "points into `x-` extension content, which Nexus keeps as opaque data"
