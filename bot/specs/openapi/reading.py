"""The whole reading of an uploaded document, step by step (the modules of this package)."""

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
    ParsedSpec,
    text_of,
)
from bot.specs.openapi.operations import Reader
from bot.specs.openapi.problems import (
    MAX_WARNINGS_KEPT,
    DocumentRejected,
    Problem,
    code,
    reject,
)
from bot.specs.openapi.safety import check_local_refs, detect_family, sanitize
from bot.specs.openapi.semantics import semantic_warnings
from bot.specs.openapi.validation import duplicate_operation_ids, lint, validate


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
