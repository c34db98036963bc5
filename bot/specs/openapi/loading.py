"""Reading: the bytes of an uploaded file -> Python values (size, encoding, JSON or safe YAML)."""

from __future__ import annotations

import json
import re
from collections.abc import Hashable, Sequence
from typing import TYPE_CHECKING, Any, Literal

import yaml

from bot.specs.openapi.problems import (
    MAX_DOCUMENT_BYTES,
    MAX_NESTING,
    MAX_NODES,
    clip,
    code,
    reject,
)

SUFFIXES = {".json": "json", ".yaml": "yaml", ".yml": "yaml"}
BINARY_SIGNATURES = {
    b"\x89PNG": "a PNG image",
    b"%PDF": "a PDF document",
    b"PK\x03\x04": "a ZIP archive (or an Office document)",
    b"\xff\xd8\xff": "a JPEG image",
    b"GIF8": "a GIF image",
    b"\x1f\x8b": "a gzip archive",
}


def document_format(filename: str) -> Literal["json", "yaml"]:
    """The format named by the file's extension; anything else is refused."""
    lowered = filename.lower()
    for suffix, kind in SUFFIXES.items():
        if lowered.endswith(suffix):
            return kind  # type: ignore[return-value]
    shown = code(filename, 60)
    raise reject(
        f"`{shown}` is not a JSON or YAML file. Attach the OpenAPI document itself, "
        "named `.json`, `.yaml` or `.yml`."
    )


def check_size(size: int) -> None:
    """Refuse a document over the size limit (called before the bytes are even downloaded)."""
    if size > MAX_DOCUMENT_BYTES:
        raise reject(
            f"The file is {size / 1024 / 1024:.1f} MB; the limit is "
            f"{MAX_DOCUMENT_BYTES // 1024 // 1024} MB. Split the API into several specs, or "
            "drop the bundled examples."
        )
    if size == 0:
        raise reject("The file is empty.")


TOO_MANY_VALUES = (
    f"The document has more than {MAX_NODES:,} values, more than Nexus reads in one import. "
    "Split the API into several specs, or drop the bundled examples."
)
TOO_LONG_NUMBER = (
    "The document holds a number too long to read (over 4,300 digits). No API needs one: "
    "fix the value and attach the file again."
)
ESCAPED_SURROGATE_RE = re.compile(r"\\u[dD][89a-fA-F]")
# Where a YAML alias (`*name`) may stand: at a line's start or after a space or an indicator.
# A `*` inside a text matches too, which only costs the alias checks (never skips them).
ALIAS_RE = re.compile(r"(?:^|[\s\[\]{},:?-])\*", re.MULTILINE)


def decode(data: bytes) -> str:
    """UTF-8 text (a byte-order mark is allowed); binary files and other encodings are refused."""
    for signature, what in BINARY_SIGNATURES.items():
        if data.startswith(signature):
            raise reject(f"The file is {what}, not an OpenAPI document (JSON or YAML text).")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in data[:4096]:
        raise reject(
            "The file is not UTF-8 text (it looks like UTF-16 or a binary file). "
            "Save it as UTF-8 and attach it again."
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise reject(
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
    stay strings, and a key that is itself a list or mapping is refused.
    """

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Hashable, Any]:
        self.flatten_mapping(node)
        mapping: dict[Hashable, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                raise reject(
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
    shared = False  # whether any node is reached twice (through an alias)
    on_path: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        key = id(node)
        if done:
            on_path.discard(key)
            children = _yaml_children(node)
            total = 1 + sum(sizes[id(child)] for child in children)
            if total > MAX_NODES and shared:
                raise reject(
                    f"The YAML expands to more than {MAX_NODES:,} values through its aliases "
                    "(`*name`): that is an alias bomb, not an API description.",
                    line=node.start_mark.line + 1,
                )
            if total > MAX_NODES:
                raise reject(TOO_MANY_VALUES)
            sizes[key] = total
            continue
        if key in sizes:
            shared = True
            continue
        if key in on_path:
            raise reject(
                "A YAML alias refers to a node that contains it (a recursive anchor).",
                line=node.start_mark.line + 1,
            )
        on_path.add(key)
        stack.append((node, True))
        for child in _yaml_children(node):
            if id(child) in on_path:
                raise reject(
                    "A YAML alias refers to a node that contains it (a recursive anchor).",
                    line=child.start_mark.line + 1,
                )
            if id(child) in sizes:
                shared = True
            else:
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
            raise reject(
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
            raise reject("The file has no content.")
        if ALIAS_RE.search(text):
            # Aliases can expand a small file into millions of values, or nest it without
            # end: measured on the node tree before anything is expanded. Without any, the
            # values are the nodes libyaml read, and `sanitize` counts and bounds them.
            _yaml_node_budget(node)
            _yaml_depth(node)
        return loader.construct_document(node), node
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        problem = error.problem or error.context or "unreadable YAML"
        raise reject(
            f"The YAML cannot be read: {problem}.", line=mark.line + 1 if mark else None
        ) from None
    except yaml.YAMLError as error:
        raise reject(f"The YAML cannot be read: {clip(str(error), 200)}.") from None
    except RecursionError:
        raise reject(f"The document nests deeper than {MAX_NESTING} levels.") from None
    except ValueError as error:  # a value its type refuses: a date like 2026-13-45, a huge integer
        if "digits" in str(error):
            raise reject(TOO_LONG_NUMBER) from None
        raise reject(f"The YAML cannot be read: {clip(str(error), 200)}.") from None
    finally:
        loader.dispose()


def load_json(text: str) -> Any:
    """Decoded JSON text -> Python values; DocumentRejected with the line if it is not JSON."""
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        raise reject(
            f"The JSON cannot be read: {error.msg} (column {error.colno}).", line=error.lineno
        ) from None
    except RecursionError:
        raise reject(f"The document nests deeper than {MAX_NESTING} levels.") from None
    except ValueError:  # an integer longer than Python reads (4,300 digits)
        raise reject(TOO_LONG_NUMBER) from None
    if ESCAPED_SURROGATE_RE.search(text) and _holds_lone_surrogate(value):
        raise reject(
            "A string in the document holds a lone surrogate (an escape such as `\\ud800` "
            "without its pair), which is not text. Fix the string and attach the file again."
        )
    return value


def _holds_lone_surrogate(value: Any) -> bool:
    try:
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


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


def scalar_text(root: yaml.Node | None, parts: Sequence[str | int]) -> str | None:
    """The text of the scalar at `parts` exactly as written in the YAML (`1.10`, not 1.1)."""
    if root is None:
        return None
    node = root
    for part in parts:
        if not isinstance(node, yaml.MappingNode):
            return None
        found = next((v for k, v in node.value if str(k.value) == str(part)), None)
        if found is None:
            return None
        node = found
    return str(node.value) if isinstance(node, yaml.ScalarNode) else None
