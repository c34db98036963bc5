"""What changed between two versions of an API, seen from the client that calls it.

Each change is classed:
- breaking: a client written against the old version can fail (an endpoint or a response field
  it reads is gone, the request needs something new, a type changed, auth is now required);
- warning: it probably still works, but look (a deprecation, a field that may now be missing,
  an error status removed, a new enum value it may not expect);
- info: additions that break nothing.

Removing what the old version already marked deprecated (an operation, a parameter, a schema
property) is a warning: clients were told. Breaking changes under a version that does not
announce them (`info.version` not a new major, see `bot/specs/versioning.py`) add one more
breaking change, on `info.version`.

Operations are matched by method and path template, so `/bookings/{id}` renamed to
`/bookings/{bookingId}` is the same endpoint (its path parameters are compared by position).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Literal

from bot.core.text import code_text, markdown_text
from bot.specs.openapi import BodyInfo, FieldInfo, OperationInfo, ParamInfo, template_key
from bot.specs.versioning import judge, next_major

Severity = Literal["breaking", "warning", "info"]
SEVERITY_ORDER: dict[str, int] = {"breaking": 0, "warning": 1, "info": 2}
PATH_PARAM_RE = re.compile(r"\{([^}/]*)\}")
_Add = Callable[[str, str], None]  # add(rule, message): records one change on the endpoint
VERSION_ENDPOINT = "info.version"  # where the document-level versioning change is shown

# Every rule, its severity and what it means; the message of each change says the specifics.
RULES: dict[str, tuple[Severity, str]] = {
    "path-added": ("info", "a new path"),
    "path-removed": ("breaking", "a path was removed"),
    "operation-added": ("info", "a new method on an existing path"),
    "operation-removed": ("breaking", "a method was removed from a path"),
    "deprecated-operation-removed": ("warning", "an operation deprecated earlier was removed"),
    "path-parameter-renamed": ("info", "a path parameter was renamed"),
    "operation-deprecated": ("warning", "an operation was deprecated"),
    "operation-undeprecated": ("info", "an operation is no longer deprecated"),
    "parameter-added-required": ("breaking", "a new required parameter"),
    "parameter-added-optional": ("info", "a new optional parameter"),
    "parameter-removed": ("warning", "a parameter was removed"),
    "parameter-made-required": ("breaking", "an optional parameter became required"),
    "parameter-made-optional": ("info", "a required parameter became optional"),
    "parameter-type-changed": ("breaking", "a parameter's type changed"),
    "parameter-format-changed": ("warning", "a parameter's format changed"),
    "parameter-enum-value-removed": ("breaking", "a value a parameter accepted is refused"),
    "parameter-enum-value-added": ("info", "a parameter accepts a new value"),
    "parameter-deprecated": ("warning", "a parameter was deprecated"),
    "request-body-added-required": ("breaking", "a required request body was added"),
    "request-body-added-optional": ("info", "an optional request body was added"),
    "request-body-removed": ("warning", "the request body was removed"),
    "request-body-made-required": ("breaking", "the request body became required"),
    "request-body-made-optional": ("info", "the request body became optional"),
    "request-media-type-removed": ("breaking", "a request content type is no longer accepted"),
    "request-media-type-added": ("info", "a new request content type is accepted"),
    "request-property-added-required": ("breaking", "a new required request property"),
    "request-property-added-optional": ("info", "a new optional request property"),
    "request-property-removed": ("warning", "a request property was removed"),
    "request-property-made-required": ("breaking", "a request property became required"),
    "request-property-made-optional": ("info", "a request property became optional"),
    "request-property-type-changed": ("breaking", "a request property's type changed"),
    "request-property-format-changed": ("warning", "a request property's format changed"),
    "request-property-enum-value-removed": ("breaking", "a request value is no longer accepted"),
    "request-property-enum-value-added": ("info", "a request property accepts a new value"),
    "response-status-added": ("info", "a new response status"),
    "response-success-status-removed": ("breaking", "a success status is no longer returned"),
    "response-error-status-removed": ("warning", "an error status is no longer returned"),
    "response-media-type-removed": ("warning", "a response content type is no longer offered"),
    "response-property-added": ("info", "a new response property"),
    "response-property-removed": ("breaking", "a response property was removed"),
    "deprecated-response-property-removed": (
        "warning",
        "a response property deprecated earlier was removed",
    ),
    "response-property-made-optional": ("warning", "a response property may now be missing"),
    "response-property-made-required": ("info", "a response property is now always present"),
    "response-property-type-changed": ("breaking", "a response property's type changed"),
    "response-property-format-changed": ("warning", "a response property's format changed"),
    "response-property-enum-value-added": ("warning", "a response may hold a new value"),
    "response-property-enum-value-removed": ("info", "a response value is no longer returned"),
    "security-added": ("breaking", "authentication is now required"),
    "security-removed": ("warning", "authentication is no longer required"),
    "security-changed": ("breaking", "a way to authenticate is no longer accepted"),
    "security-alternative-added": ("info", "a new way to authenticate"),
    "breaking-without-major-version": (
        "breaking",
        "breaking changes while `info.version` does not announce them",
    ),
}


@dataclass(frozen=True, slots=True)
class Change:
    """One difference between two versions, on one endpoint."""

    rule: str
    endpoint: str  # the endpoint key in the newer version (the older one for removals)
    message: str
    tags: tuple[str, ...] = ()

    @property
    def severity(self) -> Severity:
        """How much the change matters to a client: breaking, warning or info."""
        return RULES[self.rule][0]

    def sort_key(self) -> tuple[int, str, str]:
        """Most severe first, then by endpoint and message."""
        return SEVERITY_ORDER[self.severity], self.endpoint, self.message


def _code(text: object, limit: int = 80) -> str:
    return code_text(text, limit)


def diff(
    old: dict[str, OperationInfo],
    new: dict[str, OperationInfo],
    versions: tuple[str, str] | None = None,
) -> list[Change]:
    """Every change from `old` to `new` (operations keyed by endpoint key), breaking first.

    With `versions` (the old and new `info.version`), breaking changes that the new version
    does not announce are flagged once more, on `info.version`.
    """
    changes: list[Change] = []
    old_by_template = {template_key(k): op for k, op in old.items()}
    new_by_template = {template_key(k): op for k, op in new.items()}
    old_paths = {template_key(f"X {op['path']}") for op in old.values()}
    new_paths = {template_key(f"X {op['path']}") for op in new.values()}
    for template, op in old_by_template.items():
        if template in new_by_template:
            continue
        path_gone = template_key(f"X {op['path']}") not in new_paths
        if op["deprecated"]:
            rule = "deprecated-operation-removed"
        else:
            rule = "path-removed" if path_gone else "operation-removed"
        what = "it was deprecated before" if op["deprecated"] else "clients calling it will fail"
        changes.append(Change(rule, op["key"], f"removed ({what})", tuple(op["tags"])))
    for template, op in new_by_template.items():
        before = old_by_template.get(template)
        if before is None:
            path_new = template_key(f"X {op['path']}") not in old_paths
            rule = "path-added" if path_new else "operation-added"
            summary = f": {markdown_text(_code(op['summary'], 80))}" if op["summary"] else ""
            changes.append(Change(rule, op["key"], f"added{summary}", tuple(op["tags"])))
            continue
        changes.extend(_operation_changes(before, op))
    if versions is not None:
        changes.extend(_version_changes(versions[0], versions[1], changes))
    return sorted(changes, key=Change.sort_key)


def _version_changes(old: str, new: str, changes: list[Change]) -> list[Change]:
    breaking = sum(1 for c in changes if c.severity == "breaking")
    if not breaking or not old.strip() or not new.strip():
        return []  # nothing to announce, or a document without `info.version` (warned apart)
    bump = judge(old, new)
    if bump.allows_breaking:
        return []
    moved = f"`{_code(old, 40)}` → `{_code(new, 40)}`"
    if old.strip() == new.strip():
        moved = f"`{_code(new, 40)}`"
    what = "change" if breaking == 1 else "changes"
    major = next_major(old)
    advice = f" (a breaking release after it would be `{major}`)" if major else ""
    message = (
        f"{breaking} breaking {what}, but the version {moved} {bump.reason}: clients that take "
        f"every release of the same major version as compatible will break{advice}"
    )
    # Tagged as the breaking changes are, so members following those tags hear of it too.
    tags = tuple(dict.fromkeys(t for c in changes if c.severity == "breaking" for t in c.tags))
    return [Change("breaking-without-major-version", VERSION_ENDPOINT, message, tags)]


def _operation_changes(old: OperationInfo, new: OperationInfo) -> list[Change]:
    tags = tuple(dict.fromkeys([*new["tags"], *old["tags"]]))
    key = new["key"]
    out: list[Change] = []

    def add(rule: str, message: str) -> None:
        out.append(Change(rule, key, message, tags))

    if old["path"] != new["path"]:
        renames = [
            f"`{_code(a, 40)}` → `{_code(b, 40)}`"
            for a, b in zip(
                PATH_PARAM_RE.findall(old["path"]), PATH_PARAM_RE.findall(new["path"]), strict=False
            )
            if a != b
        ]
        add("path-parameter-renamed", f"path parameter renamed: {', '.join(renames)}")
    if new["deprecated"] and not old["deprecated"]:
        add("operation-deprecated", "deprecated")
    elif old["deprecated"] and not new["deprecated"]:
        add("operation-undeprecated", "no longer deprecated")
    _parameter_changes(old, new, add)
    _request_changes(old["request"], new["request"], add)
    _response_changes(old["responses"], new["responses"], add)
    _security_changes(old, new, add)
    return out


def _param_identity(op: OperationInfo) -> dict[tuple[str, str], ParamInfo]:
    """Parameters by (location, name); path parameters by their position in the template."""
    positions = {name: i for i, name in enumerate(PATH_PARAM_RE.findall(op["path"]))}
    out: dict[tuple[str, str], ParamInfo] = {}
    for param in op["parameters"]:
        name = param["name"]
        if param["location"] == "path" and name in positions:
            ident = ("path", f"#{positions[name]}")
        elif param["location"] == "header":
            ident = ("header", name.casefold())
        else:
            ident = (param["location"], name)
        out[ident] = param
    return out


def _parameter_changes(old: OperationInfo, new: OperationInfo, add: _Add) -> None:
    before = _param_identity(old)
    after = _param_identity(new)
    for ident, param in after.items():
        label = f"{param['location']} parameter `{_code(param['name'], 60)}`"
        previous = before.get(ident)
        if previous is None:
            if param["required"]:
                add("parameter-added-required", f"new required {label}")
            else:
                add("parameter-added-optional", f"new optional {label}")
            continue
        if param["required"] and not previous["required"]:
            add("parameter-made-required", f"{label} is now required")
        elif previous["required"] and not param["required"]:
            add("parameter-made-optional", f"{label} is now optional")
        if param["type"] != previous["type"]:
            add(
                "parameter-type-changed",
                f"{label}: type `{_code(previous['type'])}` → `{_code(param['type'])}`",
            )
        elif param["format"] != previous["format"]:
            add(
                "parameter-format-changed",
                f"{label}: format `{previous['format'] or 'none'}` → `{param['format'] or 'none'}`",
            )
        removed, added = _enum_delta(previous["enum"], param["enum"])
        if removed:
            add("parameter-enum-value-removed", f"{label} no longer accepts {_values(removed)}")
        if added:
            add("parameter-enum-value-added", f"{label} now accepts {_values(added)}")
        if param["deprecated"] and not previous["deprecated"]:
            add("parameter-deprecated", f"{label} is deprecated")
    for ident, param in before.items():
        if ident not in after:
            label = f"{param['location']} parameter `{_code(param['name'], 60)}`"
            why = "deprecated before" if param["deprecated"] else "the server will ignore it"
            add("parameter-removed", f"{label} was removed ({why})")


def _enum_delta(old: list[str] | None, new: list[str] | None) -> tuple[list[str], list[str]]:
    """(removed, added) enum values; a list that appears or disappears is a type-level change
    (a free value became restricted, or the reverse), reported as values removed/added.
    """
    if old is None and new is None:
        return [], []
    if old is None:
        return ["any other value"], []
    if new is None:
        return [], ["any value"]
    return [v for v in old if v not in new], [v for v in new if v not in old]


def _values(values: Iterable[str]) -> str:
    shown = [f"`{_code(v, 40)}`" for v in list(values)[:6]]
    return ", ".join(shown)


def _request_changes(old: BodyInfo | None, new: BodyInfo | None, add: _Add) -> None:
    if old is None and new is None:
        return
    if old is None:
        assert new is not None
        if new["required"]:
            add("request-body-added-required", "a request body is now required")
        else:
            add("request-body-added-optional", "accepts an optional request body")
        return
    if new is None:
        add("request-body-removed", "no longer takes a request body")
        return
    if new["required"] and not old["required"]:
        add("request-body-made-required", "the request body is now required")
    elif old["required"] and not new["required"]:
        add("request-body-made-optional", "the request body is now optional")
    for media in old["media_types"]:
        if media not in new["media_types"]:
            add("request-media-type-removed", f"no longer accepts `{_code(media, 60)}`")
    for media in new["media_types"]:
        if media not in old["media_types"]:
            add("request-media-type-added", f"now also accepts `{_code(media, 60)}`")
    _field_changes("request", "request", old["fields"], new["fields"], add)


def _response_changes(old: dict[str, BodyInfo], new: dict[str, BodyInfo], add: _Add) -> None:
    for status in old:
        if status in new:
            continue
        if status[:1] in ("2", "3") or status == "default":
            add("response-success-status-removed", f"no longer returns status {_code(status, 10)}")
        else:
            add("response-error-status-removed", f"no longer returns status {_code(status, 10)}")
    for status, body in new.items():
        previous = old.get(status)
        if previous is None:
            add("response-status-added", f"may now return status {_code(status, 10)}")
            continue
        for media in previous["media_types"]:
            if media not in body["media_types"]:
                add(
                    "response-media-type-removed",
                    f"response {_code(status, 10)} no longer comes as `{_code(media, 60)}`",
                )
        _field_changes(
            "response", f"response {_code(status, 10)}", previous["fields"], body["fields"], add
        )


def _field_label(where: str, path: str) -> str:
    return f"{where} body" if path == "" else f"{where} property `{_code(path, 80)}`"


def _field_changes(
    direction: str,
    where: str,
    old: dict[str, FieldInfo],
    new: dict[str, FieldInfo],
    add: _Add,
) -> None:
    rule = direction  # "request" or "response"
    for path, field in new.items():
        label = _field_label(where, path)
        previous = old.get(path)
        if previous is None:
            if _parent_new(path, old):
                continue  # reported once, on the new parent
            if rule == "request":
                if field["required"]:
                    add("request-property-added-required", f"new required {label}")
                else:
                    add("request-property-added-optional", f"new optional {label}")
            else:
                add("response-property-added", f"new {label}")
            continue
        if field["required"] != previous["required"] and path:
            if rule == "request":
                if field["required"]:
                    add("request-property-made-required", f"{label} is now required")
                else:
                    add("request-property-made-optional", f"{label} is now optional")
            elif field["required"]:
                add("response-property-made-required", f"{label} is now always present")
            else:
                add("response-property-made-optional", f"{label} may now be missing")
        if field["type"] != previous["type"]:
            add(
                f"{rule}-property-type-changed",
                f"{label}: type `{_code(previous['type'])}` → `{_code(field['type'])}`",
            )
        elif field["format"] != previous["format"]:
            add(
                f"{rule}-property-format-changed",
                f"{label}: format `{previous['format'] or 'none'}` → `{field['format'] or 'none'}`",
            )
        removed, added = _enum_delta(previous["enum"], field["enum"])
        if removed:
            verb = "no longer accepts" if rule == "request" else "no longer returns"
            add(f"{rule}-property-enum-value-removed", f"{label} {verb} {_values(removed)}")
        if added:
            verb = "now accepts" if rule == "request" else "may now hold"
            add(f"{rule}-property-enum-value-added", f"{label} {verb} {_values(added)}")
    for path in old:
        if path in new or _parent_gone(path, new):
            continue
        label = _field_label(where, path)
        if old[path]["deprecated"]:
            rule_removed = "request" if rule == "request" else "deprecated-response"
            add(f"{rule_removed}-property-removed", f"{label} was removed (deprecated before)")
        elif rule == "request":
            add("request-property-removed", f"{label} was removed")
        else:
            add("response-property-removed", f"{label} was removed")


def _parents(path: str) -> list[str]:
    """`a.b[].c` -> ["a", "a.b", "a.b[]"] (the fields that contain it)."""
    out: list[str] = []
    for i, ch in enumerate(path):
        if ch in ".[{" and i:
            out.append(path[:i])
    return out


def _parent_new(path: str, old: dict[str, FieldInfo]) -> bool:
    return any(parent not in old for parent in _parents(path))


def _parent_gone(path: str, new: dict[str, FieldInfo]) -> bool:
    return any(parent not in new for parent in _parents(path))


def _security_changes(old: OperationInfo, new: OperationInfo, add: _Add) -> None:
    before = {tuple(a) for a in old["security"]}
    after = {tuple(a) for a in new["security"]}
    if before == after:
        return
    public_before = not before or () in before
    public_after = not after or () in after
    if public_before and not public_after:
        add("security-added", f"now requires authentication ({_schemes(after)})")
        return
    if public_after and not public_before:
        add("security-removed", "no longer requires authentication")
        return
    dropped = before - after
    if dropped:
        add(
            "security-changed",
            f"authentication changed: {_schemes(before)} → {_schemes(after)}",
        )
    elif after - before:
        add("security-alternative-added", f"also accepts {_schemes(after - before)}")


def _schemes(alternatives: Iterable[tuple[str, ...]]) -> str:
    shown = [" + ".join(f"`{_code(s, 40)}`" for s in alt) for alt in sorted(alternatives) if alt]
    return " or ".join(shown) or "none"
