"""Discord's documented payload limits, checked the way the real API rejects bad bodies.

Every checker returns a list of problems; the REST layer answers 400 (Invalid Form Body) with
them, so a bot that would be rejected by Discord is rejected by the emulator too.
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from localdiscord.emulator.state import IS_COMPONENTS_V2, JSON

Path = tuple[str | int, ...]

COMMAND_TYPES = {1: "CHAT_INPUT", 2: "USER", 3: "MESSAGE", 4: "PRIMARY_ENTRY_POINT"}
OPTION_TYPES = {
    1: "SUB_COMMAND",
    2: "SUB_COMMAND_GROUP",
    3: "STRING",
    4: "INTEGER",
    5: "BOOLEAN",
    6: "USER",
    7: "CHANNEL",
    8: "ROLE",
    9: "MENTIONABLE",
    10: "NUMBER",
    11: "ATTACHMENT",
}
SELECT_TYPES = {3, 5, 6, 7, 8}
MAX_SAFE_INT = 2**53


@dataclass(frozen=True)
class Problem:
    path: Path
    message: str
    code: str = "BASE_TYPE_INVALID"

    def __str__(self) -> str:
        where = ".".join(str(p) for p in self.path)
        return f"{where}: {self.message}" if where else self.message


def error_body(problems: list[Problem], *, code: int = 50035, message: str = "") -> JSON:
    """Discord's 400 body: nested `errors` with `_errors` lists (discord.py flattens these)."""
    errors: JSON = {}
    for problem in problems:
        node = errors
        for part in problem.path:
            node = node.setdefault(str(part), {})
        node.setdefault("_errors", []).append({"code": problem.code, "message": problem.message})
    return {
        "code": code,
        "message": message or "Invalid Form Body",
        "errors": errors,
        "emulator_problems": [str(p) for p in problems],
    }


# -- helpers -------------------------------------------------------------------------------


def _length(
    value: Any, path: Path, lo: int, hi: int, what: str, *, required: bool = True
) -> Iterator[Problem]:
    if value is None:
        if required and lo > 0:
            yield Problem(path, f"{what} is required", "BASE_TYPE_REQUIRED")
        return
    if not isinstance(value, str):
        yield Problem(path, f"{what} must be a string, got {type(value).__name__}")
        return
    if not lo <= len(value) <= hi:
        code = "BASE_TYPE_MAX_LENGTH" if len(value) > hi else "BASE_TYPE_MIN_LENGTH"
        yield Problem(path, f"{what} must be {lo}-{hi} characters long (got {len(value)})", code)


def _name_char_ok(ch: str) -> bool:
    if ch in "-_'":
        return True
    category = unicodedata.category(ch)
    if category[0] in "LN":
        return True
    # Devanagari and Thai combining marks are allowed by Discord's regex too.
    return category[0] == "M" and (0x0900 <= ord(ch) <= 0x097F or 0x0E00 <= ord(ch) <= 0x0E7F)


def _chat_name(name: Any, path: Path, what: str) -> Iterator[Problem]:
    """`^[-_'\\p{L}\\p{N}]{1,32}$`, lower-case where a lower-case variant exists."""
    problems = list(_length(name, path, 1, 32, what))
    yield from problems
    if problems or not isinstance(name, str):
        return
    bad = sorted({ch for ch in name if not _name_char_ok(ch)})
    if bad:
        yield Problem(
            path,
            f"{what} {name!r} has characters Discord does not allow: {''.join(bad)!r} "
            r"(must match ^[-_\p{L}\p{N}]{1,32}$)",
            "APPLICATION_COMMAND_INVALID_NAME",
        )
    if name != name.lower():
        yield Problem(
            path, f"{what} {name!r} must be lower-case", "APPLICATION_COMMAND_INVALID_NAME"
        )


def _localizations(value: Any, path: Path, check: str, *, chat: bool) -> Iterator[Problem]:
    if value is None:
        return
    if not isinstance(value, dict):
        yield Problem(path, "localizations must be an object")
        return
    for locale, text in value.items():
        if check == "name":
            if chat:
                yield from _chat_name(text, (*path, locale), "localized name")
            else:
                yield from _length(text, (*path, locale), 1, 32, "localized name")
        else:
            yield from _length(text, (*path, locale), 1, 100, "localized description")


# -- application commands ------------------------------------------------------------------


def _command_chars(payload: JSON) -> int:
    """Characters Discord counts towards the 8000 limit (names, descriptions, choice values)."""
    total = len(str(payload.get("name") or "")) + len(str(payload.get("description") or ""))
    for choice in payload.get("choices") or []:
        if isinstance(choice, dict):
            total += len(str(choice.get("name") or "")) + len(str(choice.get("value") or ""))
    for option in payload.get("options") or []:
        if isinstance(option, dict):
            total += _command_chars(option)
    return total


def _choices(option: JSON, path: Path) -> Iterator[Problem]:
    choices = option.get("choices")
    if choices is None:
        return
    otype = option.get("type")
    if otype not in (3, 4, 10):
        yield Problem(path, "choices are only allowed on STRING/INTEGER/NUMBER options")
        return
    if not isinstance(choices, list):
        yield Problem(path, "choices must be a list")
        return
    if len(choices) > 25:
        yield Problem(
            path, f"at most 25 choices are allowed (got {len(choices)})", "BASE_TYPE_MAX_LENGTH"
        )
    if choices and option.get("autocomplete"):
        yield Problem(path, "autocomplete cannot be used together with choices")
    names = Counter(c.get("name") for c in choices if isinstance(c, dict))
    for dup, count in names.items():
        if count > 1:
            yield Problem(path, f"choice name {dup!r} is used {count} times")
    for index, choice in enumerate(choices):
        cpath = (*path, index)
        if not isinstance(choice, dict):
            yield Problem(cpath, "a choice must be an object")
            continue
        yield from _length(choice.get("name"), (*cpath, "name"), 1, 100, "choice name")
        yield from _localizations(
            choice.get("name_localizations"), (*cpath, "name_localizations"), "desc", chat=False
        )
        value = choice.get("value")
        vpath = (*cpath, "value")
        if otype == 3:
            yield from _length(value, vpath, 1, 100, "choice value")
        elif otype == 4:
            if isinstance(value, bool) or not isinstance(value, int):
                yield Problem(vpath, f"choice value {value!r} must be an integer")
            elif abs(value) > MAX_SAFE_INT:
                yield Problem(vpath, "integer choice value must be within ±2^53")
        elif otype == 10 and (isinstance(value, bool) or not isinstance(value, int | float)):
            yield Problem(vpath, f"choice value {value!r} must be a number")


def _option(option: Any, path: Path, level: int) -> Iterator[Problem]:
    """Check one option; level 0 = command, 1 = inside a group, 2 = inside a subcommand."""
    if not isinstance(option, dict):
        yield Problem(path, "an option must be an object")
        return
    otype = option.get("type")
    if otype not in OPTION_TYPES:
        yield Problem((*path, "type"), f"unknown option type {otype!r}")
        return
    yield from _chat_name(option.get("name"), (*path, "name"), "option name")
    yield from _length(option.get("description"), (*path, "description"), 1, 100, "description")
    yield from _localizations(
        option.get("name_localizations"), (*path, "name_localizations"), "name", chat=True
    )
    yield from _localizations(
        option.get("description_localizations"),
        (*path, "description_localizations"),
        "desc",
        chat=True,
    )
    if otype == 2 and level != 0:
        yield Problem(path, "a SUB_COMMAND_GROUP can only be at the top level of a command")
    if otype == 1 and level == 2:
        yield Problem(path, "a SUB_COMMAND cannot be nested inside a SUB_COMMAND")
    if otype != 1 and level == 1:
        yield Problem(path, "a SUB_COMMAND_GROUP may only contain SUB_COMMANDs")
    if otype in (1, 2):
        if otype == 2 and not option.get("options"):
            yield Problem(path, "a SUB_COMMAND_GROUP needs at least one SUB_COMMAND")
        yield from _options(option.get("options"), (*path, "options"), 1 if otype == 2 else 2)
        return
    yield from _choices(option, (*path, "choices"))
    if option.get("autocomplete") and otype not in (3, 4, 10):
        yield Problem(path, "autocomplete is only allowed on STRING/INTEGER/NUMBER options")
    for key in ("min_value", "max_value"):
        if option.get(key) is not None and otype not in (4, 10):
            yield Problem((*path, key), f"{key} is only allowed on INTEGER/NUMBER options")
    lo, hi = option.get("min_value"), option.get("max_value")
    if isinstance(lo, int | float) and isinstance(hi, int | float) and lo > hi:
        yield Problem(path, f"min_value {lo} is greater than max_value {hi}")
    for key, low in (("min_length", 0), ("max_length", 1)):
        value = option.get(key)
        if value is None:
            continue
        if otype != 3:
            yield Problem((*path, key), f"{key} is only allowed on STRING options")
        elif not isinstance(value, int) or not low <= value <= 6000:
            yield Problem((*path, key), f"{key} must be an integer in {low}-6000")
    lo, hi = option.get("min_length"), option.get("max_length")
    if isinstance(lo, int) and isinstance(hi, int) and lo > hi:
        yield Problem(path, f"min_length {lo} is greater than max_length {hi}")
    if option.get("channel_types") is not None and otype != 7:
        yield Problem((*path, "channel_types"), "channel_types is only allowed on CHANNEL options")


def _options(options: Any, path: Path, level: int) -> Iterator[Problem]:
    if options is None:
        return
    if not isinstance(options, list):
        yield Problem(path, "options must be a list")
        return
    if len(options) > 25:
        yield Problem(
            path, f"at most 25 options are allowed (got {len(options)})", "BASE_TYPE_MAX_LENGTH"
        )
    names = Counter(o.get("name") for o in options if isinstance(o, dict))
    for name, count in names.items():
        if count > 1:
            yield Problem(
                path,
                f"option name {name!r} is used {count} times",
                "APPLICATION_COMMAND_OPTIONS_NAME_ALREADY_EXISTS",
            )
    kinds = {isinstance(o, dict) and o.get("type") in (1, 2) for o in options}
    if level == 0 and len(kinds) > 1:
        yield Problem(path, "subcommands/groups cannot be mixed with other options at one level")
    seen_optional = None
    for index, option in enumerate(options):
        yield from _option(option, (*path, index), level)
        if not isinstance(option, dict) or option.get("type") in (1, 2):
            continue
        if option.get("required"):
            if seen_optional is not None:
                yield Problem(
                    (*path, index),
                    f"required option {option.get('name')!r} must come before optional option "
                    f"{seen_optional!r}",
                    "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID",
                )
        elif seen_optional is None:
            seen_optional = option.get("name")


def command_problems(payload: Any) -> list[Problem]:
    """Structured problems of one application-command payload."""
    if not isinstance(payload, dict):
        return [Problem((), "a command must be a JSON object")]
    problems: list[Problem] = []
    ctype = payload.get("type", 1)
    if ctype not in COMMAND_TYPES:
        return [Problem(("type",), f"unknown command type {ctype!r}")]
    chat = ctype == 1
    if chat:
        problems += _chat_name(payload.get("name"), ("name",), "command name")
        problems += _length(payload.get("description"), ("description",), 1, 100, "description")
        problems += _options(payload.get("options"), ("options",), 0)
    else:
        problems += _length(payload.get("name"), ("name",), 1, 32, "command name")
        if payload.get("description"):
            problems.append(
                Problem(("description",), "USER/MESSAGE commands must have an empty description")
            )
        if payload.get("options"):
            problems.append(Problem(("options",), "USER/MESSAGE commands cannot have options"))
    problems += _localizations(
        payload.get("name_localizations"), ("name_localizations",), "name", chat=chat
    )
    problems += _localizations(
        payload.get("description_localizations"),
        ("description_localizations",),
        "desc",
        chat=chat,
    )
    perms = payload.get("default_member_permissions")
    # Discord documents a string of digits; it also accepts the integer discord.py sends.
    valid_int = isinstance(perms, int) and not isinstance(perms, bool) and perms >= 0
    if perms is not None and not valid_int and not (isinstance(perms, str) and perms.isdigit()):
        problems.append(
            Problem(("default_member_permissions",), "must be a string of digits or null")
        )
    total = _command_chars(payload)
    if total > 8000:
        problems.append(
            Problem(
                (),
                f"command is {total} characters long in total; the limit is 8000",
                "APPLICATION_COMMAND_TOO_LARGE",
            )
        )
    return problems


def command_payload_problems(payload: Any) -> list[str]:
    """Why Discord would reject this application-command payload (empty list: it is valid)."""
    return [str(p) for p in command_problems(payload)]


def commands_problems(payloads: Any) -> list[Problem]:
    """Problems of a bulk-overwrite body: each command, duplicates and per-type counts."""
    if not isinstance(payloads, list):
        return [Problem((), "the body must be a list of commands")]
    problems: list[Problem] = []
    for index, payload in enumerate(payloads):
        problems += [
            Problem((index, *p.path), p.message, p.code) for p in command_problems(payload)
        ]
    keyed = Counter((p.get("type", 1), p.get("name")) for p in payloads if isinstance(p, dict))
    for (ctype, name), count in keyed.items():
        if count > 1:
            problems.append(
                Problem(
                    (),
                    f"command {name!r} ({COMMAND_TYPES.get(ctype, ctype)}) "
                    f"is registered {count} times",
                    "APPLICATION_COMMANDS_DUPLICATE_NAME",
                )
            )
    per_type = Counter(p.get("type", 1) for p in payloads if isinstance(p, dict))
    for ctype, limit in ((1, 100), (2, 5), (3, 5)):
        if per_type[ctype] > limit:
            problems.append(
                Problem(
                    (),
                    f"at most {limit} {COMMAND_TYPES[ctype]} commands are allowed "
                    f"(got {per_type[ctype]})",
                )
            )
    return problems


# -- messages ------------------------------------------------------------------------------


def _embed(embed: Any, path: Path) -> Iterator[Problem]:
    if not isinstance(embed, dict):
        yield Problem(path, "an embed must be an object")
        return
    yield from _length(embed.get("title"), (*path, "title"), 0, 256, "embed title", required=False)
    yield from _length(
        embed.get("description"),
        (*path, "description"),
        0,
        4096,
        "embed description",
        required=False,
    )
    fields = embed.get("fields") or []
    if len(fields) > 25:
        yield Problem((*path, "fields"), f"at most 25 embed fields are allowed (got {len(fields)})")
    for index, fld in enumerate(fields):
        fpath = (*path, "fields", index)
        if not isinstance(fld, dict):
            yield Problem(fpath, "an embed field must be an object")
            continue
        yield from _length(fld.get("name"), (*fpath, "name"), 1, 256, "embed field name")
        yield from _length(fld.get("value"), (*fpath, "value"), 1, 1024, "embed field value")
    footer = embed.get("footer")
    if isinstance(footer, dict):
        yield from _length(
            footer.get("text"), (*path, "footer", "text"), 1, 2048, "embed footer text"
        )
    author = embed.get("author")
    if isinstance(author, dict):
        yield from _length(
            author.get("name"), (*path, "author", "name"), 1, 256, "embed author name"
        )
    color = embed.get("color")
    if color is not None and (not isinstance(color, int) or not 0 <= color <= 0xFFFFFF):
        yield Problem((*path, "color"), f"embed color {color!r} must be an integer in 0-0xFFFFFF")


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
        yield from _length(custom_id, (*path, "custom_id"), 1, 100, "custom_id")
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
            yield from _length(label, (*path, "label"), 0, 80, "button label")
        if not label and not component.get("emoji") and style != 6:
            yield Problem(path, "a button needs a label or an emoji")
    elif ctype in SELECT_TYPES:
        if custom_id is None:
            yield Problem(
                (*path, "custom_id"), "a select menu needs a custom_id", "BASE_TYPE_REQUIRED"
            )
        yield from _length(
            component.get("placeholder"),
            (*path, "placeholder"),
            0,
            150,
            "placeholder",
            required=False,
        )
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
            values = Counter(o.get("value") for o in options if isinstance(o, dict))
            for value, count in values.items():
                if count > 1:
                    yield Problem(
                        (*path, "options"), f"select option value {value!r} is used {count} times"
                    )
            for index, opt in enumerate(options):
                opath = (*path, "options", index)
                if not isinstance(opt, dict):
                    yield Problem(opath, "a select option must be an object")
                    continue
                yield from _length(opt.get("label"), (*opath, "label"), 1, 100, "option label")
                yield from _length(opt.get("value"), (*opath, "value"), 1, 100, "option value")
                yield from _length(
                    opt.get("description"),
                    (*opath, "description"),
                    0,
                    100,
                    "option description",
                    required=False,
                )
    elif ctype == 4:
        style = component.get("style")
        if style not in (1, 2):
            yield Problem((*path, "style"), f"text input style must be 1 or 2, got {style!r}")
        if custom_id is None:
            yield Problem(
                (*path, "custom_id"), "a text input needs a custom_id", "BASE_TYPE_REQUIRED"
            )
        if "label" in component:
            yield from _length(component.get("label"), (*path, "label"), 1, 45, "text input label")
        lo, hi = component.get("min_length"), component.get("max_length")
        if lo is not None and (not isinstance(lo, int) or not 0 <= lo <= 4000):
            yield Problem((*path, "min_length"), "min_length must be in 0-4000")
        if hi is not None and (not isinstance(hi, int) or not 1 <= hi <= 4000):
            yield Problem((*path, "max_length"), "max_length must be in 1-4000")
        yield from _length(
            component.get("value"), (*path, "value"), 0, 4000, "text input value", required=False
        )
        yield from _length(
            component.get("placeholder"),
            (*path, "placeholder"),
            0,
            100,
            "placeholder",
            required=False,
        )
    elif ctype == 18:
        yield from _length(component.get("label"), (*path, "label"), 1, 45, "label")
        yield from _length(
            component.get("description"),
            (*path, "description"),
            0,
            100,
            "label description",
            required=False,
        )


def _components(components: Any, path: Path, *, v2: bool, modal: bool = False) -> Iterator[Problem]:
    if components is None:
        return
    if not isinstance(components, list):
        yield Problem(path, "components must be a list")
        return
    if not v2 and not modal:
        if len(components) > 5:
            yield Problem(path, f"at most 5 action rows are allowed (got {len(components)})")
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
    ids = Counter(
        c.get("custom_id") for c in walk_components(components) if c.get("custom_id") is not None
    )
    for custom_id, count in ids.items():
        if count > 1:
            yield Problem(
                path,
                f"custom_id {custom_id!r} is used {count} times",
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
        problems += _length(content, ("content",), 0, 2000, "content")
    embeds = body.get("embeds")
    if embeds is not None:
        if not isinstance(embeds, list):
            problems.append(Problem(("embeds",), "embeds must be a list"))
            embeds = []
        if len(embeds) > 10:
            problems.append(
                Problem(("embeds",), f"at most 10 embeds are allowed (got {len(embeds)})")
            )
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
    problems += _length(data.get("custom_id"), ("data", "custom_id"), 1, 100, "custom_id")
    problems += _length(data.get("title"), ("data", "title"), 1, 45, "modal title")
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
    if len(choices) > 25:
        problems.append(
            Problem(("data", "choices"), f"at most 25 choices are allowed (got {len(choices)})")
        )
    for index, choice in enumerate(choices):
        path: Path = ("data", "choices", index)
        if not isinstance(choice, dict):
            problems.append(Problem(path, "a choice must be an object"))
            continue
        problems += _length(choice.get("name"), (*path, "name"), 1, 100, "choice name")
        value = choice.get("value")
        if isinstance(value, str):
            problems += _length(value, (*path, "value"), 1, 100, "choice value")
    return problems
