"""Reading: the bytes of an uploaded file -> Python values (size, encoding, JSON or safe YAML)."""

from __future__ import annotations

import gc
import json
import re
from collections.abc import Hashable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import yaml

from bot.specs.openapi.problems import (
    MAX_NESTING,
    MAX_NODES,
    clip,
    reject,
)
from bot.specs.openapi.problems import check_size as check_size
from bot.specs.openapi.problems import document_format as document_format
from bot.specs.openapi.yaml_values import Unusual, build

BINARY_SIGNATURES = {
    b"\x89PNG": "a PNG image",
    b"%PDF": "a PDF document",
    b"PK\x03\x04": "a ZIP archive (or an Office document)",
    b"\xff\xd8\xff": "a JPEG image",
    b"GIF8": "a GIF image",
    b"\x1f\x8b": "a gzip archive",
}


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
# What the loader's resolver tries on a plain scalar, by its first character ("" when empty);
# the safe loader has no resolver for any first character (the `None` entry), so that is all.
RESOLVERS: dict[Any, list[tuple[str, Any]]] = dict(_SpecLoader.yaml_implicit_resolvers)


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


@contextmanager
def gc_paused() -> Iterator[None]:
    """Python's cyclic garbage collector held off while a document is read.

    A document is a few hundred thousand objects, all alive until the import ends: each full
    collection walks them all and frees none (1.2-1.6 s each over PyYAML's node tree of a 3 MB
    document; 0.1 s over its values). Nothing read here makes reference cycles that outlive
    the import, so the collector resumes after it with nothing left to find.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


class YamlSource(yaml.Node):
    """A YAML document's node tree, composed only when a line is asked for.

    Reading the values needs no tree (`yaml_values`); a warning's line, or a number's text as
    written, does. The first question composes it (0.3 s for 3 MB), later ones find their keys
    in an index. A document PyYAML's constructor read brings its tree along.
    """

    id = "source"

    def __init__(self, text: str, tree: yaml.Node | None = None) -> None:
        super().__init__("tag:nexus,source", None, None, None)
        self.text = text
        self.tree = tree
        self._keys: dict[int, dict[str, yaml.Node]] = {}

    def walk(self, parts: Sequence[str | int], *, sequences: bool = True) -> list[yaml.Node]:
        """The nodes from the root along `parts`, as far as they are found."""
        if self.tree is None:
            self.tree = _compose(self.text)
            if self.tree is None:
                return []
        found = [self.tree]
        for part in parts:
            node = found[-1]
            child: yaml.Node | None = None
            if isinstance(node, yaml.MappingNode):
                keys = self._keys.get(id(node))
                if keys is None:  # the first of a repeated key, as written first
                    keys = {str(k.value): v for k, v in reversed(node.value)}
                    self._keys[id(node)] = keys
                child = keys.get(str(part))
            elif sequences and isinstance(node, yaml.SequenceNode):
                index = int(part) if str(part).isdigit() else -1
                child = node.value[index] if 0 <= index < len(node.value) else None
            if child is None:
                break
            found.append(child)
        return found


class _PositionLoader(_BaseLoader):
    """Composes nodes for their positions and texts only: no tag is resolved (a third of the
    time composing took).
    """

    def resolve(self, kind: Any, value: Any, implicit: Any) -> str:
        return ""

    def descend_resolver(self, current_node: Any, current_index: Any) -> None:
        return None

    def ascend_resolver(self) -> None:
        return None


def _compose(text: str) -> yaml.Node | None:
    """The node tree of a document already read once (so it reads again)."""
    loader = _PositionLoader(text)
    try:
        with gc_paused():
            node: yaml.Node | None = loader.get_single_node()
            return node
    except (yaml.YAMLError, RecursionError):
        return None
    finally:
        loader.dispose()


def load_yaml(text: str) -> tuple[Any, YamlSource]:
    """The document's value, and its source (which turns a JSON pointer into a line)."""
    loader = _SpecLoader(text)
    try:
        with gc_paused():
            try:
                return build(loader, RESOLVERS), YamlSource(text)
            except Unusual:
                loader.dispose()
                loader = _SpecLoader(text)
                value, tree = _construct(loader, text)
                return value, YamlSource(text, tree)
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


def _construct(loader: _SpecLoader, text: str) -> tuple[Any, yaml.Node]:
    """PyYAML's own path, for documents with tags or merge keys: the node tree, its aliases
    measured before anything is expanded, then the values.
    """
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
    """The line (1-based) where the value at `parts` starts in a YAML document (or where the
    deepest part of it found does).
    """
    if not isinstance(root, YamlSource):
        return None
    found = root.walk(parts)
    return found[-1].start_mark.line + 1 if found else None


def scalar_text(root: yaml.Node | None, parts: Sequence[str | int]) -> str | None:
    """The text of the scalar at `parts` exactly as written in the YAML (`1.10`, not 1.1)."""
    if not isinstance(root, YamlSource):
        return None
    found = root.walk(parts, sequences=False)
    node = found[-1] if len(found) == len(parts) + 1 else None
    return str(node.value) if isinstance(node, yaml.ScalarNode) else None
