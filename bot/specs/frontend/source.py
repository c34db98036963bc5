"""The document a frontend kit is written from: a stored upload read again the safe way.

Only the cheap, safe steps of an import run here (decode, parse, `$ref` checks, `x-` content
dropped): the document was validated when it was imported, and the kit needs its schemas as
written, not the reduced model. Callers run this off the event loop, like an import.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.specs.openapi.loading import decode, document_format, load_json, load_yaml
from bot.specs.openapi.model import METHODS
from bot.specs.openapi.problems import MAX_PATH_CHARS, pointer_parts
from bot.specs.openapi.safety import Family, check_local_refs, detect_family, sanitize

LOCATIONS = frozenset({"path", "query", "header", "cookie", "body", "formData"})
JSON_MEDIA = ("application/json", "+json", "*/*")


@dataclass(frozen=True, slots=True)
class Body:
    """A request or response body: its media type, schema and media object (examples)."""

    media_type: str | None
    schema: Any
    media: dict[str, Any]


def preferred_media(content: Any) -> tuple[str | None, Any]:
    """(media type, media object) of a `content` map: JSON first, then the first one."""
    if not isinstance(content, dict) or not content:
        return None, None
    for media, value in content.items():
        if str(media).split(";")[0].strip().lower() == "application/json":
            return str(media), value
    for media, value in content.items():
        if str(media).split(";")[0].strip().lower().endswith(JSON_MEDIA):
            return str(media), value
    media, value = next(iter(content.items()))
    return str(media), value


def _media_list(value: Any) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else []


@dataclass(frozen=True, slots=True)
class Source:
    """A sanitized document (local references only, unresolved ones marked) and its family."""

    family: Family
    doc: dict[str, Any]

    def operations(self) -> list[tuple[str, str, dict[str, Any], dict[str, Any]]]:
        """(method, path, path item, operation) of every operation, in the document's order."""
        paths = self.doc.get("paths")
        out: list[tuple[str, str, dict[str, Any], dict[str, Any]]] = []
        if not isinstance(paths, dict):
            return out
        for path, item in paths.items():
            if not isinstance(path, str) or not path.startswith("/") or len(path) > MAX_PATH_CHARS:
                continue
            item = self.deref(item)
            if not isinstance(item, dict):
                continue
            for method in METHODS:
                op = item.get(method)
                if isinstance(op, dict):
                    out.append((method, path, item, op))
        return out

    def deref(self, node: Any) -> Any:
        """Follow local `$ref`s to a value (loops were refused when the document was read)."""
        for _ in range(64):
            if not (isinstance(node, dict) and isinstance(node.get("$ref"), str)):
                return node
            node = self.resolve(node["$ref"])
        return {}

    def parameters(
        self, item: dict[str, Any], op: dict[str, Any]
    ) -> dict[tuple[str, str], dict[str, Any]]:
        """The path item's parameters overridden by the operation's, by (location, name)."""
        out: dict[tuple[str, str], dict[str, Any]] = {}
        for source in (item.get("parameters"), op.get("parameters")):
            if not isinstance(source, list):
                continue
            for raw in source:
                param = self.deref(raw)
                if (
                    isinstance(param, dict)
                    and isinstance(param.get("name"), str)
                    and param.get("in") in LOCATIONS
                ):
                    out[(param["in"], param["name"])] = param
        return out

    def parameter_schema(self, param: dict[str, Any]) -> Any:
        """A parameter's schema: its `schema` or `content` (3.x), or the parameter (2.0)."""
        if self.family == "2.0":
            return {k: v for k, v in param.items() if k in ("type", "items", "enum", "format")}
        if "schema" in param:
            return param["schema"]
        _, media = preferred_media(param.get("content"))
        return media.get("schema") if isinstance(media, dict) else {}

    def request(self, item: dict[str, Any], op: dict[str, Any]) -> Body | None:
        """The request body (media type, schema, media object), or None without one."""
        if self.family == "2.0":
            params = self.parameters(item, op)
            consumes = _media_list(op.get("consumes", self.doc.get("consumes")))
            body = next((p for (where, _), p in params.items() if where == "body"), None)
            if body is not None:
                return Body(consumes[0] if consumes else "application/json", body.get("schema"), {})
            form = [(n, p) for (where, n), p in params.items() if where == "formData"]
            if not form:
                return None
            schema = {
                "type": "object",
                "properties": {n: self.parameter_schema(p) for n, p in form},
                "required": [n for n, p in form if p.get("required") is True],
            }
            multipart = any(c.startswith("multipart/") for c in consumes)
            media = "multipart/form-data" if multipart else "application/x-www-form-urlencoded"
            return Body(media, schema, {})
        body = self.deref(op.get("requestBody"))
        if not isinstance(body, dict) or not body:
            return None
        media_type, media = preferred_media(body.get("content"))
        if not isinstance(media, dict):
            return Body(media_type, None, {})
        return Body(media_type, media.get("schema"), media)

    def responses(self, op: dict[str, Any]) -> dict[str, Body]:
        """Each response's body by status (a body of no schema: none is described)."""
        raw = op.get("responses")
        out: dict[str, Body] = {}
        if not isinstance(raw, dict):
            return out
        for status, value in raw.items():
            response = self.deref(value)
            if not isinstance(response, dict):
                out[str(status)] = Body(None, None, {})
            elif self.family == "2.0":
                produces = _media_list(op.get("produces", self.doc.get("produces")))
                schema = response.get("schema")
                media_type = (produces[0] if produces else "application/json") if schema else None
                out[str(status)] = Body(media_type, schema, {})
            else:
                media_type, media = preferred_media(response.get("content"))
                media = media if isinstance(media, dict) else {}
                out[str(status)] = Body(media_type, media.get("schema"), media)
        return out

    def resolve(self, ref: str) -> Any:
        """The value a `#/...` reference points at, or {} when there is none."""
        node: Any = self.doc
        for part in _pointer_parts(ref):
            if isinstance(node, dict) and part in node:
                node = node[part]
            elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
                node = node[int(part)]
            else:
                return {}
        return node


def _pointer_parts(ref: str) -> list[str]:
    return pointer_parts(ref[1:]) if ref.startswith("#") else []


def read_source(data: bytes, filename: str) -> Source:
    """The stored bytes of a version -> its sanitized document (DocumentRejected if unreadable)."""
    text = decode(data)
    if document_format(filename) == "json":
        original, root_node = load_json(text), None
    else:
        original, root_node = load_yaml(text)
    family, _ = detect_family(original)
    clean = sanitize(original, root_node)
    check_local_refs(original, clean, root_node)
    return Source(family, clean.document)
