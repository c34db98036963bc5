"""A ready call of one operation, as TypeScript `fetch` or as `curl`: its path and query
parameters filled from the document's examples, a body from its examples (or built from its
schema), and a placeholder where the credentials go.
"""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode

from bot.specs.frontend.declarations import operation_base
from bot.specs.frontend.names import camel, comment_text, literal
from bot.specs.frontend.source import Body, Source
from bot.specs.frontend.typescript import TypeScriptWriter
from bot.specs.openapi.schemas import SchemaReader

PLACEHOLDER_HOST = "https://api.example.com"
TEMPLATE_RE = re.compile(r"\{([^{}/]+)\}")
URL_SAFE = "/-._~!$&'()*+,;=:@%"  # what a path keeps as it is (RFC 3986 pchar)


@dataclass(slots=True)
class Call:
    """Everything both snippets need, with values as plain text."""

    method: str
    path: str
    summary: str
    base_url: str  # the first server, variables filled in ("" when the document has none)
    type_base: str
    path_values: dict[str, Any] = field(default_factory=dict)
    query: list[tuple[str, str]] = field(default_factory=list)
    headers: list[tuple[str, str]] = field(default_factory=list)
    media_type: str | None = None
    body: Any = None
    has_body: bool = False
    response_media: str | None = None

    def url_for_curl(self) -> str:
        """The full address with path parameters put in and the query attached."""

        def fill_name(name: str) -> str:
            value = self.path_values.get(name, "{" + name + "}")
            return quote(_as_text(value), safe="")

        base = (
            self.base_url
            if self.base_url.startswith(("http://", "https://"))
            else (PLACEHOLDER_HOST + self.base_url)
        )
        parts = TEMPLATE_RE.split(self.path)  # literal, name, literal, name, ..., literal
        path = "".join(
            quote(part, safe=URL_SAFE) if index % 2 == 0 else fill_name(part)
            for index, part in enumerate(parts)
        )
        url = base.rstrip("/") + path
        return f"{url}?{urlencode(self.query)}" if self.query else url


def _as_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    return json.dumps(value, ensure_ascii=False, default=str)


def plan(source: Source, method: str, path: str) -> Call | None:
    """The call of one operation, or None when the document has no such operation."""
    for found_method, found_path, item, op in source.operations():
        if found_method == method.lower() and found_path == path:
            return _plan(source, found_method, found_path, item, op)
    return None


def _plan(source: Source, method: str, path: str, item: dict[str, Any], op: dict[str, Any]) -> Call:
    reader = SchemaReader(source.family, source.doc)
    writer = TypeScriptWriter(source)
    summary = op.get("summary") if isinstance(op.get("summary"), str) else ""
    call = Call(
        method=method.upper(),
        path=path,
        summary=comment_text(summary or "", 120),
        base_url=base_url(source),
        type_base=operation_base(writer, method, path, op),
    )
    for (location, name), param in source.parameters(item, op).items():
        if location == "path":
            call.path_values[name] = _param_value(source, reader, param)
        elif location == "query" and (param.get("required") is True or _has_example(param)):
            value = _param_value(source, reader, param)
            values = value if isinstance(value, list) else [value]
            call.query.extend((name, _as_text(v)) for v in values)
        elif location == "header" and param.get("required") is True:
            call.headers.append((name, _as_text(_param_value(source, reader, param))))
    _auth(source, op, call)
    request = source.request(item, op)
    if request is not None:
        call.has_body = True
        call.media_type = request.media_type
        call.body = _body_value(reader, request)
    success = next(
        (body for status, body in source.responses(op).items() if status.startswith("2")), None
    )
    call.response_media = success.media_type if success is not None else None
    return call


def base_url(source: Source) -> str:
    """The first server's address (variables at their defaults), or "" without one."""
    doc = source.doc
    if source.family == "2.0":
        host = doc.get("host")
        base = doc.get("basePath") if isinstance(doc.get("basePath"), str) else ""
        schemes = doc.get("schemes")
        scheme = schemes[0] if isinstance(schemes, list) and schemes else "https"
        return f"{scheme}://{host}{base}" if isinstance(host, str) and host else str(base)
    servers = doc.get("servers")
    first = servers[0] if isinstance(servers, list) and servers else None
    if not isinstance(first, dict) or not isinstance(first.get("url"), str):
        return ""
    found = first.get("variables")
    variables: dict[str, Any] = found if isinstance(found, dict) else {}

    def fill(match: re.Match[str]) -> str:
        variable = variables.get(match.group(1))
        default = variable.get("default") if isinstance(variable, dict) else None
        return str(default) if default is not None else match.group(0)

    return TEMPLATE_RE.sub(fill, first["url"]).rstrip("/")


def _has_example(param: dict[str, Any]) -> bool:
    return "example" in param or bool(param.get("examples"))


def _param_value(source: Source, reader: SchemaReader, param: dict[str, Any]) -> Any:
    if "example" in param:
        return param["example"]
    examples = param.get("examples")
    if isinstance(examples, dict) and examples:
        first = source.deref(next(iter(examples.values())))
        if isinstance(first, dict) and "value" in first:
            return first["value"]
    value = reader.sample(source.parameter_schema(param))
    return value if value is not None else "value"


def _body_value(reader: SchemaReader, body: Body) -> Any:
    media = body.media
    if "example" in media:
        return media["example"]
    examples = media.get("examples")
    if isinstance(examples, dict) and examples:
        first = reader.deref(next(iter(examples.values())))[0]
        if isinstance(first, dict) and "value" in first:
            return first["value"]
    if body.schema is None:
        return None
    return _sent(reader, body.schema, reader.sample(body.schema), 0)


def _sent(reader: SchemaReader, schema: Any, value: Any, depth: int) -> Any:
    """A value built from a schema, without the readOnly properties a request never sends."""
    if depth > 6 or not isinstance(value, dict):
        return value
    merged, _ = reader.effective(schema)
    properties = merged.get("properties")
    if not isinstance(properties, dict):
        return value
    out = {}
    for name, item in value.items():
        sub = properties.get(name)
        resolved, _ = reader.effective(sub)
        if (isinstance(sub, dict) and sub.get("readOnly") is True) or resolved.get(
            "readOnly"
        ) is True:
            continue
        out[name] = _sent(reader, sub, item, depth + 1)
    return out


def _auth(source: Source, op: dict[str, Any], call: Call) -> None:
    """Placeholders for the first way in the operation's security allows."""
    security = op.get("security", source.doc.get("security"))
    if isinstance(security, dict):
        security = [security]
    if not isinstance(security, list):
        return
    first = next((r for r in security if isinstance(r, dict)), None)
    if not first:
        return  # no requirement, or `{}`: the operation is public
    if source.family == "2.0":
        schemes = source.doc.get("securityDefinitions")
    else:
        components = source.doc.get("components")
        schemes = components.get("securitySchemes") if isinstance(components, dict) else None
    schemes = schemes if isinstance(schemes, dict) else {}
    for name in first:
        scheme = source.deref(schemes.get(name))
        if not isinstance(scheme, dict):
            continue
        kind = scheme.get("type")
        http = str(scheme.get("scheme", "")).lower()
        if kind == "apiKey" and isinstance(scheme.get("name"), str):
            where = scheme.get("in")
            if where == "query":
                call.query.append((scheme["name"], "<api key>"))
            elif where == "cookie":
                call.headers.append(("Cookie", f"{scheme['name']}=<api key>"))
            else:
                call.headers.append((scheme["name"], "<api key>"))
        elif kind == "basic" or (kind == "http" and http == "basic"):
            call.headers.append(("Authorization", "Basic <base64 of user:password>"))
        elif kind == "http" and http and http != "bearer":
            call.headers.append(("Authorization", f"{scheme['scheme']} <credentials>"))
        elif kind in ("http", "oauth2", "openIdConnect"):
            call.headers.append(("Authorization", "Bearer <token>"))


def _is_json(media_type: str | None) -> bool:
    if media_type is None:
        return False
    bare = media_type.split(";")[0].strip().lower()
    return bare == "application/json" or bare.endswith("+json") or bare == "*/*"


# -- fetch ---------------------------------------------------------------------------------


def fetch_snippet(call: Call) -> str:
    """An `async function` calling the operation with `fetch` (types: `typescript_for`)."""
    name = camel(call.type_base)
    returns, read = _reading(call)
    lines = [
        f"// {call.method} {comment_text(call.path, 300)}"
        + (f": {call.summary}" if call.summary else ""),
        f"// Types: the TypeScript button, or /spec export format:typescript ({call.type_base}*).",
        f"export async function {name}(): Promise<{returns}> {{",
        f"  const baseUrl = {literal(call.base_url)};",
    ]
    url = "baseUrl"
    if call.path_values:
        lines.append("  const params = {")
        lines += [f"    {literal(k)}: {_ts_value(v, '    ')}," for k, v in call.path_values.items()]
        lines.append("  };")
    url += " + " + _path_expression(call)
    if call.query:
        pairs = ", ".join(f"[{literal(k)}, {literal(v)}]" for k, v in call.query)
        lines.append(f"  const query = new URLSearchParams([{pairs}]);")
        url += ' + "?" + query'
    headers = list(call.headers)
    if call.has_body and call.media_type and not call.media_type.startswith("multipart/"):
        headers.append(("Content-Type", call.media_type))
    lines.append(f"  const response = await fetch({url}, {{")
    lines.append(f"    method: {literal(call.method)},")
    if headers:
        lines.append("    headers: {")
        lines += [f"      {literal(k)}: {literal(v)}," for k, v in headers]
        lines.append("    },")
    if call.has_body:
        lines.append(f"    body: {_body_expression(call)},")
    lines.append("  });")
    lines.append("  if (!response.ok) {")
    failed = literal(f"{call.method} {call.path} failed: ")
    lines.append(f"    throw new Error({failed} + response.status);")
    lines.append("  }")
    lines.append(f"  {read}")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _reading(call: Call) -> tuple[str, str]:
    """(the promised type, how the body is read) for the success response."""
    if call.response_media is None:
        return "void", "return;"
    if _is_json(call.response_media):
        kind = f"{call.type_base}Response"
        return kind, f"return (await response.json()) as {kind};"
    if call.response_media.startswith(("text/", "application/xml")):
        return "string", "return await response.text();"
    return "Blob", "return await response.blob();"


def _path_expression(call: Call) -> str:
    """The path as concatenated literals and encoded parameters (no template literal: a
    backtick or `${` in the document stays text).
    """
    parts: list[str] = []
    position = 0
    for match in TEMPLATE_RE.finditer(call.path):
        if match.start() > position:
            parts.append(literal(call.path[position : match.start()]))
        name = match.group(1)
        if name in call.path_values:
            parts.append(f"encodeURIComponent(String(params[{literal(name)}]))")
        else:
            parts.append(literal(match.group(0)))
        position = match.end()
    if position < len(call.path):
        parts.append(literal(call.path[position:]))
    return " + ".join(parts) or literal("/")


def _body_expression(call: Call) -> str:
    media = (call.media_type or "").split(";")[0].strip().lower()
    value = call.body
    if media == "application/x-www-form-urlencoded" and isinstance(value, dict):
        pairs = ", ".join(f"[{literal(str(k))}, {literal(_as_text(v))}]" for k, v in value.items())
        return f"new URLSearchParams([{pairs}])"
    if media.startswith("multipart/") and isinstance(value, dict):
        appends = "".join(
            f"; form.append({literal(str(k))}, {literal(_as_text(v))})" for k, v in value.items()
        )
        return f"(() => {{ const form = new FormData(){appends}; return form; }})()"
    if _is_json(media) or not media:
        return f"JSON.stringify({_ts_value(value, '    ')})"
    return literal(_as_text(value) if value is not None else "")


def _ts_value(value: Any, indent: str) -> str:
    """A JSON value written as TypeScript (ASCII, so no character can end a line early)."""
    text = json.dumps(value, indent=2, ensure_ascii=True, default=str)
    return text.replace("\n", "\n" + indent)


# -- curl ----------------------------------------------------------------------------------


def curl_snippet(call: Call) -> str:
    """The call as a `curl` command (each argument quoted for a POSIX shell)."""
    lines = [
        f"# {call.method} {comment_text(call.path, 300)}"
        + (f": {call.summary}" if call.summary else "")
    ]
    if not call.base_url.startswith(("http://", "https://")):
        lines.append(f"# The document names no full server address: replace {PLACEHOLDER_HOST}.")
    args = [f"curl -X {call.method} {shlex.quote(call.url_for_curl())}"]
    args += [f"-H {shlex.quote(f'{k}: {v}')}" for k, v in call.headers]
    media = (call.media_type or "").split(";")[0].strip().lower()
    if call.has_body:
        value = call.body
        if media.startswith("multipart/") and isinstance(value, dict):
            args += [f"-F {shlex.quote(f'{k}={_as_text(v)}')}" for k, v in value.items()]
        elif media == "application/x-www-form-urlencoded" and isinstance(value, dict):
            args += [
                f"--data-urlencode {shlex.quote(f'{k}={_as_text(v)}')}" for k, v in value.items()
            ]
        else:
            if call.media_type:
                args.append(f"-H {shlex.quote('Content-Type: ' + call.media_type)}")
            text = (
                json.dumps(value, indent=2, ensure_ascii=False, default=str)
                if _is_json(media) or not media
                else _as_text(value if value is not None else "")
            )
            args.append(f"--data-raw {shlex.quote(text)}")
    lines.append(" \\\n  ".join(args))
    return "\n".join(lines) + "\n"
