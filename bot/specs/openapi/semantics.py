"""The checks the meta-schema cannot make, done in one cheap walk of the document.

They replace openapi-spec-validator's own semantic pass, which checked every schema against
its dialect a second time and cost as much as the meta-schema pass itself (7 s of a 1.2 MB
document's 15): path parameters against the path's template, parameters declared twice,
`required` names that no `allOf` branch defines. Each warning names its JSON pointer. Defaults
are checked against their schemas in `validation.lint`, with examples, within the work budget.
"""

from __future__ import annotations

import string
from collections.abc import Iterator
from typing import Any

import yaml

from bot.specs.openapi.loading import line_of
from bot.specs.openapi.problems import Problem, code, pointer_of
from bot.specs.openapi.safety import Family, resolve_pointer

METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
MAX_WARNINGS = 500


class Semantics:
    """Walks one sanitized document for the defects its structure cannot show."""

    def __init__(self, family: Family, doc: dict[str, Any], root: yaml.Node | None) -> None:
        self.family = family
        self.doc = doc
        self.root = root
        self.warnings: list[Problem] = []

    def warn(self, message: str, parts: list[str | int]) -> None:
        """Keep a warning at `parts` (at most MAX_WARNINGS of them)."""
        if len(self.warnings) < MAX_WARNINGS:
            self.warnings.append(Problem(message, pointer_of(parts), line_of(self.root, parts)))

    def deref(self, node: Any) -> Any:
        """Follow local `$ref`s to a value ({} for one that points at nothing)."""
        for _ in range(64):
            if not (isinstance(node, dict) and isinstance(node.get("$ref"), str)):
                return node
            try:
                node, _ = resolve_pointer(self.doc, node["$ref"])
            except KeyError:
                return {}
        return {}

    def run(self) -> list[Problem]:
        """Every warning of the document, in the order of its paths, then its schemas."""
        paths = self.doc.get("paths")
        if isinstance(paths, dict):
            for path, item in paths.items():
                item = self.deref(item)
                if isinstance(path, str) and isinstance(item, dict):
                    self.path_item(path, item)
        for parts, schema in self.schemas():
            self.required_of_all_of(parts, schema)
        return self.warnings

    def path_item(self, path: str, item: dict[str, Any]) -> None:
        """Each operation's path parameters against the names in the path's template."""
        shared = self.parameters(["paths", path, "parameters"], item.get("parameters"))
        try:
            template = [name for _, name, _, _ in string.Formatter().parse(path) if name]
        except ValueError:
            template = []  # a stray brace: the template names nothing
        for method in METHODS:
            op = item.get(method)
            if not isinstance(op, dict):
                continue
            own = self.parameters(["paths", path, method, "parameters"], op.get("parameters"))
            declared = {**shared, **own}
            names = {name for (where, name) in declared if where == "path"}
            here: list[str | int] = ["paths", path, method]
            shown = f"`{code(method.upper() + ' ' + path, 120)}`"
            for name in dict.fromkeys(template):
                if name not in names:
                    self.warn(
                        f"Path parameter '{code(name, 60)}' of {shown} is in the path but not "
                        "declared: it is read without a type.",
                        here,
                    )
            for name in sorted(names - set(template)):
                self.warn(
                    f"Path parameter '{code(name, 60)}' of {shown} is declared but not in the "
                    "path: nothing fills it.",
                    here,
                )

    def parameters(self, parts: list[str | int], raw: Any) -> dict[tuple[str, str], Any]:
        """The parameters of one list by (location, name); one declared twice is a warning."""
        out: dict[tuple[str, str], Any] = {}
        if not isinstance(raw, list):
            return out
        for index, item in enumerate(raw):
            param = self.deref(item)
            if not isinstance(param, dict):
                continue
            where, name = param.get("in"), param.get("name")
            if not isinstance(where, str) or not isinstance(name, str):
                continue
            key = (where, name.casefold() if where == "header" else name)
            if key in out:
                self.warn(
                    f"The {code(where, 20)} parameter `{code(name, 60)}` is declared twice in "
                    "this list; the last one is read.",
                    [*parts, index],
                )
            out[key] = param
        return out

    def schemas(self) -> Iterator[tuple[list[str | int], dict[str, Any]]]:
        """The named schemas with their pointers (components, or Swagger 2.0 definitions)."""
        if self.family == "2.0":
            base: list[str | int] = ["definitions"]
            found = self.doc.get("definitions")
        else:
            base = ["components", "schemas"]
            components = self.doc.get("components")
            found = components.get("schemas") if isinstance(components, dict) else None
        if isinstance(found, dict):
            for name, schema in found.items():
                if isinstance(schema, dict):
                    yield [*base, name], schema

    def required_of_all_of(self, parts: list[str | int], schema: dict[str, Any]) -> None:
        """`required` names of an `allOf` schema that neither it nor any branch defines."""
        required = schema.get("required")
        branches = schema.get("allOf")
        if not isinstance(required, list) or not isinstance(branches, list):
            return
        if schema.get("additionalProperties") not in (None, False) or "patternProperties" in schema:
            return  # names beyond the listed properties are allowed
        known = set(self.properties(schema, 0, set()))
        missing = [r for r in required if isinstance(r, str) and r not in known]
        if missing:
            shown = ", ".join(f"`{code(n, 40)}`" for n in missing[:5])
            self.warn(
                f"`required` names {shown}, but neither the schema nor its `allOf` branches "
                "have such a property.",
                [*parts, "required"],
            )

    def properties(self, schema: Any, depth: int, seen: set[int]) -> Iterator[str]:
        """The property names a schema and its branches define (each schema read once)."""
        schema = self.deref(schema)
        if depth > 20 or not isinstance(schema, dict) or id(schema) in seen:
            return
        seen.add(id(schema))
        if isinstance(schema.get("properties"), dict):
            yield from (str(k) for k in schema["properties"])
        for keyword in ("allOf", "anyOf", "oneOf"):
            branches = schema.get(keyword)
            if isinstance(branches, list):
                for branch in branches:
                    yield from self.properties(branch, depth + 1, seen)


def semantic_warnings(family: Family, doc: Any, root: yaml.Node | None = None) -> list[Problem]:
    """The semantic warnings of a sanitized document (see the module's docstring)."""
    if not isinstance(doc, dict):
        return []
    return Semantics(family, doc, root).run()
