"""Reading OpenAPI 3.0/3.1 and Swagger 2.0 documents safely, and reducing them to operations.

Everything here is plain, synchronous and CPU-bound: callers run it off the event loop.

The order matters for safety. A document is decoded, parsed (YAML aliases counted before they
are expanded), and then every `$ref` is checked *before* any validator or resolver sees it:
only references inside the document (`#/...`) are allowed, because validators follow the rest
(openapi-spec-validator opens `file://` paths and fetches `https://` URLs). Content under `x-`
extension fields is opaque data: it is never checked, resolved or handed to the validator.

`read_spec` below runs the whole pipeline; each step lives in its own module, and each module
imports only from the ones before it:

- `problems`: the limits, JSON pointers, `Problem` and `DocumentRejected`;
- `yaml_values`: YAML -> Python values from libyaml's events, aliases measured on the way;
- `loading`: bytes -> Python values (size, encoding, JSON, safe YAML with its budgets);
- `safety`: the OpenAPI family, and the `$ref` checks on a sanitized copy;
- `bounded`: values checked against the document's schemas with bounded work (RE2 patterns);
- `explain`: meta-schema errors in plain words (the field, the form expected);
- `validation`: the meta-schema check run offline, and examples and defaults checked;
- `semantics`: what the meta-schema cannot see (path parameters, duplicates, `allOf` names);
- `model`: `ParsedSpec` and the shapes of the operations, bodies and fields kept;
- `schemas`: body schemas read into fields and examples (`$ref`s followed, `allOf` merged);
- `operations`: the operations read from the document, with their parameters and bodies.
"""

from __future__ import annotations

from typing import Any

import yaml

from bot.specs.openapi.bounded import WorkBudget, scan_patterns
from bot.specs.openapi.loading import (
    check_size,
    decode,
    document_format,
    gc_paused,
    line_of,
    load_json,
    load_yaml,
    scalar_text,
)
from bot.specs.openapi.model import (
    METHODS,
    BodyInfo,
    FieldInfo,
    OperationInfo,
    ParamInfo,
    ParsedSpec,
    endpoint_key,
    template_key,
    text_of,
)
from bot.specs.openapi.operations import Reader
from bot.specs.openapi.problems import (
    MAX_DOCUMENT_BYTES,
    MAX_PATH_CHARS,
    MAX_WARNINGS_KEPT,
    DocumentRejected,
    Problem,
    code,
    reject,
)
from bot.specs.openapi.safety import check_local_refs, detect_family, sanitize
from bot.specs.openapi.semantics import semantic_warnings
from bot.specs.openapi.validation import duplicate_operation_ids, lint, validate

__all__ = [
    "MAX_DOCUMENT_BYTES",
    "MAX_PATH_CHARS",
    "METHODS",
    "BodyInfo",
    "DocumentRejected",
    "FieldInfo",
    "OperationInfo",
    "ParamInfo",
    "ParsedSpec",
    "Problem",
    "check_size",
    "document_format",
    "endpoint_key",
    "read_spec",
    "template_key",
]


def read_spec(data: bytes, filename: str) -> ParsedSpec:
    """Bytes of an uploaded file -> a validated, reduced spec, or DocumentRejected."""
    with gc_paused():  # the document's objects live until the end: collections would find none
        return _read_spec(data, filename)


def _read_spec(data: bytes, filename: str) -> ParsedSpec:
    check_size(len(data))
    source_format = document_format(filename)
    text = decode(data)
    root_node: yaml.Node | None = None
    if source_format == "json":
        original = load_json(text)
    else:
        original, root_node = load_yaml(text)
    family, openapi = detect_family(original)
    clean = sanitize(original, root_node)
    warnings = check_local_refs(original, clean, root_node)
    doc = clean.document
    warnings += _settle_version(doc, root_node)
    pattern_warnings, skip_unevaluated = scan_patterns(doc, root_node)
    warnings += validate(family, doc, root_node, tuple(clean.unresolved))
    warnings += pattern_warnings
    warnings += semantic_warnings(family, doc, root_node)
    warnings += duplicate_operation_ids(family, doc, root_node)
    warnings += lint(family, doc, root_node, WorkBudget(skip_unevaluated=skip_unevaluated))
    reader = Reader(family, doc)
    operations = reader.operations()
    if not operations:
        raise _no_operations(family, doc)
    info = doc.get("info") if isinstance(doc.get("info"), dict) else {}
    tags = tuple(
        (str(t["name"]), text_of(t.get("description"), 200))
        for t in _list(doc.get("tags"))
        if isinstance(t, dict) and isinstance(t.get("name"), str)
    )
    servers: tuple[str, ...]
    if family == "2.0":
        host = text_of(doc.get("host"), 200)
        base_path = text_of(doc.get("basePath"), 200)
        servers = (f"{host}{base_path}",) if host or base_path else ()
    else:
        servers = tuple(
            text_of(s["url"], 200)
            for s in _list(doc.get("servers"))
            if isinstance(s, dict) and isinstance(s.get("url"), str)
        )[:5]
    unique = list(dict.fromkeys(warnings))
    return ParsedSpec(
        family=family,
        openapi=openapi,
        source_format=source_format,
        title=text_of(info.get("title"), 200) or "Untitled API",
        api_version=text_of(info.get("version"), 60),
        description=text_of(info.get("description"), 300),
        servers=servers,
        tags=tags,
        operations=operations,
        warnings=tuple(unique[:MAX_WARNINGS_KEPT]),
        warning_count=len(unique),
    )


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _settle_version(doc: dict[str, Any], root_node: yaml.Node | None) -> list[Problem]:
    """`info.version` written as a number (YAML `version: 1.10`) is kept as the text written."""
    info = doc.get("info")
    if not isinstance(info, dict):
        return []
    version = info.get("version")
    if not isinstance(version, int | float) or isinstance(version, bool):
        return []
    written = scalar_text(root_node, ["info", "version"]) or str(version)
    info["version"] = written
    return [
        Problem(
            f"`info.version` is a number, not text; it is read as `{code(written, 40)}` as "
            'written. Quote it (`version: "1.10"`): as a number, `1.10` would be `1.1`.',
            "/info/version",
            line_of(root_node, ["info", "version"]),
        )
    ]


def _no_operations(family: str, doc: dict[str, Any]) -> DocumentRejected:
    webhooks = doc.get("webhooks")
    if family == "3.1" and isinstance(webhooks, dict) and webhooks:
        return reject(
            f"The document describes only webhooks ({len(webhooks):,}): requests the API sends "
            "to you, which Nexus does not list. Frontend peers read endpoints they call: add "
            "them under `paths`.",
            "/webhooks",
        )
    return reject(
        "The document describes no operations: add at least one path with a method "
        "(`get`, `post`, ...).",
        "/paths",
    )
