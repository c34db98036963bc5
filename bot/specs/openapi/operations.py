"""Operations read from a sanitized document: parameters, request and response bodies and
security, for OpenAPI 3.x and Swagger 2.0 alike.
"""

from __future__ import annotations

from typing import Any

from bot.specs.openapi.model import (
    METHODS,
    BodyInfo,
    Direction,
    OperationInfo,
    ParamInfo,
    endpoint_key,
    json_text,
    text_of,
)
from bot.specs.openapi.problems import MAX_ENUM_VALUES, MAX_PATH_CHARS, code, pointer_of, reject
from bot.specs.openapi.safety import UNRESOLVED, Family
from bot.specs.openapi.schemas import SchemaReader

LOCATIONS = {
    "2.0": frozenset({"path", "query", "header", "formData", "body"}),
    "3.0": frozenset({"path", "query", "header", "cookie"}),
    "3.1": frozenset({"path", "query", "header", "cookie"}),
}


class Reader(SchemaReader):
    """Turns a sanitized document into operations (local `$ref`s followed, loops stopped)."""

    def __init__(self, family: Family, doc: dict[str, Any]) -> None:
        super().__init__(family, doc)
        if family == "2.0":
            self.schemes = doc.get("securityDefinitions") or {}
        else:
            components = doc.get("components")
            self.schemes = components.get("securitySchemes") if isinstance(components, dict) else {}
        if not isinstance(self.schemes, dict):
            self.schemes = {}

    def parameter(self, raw: Any) -> tuple[ParamInfo | None, dict[str, Any]]:
        """A parameter as kept, and as written (resolved); (None, {}) for one without a name."""
        param, _ = self.deref(raw)
        if not isinstance(param, dict) or not isinstance(param.get("name"), str):
            return None, {}
        location = param.get("in")
        if not isinstance(location, str) or location not in LOCATIONS[self.family]:
            return None, {}  # a misspelt `in`: the warning names it, the parameter is skipped
        schema: dict[str, Any] = param
        if self.family != "2.0":
            if isinstance(param.get("schema"), dict):
                schema, _ = self.effective(param["schema"])
            elif isinstance(param.get("content"), dict) and param["content"]:
                media = next(iter(param["content"].values()))
                schema, _ = self.effective(media.get("schema") if isinstance(media, dict) else {})
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
            enum=[json_text(v) for v in enum[:MAX_ENUM_VALUES]] if enum else None,
        )
        return info, param

    def body(
        self,
        media_types: list[str],
        media: dict[str, Any],
        *,
        required: bool,
        description: str,
        direction: Direction,
    ) -> BodyInfo:
        """A body of either family: the fields of its media object's schema, and the object's
        example (`example`, `examples`) or else one built from the schema (None without either).
        """
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
            example=self.example_text(media, schema),
        )

    def security(self, operation: dict[str, Any]) -> tuple[list[list[str]], dict[str, str]]:
        """The alternatives of required schemes (`bearer`, `oauth[read]`) and each one's label."""
        raw = operation.get("security", self.doc.get("security"))
        alternatives: list[list[str]] = []
        used: dict[str, str] = {}
        if isinstance(raw, dict):  # one requirement written without its list
            raw = [raw]
        if isinstance(raw, list):
            for requirement in raw:
                if not isinstance(requirement, dict):
                    continue
                alternative = []
                for name, scopes in requirement.items():
                    # Scopes written as an object (`{}`) are warned about; its keys are read.
                    listed = scopes if isinstance(scopes, list | dict) else []
                    scope_list = sorted(str(s) for s in listed)
                    alternative.append(
                        f"{name}[{','.join(scope_list)}]" if scope_list else str(name)
                    )
                    used[str(name)] = _scheme_label(self.schemes.get(name))
                alternatives.append(sorted(alternative))
        return alternatives, used

    def operation(
        self, path: str, method: str, item: dict[str, Any], op: dict[str, Any]
    ) -> OperationInfo:
        """One method on a path: parameters (the path's and its own), bodies and security."""
        params, raw_params = self._parameters(item, op)
        raw_responses: dict[str, Any] = (
            op["responses"] if isinstance(op.get("responses"), dict) else {}
        )
        if self.family == "2.0":
            request, responses = self._swagger_bodies(op, raw_params, raw_responses)
            params = {k: v for k, v in params.items() if v["location"] not in ("body", "formData")}
        else:
            request, responses = self._openapi_bodies(op, raw_responses)
        security, schemes = self.security(op)
        tags = [str(t) for t in _list(op.get("tags")) if isinstance(t, str | int)]
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

    def _parameters(
        self, item: dict[str, Any], op: dict[str, Any]
    ) -> tuple[dict[tuple[str, str], ParamInfo], dict[tuple[str, str], dict[str, Any]]]:
        """The path's parameters overridden by the operation's, keyed by (location, name)."""
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
        return params, raw_params

    def _swagger_bodies(
        self,
        op: dict[str, Any],
        raw_params: dict[tuple[str, str], dict[str, Any]],
        raw_responses: dict[str, Any],
    ) -> tuple[BodyInfo | None, dict[str, BodyInfo]]:
        """Swagger 2.0: the request from the `body` (or `formData`) parameters, the responses."""
        request: BodyInfo | None = None
        responses: dict[str, BodyInfo] = {}
        consumes = _list(op.get("consumes", self.doc.get("consumes"))) or ["application/json"]
        produces = _list(op.get("produces", self.doc.get("produces"))) or ["application/json"]
        body = next(((k, p) for k, p in raw_params.items() if p.get("in") == "body"), None)
        form = [p for p in raw_params.values() if p.get("in") == "formData"]
        if body is not None:
            request = self.body(
                [str(c) for c in consumes],
                _swagger_media(body[1].get("schema"), None),
                required=body[1].get("required") is True,
                description=text_of(body[1].get("description"), 300),
                direction="request",
            )
        elif form:
            synthetic = {
                "type": "object",
                "properties": {
                    p["name"]: {k: v for k, v in p.items() if k not in ("name", "in", "required")}
                    for p in form
                },
                "required": [p["name"] for p in form if p.get("required") is True],
            }
            request = self.body(
                [str(c) for c in consumes],
                _swagger_media(synthetic, None),
                required=any(p.get("required") is True for p in form),
                description="",
                direction="request",
            )
        for status, raw in raw_responses.items():
            if str(status).startswith("x-"):
                continue
            response, _ = self.deref(raw)
            response = response if isinstance(response, dict) else {}
            responses[str(status)] = self.body(
                [str(p) for p in produces] if response.get("schema") is not None else [],
                _swagger_media(response.get("schema"), response.get("examples")),
                required=True,
                description=_description(response),
                direction="response",
            )
        return request, responses

    def _openapi_bodies(
        self, op: dict[str, Any], raw_responses: dict[str, Any]
    ) -> tuple[BodyInfo | None, dict[str, BodyInfo]]:
        """OpenAPI 3.x: the `requestBody` and the responses, each by its content."""
        request: BodyInfo | None = None
        responses: dict[str, BodyInfo] = {}
        raw_request, _ = self.deref(op.get("requestBody"))
        if isinstance(raw_request, dict) and raw_request:
            request = self.body(
                *_content(raw_request.get("content")),
                required=raw_request.get("required") is True,
                description=_description(raw_request),
                direction="request",
            )
        for status, raw in raw_responses.items():
            response, _ = self.deref(raw)
            response = response if isinstance(response, dict) else {}
            responses[str(status)] = self.body(
                *_content(response.get("content")),
                required=True,
                description=_description(response),
                direction="response",
            )
        return request, responses

    def operations(self) -> dict[str, OperationInfo]:
        """Every operation of the document by key, ordered by path then method."""
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


def _list(value: Any) -> list[Any]:
    """A list from the document, or an empty one when something else stands there."""
    return value if isinstance(value, list) else []


def _description(body: dict[str, Any]) -> str:
    """A body's description, or what it is when its reference points at nothing."""
    if UNRESOLVED in body:
        return text_of(f"Unresolved: {body[UNRESOLVED]}", 300)
    return text_of(body.get("description"), 300)


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


def _content(media_map: Any) -> tuple[list[str], dict[str, Any]]:
    """An OpenAPI 3.x `content` map: its media types, and the media object of the JSON one (or
    of the first) to read the body from.
    """
    media_types = [str(m) for m in media_map] if isinstance(media_map, dict) else []
    chosen = _preferred_media(media_types)
    media = media_map.get(chosen) if chosen and isinstance(media_map, dict) else None
    return media_types, media if isinstance(media, dict) else {}


def _swagger_media(schema: Any, examples: Any) -> dict[str, Any]:
    """A Swagger 2.0 body as an OpenAPI 3.x media object: its schema, and its example in the
    JSON media type (or the first) when it has examples by media type.
    """
    media: dict[str, Any] = {"schema": schema}
    if isinstance(examples, dict) and examples:
        chosen = _preferred_media(list(examples)) or next(iter(examples))
        media["example"] = examples[chosen]
    return media


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
