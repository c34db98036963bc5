"""The TypeScript a frontend peer takes away: one operation's types, or a module for a spec.

Each operation's types share a name taken from its `operationId` (else its method and path):
`GetBookingPathParams`, `...Query`, `...Headers`, `...Request` (the body sent), `...Responses`
(every response body by status) and `...Response` (what a success returns).
"""

from __future__ import annotations

from typing import Any

from bot.specs.frontend.names import comment_text, literal, pascal, property_key
from bot.specs.frontend.source import Source
from bot.specs.frontend.typescript import TypeScriptWriter, union

SUFFIXES = ("PathParams", "Query", "Headers", "Request", "Responses", "Response")
GROUPS = (("path", "PathParams"), ("query", "Query"), ("header", "Headers"))
HEADER = (
    "// {title}{version}: TypeScript types written by Nexus from the imported OpenAPI document.\n"
    "// Requests leave out readOnly fields and responses writeOnly ones; `NameRequest` is a\n"
    "// schema as sent when it differs from `Name`, the schema as received.\n"
)


def operation_base(writer: TypeScriptWriter, method: str, path: str, op: dict[str, Any]) -> str:
    """The name an operation's types share (`GetBooking`), unique in its module."""
    op_id = op.get("operationId")
    if isinstance(op_id, str) and op_id.strip():
        wanted = pascal(op_id)
    else:
        wanted = pascal(f"{method} {path.replace('{', ' by ').replace('}', ' ')}")
    return writer.names.claim(wanted, SUFFIXES)


def operation_types(
    writer: TypeScriptWriter,
    method: str,
    path: str,
    item: dict[str, Any],
    op: dict[str, Any],
    base: str,
) -> list[str]:
    """The declarations of one operation: parameters, request body, responses."""
    source = writer.source
    out = [f"// {method.upper()} {comment_text(path, 300)}"]
    params = source.parameters(item, op)
    for location, suffix in GROUPS:
        lines = []
        for (where, name), param in params.items():
            if where != location:
                continue
            required = location == "path" or param.get("required") is True
            kind = writer.expr(source.parameter_schema(param), "request", "  ")
            lines.append(f"  {property_key(name)}{'' if required else '?'}: {kind};")
        if lines:
            out.append(f"export type {base}{suffix} = {{\n" + "\n".join(lines) + "\n};")
    request = source.request(item, op)
    if request is not None:
        schema = request.schema if request.schema is not None else {}
        out.append(f"export type {base}Request = {writer.expr(schema, 'request')};")
    lines = []
    success = []
    for status, body in source.responses(op).items():
        kind = "void" if body.media_type is None else writer.expr(body.schema, "response", "  ")
        lines.append(f"  {literal(status)}: {kind};")
        if status.startswith("2"):
            success.append(kind)
    if lines:
        out.append(f"export type {base}Responses = {{\n" + "\n".join(lines) + "\n};")
    out.append(f"export type {base}Response = {union(success) if success else 'void'};")
    return out


def module_header(source: Source) -> str:
    """The comment that opens a generated file: which API, which version."""
    info = source.doc.get("info")
    info = info if isinstance(info, dict) else {}
    title = comment_text(str(info.get("title") or "API"), 100)
    version = info.get("version")
    shown = f" {comment_text(str(version), 40)}" if isinstance(version, str | int | float) else ""
    return HEADER.format(title=title, version=shown)


def typescript_module(source: Source) -> str:
    """One `.ts` module for the whole document: every named schema, every operation's types."""
    writer = TypeScriptWriter(source)
    writer.claim_components()
    operations = []
    for method, path, item, op in source.operations():
        base = operation_base(writer, method, path, op)
        operations.append("\n".join(operation_types(writer, method, path, item, op, base)))
    named = list(writer.named_declarations())
    parts = [module_header(source)]
    if named:
        parts.append("// -- schemas --\n\n" + "\n\n".join(named))
    if operations:
        parts.append("// -- operations --\n\n" + "\n\n".join(operations))
    return "\n\n".join(p.strip("\n") for p in parts) + "\n"


def typescript_for(source: Source, method: str, path: str) -> str | None:
    """The types of one operation and the named schemas it uses; None if it is not there."""
    for found_method, found_path, item, op in source.operations():
        if found_method == method.lower() and found_path == path:
            writer = TypeScriptWriter(source)
            base = operation_base(writer, found_method, found_path, op)
            own = operation_types(writer, found_method, found_path, item, op, base)
            named = list(writer.named_declarations())
            return "\n\n".join([*own[:1], *named, "\n".join(own[1:])]).rstrip() + "\n"
    return None
