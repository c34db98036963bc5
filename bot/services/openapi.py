"""Reading OpenAPI 3.0/3.1 and Swagger 2.0 documents safely, and reducing them to operations.

Everything here is plain, synchronous and CPU-bound: callers run it off the event loop.

The order matters for safety. A document is decoded, parsed (YAML aliases counted before they
are expanded), and then every `$ref` is checked *before* any validator or resolver sees it:
only references inside the document (`#/...`) are allowed, because validators follow the rest
(openapi-spec-validator opens `file://` paths and fetches `https://` URLs). Content under `x-`
extension fields is opaque data: it is never checked, resolved or handed to the validator.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Callable, Hashable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, TypedDict
from urllib.parse import unquote

import yaml
from jsonschema.exceptions import ValidationError, best_match  # type: ignore[import-untyped]
from openapi_schema_validator import (
    OAS30Validator,
    OAS31Validator,
    oas30_format_checker,
    oas31_format_checker,
)
from openapi_spec_validator.validation import (
    OpenAPIV2SpecValidator,
    OpenAPIV30SpecValidator,
    OpenAPIV31SpecValidator,
)
from openapi_spec_validator.validation.exceptions import ExtraParametersError
from referencing import Registry, Resource
from referencing.exceptions import NoSuchResource, Unresolvable
from referencing.jsonschema import DRAFT202012

from bot.errors import BadInput

MAX_DOCUMENT_BYTES = 5 * 1024 * 1024
MAX_NODES = 1_500_000  # values in the document once YAML aliases are expanded
MAX_NESTING = 150
MAX_PATH_CHARS = 400
MAX_ERRORS_SHOWN = 5
MAX_MESSAGE_CHARS = 1900  # the rejection is one Discord message (2,000 at most)
MAX_WARNINGS_KEPT = 50
MAX_FIELDS = 80  # flattened schema fields kept per request or response body
MAX_FIELD_DEPTH = 6
MAX_ENUM_VALUES = 50
MAX_EXAMPLE_CHARS = 700
MAX_TEXT_CHARS = 600
MAX_EXAMPLES_CHECKED = 2000

SUFFIXES = {".json": "json", ".yaml": "yaml", ".yml": "yaml"}
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
BINARY_SIGNATURES = {
    b"\x89PNG": "a PNG image",
    b"%PDF": "a PDF document",
    b"PK\x03\x04": "a ZIP archive (or an Office document)",
    b"\xff\xd8\xff": "a JPEG image",
    b"GIF8": "a GIF image",
    b"\x1f\x8b": "a gzip archive",
}
# Dialects a document may name with `$schema` / `jsonSchemaDialect`: the validators know them
# without fetching anything.
KNOWN_DIALECTS = frozenset(
    {
        "https://spec.openapis.org/oas/3.1/dialect/base",
        "https://spec.openapis.org/oas/3.1/dialect/2024-11-10",
        "https://json-schema.org/draft/2020-12/schema",
        "https://json-schema.org/draft/2019-09/schema",
        "http://json-schema.org/draft-07/schema#",
        "http://json-schema.org/draft-07/schema",
        "http://json-schema.org/draft-04/schema#",
        "http://json-schema.org/draft-04/schema",
    }
)
# Objects whose keys are names chosen by the author (a property called `x-request-id`, a header
# called `x-rate-limit`), not fixed fields: there an `x-` key is a name, not an extension.
NAME_MAPS = frozenset(
    {
        "properties",
        "patternProperties",
        "definitions",
        "$defs",
        "dependentSchemas",
        "dependentRequired",
        "schemas",
        "parameters",
        "headers",
        "examples",
        "requestBodies",
        "securitySchemes",
        "securityDefinitions",
        "links",
        "callbacks",
        "pathItems",
        "variables",
        "scopes",
        "mapping",
        "content",
        "encoding",
        "webhooks",
    }
)
# Fields whose value is literal data (an example, a default), never part of the structure.
DATA_FIELDS = frozenset({"example", "default", "enum", "const", "value"})
REFERENCE_FIELDS = ("$ref", "$dynamicRef", "$recursiveRef", "operationRef")
SCHEMA_CONTEXT = frozenset({"schema", "schemas", "definitions", "properties", "items"})
MAPPING_NAME_RE = re.compile(r"[A-Za-z0-9._-]+")
TEMPLATE_RE = re.compile(r"\{[^}/]*\}")

Family = Literal["2.0", "3.0", "3.1"]
Direction = Literal["request", "response"]
JsonPointer = str


# -- problems ---------------------------------------------------------------------------------


def pointer_of(parts: Iterator[str | int] | tuple[str | int, ...] | list[str | int]) -> str:
    """("paths", "/a/{id}", "get") -> "/paths/~1a~1{id}/get" (RFC 6901)."""
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in parts)


def pointer_parts(pointer: str) -> list[str]:
    """The inverse of `pointer_of`, for the fragment of a `#/...` reference (percent-decoded)."""
    if not pointer:
        return []
    return [unquote(p).replace("~1", "/").replace("~0", "~") for p in pointer[1:].split("/")]


@dataclass(frozen=True, slots=True)
class Problem:
    """Something wrong with a document, and where: a JSON pointer and, for YAML, a line."""

    message: str
    pointer: str | None = None
    line: int | None = None

    def where(self) -> str:
        parts = []
        if self.pointer is not None:
            parts.append(f"`{self.pointer or '/'}`")
        if self.line is not None:
            parts.append(f"line {self.line}")
        return ", ".join(parts)

    def __str__(self) -> str:
        where = self.where()
        return f"{where}: {self.message}" if where else self.message

    def as_dict(self) -> dict[str, Any]:
        return {"message": self.message, "pointer": self.pointer, "line": self.line}


class DocumentRejected(BadInput):
    """The document cannot be imported; nothing was stored. The message names the problem(s),
    each with its JSON pointer and (for YAML) its line, and what to do about it."""

    def __init__(self, problems: list[Problem], *, hint: str | None = None) -> None:
        self.problems = problems
        self.hint = hint
        head = "This document cannot be imported, and nothing was stored:"
        tail = f"\n{hint}" if hint else ""
        budget = MAX_MESSAGE_CHARS - len(head) - len(tail) - 40
        lines: list[str] = []
        for problem in problems[:MAX_ERRORS_SHOWN]:
            where = _clip(problem.where(), 160)
            text = _clip(problem.message, 350)
            line = f"• {where}: {text}" if where else f"• {text}"
            if sum(len(x) + 1 for x in lines) + len(line) > budget:
                break
            lines.append(line)
        if len(problems) > len(lines):
            lines.append(f"• …and {len(problems) - len(lines)} more.")
        super().__init__(head + "\n" + "\n".join(lines) + tail)

    def __reduce__(self) -> tuple[Any, ...]:
        # Raised in the analysis process and re-raised in the bot: pickled by its parts.
        return _rebuild_rejection, (self.problems, self.hint)


def _rebuild_rejection(problems: list[Problem], hint: str | None) -> DocumentRejected:
    return DocumentRejected(problems, hint=hint)


BUNDLE_HINT = (
    "Nexus only follows references inside the document (`#/...`) and never opens other files "
    "or URLs: bundle it into one file (e.g. `redocly bundle` or `swagger-cli bundle`) and "
    "import that."
)


def _reject(
    message: str, pointer: str | None = None, line: int | None = None, hint: str | None = None
) -> DocumentRejected:
    return DocumentRejected([Problem(message, pointer, line)], hint=hint)


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _code(text: str, limit: int = 120) -> str:
    """Text from the document shown inside an inline code span."""
    return _clip(" ".join(str(text).split()).replace("`", "'"), limit)


# -- reading: bytes -> Python values ------------------------------------------------------------


def document_format(filename: str) -> Literal["json", "yaml"]:
    """The format named by the file's extension; anything else is refused."""
    lowered = filename.lower()
    for suffix, kind in SUFFIXES.items():
        if lowered.endswith(suffix):
            return kind  # type: ignore[return-value]
    shown = _code(filename, 60)
    raise _reject(
        f"`{shown}` is not a JSON or YAML file. Attach the OpenAPI document itself, "
        "named `.json`, `.yaml` or `.yml`."
    )


def check_size(size: int) -> None:
    """Refuse a document over the size limit (called before the bytes are even downloaded)."""
    if size > MAX_DOCUMENT_BYTES:
        raise _reject(
            f"The file is {size / 1024 / 1024:.1f} MB; the limit is "
            f"{MAX_DOCUMENT_BYTES // 1024 // 1024} MB. Split the API into several specs, or "
            "drop the bundled examples."
        )
    if size == 0:
        raise _reject("The file is empty.")


def decode(data: bytes) -> str:
    """UTF-8 text (a byte-order mark is allowed); binary files and other encodings are refused."""
    for signature, what in BINARY_SIGNATURES.items():
        if data.startswith(signature):
            raise _reject(f"The file is {what}, not an OpenAPI document (JSON or YAML text).")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in data[:4096]:
        raise _reject(
            "The file is not UTF-8 text (it looks like UTF-16 or a binary file). "
            "Save it as UTF-8 and attach it again."
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise _reject(
            f"The file is not UTF-8 text: byte {error.start} (0x{data[error.start]:02x}) "
            "cannot be decoded. Save it as UTF-8 and attach it again.",
            line=line,
        ) from None


if TYPE_CHECKING:
    _BaseLoader = yaml.SafeLoader
else:
    _BaseLoader = yaml.CSafeLoader if yaml.__with_libyaml__ else yaml.SafeLoader


class _SpecLoader(_BaseLoader):
    """Safe YAML that keeps JSON's data model: mapping keys stay text (`200:` is "200"), dates
    stay strings, and a key that is itself a list or mapping is refused."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Hashable, Any]:
        self.flatten_mapping(node)
        mapping: dict[Hashable, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                raise _reject(
                    "A mapping key is a list or a mapping; OpenAPI keys are text.",
                    line=key_node.start_mark.line + 1,
                )
            mapping[key_node.value] = self.construct_object(value_node, deep=deep)
        return mapping


_SpecLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _yaml_node_budget(root: yaml.Node) -> None:
    """Refuse aliases that expand past MAX_NODES (a "billion laughs" bomb) or contain themselves.

    Sizes are computed once per node (memoised), so a bomb is measured without being expanded.
    """
    sizes: dict[int, int] = {}
    on_path: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        key = id(node)
        if done:
            on_path.discard(key)
            children = _yaml_children(node)
            total = 1 + sum(sizes[id(child)] for child in children)
            if total > MAX_NODES:
                raise _reject(
                    f"The YAML expands to more than {MAX_NODES:,} values through its aliases "
                    "(`*name`): that is an alias bomb, not an API description.",
                    line=node.start_mark.line + 1,
                )
            sizes[key] = total
            continue
        if key in sizes:
            continue
        if key in on_path:
            raise _reject(
                "A YAML alias refers to a node that contains it (a recursive anchor).",
                line=node.start_mark.line + 1,
            )
        on_path.add(key)
        stack.append((node, True))
        for child in _yaml_children(node):
            if id(child) in on_path:
                raise _reject(
                    "A YAML alias refers to a node that contains it (a recursive anchor).",
                    line=child.start_mark.line + 1,
                )
            if id(child) not in sizes:
                stack.append((child, False))


def _yaml_children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    return []


def _yaml_depth(root: yaml.Node) -> None:
    stack: list[tuple[yaml.Node, int]] = [(root, 1)]
    seen: set[int] = set()
    while stack:
        node, depth = stack.pop()
        if depth > MAX_NESTING:
            raise _reject(
                f"The document nests deeper than {MAX_NESTING} levels.",
                line=node.start_mark.line + 1,
            )
        if id(node) in seen:
            continue
        seen.add(id(node))
        stack.extend((child, depth + 1) for child in _yaml_children(node))


def load_yaml(text: str) -> tuple[Any, yaml.Node | None]:
    """The document's value and its node tree (kept to turn a JSON pointer into a line)."""
    loader = _SpecLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            raise _reject("The file has no content.")
        _yaml_node_budget(node)
        _yaml_depth(node)
        return loader.construct_document(node), node
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        problem = error.problem or error.context or "unreadable YAML"
        raise _reject(
            f"The YAML cannot be read: {problem}.", line=mark.line + 1 if mark else None
        ) from None
    except yaml.YAMLError as error:
        raise _reject(f"The YAML cannot be read: {_clip(str(error), 200)}.") from None
    except RecursionError:
        raise _reject(f"The document nests deeper than {MAX_NESTING} levels.") from None
    finally:
        loader.dispose()


def load_json(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise _reject(
            f"The JSON cannot be read: {error.msg} (column {error.colno}).", line=error.lineno
        ) from None
    except RecursionError:
        raise _reject(f"The document nests deeper than {MAX_NESTING} levels.") from None


def line_of(root: yaml.Node | None, parts: Sequence[str | int]) -> int | None:
    """The line (1-based) where the value at `parts` starts in a YAML node tree."""
    if root is None:
        return None
    node = root
    for part in parts:
        if isinstance(node, yaml.MappingNode):
            found = next((v for k, v in node.value if str(k.value) == str(part)), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int | str):
            index = int(part) if str(part).isdigit() else -1
            found = node.value[index] if 0 <= index < len(node.value) else None
        else:
            found = None
        if found is None:
            break
        node = found
    return node.start_mark.line + 1


# -- the document as found ------------------------------------------------------------------------


def detect_family(doc: Any) -> tuple[Family, str]:
    """("3.1", "3.1.0") for a 3.1 document; refuses what is not OpenAPI 3.0/3.1 or Swagger 2.0."""
    if not isinstance(doc, dict):
        found = "a list" if isinstance(doc, list) else f"a {type(doc).__name__}"
        raise _reject(f"The document must be an object at the top level; this one is {found}.")
    if "swagger" in doc:
        if str(doc["swagger"]) != "2.0":
            raise _reject(
                f"`swagger: {_code(doc['swagger'], 20)}` is not supported: Swagger 2.0 and "
                "OpenAPI 3.0/3.1 are.",
                "/swagger",
            )
        return "2.0", "2.0"
    version = doc.get("openapi")
    if version is None:
        raise _reject(
            "This does not look like an OpenAPI document: it has no `openapi` (3.x) or "
            "`swagger` (2.0) field at the top."
        )
    if not isinstance(version, str):
        raise _reject(
            f'`openapi` must be a version string such as "3.0.3" (quoted, with the patch '
            f"number); this document has {_code(version, 20)}.",
            "/openapi",
        )
    match = re.fullmatch(r"3\.([0-9]+)\.[0-9]+(?:-[0-9A-Za-z.-]+)?", version.strip())
    if match is None or match.group(1) not in {"0", "1"}:
        raise _reject(
            f"OpenAPI {_code(version, 20)} is not supported: Swagger 2.0, OpenAPI 3.0.x and "
            "3.1.x are.",
            "/openapi",
        )
    return ("3.0" if match.group(1) == "0" else "3.1"), version.strip()


def is_extension(container_key: str | None, key: str) -> bool:
    """Whether `key` (in an object found under `container_key`) is an `x-` extension field."""
    return key.startswith("x-") and container_key not in NAME_MAPS


@dataclass(slots=True)
class _Sanitized:
    document: Any
    local_refs: list[tuple[str, str]] = field(default_factory=list)  # (target, where)


def sanitize(doc: Any, root_node: yaml.Node | None = None) -> _Sanitized:
    """A copy of `doc` without `x-` extension content, after checking every reference.

    Refused, naming the pointer: a `$ref` (or `$dynamicRef`, `$recursiveRef`, `operationRef`,
    discriminator mapping) that points outside the document, an `$id` (it would make `#/...`
    references resolve against another address), an unknown `$schema` dialect, nesting deeper
    than MAX_NESTING, or more than MAX_NODES values. The copy is what validators see.
    """
    result = _Sanitized(None)
    count = 0

    def fail(message: str, parts: list[str | int], hint: str | None = None) -> DocumentRejected:
        return _reject(message, pointer_of(parts), line_of(root_node, parts), hint)

    def copy(value: Any, container_key: str | None, parts: list[str | int], data: bool) -> Any:
        nonlocal count
        count += 1
        if count > MAX_NODES:
            raise _reject(f"The document has more than {MAX_NODES:,} values.")
        if len(parts) > MAX_NESTING:
            raise fail(f"The document nests deeper than {MAX_NESTING} levels.", parts)
        if isinstance(value, list):
            return [copy(item, "[]", [*parts, i], data) for i, item in enumerate(value)]
        if not isinstance(value, dict):
            return value
        names = container_key in NAME_MAPS
        out: dict[str, Any] = {}
        for key, item in value.items():
            key = str(key)
            if not data and not names and key.startswith("x-"):
                continue  # opaque extension content: never checked, resolved or validated
            here = [*parts, key]
            if isinstance(item, str) and (not names or container_key == "mapping"):
                _check_keyword(key, item, here, data, container_key, result, fail)
            if data:
                out[key] = copy(item, key, here, True)
                continue
            item_is_data = not names and (
                key in DATA_FIELDS or (key == "examples" and isinstance(item, list))
            )
            out[key] = copy(item, key, here, item_is_data)
        return out

    result.document = copy(doc, None, [], False)
    return result


def _check_keyword(
    key: str,
    value: str,
    here: list[str | int],
    data: bool,
    container_key: str | None,
    result: _Sanitized,
    fail: Callable[[str, list[str | int], str | None], DocumentRejected],
) -> None:
    """Check one string-valued field for references that would leave the document."""
    if key in REFERENCE_FIELDS:
        local = value == "#" or value.startswith("#/")
        if key in ("$dynamicRef", "$recursiveRef"):
            local = value.startswith("#")
        if not local:
            raise fail(_outside_message(key, value), here, BUNDLE_HINT)
        if not data and key in ("$ref", "operationRef"):
            result.local_refs.append((value, pointer_of(here[:-1])))
        return
    if data:
        return
    if container_key == "mapping":  # a discriminator mapping value: a schema name or a ref
        if value.startswith("#/"):
            result.local_refs.append((value, pointer_of(here)))
        elif not MAPPING_NAME_RE.fullmatch(value) or value.lower().endswith(
            (".json", ".yaml", ".yml")
        ):
            raise fail(_outside_message("discriminator mapping", value), here, BUNDLE_HINT)
    elif key == "$id":
        raise fail(
            f"`$id: {_code(value, 80)}` changes where references resolve; Nexus reads "
            "self-contained documents only. Remove the `$id`.",
            here,
            None,
        )
    elif key in ("$schema", "jsonSchemaDialect") and value not in KNOWN_DIALECTS:
        raise fail(
            f"`{key}: {_code(value, 80)}` names a dialect Nexus does not know (and will not "
            "fetch). Remove it or use the OpenAPI 3.1 default.",
            here,
            None,
        )


def _outside_message(key: str, value: str) -> str:
    lowered = value.lower()
    if lowered.startswith(("http:", "https:")):
        kind = "a remote URL"
    elif lowered.startswith("file:"):
        kind = "a file on disk"
    elif re.match(r"[a-z][a-z0-9+.-]*:", lowered):
        kind = "an address outside the document"
    else:
        kind = "another file"
    return f"`{key}: {_code(value, 100)}` points to {kind}."


def resolve_pointer(doc: Any, ref: str) -> tuple[Any, list[str]]:
    """The value a local `#/...` reference points at, and its path; KeyError if there is none."""
    parts = pointer_parts(ref[1:])
    node = doc
    for part in parts:
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            raise KeyError(part)
    return node, parts


def check_local_refs(original: Any, clean: _Sanitized, root_node: yaml.Node | None = None) -> None:
    """Every local reference must land on something, outside `x-` content, without a loop of
    references that never reaches a value (`A -> B -> A`)."""
    problems: list[Problem] = []
    settled: set[str] = set()
    for ref, where in clean.local_refs:
        if ref in settled:
            continue
        chain = [ref]
        current = ref
        while True:
            try:
                target, parts = resolve_pointer(clean.document, current)
            except KeyError:
                reason = _missing_reason(original, current)
                problems.append(
                    Problem(
                        f"`$ref: {_code(current, 120)}` {reason}.",
                        where,
                        line_of(root_node, pointer_parts(where)),
                    )
                )
                break
            settled.add(current)
            nxt = target.get("$ref") if isinstance(target, dict) else None
            if not isinstance(nxt, str) or not nxt.startswith("#"):
                break
            if nxt in chain:
                loop = " → ".join(f"`{_code(r, 60)}`" for r in [*chain, nxt])
                problems.append(
                    Problem(
                        f"These references point at each other without ever reaching a "
                        f"schema: {loop}.",
                        pointer_of(list(parts)),
                        line_of(root_node, list(parts)),
                    )
                )
                break
            chain.append(nxt)
            current = nxt
        if len(problems) > 50:
            break
    if problems:
        raise DocumentRejected(problems)


def _missing_reason(original: Any, ref: str) -> str:
    try:
        resolve_pointer(original, ref)
    except KeyError:
        return "points at nothing in the document"
    return "points into `x-` extension content, which Nexus keeps as opaque data"


# -- validation ---------------------------------------------------------------------------------


class _NoRetrieval(Mapping[str, Callable[[str], Any]]):
    """Resolver handlers for every URL scheme, each refusing: a second belt behind `sanitize`."""

    def __getitem__(self, scheme: str) -> Callable[[str], Any]:
        return _refuse_retrieval

    def __contains__(self, scheme: object) -> bool:
        return True

    def __iter__(self) -> Iterator[str]:
        return iter(())

    def __len__(self) -> int:
        return 0


def _refuse_retrieval(uri: str) -> Any:
    raise NoSuchResource(ref=uri)  # type: ignore[call-arg]


class _OfflineV2(OpenAPIV2SpecValidator):
    resolver_handlers = _NoRetrieval()  # type: ignore[assignment]


class _OfflineV30(OpenAPIV30SpecValidator):
    resolver_handlers = _NoRetrieval()  # type: ignore[assignment]


class _OfflineV31(OpenAPIV31SpecValidator):
    resolver_handlers = _NoRetrieval()  # type: ignore[assignment]


VALIDATORS = {"2.0": _OfflineV2, "3.0": _OfflineV30, "3.1": _OfflineV31}


def _in_schema(parts: list[str | int]) -> bool:
    """Whether a location lies inside a Schema Object (where defects are only warnings)."""
    strs = [p for p in parts if isinstance(p, str)]
    if strs[:2] == ["components", "schemas"] or strs[:1] == ["definitions"]:
        return True
    return any(p in SCHEMA_CONTEXT for p in strs[1:])


def _describe(error: ValidationError) -> str:
    message = " ".join(error.message.split())
    if message.endswith("is not valid under any of the given schemas"):
        return "this does not match any form the specification allows here"
    return _clip(message, 240)


def _is_reference_branch(errors: list[ValidationError]) -> bool:
    """The `Reference Object` alternative of a oneOf, which fails only for lack of `$ref`."""
    return all(e.validator == "required" and "'$ref'" in e.message for e in errors)


def _deepest(error: ValidationError) -> ValidationError:
    """The most specific cause of a meta-schema error: down through `oneOf`/`anyOf` while one
    alternative is clearly the one meant (the `$ref` alternative never is)."""
    error = best_match([error]) or error
    for _ in range(20):
        real = _real_branches(error)
        if len(real) != 1:
            break
        error = best_match(real[0]) or real[0][0]
    return error


def _real_branches(error: ValidationError) -> list[list[ValidationError]]:
    branches: dict[Any, list[ValidationError]] = {}
    for sub in error.context or ():
        branch = sub.relative_schema_path[0] if sub.relative_schema_path else None
        branches.setdefault(branch, []).append(sub)
    return [errs for errs in branches.values() if not _is_reference_branch(errs)]


def _explain(error: ValidationError) -> tuple[list[str | int], str]:
    """(location, message) for a meta-schema error, as precise as the alternatives allow:
    when every alternative fails on the same field (`in: querry`), that field is named."""
    best = _deepest(error)
    real = _real_branches(best)
    if len(real) > 1:
        by_place = [{tuple(e.absolute_path): e for e in errs} for errs in real]
        common = set(by_place[0]).intersection(*by_place[1:])
        deeper = [p for p in common if len(p) > len(best.absolute_path)]
        if deeper:
            place = max(deeper, key=len)
            value = _code(json.dumps(by_place[0][place].instance, default=str), 60)
            return list(place), f"`{_code(place[-1], 40)}` cannot be {value} here"
    return list(best.absolute_path), _describe(best)


def validate(
    family: Family, document: Any, root_node: yaml.Node | None = None
) -> tuple[list[Problem], list[Problem]]:
    """(structural errors, warnings) from openapi-spec-validator on a sanitized document.

    The document is checked against the OpenAPI meta-schema: a failure outside any Schema
    Object breaks the structure (refused); inside one, it is a schema-level defect (warning).
    The validator's own semantic checks (defaults, required names, duplicate operation ids,
    undeclared path parameters) are warnings too: real published documents carry them.
    """
    validator = VALIDATORS[family](document)
    errors: list[Problem] = []
    warnings: list[Problem] = []
    for error in validator.schema_validator.iter_errors(document):
        parts, message = _explain(error)
        problem = Problem(message, pointer_of(parts), line_of(root_node, parts))
        (warnings if _in_schema(parts) else errors).append(problem)
        if len(errors) + len(warnings) > 500:
            break
    if errors:
        return errors, warnings
    # The semantic pass walks the document without the meta-schema phase's cache (the library
    # memoises `iter_errors` per validator forever, which would keep every document alive).
    root_check = validator.root_validator
    seen = {w.message for w in warnings}
    try:
        for error in root_check(validator.schema_path):
            message = _describe(error)
            if isinstance(error, ExtraParametersError):
                message = f"A `required` name has no property: {message}"
            if message in seen:
                continue  # the same defect, already reported with its location
            seen.add(message)
            warnings.append(Problem(message))
            if len(warnings) > 500:
                break
    except (Unresolvable, RecursionError, ValueError, TypeError, KeyError) as error:
        warnings.append(
            Problem(
                f"Validation stopped early: {_clip(type(error).__name__ + ': ' + str(error), 200)}"
            )
        )
    return errors, warnings


def _document_registry(document: Any) -> Registry[Any]:
    resource: Resource[Any] = DRAFT202012.create_resource(document)
    return Registry(retrieve=_refuse_retrieval).with_resource(DOCUMENT_URI, resource)  # type: ignore[call-arg]


DOCUMENT_URI = "urn:nexus:document"


def lint(family: Family, document: Any, root_node: yaml.Node | None = None) -> list[Problem]:
    """Schema-level defects the validator leaves out: examples that do not match their schema,
    and `required` names with no property (outside `allOf`, which the validator covers)."""
    warnings: list[Problem] = []
    registry = _document_registry(document)
    cls: Any = OAS31Validator if family == "3.1" else OAS30Validator
    checker = oas31_format_checker if family == "3.1" else oas30_format_checker
    checked = 0

    def check_example(schema_parts: list[str | int], value: Any, where: list[str | int]) -> None:
        nonlocal checked
        checked += 1
        if checked > MAX_EXAMPLES_CHECKED:
            return
        ref = f"{DOCUMENT_URI}#{pointer_of(schema_parts)}"
        try:
            validator = cls({"$ref": ref}, registry=registry, format_checker=checker)
            errors = [_deepest(e) for e in itertools.islice(validator.iter_errors(value), 3)]
        except (Unresolvable, RecursionError, ValueError, TypeError, KeyError):
            return
        for error in errors:
            inner = [*where, *error.absolute_path]
            warnings.append(
                Problem(
                    f"The example does not match its schema: {_describe(error)}",
                    pointer_of(inner),
                    line_of(root_node, inner),
                )
            )

    def walk(node: Any, parts: list[str | int], container_key: str | None) -> None:
        if len(warnings) > 500:
            return
        if isinstance(node, list):
            for i, item in enumerate(node):
                walk(item, [*parts, i], "[]")
            return
        if not isinstance(node, dict):
            return
        names = container_key in NAME_MAPS
        if not names:
            _lint_required(node, parts, warnings, root_node)
            schema = node.get("schema")
            if isinstance(schema, dict | bool):
                schema_parts = [*parts, "schema"]
                if "example" in node:
                    check_example(schema_parts, node["example"], [*parts, "example"])
                examples = node.get("examples")
                if isinstance(examples, dict):
                    for name, example in examples.items():
                        value, ok = _example_value(document, example, family)
                        if ok:
                            check_example(schema_parts, value, [*parts, "examples", name])
        for key, value in node.items():
            if not names and key in DATA_FIELDS:
                continue
            walk(value, [*parts, key], key)

    walk(document, [], None)
    # A component schema's own `example` should satisfy the schema itself.
    components = (
        document.get("definitions")
        if family == "2.0"
        else ((document.get("components") or {}).get("schemas"))
    )
    base = ["definitions"] if family == "2.0" else ["components", "schemas"]
    if isinstance(components, dict):
        for name, schema in components.items():
            if isinstance(schema, dict) and "example" in schema:
                check_example([*base, name], schema["example"], [*base, name, "example"])
    return warnings


def _example_value(document: Any, example: Any, family: Family) -> tuple[Any, bool]:
    """The value of an Example Object (3.x, maybe a `$ref`) or a Swagger 2 example by mime."""
    if family == "2.0":
        return example, True
    if isinstance(example, dict) and isinstance(example.get("$ref"), str):
        try:
            example, _ = resolve_pointer(document, example["$ref"])
        except KeyError:
            return None, False
    if isinstance(example, dict) and "value" in example:
        return example["value"], True
    return None, False


def _lint_required(
    node: dict[str, Any],
    parts: list[str | int],
    warnings: list[Problem],
    root_node: yaml.Node | None,
) -> None:
    required = node.get("required")
    properties = node.get("properties")
    if not isinstance(required, list) or not isinstance(properties, dict):
        return
    if any(
        k in node for k in ("allOf", "anyOf", "oneOf", "additionalProperties", "patternProperties")
    ):
        return
    missing = [str(n) for n in required if isinstance(n, str) and n not in properties]
    if missing:
        shown = ", ".join(f"`{_code(n, 40)}`" for n in missing[:5])
        where = [*parts, "required"]
        warnings.append(
            Problem(
                f"`required` names {shown}, but the schema has no such property.",
                pointer_of(where),
                line_of(root_node, where),
            )
        )


# -- the model Nexus keeps ----------------------------------------------------------------------


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


def _text(value: Any, limit: int = MAX_TEXT_CHARS) -> str:
    return _clip(" ".join(str(value).split()), limit) if isinstance(value, str) else ""


def _json_text(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=False, default=str)


class _Reader:
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
        write "nullable" in 3.1), else the schema itself."""
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
            value, found = _example_value(self.doc, first, self.family)
        if not found:
            if schema is None:
                return None
            value = self.sample(schema)
        text = json.dumps(value, ensure_ascii=False, indent=1, default=str)
        return _clip(text, MAX_EXAMPLE_CHARS)

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
            description=_text(param.get("description"), 200),
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
                    description=_text(body[1].get("description"), 300),
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
                    description=_text(response.get("description"), 300),
                    direction="response",
                )
        else:
            raw_request, _ = self.deref(op.get("requestBody"))
            if isinstance(raw_request, dict) and raw_request:
                request = self.body(
                    raw_request.get("content"),
                    required=raw_request.get("required") is True,
                    description=_text(raw_request.get("description"), 300),
                    direction="request",
                )
            for code, raw in raw_responses.items():
                response, _ = self.deref(raw)
                response = response if isinstance(response, dict) else {}
                responses[str(code)] = self.body(
                    response.get("content"),
                    required=True,
                    description=_text(response.get("description"), 300),
                    direction="response",
                )
        security, schemes = self.security(op)
        tags = [str(t) for t in op.get("tags") or [] if isinstance(t, str | int)]
        summary = _text(op.get("summary"), 200) or _text(op.get("operationId"), 200)
        if not summary:
            summary = _text(str(op.get("description") or "").split("\n")[0], 200)
        return OperationInfo(
            method=method.upper(),
            path=path,
            key=endpoint_key(method, path),
            operation_id=str(op["operationId"]) if isinstance(op.get("operationId"), str) else None,
            summary=summary,
            description=_text(op.get("description")),
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
                raise _reject(
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
        return f"{label} ({_text(fmt, 20)})" if isinstance(fmt, str) and fmt else label
    if kind == "basic":
        return "HTTP basic"
    if kind == "apiKey":
        return f"API key in {scheme.get('in', '?')} `{_code(scheme.get('name', '?'), 40)}`"
    if kind == "oauth2":
        return "OAuth 2"
    if kind == "openIdConnect":
        return "OpenID Connect"
    if kind == "mutualTLS":
        return "mutual TLS"
    return _code(kind, 20) or "unknown scheme"


# -- the whole pipeline -----------------------------------------------------------------------


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
    errors, warnings = validate(family, clean.document, root_node)
    if errors:
        raise DocumentRejected(errors)
    warnings += lint(family, clean.document, root_node)
    doc = clean.document
    reader = _Reader(family, doc)
    operations = reader.operations()
    if not operations:
        raise _reject(
            "The document describes no operations: add at least one path with a method "
            "(`get`, `post`, ...).",
            "/paths",
        )
    info = doc.get("info") if isinstance(doc.get("info"), dict) else {}
    tags = tuple(
        (str(t["name"]), _text(t.get("description"), 200))
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
        title=_text(info.get("title"), 200) or "Untitled API",
        api_version=_text(str(info.get("version", "")), 60),
        description=_text(info.get("description"), 300),
        servers=servers,
        tags=tags,
        operations=operations,
        warnings=tuple(unique[:MAX_WARNINGS_KEPT]),
        warning_count=len(unique),
    )
