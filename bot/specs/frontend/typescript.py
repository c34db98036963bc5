"""TypeScript types written from an OpenAPI 3.x or Swagger 2.0 document.

Every named schema becomes a named type (recursion allowed: a schema may contain itself);
`enum` becomes a union of literals, `oneOf`/`anyOf` a union, `allOf` an intersection, and
`nullable` or `type: [..., "null"]` adds `| null`. A schema seen from a request leaves its
`readOnly` properties out, one seen from a response its `writeOnly` ones: a named schema that
has either (itself or anywhere inside) is written twice, `Name` for responses and
`NameRequest` for requests. Each operation gets its own types: path and query parameters,
headers, the request body, every response by status, and the success response.

The output compiles with `tsc --strict --noEmit` (tests/specs/test_spec_typescript.py).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any, Literal

from bot.specs.frontend.names import Names, comment_text, literal, pascal, property_key
from bot.specs.frontend.source import Source
from bot.specs.openapi.safety import UNRESOLVED

View = Literal["request", "response"]

MAX_DEPTH = 40  # inline schemas nested deeper are `unknown`
MAX_BRANCHES = 50  # alternatives of one oneOf/anyOf/allOf written
MAX_ENUM = 200  # values of one enum written as literals
DATA_KEYS = frozenset({"example", "examples", "default", "enum", "const"})


# Stands for a branch that would make a type itself (`Self = Self | string`): it adds nothing.
NOTHING = ""


def union(types: list[str]) -> str:
    """`A | B`, each part parenthesised where it must be, duplicates dropped."""
    unique = [t for t in dict.fromkeys(types) if t != NOTHING]
    if any(t.startswith("unknown") for t in unique):
        return "unknown"
    if not unique:
        return NOTHING if types else "never"
    if len(unique) == 1:
        return unique[0]
    return " | ".join(f"({t})" if _has_top_level(t, "&") else t for t in unique)


def intersection(types: list[str]) -> str:
    """`A & B`; `unknown` parts add nothing."""
    unique = [t for t in dict.fromkeys(types) if t != NOTHING and not t.startswith("unknown")]
    if not unique:
        if types and all(t == NOTHING for t in types):
            return NOTHING
        return next((t for t in types if t.startswith("unknown")), "unknown")
    if len(unique) == 1:
        return unique[0]
    return " & ".join(f"({t})" if _has_top_level(t, "|") else t for t in unique)


def _array(item: str) -> str:
    if _has_top_level(item, "|") or _has_top_level(item, "&") or item.startswith("unknown "):
        return f"({item})[]"
    return f"{item}[]"


def _has_top_level(text: str, operator: str) -> bool:
    """Whether `operator` joins parts of the type `text` at its top level (not inside an
    object, parentheses, brackets or a string literal).
    """
    depth = 0
    quoted = False
    escaped = False
    for char in text:
        if quoted:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                quoted = False
            continue
        if char == '"':
            quoted = True
        elif char in "{([<":
            depth += 1
        elif char in "})]>":
            depth -= 1
        elif char == operator and depth == 0:
            return True
    return False


def _literal(value: Any) -> str | None:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, int):
        return str(value) if abs(value) < 2**53 else "number"
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) and value == value else "number"
    if isinstance(value, str):
        return literal(value)
    return None


class TypeScriptWriter:
    """Writes the types of one document; named types are emitted once, on first use."""

    def __init__(self, source: Source) -> None:
        self.source = source
        doc = source.doc
        if source.family == "2.0":
            self.prefix = "#/definitions/"
            found = doc.get("definitions")
        else:
            self.prefix = "#/components/schemas/"
            components = doc.get("components")
            found = components.get("schemas") if isinstance(components, dict) else None
        self.components: dict[str, Any] = found if isinstance(found, dict) else {}
        self.names = Names()
        self._ident: dict[tuple[str, str], str] = {}
        self._queue: list[tuple[str, str]] = []
        self._split: dict[str, bool] = {}
        self._bare: dict[str, frozenset[str]] = {}

    # -- named schemas --------------------------------------------------------------------

    def component_of(self, ref: str) -> str | None:
        """The component a reference names (`#/components/schemas/Pet` -> `Pet`), if any."""
        if not ref.startswith(self.prefix):
            return None
        rest = ref[len(self.prefix) :]
        if "/" in rest:
            return None
        name = rest.replace("~1", "/").replace("~0", "~")
        return name if name in self.components else None

    def claim_components(self) -> None:
        """Give every named schema its name first, so operations' types never take them."""
        for name in self.components:
            self.type_name(name, "response")

    def type_name(self, name: str, view: View) -> str:
        """The identifier of a named schema as seen from `view` (queued to be written)."""
        split = self.is_split(name)
        key = (name, view if split else "any")
        if key not in self._ident:
            wanted = pascal(name) + ("Request" if split and view == "request" else "")
            self._ident[key] = self.names.claim(wanted)
            self._queue.append(key)
        return self._ident[key]

    def is_split(self, name: str) -> bool:
        """Whether a named schema reads differently from requests and from responses."""
        if name not in self._split:
            self._split[name] = False  # a loop back here adds nothing
            self._split[name] = self._has_direction(self.components.get(name), 0)
        return self._split[name]

    def _has_direction(self, node: Any, depth: int) -> bool:
        if depth > MAX_DEPTH:
            return False
        if isinstance(node, list):
            return any(self._has_direction(item, depth + 1) for item in node)
        if not isinstance(node, dict):
            return False
        if node.get("readOnly") is True or node.get("writeOnly") is True:
            return True
        ref = node.get("$ref")
        if isinstance(ref, str):
            name = self.component_of(ref)
            if name is not None:
                return self.is_split(name)
            return self._has_direction(self.source.resolve(ref), depth + 1)
        return any(
            self._has_direction(value, depth + 1)
            for key, value in node.items()
            if key not in DATA_KEYS
        )

    def _bare_refs(self, name: str) -> frozenset[str]:
        """The named schemas a schema *is* (through references, unions and intersections), not
        the ones inside its properties or items: a loop of these is a type that is itself.
        """
        if name not in self._bare:
            found: set[str] = set()
            self._collect_bare(self.components.get(name), found, 0)
            self._bare[name] = frozenset(found)
        return self._bare[name]

    def _collect_bare(self, node: Any, found: set[str], depth: int) -> None:
        if depth > MAX_DEPTH or not isinstance(node, dict):
            return
        ref = node.get("$ref")
        if isinstance(ref, str):
            name = self.component_of(ref)
            if name is not None:
                found.add(name)
            else:
                self._collect_bare(self.source.resolve(ref), found, depth + 1)
        for key in ("oneOf", "anyOf", "allOf"):
            branches = node.get(key)
            if isinstance(branches, list):
                for branch in branches[:MAX_BRANCHES]:
                    self._collect_bare(branch, found, depth + 1)

    def _reaches(self, start: str, target: str) -> bool:
        seen: set[str] = set()
        stack = [start]
        while stack:
            name = stack.pop()
            if name == target:
                return True
            if name in seen:
                continue
            seen.add(name)
            stack.extend(self._bare_refs(name))
        return False

    # -- type expressions -----------------------------------------------------------------

    def expr(self, schema: Any, view: View, indent: str = "", bare_of: str | None = None) -> str:
        """The TypeScript type of a schema. `bare_of`: the named schema being defined, while
        the expression is still that schema itself (outside any property or item).
        """
        return self._expr(schema, view, indent, bare_of, 0)

    def _expr(self, schema: Any, view: View, indent: str, bare_of: str | None, depth: int) -> str:
        if depth > MAX_DEPTH or schema is True:
            return "unknown"
        if schema is False:
            return "never"
        if not isinstance(schema, dict):
            return "unknown"
        if UNRESOLVED in schema:
            return f"unknown /* unresolved: {comment_text(str(schema[UNRESOLVED]), 120)} */"
        members: list[str] = []
        ref = schema.get("$ref")
        if isinstance(ref, str):
            name = self.component_of(ref)
            if name is None:
                members.append(
                    self._expr(self.source.resolve(ref), view, indent, bare_of, depth + 1)
                )
            elif bare_of is not None and self._reaches(name, bare_of):
                members.append(NOTHING)  # a type that would be itself
            else:
                members.append(self.type_name(name, view))
        own = self._own(schema, view, indent, depth)
        if own is not None:
            members.append(own)
        for key in ("oneOf", "anyOf"):
            branches = schema.get(key)
            if isinstance(branches, list) and branches:
                members.append(
                    union(
                        [
                            self._expr(b, view, indent, bare_of, depth + 1)
                            for b in branches[:MAX_BRANCHES]
                        ]
                    )
                    if len(branches) <= MAX_BRANCHES
                    else "unknown"
                )
        all_of = schema.get("allOf")
        if isinstance(all_of, list):
            members.extend(
                self._expr(b, view, indent, bare_of, depth + 1) for b in all_of[:MAX_BRANCHES]
            )
        result = intersection(members)
        if result == NOTHING and depth == 0:
            return "unknown"
        if schema.get("nullable") is True and result not in ("unknown", NOTHING):
            result = union([result, "null"])
        return result

    def _own(self, schema: dict[str, Any], view: View, indent: str, depth: int) -> str | None:
        """The shape a schema gives itself (type, enum, properties, items), or None."""
        if "const" in schema:
            return _literal(schema["const"]) or "unknown"
        enum = schema.get("enum")
        if isinstance(enum, list) and enum:
            values = [_literal(v) for v in enum[:MAX_ENUM]]
            if len(enum) <= MAX_ENUM and all(v is not None for v in values):
                return union([v for v in values if v is not None])
        kind = schema.get("type")
        if isinstance(kind, list):
            kinds = [str(k) for k in kind]
            return (
                union([self._typed(k, schema, view, indent, depth) for k in kinds])
                if kinds
                else None
            )
        if isinstance(kind, str):
            return self._typed(kind, schema, view, indent, depth)
        if "properties" in schema or "additionalProperties" in schema:
            return self._object(schema, view, indent, depth)
        if "items" in schema:
            return self._typed("array", schema, view, indent, depth)
        return None

    def _typed(self, kind: str, schema: dict[str, Any], view: View, indent: str, depth: int) -> str:
        if kind == "string":
            return "string"
        if kind in ("integer", "number"):
            return "number"
        if kind == "boolean":
            return "boolean"
        if kind == "null":
            return "null"
        if kind == "file":  # Swagger 2.0 uploads and downloads
            return "Blob"
        if kind == "array":
            items = schema.get("items")
            inner = (
                self._expr(items, view, indent, None, depth + 1)
                if isinstance(items, dict)
                else "unknown"
            )
            return _array(inner)
        if kind == "object":
            return self._object(schema, view, indent, depth)
        return "unknown"

    def _object(self, schema: dict[str, Any], view: View, indent: str, depth: int) -> str:
        properties = schema.get("properties")
        required = schema.get("required")
        required_names = (
            {r for r in required if isinstance(r, str)} if isinstance(required, list) else set()
        )
        inner = indent + "  "
        lines: list[str] = []
        if isinstance(properties, dict):
            for name, sub in properties.items():
                if self._left_out(sub, view):
                    continue
                described = sub.get("description") if isinstance(sub, dict) else None
                if isinstance(described, str) and described.strip():
                    lines.append(f"{inner}/** {comment_text(described)} */")
                optional = "" if name in required_names else "?"
                kind = self._expr(sub, view, inner, None, depth + 1)
                lines.append(f"{inner}{property_key(str(name))}{optional}: {kind};")
        extra = schema.get("additionalProperties")
        index = None
        if extra is True or (isinstance(extra, dict) and not extra):
            index = "unknown"
        elif isinstance(extra, dict):
            index = self._expr(extra, view, inner, None, depth + 1)
        body = "{\n" + "\n".join(lines) + f"\n{indent}}}" if lines else None
        if index is not None:
            record = f"{{ [key: string]: {index} }}"
            return f"{body} & {record}" if body else record
        return body or "{}"

    def _left_out(self, sub: Any, view: View) -> bool:
        """ReadOnly properties are not sent; writeOnly ones are not received."""
        flag = "readOnly" if view == "request" else "writeOnly"
        if isinstance(sub, dict) and sub.get(flag) is True:
            return True
        target = self.source.deref(sub)
        return isinstance(target, dict) and target.get(flag) is True

    # -- declarations -----------------------------------------------------------------------

    def named_declarations(self) -> Iterator[str]:
        """`export type` for each named schema queued so far (and those they queue in turn)."""
        done = 0
        while done < len(self._queue):
            name, view = self._queue[done]
            done += 1
            ident = self._ident[(name, view)]
            schema = self.components.get(name)
            seen_from: View = "request" if view == "request" else "response"
            lines = []
            described = schema.get("description") if isinstance(schema, dict) else None
            if isinstance(described, str) and described.strip():
                lines.append(f"/** {comment_text(described)} */")
            kind = self.expr(schema, seen_from, "", bare_of=name)
            lines.append(f"export type {ident} = {kind};")
            yield "\n".join(lines)
