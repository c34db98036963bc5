"""Discord's limits on application commands: names, options, choices, sizes and counts."""

from __future__ import annotations

import unicodedata
from collections import Counter
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
from localdiscord.emulator.state import JSON

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
MAX_SAFE_INT = 2**53


def _name_char_ok(ch: str) -> bool:
    if ch in "-_'":
        return True
    category = unicodedata.category(ch)
    if category[0] in "LN":
        return True
    # Devanagari and Thai combining marks are allowed by Discord's regex too.
    return category[0] == "M" and (0x0900 <= ord(ch) <= 0x097F or 0x0E00 <= ord(ch) <= 0x0E7F)


def _chat_name(name: Any, path: Path, what: str) -> Iterator[Problem]:
    r"""`^[-_'\p{L}\p{N}]{1,32}$`, lower-case where a lower-case variant exists."""
    problems = list(text_length(name, path, 1, 32, what))
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
                yield from text_length(text, (*path, locale), 1, 32, "localized name")
        else:
            yield from text_length(text, (*path, locale), 1, 100, "localized description")


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
    yield from too_many(choices, 25, path, "choices", "BASE_TYPE_MAX_LENGTH")
    if choices and option.get("autocomplete"):
        yield Problem(path, "autocomplete cannot be used together with choices")
    names = [c.get("name") for c in choices if isinstance(c, dict)]
    yield from repeated(names, path, "choice name")
    yield from each_object(choices, path, "a choice", lambda c, p: _choice(c, p, otype))


def _choice(choice: JSON, path: Path, otype: int) -> Iterator[Problem]:
    """One choice of an option of type `otype` (STRING, INTEGER or NUMBER)."""
    yield from field_length(choice, path, "name", 1, 100, "choice name")
    yield from _localizations(
        choice.get("name_localizations"), (*path, "name_localizations"), "desc", chat=False
    )
    value = choice.get("value")
    vpath = (*path, "value")
    if otype == 3:
        yield from text_length(value, vpath, 1, 100, "choice value")
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
    yield from field_length(option, path, "description", 1, 100, "description")
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
    yield from too_many(options, 25, path, "options", "BASE_TYPE_MAX_LENGTH")
    yield from repeated(
        (o.get("name") for o in options if isinstance(o, dict)),
        path,
        "option name",
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
        problems += field_length(payload, (), "description", 1, 100, "description")
        problems += _options(payload.get("options"), ("options",), 0)
    else:
        problems += field_length(payload, (), "name", 1, 32, "command name")
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
