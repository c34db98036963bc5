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
- `loading`: bytes -> Python values (size, encoding, JSON, safe YAML with its budgets);
- `safety`: the OpenAPI family, and the `$ref` checks on a sanitized copy;
- `bounded`: values checked against the document's schemas with bounded work (RE2 patterns);
- `validation`: openapi-spec-validator run offline, and the extra lint warnings;
- `model`: `ParsedSpec` and the shapes of the operations, bodies and fields kept;
- `schemas`: body schemas read into fields and examples (`$ref`s followed, `allOf` merged);
- `operations`: the operations read from the document, with their parameters and bodies.
"""

from __future__ import annotations

import yaml

from bot.specs.openapi.bounded import WorkBudget, scan_patterns
from bot.specs.openapi.loading import check_size, decode, document_format, load_json, load_yaml
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
    reject,
)
from bot.specs.openapi.safety import check_local_refs, detect_family, sanitize
from bot.specs.openapi.validation import lint, validate

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
    check_local_refs(original, clean, root_node)
    pattern_warnings, skip_unevaluated = scan_patterns(clean.document, root_node)
    errors, warnings = validate(
        family, clean.document, root_node, WorkBudget(skip_unevaluated=skip_unevaluated)
    )
    if errors:
        raise DocumentRejected(errors)
    warnings += pattern_warnings
    warnings += lint(
        family, clean.document, root_node, WorkBudget(skip_unevaluated=skip_unevaluated)
    )
    doc = clean.document
    reader = Reader(family, doc)
    operations = reader.operations()
    if not operations:
        raise reject(
            "The document describes no operations: add at least one path with a method "
            "(`get`, `post`, ...).",
            "/paths",
        )
    info = doc.get("info") if isinstance(doc.get("info"), dict) else {}
    tags = tuple(
        (str(t["name"]), text_of(t.get("description"), 200))
        for t in doc.get("tags") or []
        if isinstance(t, dict) and isinstance(t.get("name"), str)
    )
    servers: tuple[str, ...]
    if family == "2.0":
        host = str(doc.get("host") or "")
        servers = (f"{host}{doc.get('basePath') or ''}",) if host or doc.get("basePath") else ()
    else:
        servers = tuple(
            str(s["url"]) for s in doc.get("servers") or [] if isinstance(s, dict) and "url" in s
        )[:5]
    unique = list(dict.fromkeys(warnings))
    return ParsedSpec(
        family=family,
        openapi=openapi,
        source_format=source_format,
        title=text_of(info.get("title"), 200) or "Untitled API",
        api_version=text_of(str(info.get("version", "")), 60),
        description=text_of(info.get("description"), 300),
        servers=servers,
        tags=tags,
        operations=operations,
        warnings=tuple(unique[:MAX_WARNINGS_KEPT]),
        warning_count=len(unique),
    )
