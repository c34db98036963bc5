"""One endpoint as an embed: its parameters, request and response bodies, auth, and the notes
peers attached; everything from the document escaped or fenced and fitted to Discord's limits.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord

from bot.specs import EndpointView
from cogs._kit.limits import (
    EMBED_DESCRIPTION,
    EMBED_FIELD_NAME,
    EMBED_FIELD_VALUE,
    EMBED_FIELDS,
    EMBED_FOOTER,
    EMBED_TITLE,
    EMBED_TOTAL,
    clip,
)
from cogs._kit.text import SHORT_TEXT, block, code, esc, when
from cogs.specs.render import COLOUR, FIELDS_SHOWN, METHOD_ICON, WARNING_COLOUR

if TYPE_CHECKING:  # shapes of stored JSON; the bot loads the reader only to read a document
    from bot.specs.openapi import BodyInfo, FieldInfo, OperationInfo, ParamInfo

# -- the endpoint --------------------------------------------------------------------------------


def _param_line(param: ParamInfo) -> str:
    kind = param["type"] + (f"({param['format']})" if param["format"] else "")
    bits = [code(param["name"], 40), esc(clip(kind, 40))]
    if param["required"]:
        bits.append("required")
    if param["deprecated"]:
        bits.append("deprecated")
    if param["enum"]:
        bits.append("one of " + ", ".join(code(v, 20) for v in param["enum"][:6]))
    line = " · ".join(bits)
    if param["description"]:
        line += f" — {esc(clip(param['description'], SHORT_TEXT))}"
    return line


def fields_table(fields: dict[str, FieldInfo], limit: int, truncated: bool = False) -> str:
    """A body schema as a compact table in a code block: `name  type  *required`."""
    rows = [(path, f) for path, f in fields.items() if path]
    if not rows:
        root = fields.get("")
        return block(root["type"] if root else "no schema", limit)
    shown = rows[:FIELDS_SHOWN]
    width = min(max(len(path) for path, _ in shown), 30)
    lines = []
    for path, field in shown:
        kind = field["type"] + (f"({field['format']})" if field["format"] else "")
        if field["enum"]:
            kind += " " + "|".join(v.strip('"') for v in field["enum"][:4])
            if len(field["enum"]) > 4:
                kind += "|…"
        mark = " *" if field["required"] else ""
        if field["deprecated"]:
            mark += " (deprecated)"
        lines.append(f"{clip(path, 30):<{width}}  {clip(kind, 40)}{mark}")
    hidden = len(rows) - len(shown)
    if hidden > 0 or truncated:
        lines.append(f"… {hidden} more" if hidden > 0 else "… (cut: the schema is very large)")
    return block("\n".join(lines), limit)


def _body_header(body: BodyInfo) -> str:
    bits = []
    if body["media_types"]:
        bits.append(code(body["media_types"][0], 60))
    if body["schema_name"]:
        bits.append(code(body["schema_name"], 60))
    root = body["fields"].get("")
    if root is not None and root["type"] not in ("object",):
        bits.append(esc(clip(root["type"], 60)))
    return " · ".join(bits)


def _success(responses: dict[str, BodyInfo]) -> tuple[str, BodyInfo] | None:
    for status, body in responses.items():
        if status.startswith("2") and (body["fields"] or body["example"]):
            return status, body
    for status, body in responses.items():
        if status.startswith("2"):
            return status, body
    return None


class _Budget:
    """Adds fields to an embed while the whole stays inside Discord's limits."""

    def __init__(self, embed: discord.Embed) -> None:
        self.embed = embed

    def add(self, name: str, value: str, *, inline: bool = False) -> bool:
        if not value.strip() or len(self.embed.fields) >= EMBED_FIELDS - 1:
            return False
        name = clip(name, EMBED_FIELD_NAME)
        value = value if len(value) <= EMBED_FIELD_VALUE else clip(value, EMBED_FIELD_VALUE)
        if len(self.embed) + len(name) + len(value) > EMBED_TOTAL - 300:
            return False
        self.embed.add_field(name=name, value=value, inline=inline)
        return True


def endpoint_embed(view: EndpointView) -> discord.Embed:
    """One endpoint: summary, auth, parameters, bodies with examples, responses, notes."""
    op = view.operation
    method, _, path = view.key.partition(" ")
    icon = METHOD_ICON.get(method, "⬜")
    title = clip(f"{icon} {method} {path}", EMBED_TITLE)
    lines: list[str] = []
    if op is not None:
        if op["summary"]:
            lines.append(f"**{esc(op['summary'])}**")
        if op["description"] and op["description"] != op["summary"]:
            lines.append(esc(clip(op["description"], 600)))
        if op["deprecated"]:
            lines.append("⚠️ **Deprecated**: plan to move off this endpoint.")
        lines.append(_auth_line(op))
    elif view.manual is not None:
        lines.append(f"**{esc(view.manual.summary)}**")
        lines.append(
            f"✍️ Typed by hand by <@{view.manual.author_id}> {when(view.manual.created_at)}; "
            "not in an imported document yet."
        )
    embed = discord.Embed(
        title=title,
        description=clip("\n".join(lines), EMBED_DESCRIPTION) or None,
        colour=COLOUR if not (op and op["deprecated"]) else WARNING_COLOUR,
    )
    budget = _Budget(embed)
    if op is not None:
        _operation_fields(budget, op)
    if view.manual is not None:
        manual = view.manual
        if op is not None:
            summary = esc(clip(manual.summary, 200))
            budget.add(
                "✍️ Also typed by hand",
                f"by <@{manual.author_id}> {when(manual.created_at)}: {summary}",
            )
        if manual.request_example:
            budget.add("Request example (hand-typed)", block(manual.request_example, 900, "json"))
        if manual.response_example:
            budget.add("Response example (hand-typed)", block(manual.response_example, 900, "json"))
    if view.notes:
        notes = "\n".join(
            f"• <@{n.author_id}> {when(n.created_at)}: {esc(clip(n.body, 300))}"
            if n.author_id
            else f"• a former member {when(n.created_at)}: {esc(clip(n.body, 300))}"
            for n in view.notes
        )
        name = f"📝 Notes from peers ({view.note_count})"
        budget.add(name, clip(notes, EMBED_FIELD_VALUE))
    footer = f"{view.spec.name}"
    if view.version is not None:
        footer += f" · version {view.version.label} (#{view.version.number})"
    if op is not None and op["operation_id"]:
        footer += f" · operationId {op['operation_id']}"
    embed.set_footer(text=clip(footer + " · add a note with /spec note", EMBED_FOOTER))
    return embed


def _auth_line(op: OperationInfo) -> str:
    if not op["security"] or [] in op["security"]:
        optional = " (sign-in optional)" if op["security"] else ""
        return f"🌐 No authentication needed{optional}."
    alternatives = []
    for alternative in op["security"][:4]:
        parts = []
        for requirement in alternative:
            name, _, scopes = requirement.partition("[")
            label = op["security_schemes"].get(name, "")
            text = f"{code(name, 40)}" + (f" ({esc(label)})" if label else "")
            if scopes:
                text += f" scopes {code(scopes.rstrip(']'), 60)}"
            parts.append(text)
        alternatives.append(" + ".join(parts))
    return "🔐 " + " **or** ".join(alternatives)


def _operation_fields(budget: _Budget, op: OperationInfo) -> None:
    by_location: dict[str, list[ParamInfo]] = {}
    for param in op["parameters"]:
        by_location.setdefault(param["location"], []).append(param)
    for location, label in (
        ("path", "Path parameters"),
        ("query", "Query parameters"),
        ("header", "Headers"),
        ("cookie", "Cookies"),
    ):
        params = by_location.get(location)
        if params:
            text = "\n".join(_param_line(p) for p in params)
            budget.add(label, clip(text, EMBED_FIELD_VALUE))
    request = op["request"]
    if request is not None:
        header = _body_header(request)
        state = "required" if request["required"] else "optional"
        name = f"Request body ({state})"
        table = fields_table(request["fields"], 700, request["truncated"])
        budget.add(name, f"{header}\n{table}" if header else table)
        if request["example"]:
            budget.add("Request example", block(request["example"], 700, "json"))
    if op["responses"]:
        lines = []
        for status, body in list(op["responses"].items())[:10]:
            description = esc(clip(body["description"], SHORT_TEXT)) if body["description"] else ""
            schema = f" · {code(body['schema_name'], 40)}" if body["schema_name"] else ""
            lines.append(f"{code(status, 10)} {description}{schema}")
        budget.add("Responses", clip("\n".join(lines), EMBED_FIELD_VALUE))
    success = _success(op["responses"])
    if success is not None:
        status, body = success
        if body["fields"]:
            header = _body_header(body)
            table = fields_table(body["fields"], 700, body["truncated"])
            budget.add(f"Response {status} body", f"{header}\n{table}" if header else table)
        if body["example"]:
            budget.add(f"Response {status} example", block(body["example"], 700, "json"))


def manual_saved_text(view: EndpointView, author_id: int) -> str:
    return (
        f"✍️ <@{author_id}> typed {code(view.key, 150)} into **{view.spec.name}** "
        "(it stays beside the imported endpoints)."
    )
