"""Discord's limits on what the bot sends: messages, embeds, components, modals, choices."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from localdiscord.emulator.problems import (
    Path,
    Problem,
    each_object,
    field_length,
    repeated,
    text_length,
    too_many,
)
from localdiscord.emulator.state import IS_COMPONENTS_V2, JSON

SELECT_TYPES = {3, 5, 6, 7, 8}


def _embed(embed: Any, path: Path) -> Iterator[Problem]:
    if not isinstance(embed, dict):
        yield Problem(path, "an embed must be an object")
        return
    yield from field_length(embed, path, "title", 0, 256, "embed title")
    yield from field_length(embed, path, "description", 0, 4096, "embed description")
    fields = embed.get("fields") or []
    yield from too_many(fields, 25, (*path, "fields"), "embed fields")
    yield from each_object(fields, (*path, "fields"), "an embed field", _embed_field)
    footer = embed.get("footer")
    if isinstance(footer, dict):
        yield from field_length(footer, (*path, "footer"), "text", 1, 2048, "embed footer text")
    author = embed.get("author")
    if isinstance(author, dict):
        yield from field_length(author, (*path, "author"), "name", 1, 256, "embed author name")
    color = embed.get("color")
    if color is not None and (not isinstance(color, int) or not 0 <= color <= 0xFFFFFF):
        yield Problem((*path, "color"), f"embed color {color!r} must be an integer in 0-0xFFFFFF")


def _embed_field(field: JSON, path: Path) -> Iterator[Problem]:
    yield from field_length(field, path, "name", 1, 256, "embed field name")
    yield from field_length(field, path, "value", 1, 1024, "embed field value")


def _embed_chars(embed: Any) -> int:
    if not isinstance(embed, dict):
        return 0
    total = len(embed.get("title") or "") + len(embed.get("description") or "")
    for fld in embed.get("fields") or []:
        if isinstance(fld, dict):
            total += len(fld.get("name") or "") + len(fld.get("value") or "")
    for key, sub in (("footer", "text"), ("author", "name")):
        part = embed.get(key)
        if isinstance(part, dict):
            total += len(part.get(sub) or "")
    return total


def walk_components(components: Any) -> Iterator[JSON]:
    """Every component dict, depth first (action rows, sections, containers, labels)."""
    if not isinstance(components, list):
        return
    for component in components:
        if not isinstance(component, dict):
            continue
        yield component
        yield from walk_components(component.get("components"))
        for key in ("accessory", "component"):
            child = component.get(key)
            if isinstance(child, dict):
                yield from walk_components([child])


def _component(component: JSON, path: Path) -> Iterator[Problem]:
    ctype = component.get("type")
    custom_id = component.get("custom_id")
    if custom_id is not None:
        yield from text_length(custom_id, (*path, "custom_id"), 1, 100, "custom_id")
    if ctype == 2:
        style = component.get("style")
        if style not in (1, 2, 3, 4, 5, 6):
            yield Problem((*path, "style"), f"unknown button style {style!r}")
        if style == 5:
            if not component.get("url"):
                yield Problem((*path, "url"), "a link button needs a url")
            if custom_id is not None:
                yield Problem((*path, "custom_id"), "a link button cannot have a custom_id")
        elif style != 6 and custom_id is None:
            yield Problem((*path, "custom_id"), "a button needs a custom_id", "BASE_TYPE_REQUIRED")
        label = component.get("label")
        if label is not None:
            yield from text_length(label, (*path, "label"), 0, 80, "button label")
        if not label and not component.get("emoji") and style != 6:
            yield Problem(path, "a button needs a label or an emoji")
    elif ctype in SELECT_TYPES:
        if custom_id is None:
            yield Problem(
                (*path, "custom_id"), "a select menu needs a custom_id", "BASE_TYPE_REQUIRED"
            )
        yield from field_length(component, path, "placeholder", 0, 150, "placeholder")
        lo, hi = component.get("min_values", 1), component.get("max_values", 1)
        if not isinstance(lo, int) or not 0 <= lo <= 25:
            yield Problem((*path, "min_values"), "min_values must be in 0-25")
        if not isinstance(hi, int) or not 1 <= hi <= 25:
            yield Problem((*path, "max_values"), "max_values must be in 1-25")
        if isinstance(lo, int) and isinstance(hi, int) and lo > hi:
            yield Problem(path, f"min_values {lo} is greater than max_values {hi}")
        if ctype == 3:
            options = component.get("options") or []
            if not 1 <= len(options) <= 25:
                yield Problem(
                    (*path, "options"), f"a select menu needs 1-25 options (got {len(options)})"
                )
            if isinstance(hi, int) and hi > len(options):
                yield Problem(
                    (*path, "max_values"), f"max_values {hi} exceeds the {len(options)} options"
                )
            yield from repeated(
                (o.get("value") for o in options if isinstance(o, dict)),
                (*path, "options"),
                "select option value",
            )
            yield from each_object(options, (*path, "options"), "a select option", _select_option)
    elif ctype == 4:
        style = component.get("style")
        if style not in (1, 2):
            yield Problem((*path, "style"), f"text input style must be 1 or 2, got {style!r}")
        if custom_id is None:
            yield Problem(
                (*path, "custom_id"), "a text input needs a custom_id", "BASE_TYPE_REQUIRED"
            )
        if "label" in component:
            yield from field_length(component, path, "label", 1, 45, "text input label")
        lo, hi = component.get("min_length"), component.get("max_length")
        if lo is not None and (not isinstance(lo, int) or not 0 <= lo <= 4000):
            yield Problem((*path, "min_length"), "min_length must be in 0-4000")
        if hi is not None and (not isinstance(hi, int) or not 1 <= hi <= 4000):
            yield Problem((*path, "max_length"), "max_length must be in 1-4000")
        yield from field_length(component, path, "value", 0, 4000, "text input value")
        yield from field_length(component, path, "placeholder", 0, 100, "placeholder")
    elif ctype == 18:
        yield from field_length(component, path, "label", 1, 45, "label")
        yield from field_length(component, path, "description", 0, 100, "label description")


def _select_option(option: JSON, path: Path) -> Iterator[Problem]:
    yield from field_length(option, path, "label", 1, 100, "option label")
    yield from field_length(option, path, "value", 1, 100, "option value")
    yield from field_length(option, path, "description", 0, 100, "option description")


def _components(components: Any, path: Path, *, v2: bool, modal: bool = False) -> Iterator[Problem]:
    if components is None:
        return
    if not isinstance(components, list):
        yield Problem(path, "components must be a list")
        return
    if not v2 and not modal:
        yield from too_many(components, 5, path, "action rows")
        for index, row in enumerate(components):
            rpath = (*path, index)
            if not isinstance(row, dict) or row.get("type") != 1:
                yield Problem(
                    rpath,
                    "top-level components must be action rows (type 1) "
                    "unless IS_COMPONENTS_V2 is set",
                )
                continue
            children = row.get("components") or []
            if not 1 <= len(children) <= 5:
                yield Problem(
                    (*rpath, "components"),
                    f"an action row holds 1-5 components (got {len(children)})",
                )
            if (
                any(isinstance(c, dict) and c.get("type") in SELECT_TYPES for c in children)
                and len(children) > 1
            ):
                yield Problem(
                    (*rpath, "components"), "a select menu must be alone in its action row"
                )
            if any(isinstance(c, dict) and c.get("type") == 4 for c in children):
                yield Problem((*rpath, "components"), "text inputs are only allowed in modals")
    elif v2:
        total = sum(1 for _ in walk_components(components))
        if total > 40:
            yield Problem(path, f"at most 40 components are allowed (got {total})")
    yield from repeated(
        (c["custom_id"] for c in walk_components(components) if c.get("custom_id") is not None),
        path,
        "custom_id",
        "COMPONENT_CUSTOM_ID_DUPLICATED",
    )
    for index, component in enumerate(walk_components(components)):
        yield from _component(component, (*path, "_all", index))


def message_problems(body: Any, *, files: int = 0, partial: bool = False) -> list[Problem]:
    """Problems of a message create (or, with `partial`, edit) body."""
    if not isinstance(body, dict):
        return [Problem((), "the message body must be a JSON object")]
    problems: list[Problem] = []
    flags = body.get("flags") or 0
    v2 = bool(isinstance(flags, int) and flags & IS_COMPONENTS_V2)
    content = body.get("content")
    if content is not None:
        problems += text_length(content, ("content",), 0, 2000, "content")
    embeds = body.get("embeds")
    if embeds is not None:
        if not isinstance(embeds, list):
            problems.append(Problem(("embeds",), "embeds must be a list"))
            embeds = []
        problems += too_many(embeds, 10, ("embeds",), "embeds")
        for index, embed in enumerate(embeds):
            problems += _embed(embed, ("embeds", index))
        total = sum(_embed_chars(e) for e in embeds)
        if total > 6000:
            problems.append(
                Problem(("embeds",), f"embeds hold {total} characters; the limit is 6000")
            )
    if v2 and (content or embeds):
        problems.append(
            Problem(("flags",), "IS_COMPONENTS_V2 messages cannot have content or embeds")
        )
    problems += _components(body.get("components"), ("components",), v2=v2)
    mentions = body.get("allowed_mentions")
    if mentions is not None:
        if not isinstance(mentions, dict):
            problems.append(Problem(("allowed_mentions",), "allowed_mentions must be an object"))
        else:
            parse = mentions.get("parse") or []
            for kind in parse:
                if kind not in ("users", "roles", "everyone"):
                    problems.append(
                        Problem(("allowed_mentions", "parse"), f"unknown parse type {kind!r}")
                    )
            for kind in ("users", "roles"):
                if kind in parse and mentions.get(kind):
                    problems.append(
                        Problem(
                            ("allowed_mentions",),
                            f"parse {kind!r} conflicts with an explicit {kind} list",
                        )
                    )
                if len(mentions.get(kind) or []) > 100:
                    problems.append(
                        Problem(("allowed_mentions", kind), "at most 100 ids are allowed")
                    )
    if not partial:
        has_body = any(
            body.get(key)
            for key in ("content", "embeds", "components", "sticker_ids", "poll", "attachments")
        )
        if not has_body and files == 0:
            problems.append(Problem((), "Cannot send an empty message", "EMPTY_MESSAGE"))
    return problems


def message_payload_problems(body: Any, *, files: int = 0, partial: bool = False) -> list[str]:
    """Why Discord would reject this message body (empty list: it is valid)."""
    return [str(p) for p in message_problems(body, files=files, partial=partial)]


def modal_problems(data: Any) -> list[Problem]:
    """Problems of a MODAL (type 9) callback's `data`."""
    if not isinstance(data, dict):
        return [Problem(("data",), "a modal needs data")]
    problems: list[Problem] = []
    problems += field_length(data, ("data",), "custom_id", 1, 100, "custom_id")
    problems += field_length(data, ("data",), "title", 1, 45, "modal title")
    components = data.get("components")
    if not isinstance(components, list) or not 1 <= len(components) <= 5:
        count = len(components) if isinstance(components, list) else 0
        problems.append(
            Problem(("data", "components"), f"a modal holds 1-5 components (got {count})")
        )
    problems += _components(components, ("data", "components"), v2=False, modal=True)
    return problems


def autocomplete_problems(data: Any) -> list[Problem]:
    """Problems of an AUTOCOMPLETE_RESULT (type 8) callback's `data`."""
    if not isinstance(data, dict) or not isinstance(data.get("choices"), list):
        return [Problem(("data", "choices"), "autocomplete results need a choices list")]
    choices = data["choices"]
    problems: list[Problem] = []
    problems += too_many(choices, 25, ("data", "choices"), "choices")
    problems += each_object(choices, ("data", "choices"), "a choice", _result_choice)
    return problems


def _result_choice(choice: JSON, path: Path) -> Iterator[Problem]:
    yield from field_length(choice, path, "name", 1, 100, "choice name")
    value = choice.get("value")
    if isinstance(value, str):
        yield from text_length(value, (*path, "value"), 1, 100, "choice value")
