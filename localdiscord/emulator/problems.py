"""Why Discord refuses a body: `Problem`, Discord's 400 error body, and the length checks.

Every checker in `command_limits` and `message_limits` yields problems; the REST layer answers
400 (Invalid Form Body) with them, shaped as Discord shapes them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sized
from dataclasses import dataclass
from typing import Any

from localdiscord.emulator.state import JSON

Path = tuple[str | int, ...]


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


def text_length(value: Any, path: Path, lo: int, hi: int, what: str) -> Iterator[Problem]:
    """`value` must be a string of `lo`-`hi` characters (it may be missing when `lo` is 0)."""
    if value is None:
        if lo > 0:
            yield Problem(path, f"{what} is required", "BASE_TYPE_REQUIRED")
        return
    if not isinstance(value, str):
        yield Problem(path, f"{what} must be a string, got {type(value).__name__}")
        return
    if not lo <= len(value) <= hi:
        code = "BASE_TYPE_MAX_LENGTH" if len(value) > hi else "BASE_TYPE_MIN_LENGTH"
        yield Problem(path, f"{what} must be {lo}-{hi} characters long (got {len(value)})", code)


def field_length(obj: JSON, path: Path, key: str, lo: int, hi: int, what: str) -> Iterator[Problem]:
    """`text_length` of `obj[key]`, reported at `path.key`."""
    return text_length(obj.get(key), (*path, key), lo, hi, what)


def too_many(
    items: Sized, limit: int, path: Path, what: str, code: str = "BASE_TYPE_INVALID"
) -> Iterator[Problem]:
    """At most `limit` items ("at most 25 choices are allowed (got 30)")."""
    if len(items) > limit:
        yield Problem(path, f"at most {limit} {what} are allowed (got {len(items)})", code)


def repeated(
    values: Iterable[Any], path: Path, what: str, code: str = "BASE_TYPE_INVALID"
) -> Iterator[Problem]:
    """A problem for each value given more than once ("choice name 'x' is used 2 times")."""
    for value, count in Counter(values).items():
        if count > 1:
            yield Problem(path, f"{what} {value!r} is used {count} times", code)


def each_object(
    items: Iterable[Any], path: Path, what: str, check: Callable[[JSON, Path], Iterable[Problem]]
) -> Iterator[Problem]:
    """`check` every item (at `path.index`); an item that is not an object is a problem."""
    for index, item in enumerate(items):
        item_path = (*path, index)
        if isinstance(item, dict):
            yield from check(item, item_path)
        else:
            yield Problem(item_path, f"{what} must be an object")
