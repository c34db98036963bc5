"""YAML text -> Python values straight from libyaml's events, aliases measured on the way.

PyYAML's own path composes a node object, with two position marks, for every value before it
builds any: about 750,000 objects for a 3 MB document, which Python's garbage collector walked
again and again while they were alive (3.5 s of the 3.9 s the tree took). Here each event
becomes its value at once, and no tree is kept: lines are found later, only for the pointers
that need one (`loading.YamlSource`).

The values are those of PyYAML's safe loader with JSON's data model (see `loading`): the same
implicit resolvers and scalar constructors, mapping keys kept as the text written, a key that
is a list or a mapping refused. An alias is the anchored value itself (shared, as PyYAML
shares it), and each anchor's size and depth are kept, so an alias bomb or a recursive anchor
is refused before anything expands it. Explicit tags (`!!set`, `!custom`) and merge keys
(`<<`) are rare in API documents: they raise `Unusual`, and PyYAML's constructor reads those.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import yaml
from yaml.events import (
    AliasEvent,
    DocumentStartEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
)

from bot.specs.openapi.problems import MAX_NESTING, MAX_NODES, pointer_of, reject

if TYPE_CHECKING:
    from yaml.constructor import SafeConstructor

NULL = "tag:yaml.org,2002:null"
BOOL = "tag:yaml.org,2002:bool"
INT = "tag:yaml.org,2002:int"
FLOAT = "tag:yaml.org,2002:float"
COMPLEX_KEY = "A mapping key is a list or a mapping; OpenAPI keys are text."
RECURSIVE = "A YAML alias refers to a node that contains it (a recursive anchor)."
ALIAS_BOMB = (
    f"The YAML expands to more than {MAX_NODES:,} values through its aliases (`*name`): that "
    "is an alias bomb, not an API description."
)
TOO_DEEP = f"The document nests deeper than {MAX_NESTING} levels."


class Unusual(Exception):
    """The document uses YAML only PyYAML's constructor reads: an explicit tag, a merge key."""


@dataclass(slots=True)
class _Open:
    """A mapping or sequence whose end event has not come yet."""

    value: Any  # the dict or list being filled
    start: yaml.Mark
    anchor: str | None
    is_map: bool = False  # a mapping (else a sequence)
    key: str | None = None  # a mapping's key waiting for its value
    size: int = 1  # values inside, this one included, aliases counted in full
    height: int = 1  # levels, this one included


@dataclass(slots=True)
class _Anchor:
    value: Any
    start: yaml.Mark
    size: int
    height: int
    text: str | None  # a scalar's text as written (what it is as a mapping key)


def build(loader: Any, resolvers: dict[Any, list[tuple[str, Any]]]) -> Any:
    """The single document of a libyaml parser (`loader`, a CSafeLoader), as Python values.

    `resolvers` are the implicit resolvers of the loader's class (first character -> tags).
    Raises DocumentRejected for what the document must not do, yaml.YAMLError for what is not
    YAML, and Unusual for what only PyYAML's constructor reads.
    """
    get_event = loader.get_event
    get_event()  # the stream's start
    event = get_event()
    if isinstance(event, StreamEndEvent):
        raise reject("The file has no content.")
    stack: list[_Open] = []
    anchors: dict[str, _Anchor] = {}
    aliased = False
    root: Any = None
    while True:
        event = get_event()
        kind = event.__class__
        # What the event is, as (value, size, height, key text); collections continue below.
        if kind is ScalarEvent:
            tag = event.tag
            if tag is not None and tag != "!":
                raise Unusual
            text = event.value
            if stack:
                top = stack[-1]
                if top.key is None and top.is_map and event.anchor is None:
                    if text == "<<" and event.implicit[0]:
                        raise Unusual  # a merge key
                    top.key = text  # a key is the text written (`200:` is "200")
                    top.size += 1
                    if top.height < 2:
                        top.height = 2
                    continue
            value: Any = text
            is_key = bool(stack) and stack[-1].key is None and stack[-1].is_map
            if event.implicit[0]:
                if is_key and text == "<<":
                    raise Unusual  # a merge key
                if not is_key or event.anchor is not None:
                    value = _plain(loader, resolvers, text)
            if event.anchor is not None:
                _define(anchors, stack, event.anchor, event.start_mark)
                anchors[event.anchor] = _Anchor(value, event.start_mark, 1, 1, text)
            if is_key:
                value = text  # a key is the text written (`200:` is "200")
            size, height, key_text = 1, 1, text
        elif kind is MappingStartEvent or kind is SequenceStartEvent:
            if event.tag is not None and event.tag != "!":
                raise Unusual
            if len(stack) > MAX_NESTING:
                raise reject(TOO_DEEP, pointer_of(_parts(stack)), line=event.start_mark.line + 1)
            if event.anchor is not None:
                _define(anchors, stack, event.anchor, event.start_mark)
            container: Any = {} if kind is MappingStartEvent else []
            stack.append(
                _Open(container, event.start_mark, event.anchor, kind is MappingStartEvent)
            )
            continue
        elif kind is MappingEndEvent or kind is SequenceEndEvent:
            done = stack.pop()
            if done.size > MAX_NODES and aliased:
                raise reject(ALIAS_BOMB, line=done.start.line + 1)
            if done.anchor is not None:
                anchors[done.anchor] = _Anchor(done.value, done.start, done.size, done.height, None)
            value, size, height, key_text = done.value, done.size, done.height, None
            if stack and stack[-1].key is None and stack[-1].is_map:
                raise reject(COMPLEX_KEY, line=done.start.line + 1)
        elif kind is AliasEvent:
            aliased = True
            anchor = anchors.get(event.anchor)
            if anchor is None:
                if any(frame.anchor == event.anchor for frame in stack):
                    opened = next(f for f in stack if f.anchor == event.anchor)
                    raise reject(RECURSIVE, line=opened.start.line + 1)
                raise yaml.composer.ComposerError(
                    None, None, f"found undefined alias {event.anchor!r}", event.start_mark
                )
            if len(stack) + anchor.height > MAX_NESTING:
                raise reject(TOO_DEEP, line=event.start_mark.line + 1)
            value, size, height, key_text = anchor.value, anchor.size, anchor.height, anchor.text
            key_wanted = stack and stack[-1].key is None and stack[-1].is_map
            if anchor.text is None and key_wanted:
                raise reject(COMPLEX_KEY, line=anchor.start.line + 1)
        else:
            raise yaml.composer.ComposerError(
                None, None, f"unexpected {kind.__name__}", event.start_mark
            )
        if not stack:
            root = value
            break
        top = stack[-1]
        top.size += size
        if height >= top.height:
            top.height = height + 1
        if not top.is_map:
            top.value.append(value)
        elif top.key is None:
            top.key = key_text
        else:
            top.value[top.key] = value
            top.key = None
    get_event()  # the document's end
    event = get_event()
    if isinstance(event, DocumentStartEvent):
        raise reject(
            "The file holds more than one YAML document (`---`); attach one OpenAPI document.",
            line=_line(event.start_mark),
        )
    return root


def _plain(constructor: SafeConstructor, resolvers: dict[Any, list[Any]], text: str) -> Any:
    """A plain (unquoted) scalar as PyYAML's safe loader reads it: null, bool, int, float, text."""
    tag = None
    for candidate, regexp in resolvers.get(text[:1], ()):
        if regexp.match(text):
            tag = candidate
            break
    if tag is None:
        return text
    if tag == NULL:
        return None
    if tag == BOOL:
        return constructor.bool_values[text.lower()]
    if tag == INT:
        return constructor.construct_yaml_int(yaml.ScalarNode(tag, text))
    if tag == FLOAT:
        return constructor.construct_yaml_float(yaml.ScalarNode(tag, text))
    raise Unusual  # `<<` or `=` as a value: PyYAML's constructor says what it makes of them


def _define(anchors: dict[str, _Anchor], stack: list[_Open], name: str, mark: yaml.Mark) -> None:
    if name in anchors or any(frame.anchor == name for frame in stack):
        raise reject(
            f"The YAML defines the anchor `&{name[:60]}` twice; name each anchor once.",
            line=mark.line + 1,
        )


def _parts(stack: list[_Open]) -> list[str | int]:
    """The JSON pointer's parts of the value being read (for a message)."""
    parts: list[str | int] = []
    for frame in stack:
        if isinstance(frame.value, list):
            parts.append(len(frame.value))
        elif frame.key is not None:
            parts.append(frame.key)
    return parts


def _line(mark: Any) -> int | None:
    return mark.line + 1 if mark is not None else None
