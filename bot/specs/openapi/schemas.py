"""Body schemas read from a sanitized document: `$ref`s followed, `allOf` merged, fields
flattened to paths (`guest.email`, `photos[].url`) and examples built when none is given.
"""

from __future__ import annotations

import json
from typing import Any

from bot.specs.openapi.model import Direction, FieldInfo, json_text
from bot.specs.openapi.problems import (
    MAX_ENUM_VALUES,
    MAX_EXAMPLE_CHARS,
    MAX_FIELD_DEPTH,
    MAX_FIELDS,
    clip,
)
from bot.specs.openapi.safety import UNRESOLVED, Family, resolve_pointer
from bot.specs.openapi.validation import example_value, null_placeholder

# The JSON type of what json.loads gives (bool first: a bool is an int too).
JSON_TYPES: tuple[tuple[type, str], ...] = (
    (bool, "boolean"),
    (int, "integer"),
    (float, "number"),
    (str, "string"),
    (list, "array"),
    (dict, "object"),
)
# Built examples: a value of each scalar type, and of a string by its format.
SCALAR_SAMPLES: tuple[tuple[str, Any], ...] = (("integer", 0), ("number", 0.0), ("boolean", True))
STRING_SAMPLES = {
    "date": "2026-01-31",
    "date-time": "2026-01-31T09:30:00Z",
    "email": "ada@example.com",
    "uuid": "3fa85f64-5717-4562-b3fc-2c963f66afa6",
    "uri": "https://example.com/",
    "binary": "<binary>",
}


MISSING = object()  # what a reference to nothing resolves to


class SchemaReader:
    """Reads schemas of a sanitized document (local `$ref`s followed, loops stopped)."""

    def __init__(self, family: Family, doc: dict[str, Any]) -> None:
        self.family = family
        self.doc = doc
        # Each reference resolved once: a schema used by a thousand operations is read once.
        self._targets: dict[str, tuple[Any, str | None]] = {}
        self._fields_of: dict[tuple[str, str], tuple[dict[str, FieldInfo], bool, str | None]] = {}
        self._samples: dict[str, str] = {}

    def deref(self, node: Any) -> tuple[Any, str | None]:
        """Follow `$ref`s to a value; also return the last referenced name (`Booking`)."""
        name = None
        for _ in range(64):
            if not (isinstance(node, dict) and isinstance(node.get("$ref"), str)):
                return node, name
            ref = node["$ref"]
            if ref not in self._targets:
                try:
                    target, parts = resolve_pointer(self.doc, ref)
                except KeyError:
                    target, parts = MISSING, []
                self._targets[ref] = (target, parts[-1] if parts else None)
            target, last = self._targets[ref]
            if target is MISSING:
                return {}, name
            node, name = target, last or name
        return {}, name

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
            properties.update(_dict(inner.get("properties")))
            required.extend(r for r in _list(inner.get("required")) if isinstance(r, str))
            for key in ("type", "format", "items", "enum", "additionalProperties", "nullable"):
                if key in inner and key not in merged:
                    merged[key] = inner[key]
        properties.update(_dict(schema.get("properties")))
        required.extend(r for r in _list(schema.get("required")) if isinstance(r, str))
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
        if UNRESOLVED in schema:
            return f"unresolved {schema[UNRESOLVED]}", schema, None
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
            return json_type(schema["enum"][0]), schema, None
        if "const" in schema:
            return json_type(schema["const"]), schema, None
        return "any", schema, None

    def fields(
        self, schema: Any, direction: Direction
    ) -> tuple[dict[str, FieldInfo], bool, str | None]:
        """A body schema flattened to `{path: FieldInfo}` (root at ""), and whether it was cut.

        A body that is only a reference (`$ref: Booking`, in most real documents) is read once
        per direction however many operations use it; each gets its own copy.
        """
        key = _ref_only(schema)
        if key is None:
            return self._fields(schema, direction)
        if (key, direction) not in self._fields_of:
            self._fields_of[(key, direction)] = self._fields(schema, direction)
        found, truncated, name = self._fields_of[(key, direction)]
        return {path: FieldInfo(**info) for path, info in found.items()}, truncated, name

    def _fields(
        self, schema: Any, direction: Direction
    ) -> tuple[dict[str, FieldInfo], bool, str | None]:
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
                enum=[json_text(v) for v in enum[:MAX_ENUM_VALUES]] if enum else None,
                deprecated=merged.get("deprecated") is True,
            )
            if recursive or depth >= MAX_FIELD_DEPTH:
                return
            inner_stack = stack | {name} if name else stack
            properties = inner.get("properties")
            if isinstance(properties, dict):
                required_names = {r for r in _list(inner.get("required")) if isinstance(r, str)}
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
        if "example" in merged and not null_placeholder(merged):
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
        return scalar_sample(label, inner.get("format"))

    def example_text(self, media: dict[str, Any], schema: Any) -> str | None:
        """The example of a body: the document's own, else one built from its schema."""
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
            key = _ref_only(schema)
            if key is not None and key in self._samples:
                return self._samples[key]
            value = self.sample(schema)
            text = clip(
                json.dumps(value, ensure_ascii=False, indent=1, default=str), MAX_EXAMPLE_CHARS
            )
            if key is not None:
                self._samples[key] = text
            return text
        text = json.dumps(value, ensure_ascii=False, indent=1, default=str)
        return clip(text, MAX_EXAMPLE_CHARS)


def _ref_only(schema: Any) -> str | None:
    """The reference a schema is and nothing else (`{"$ref": "#/..."}`), if it is one."""
    if isinstance(schema, dict) and len(schema) == 1 and isinstance(schema.get("$ref"), str):
        ref: str = schema["$ref"]
        return ref
    return None


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def json_type(value: Any) -> str:
    """The JSON type of a value (`integer`, `string`, ...)."""
    return next((name for kind, name in JSON_TYPES if isinstance(value, kind)), "null")


def scalar_sample(label: str, fmt: Any) -> Any:
    """A plausible value of a scalar type and format, for built examples."""
    if label.startswith("string"):
        return STRING_SAMPLES.get(str(fmt), "string")
    return next((sample for kind, sample in SCALAR_SAMPLES if label.startswith(kind)), None)
