"""The model Nexus keeps: a validated document reduced to its operations, bodies and fields."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Literal, TypedDict

from bot.specs.openapi.problems import (
    MAX_ENUM_VALUES,
    MAX_EXAMPLE_CHARS,
    MAX_FIELD_DEPTH,
    MAX_FIELDS,
    MAX_PATH_CHARS,
    MAX_TEXT_CHARS,
    Problem,
    clip,
    code,
    pointer_of,
    reject,
)
from bot.specs.openapi.safety import Family, resolve_pointer
from bot.specs.openapi.validation import example_value

METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
TEMPLATE_RE = re.compile(r"\{[^}/]*\}")

Direction = Literal["request", "response"]


class FieldInfo(TypedDict):
    """One field of a flattened body schema, keyed by its path (`guest.email`, `photos[].url`)."""

    type: str
    format: str | None
    required: bool
    enum: list[str] | None
    deprecated: bool


class ParamInfo(TypedDict):
    name: str
    location: str
    required: bool
    deprecated: bool
    description: str
    type: str
    format: str | None
    enum: list[str] | None


class BodyInfo(TypedDict):
    required: bool
    description: str
    media_types: list[str]
    schema_name: str | None
    fields: dict[str, FieldInfo]
    truncated: bool
    example: str | None


class OperationInfo(TypedDict):
    method: str
    path: str
    key: str
    operation_id: str | None
    summary: str
    description: str
    tags: list[str]
    deprecated: bool
    parameters: list[ParamInfo]
    request: BodyInfo | None
    responses: dict[str, BodyInfo]
    security: list[list[str]]
    security_schemes: dict[str, str]


@dataclass(frozen=True, slots=True)
class ParsedSpec:
    """A validated document, reduced to what Nexus stores and compares."""

    family: Family
    openapi: str
    source_format: Literal["json", "yaml"]
    title: str
    api_version: str
    description: str
    servers: tuple[str, ...]
    tags: tuple[tuple[str, str], ...]  # (name, description), in the document's order
    operations: dict[str, OperationInfo]
    warnings: tuple[Problem, ...]
    warning_count: int


def endpoint_key(method: str, path: str) -> str:
    return f"{method.upper()} {path}"


def template_key(key: str) -> str:
    """`GET /bookings/{id}` and `GET /bookings/{bookingId}` are one endpoint."""
    return TEMPLATE_RE.sub("{}", key)


def text_of(value: Any, limit: int = MAX_TEXT_CHARS) -> str:
    return clip(" ".join(str(value).split()), limit) if isinstance(value, str) else ""


def _json_text(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=False, default=str)


class Reader:
    """Turns a sanitized document into operations (local `$ref`s followed, loops stopped)."""

    def __init__(self, family: Family, doc: dict[str, Any]) -> None:
        self.family = family
        self.doc = doc
        if family == "2.0":
            self.schemes = doc.get("securityDefinitions") or {}
        else:
            self.schemes = (doc.get("components") or {}).get("securitySchemes") or {}
        if not isinstance(self.schemes, dict):
            self.schemes = {}

    def deref(self, node: Any) -> tuple[Any, str | None]:
        """Follow `$ref`s to a value; also return the last referenced name (`Booking`)."""
        name = None
        for _ in range(64):
            if not (isinstance(node, dict) and isinstance(node.get("$ref"), str)):
                return node, name
            ref = node["$ref"]
            try:
                node, parts = resolve_pointer(self.doc, ref)
            except KeyError:
                return {}, name
            name = parts[-1] if parts else name
        return {}, name

    # -- schemas --------------------------------------------------------------------------

    def effective(
        self, schema: Any, seen: frozenset[str] = frozenset()
    ) -> tuple[dict[str, Any], str | None]:
        """The schema with `$ref` followed and `allOf` merged (properties and required united)."""
        schema, name = self.deref(schema)
        if not isinstance(schema, dict):
            return {}, name
        branches = schema.get("allOf")
        if not isinstance(branches, list):
            return schema, name
        merged = {k: v for k, v in schema.items() if k != "allOf"}
        properties: dict[str, Any] = {}
        required: list[str] = []
        for branch in branches:
            _, branch_name = self.deref(branch)
            if branch_name is not None and branch_name in seen:
                continue
            inner, _ = self.effective(branch, seen | ({branch_name} if branch_name else set()))
            properties.update(inner.get("properties") or {})
            required.extend(r for r in inner.get("required") or [] if isinstance(r, str))
            for key in ("type", "format", "items", "enum", "additionalProperties", "nullable"):
                if key in inner and key not in merged:
                    merged[key] = inner[key]
        properties.update(schema.get("properties") or {})
        required.extend(r for r in schema.get("required") or [] if isinstance(r, str))
        merged["properties"] = properties
        merged["required"] = required
        if len(branches) == 1 and name is None:
            _, only = self.deref(branches[0])
            name = only
        return merged, name

    def type_of(self, schema: dict[str, Any]) -> tuple[str, dict[str, Any], str | None]:
        """A short type label (`string`, `array`, `one of: Card | Bank`), the schema to descend
        into and its name: the only non-null variant of a `oneOf`/`anyOf` (the usual way to
        write "nullable" in 3.1), else the schema itself.
        """
        kind = schema.get("type")
        if isinstance(kind, list):
            named = [str(k) for k in kind if k != "null"]
            kind = "|".join(named) if named else "null"
        if isinstance(kind, str):
            return kind, schema, None
        for combinator in ("oneOf", "anyOf"):
            variants = schema.get(combinator)
            if not isinstance(variants, list) or not variants:
                continue
            real = [v for v in variants if self.deref(v)[0] != {"type": "null"}]
            if len(real) == 1:
                inner, name = self.effective(real[0])
                label, deeper, deeper_name = self.type_of(inner)
                return label, deeper, deeper_name or name
            labels = []
            for variant in real[:5]:
                target, name = self.deref(variant)
                if name:
                    labels.append(name)
                elif isinstance(target, dict):
                    labels.append(self.type_of(target)[0])
            more = " | …" if len(real) > 5 else ""
            return f"one of: {' | '.join(labels)}{more}", schema, None
        if "properties" in schema or "additionalProperties" in schema:
            return "object", schema, None
        if "items" in schema:
            return "array", schema, None
        if isinstance(schema.get("enum"), list) and schema["enum"]:
            return _json_type(schema["enum"][0]), schema, None
        if "const" in schema:
            return _json_type(schema["const"]), schema, None
        return "any", schema, None

    def fields(
        self, schema: Any, direction: Direction
    ) -> tuple[dict[str, FieldInfo], bool, str | None]:
        """A body schema flattened to `{path: FieldInfo}` (root at ""), and whether it was cut."""
        out: dict[str, FieldInfo] = {}
        truncated = False
        _, top_name = self.deref(schema)

        def visit(node: Any, path: str, required: bool, depth: int, stack: frozenset[str]) -> None:
            nonlocal truncated
            if len(out) >= MAX_FIELDS:
                truncated = True
                return
            merged, name = self.effective(node, stack)
            if path and direction == "request" and merged.get("readOnly") is True:
                return
            if path and direction == "response" and merged.get("writeOnly") is True:
                return
            label, inner, inner_name = self.type_of(merged)
            name = name or inner_name
            recursive = name is not None and name in stack
            if recursive:
                label = f"{label} (recursive {name})"
            enum = inner.get("enum") if isinstance(inner.get("enum"), list) else None
            out[path] = FieldInfo(
                type=label,
                format=str(inner["format"]) if isinstance(inner.get("format"), str) else None,
                required=required,
                enum=[_json_text(v) for v in enum[:MAX_ENUM_VALUES]] if enum else None,
                deprecated=merged.get("deprecated") is True,
            )
            if recursive or depth >= MAX_FIELD_DEPTH:
                return
            inner_stack = stack | {name} if name else stack
            properties = inner.get("properties")
            if isinstance(properties, dict):
                required_names = {r for r in inner.get("required") or [] if isinstance(r, str)}
                for prop, sub in properties.items():
                    child = f"{path}.{prop}" if path else str(prop)
                    visit(sub, child, prop in required_names, depth + 1, inner_stack)
            items = inner.get("items")
            if isinstance(items, dict):
                visit(items, f"{path}[]", True, depth + 1, inner_stack)
            extra = inner.get("additionalProperties")
            if isinstance(extra, dict) and extra:
                visit(extra, f"{path}{{*}}", False, depth + 1, inner_stack)

        visit(schema, "", True, 0, frozenset())
        return out, truncated, top_name

    def sample(self, schema: Any, depth: int = 0, stack: frozenset[str] = frozenset()) -> Any:
        """An example value built from the schema, for bodies whose document gives none."""
        merged, name = self.effective(schema, stack)
        if "example" in merged:
            return merged["example"]
        if isinstance(merged.get("examples"), list) and merged["examples"]:
            return merged["examples"][0]
        if isinstance(merged.get("enum"), list) and merged["enum"]:
            return merged["enum"][0]
        if "const" in merged:
            return merged["const"]
        if "default" in merged:
            return merged["default"]
        label, inner, inner_name = self.type_of(merged)
        name = name or inner_name
        if (name and name in stack) or depth > 4:
            return {} if label == "object" else None
        stack = stack | {name} if name else stack
        if label == "object" or label.startswith("one of"):
            properties = inner.get("properties")
            if not isinstance(properties, dict):
                return {}
            out = {}
            for prop, sub in list(properties.items())[:12]:
                out[prop] = self.sample(sub, depth + 1, stack)
            return out
        if label == "array":
            items = inner.get("items")
            return [self.sample(items, depth + 1, stack)] if isinstance(items, dict) else []
        return _scalar_sample(label, inner.get("format"))

    def example_text(self, media: dict[str, Any], schema: Any) -> str | None:
        value: Any = None
        found = False
        if "example" in media:
            value, found = media["example"], True
        elif isinstance(media.get("examples"), dict) and media["examples"]:
            first = next(iter(media["examples"].values()))
            value, found = example_value(self.doc, first, self.family)
        if not found:
            if schema is None:
                return None
            value = self.sample(schema)
        text = json.dumps(value, ensure_ascii=False, indent=1, default=str)
        return clip(text, MAX_EXAMPLE_CHARS)

    # -- operations -----------------------------------------------------------------------

    def parameter(self, raw: Any) -> tuple[ParamInfo | None, dict[str, Any]]:
        param, _ = self.deref(raw)
        if not isinstance(param, dict) or not isinstance(param.get("name"), str):
            return None, {}
        location = str(param.get("in", ""))
        schema: dict[str, Any] = param
        if self.family != "2.0":
            if isinstance(param.get("schema"), dict):
                schema, _ = self.effective(param["schema"])
            elif isinstance(param.get("content"), dict) and param["content"]:
                media = next(iter(param["content"].values()))
                schema, _ = self.effective((media or {}).get("schema") or {})
        label, inner, _ = self.type_of(schema)
        enum = inner.get("enum") if isinstance(inner.get("enum"), list) else None
        if label == "array" and isinstance(inner.get("items"), dict):
            item, _ = self.effective(inner["items"])
            item_label, item_inner, _ = self.type_of(item)
            label = f"array of {item_label}"
            if enum is None and isinstance(item_inner.get("enum"), list):
                enum = item_inner["enum"]
        info = ParamInfo(
            name=param["name"],
            location=location,
            required=param.get("required") is True or location == "path",
            deprecated=param.get("deprecated") is True,
            description=text_of(param.get("description"), 200),
            type=label,
            format=str(inner["format"]) if isinstance(inner.get("format"), str) else None,
            enum=[_json_text(v) for v in enum[:MAX_ENUM_VALUES]] if enum else None,
        )
        return info, param

    def body(
        self, media_map: Any, *, required: bool, description: str, direction: Direction
    ) -> BodyInfo:
        media_types = [str(m) for m in media_map] if isinstance(media_map, dict) else []
        chosen = _preferred_media(media_types)
        media = media_map.get(chosen) if chosen and isinstance(media_map, dict) else None
        media = media if isinstance(media, dict) else {}
        schema = media.get("schema")
        if schema is not None:
            fields, truncated, name = self.fields(schema, direction)
        else:
            fields, truncated, name = {}, False, None
        return BodyInfo(
            required=required,
            description=description,
            media_types=media_types,
            schema_name=name,
            fields=fields,
            truncated=truncated,
            example=self.example_text(media, schema) if media else None,
        )

    def swagger_body(
        self,
        schema: Any,
        media_types: list[str],
        examples: Any,
        *,
        required: bool,
        description: str,
        direction: Direction,
    ) -> BodyInfo:
        if schema is not None:
            fields, truncated, name = self.fields(schema, direction)
        else:
            fields, truncated, name = {}, False, None
        media: dict[str, Any] = {}
        if isinstance(examples, dict) and examples:
            chosen = _preferred_media(list(examples)) or next(iter(examples))
            media = {"example": examples[chosen]}
        example = self.example_text(media, schema) if (media or schema is not None) else None
        return BodyInfo(
            required=required,
            description=description,
            media_types=media_types,
            schema_name=name,
            fields=fields,
            truncated=truncated,
            example=example,
        )

    def security(self, operation: dict[str, Any]) -> tuple[list[list[str]], dict[str, str]]:
        raw = operation.get("security", self.doc.get("security"))
        alternatives: list[list[str]] = []
        used: dict[str, str] = {}
        if isinstance(raw, list):
            for requirement in raw:
                if not isinstance(requirement, dict):
                    continue
                alternative = []
                for name, scopes in requirement.items():
                    scope_list = sorted(str(s) for s in scopes) if isinstance(scopes, list) else []
                    alternative.append(
                        f"{name}[{','.join(scope_list)}]" if scope_list else str(name)
                    )
                    used[str(name)] = _scheme_label(self.schemes.get(name))
                alternatives.append(sorted(alternative))
        return alternatives, used

    def operation(
        self, path: str, method: str, item: dict[str, Any], op: dict[str, Any]
    ) -> OperationInfo:
        params: dict[tuple[str, str], ParamInfo] = {}
        raw_params: dict[tuple[str, str], dict[str, Any]] = {}
        for source in (item.get("parameters"), op.get("parameters")):
            if not isinstance(source, list):
                continue
            for raw in source:
                info, resolved = self.parameter(raw)
                if info is None:
                    continue
                ident = (
                    info["location"],
                    info["name"].casefold() if info["location"] == "header" else info["name"],
                )
                params[ident] = info
                raw_params[ident] = resolved
        request: BodyInfo | None = None
        responses: dict[str, BodyInfo] = {}
        raw_responses: dict[str, Any] = (
            op["responses"] if isinstance(op.get("responses"), dict) else {}
        )
        if self.family == "2.0":
            consumes = op.get("consumes", self.doc.get("consumes")) or ["application/json"]
            produces = op.get("produces", self.doc.get("produces")) or ["application/json"]
            body = next(((k, p) for k, p in raw_params.items() if p.get("in") == "body"), None)
            form = [p for p in raw_params.values() if p.get("in") == "formData"]
            if body is not None:
                request = self.swagger_body(
                    body[1].get("schema"),
                    [str(c) for c in consumes],
                    None,
                    required=body[1].get("required") is True,
                    description=text_of(body[1].get("description"), 300),
                    direction="request",
                )
            elif form:
                synthetic = {
                    "type": "object",
                    "properties": {
                        p["name"]: {
                            k: v for k, v in p.items() if k not in ("name", "in", "required")
                        }
                        for p in form
                    },
                    "required": [p["name"] for p in form if p.get("required") is True],
                }
                request = self.swagger_body(
                    synthetic,
                    [str(c) for c in consumes],
                    None,
                    required=any(p.get("required") is True for p in form),
                    description="",
                    direction="request",
                )
            params = {k: v for k, v in params.items() if v["location"] not in ("body", "formData")}
            for code, raw in raw_responses.items():
                if str(code).startswith("x-"):
                    continue
                response, _ = self.deref(raw)
                response = response if isinstance(response, dict) else {}
                responses[str(code)] = self.swagger_body(
                    response.get("schema"),
                    [str(p) for p in produces] if response.get("schema") is not None else [],
                    response.get("examples"),
                    required=True,
                    description=text_of(response.get("description"), 300),
                    direction="response",
                )
        else:
            raw_request, _ = self.deref(op.get("requestBody"))
            if isinstance(raw_request, dict) and raw_request:
                request = self.body(
                    raw_request.get("content"),
                    required=raw_request.get("required") is True,
                    description=text_of(raw_request.get("description"), 300),
                    direction="request",
                )
            for code, raw in raw_responses.items():
                response, _ = self.deref(raw)
                response = response if isinstance(response, dict) else {}
                responses[str(code)] = self.body(
                    response.get("content"),
                    required=True,
                    description=text_of(response.get("description"), 300),
                    direction="response",
                )
        security, schemes = self.security(op)
        tags = [str(t) for t in op.get("tags") or [] if isinstance(t, str | int)]
        summary = text_of(op.get("summary"), 200) or text_of(op.get("operationId"), 200)
        if not summary:
            summary = text_of(str(op.get("description") or "").split("\n")[0], 200)
        return OperationInfo(
            method=method.upper(),
            path=path,
            key=endpoint_key(method, path),
            operation_id=str(op["operationId"]) if isinstance(op.get("operationId"), str) else None,
            summary=summary,
            description=text_of(op.get("description")),
            tags=list(dict.fromkeys(tags)),
            deprecated=op.get("deprecated") is True,
            parameters=sorted(params.values(), key=_param_order),
            request=request,
            responses=dict(sorted(responses.items())),
            security=security,
            security_schemes=schemes,
        )

    def operations(self) -> dict[str, OperationInfo]:
        paths = self.doc.get("paths")
        out: dict[str, OperationInfo] = {}
        if not isinstance(paths, dict):
            return out
        for path, raw_item in paths.items():
            if not isinstance(path, str) or not path.startswith("/"):
                continue
            if len(path) > MAX_PATH_CHARS:
                raise reject(
                    f"A path is longer than {MAX_PATH_CHARS} characters.",
                    pointer_of(["paths", path[:60]]),
                )
            item, _ = self.deref(raw_item)
            if not isinstance(item, dict):
                continue
            for method in METHODS:
                op = item.get(method)
                if isinstance(op, dict):
                    info = self.operation(path, method, item, op)
                    out[info["key"]] = info
        return dict(
            sorted(
                out.items(), key=lambda kv: (kv[1]["path"], METHODS.index(kv[1]["method"].lower()))
            )
        )


def _param_order(param: ParamInfo) -> tuple[int, str]:
    order = {"path": 0, "query": 1, "header": 2, "cookie": 3}
    return order.get(param["location"], 4), param["name"]


def _preferred_media(media_types: list[str]) -> str | None:
    if not media_types:
        return None
    for candidate in media_types:
        if candidate.split(";")[0].strip().lower() == "application/json":
            return candidate
    for candidate in media_types:
        if "json" in candidate.lower():
            return candidate
    return media_types[0]


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return "null"


def _scalar_sample(label: str, fmt: Any) -> Any:
    if label.startswith("integer"):
        return 0
    if label.startswith("number"):
        return 0.0
    if label.startswith("boolean"):
        return True
    if label.startswith("string"):
        return {
            "date": "2026-01-31",
            "date-time": "2026-01-31T09:30:00Z",
            "email": "ada@example.com",
            "uuid": "3fa85f64-5717-4562-b3fc-2c963f66afa6",
            "uri": "https://example.com/",
            "binary": "<binary>",
        }.get(str(fmt), "string")
    return None


def _scheme_label(scheme: Any) -> str:
    if not isinstance(scheme, dict):
        return "undeclared scheme"
    kind = str(scheme.get("type", ""))
    if kind == "http":
        name = str(scheme.get("scheme", "")).lower()
        fmt = scheme.get("bearerFormat")
        label = f"HTTP {name}" if name else "HTTP"
        return f"{label} ({text_of(fmt, 20)})" if isinstance(fmt, str) and fmt else label
    if kind == "basic":
        return "HTTP basic"
    if kind == "apiKey":
        return f"API key in {scheme.get('in', '?')} `{code(scheme.get('name', '?'), 40)}`"
    if kind == "oauth2":
        return "OAuth 2"
    if kind == "openIdConnect":
        return "OpenID Connect"
    if kind == "mutualTLS":
        return "mutual TLS"
    return code(kind, 20) or "unknown scheme"
