"""The model Nexus keeps: a validated document reduced to its operations, bodies and fields.

The reading itself is in `schemas` (bodies and their fields) and `operations` (the rest).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Literal, TypedDict

# Endpoint keys live apart (the bot looks endpoints up without loading this reader).
from bot.specs.keys import METHODS as METHODS
from bot.specs.keys import endpoint_key as endpoint_key
from bot.specs.openapi.problems import MAX_TEXT_CHARS, Family, Problem, clip

TEMPLATE_RE = re.compile(r"\{[^}/]*\}")

Direction = Literal["request", "response"]


class FieldInfo(TypedDict):
    """One field of a flattened body schema, keyed by its path (`guest.email`, `photos[].url`)."""

    type: str
    format: str | None
    required: bool
    enum: list[str] | None
    deprecated: bool


class ParamInfo(TypedDict):
    """One parameter of an operation (path, query, header or cookie)."""

    name: str
    location: str
    required: bool
    deprecated: bool
    description: str
    type: str
    format: str | None
    enum: list[str] | None


class BodyInfo(TypedDict):
    """A request or response body: its media types, schema fields and an example."""

    required: bool
    description: str
    media_types: list[str]
    schema_name: str | None
    fields: dict[str, FieldInfo]
    truncated: bool
    example: str | None


class OperationInfo(TypedDict):
    """One operation (a method on a path), as stored and compared between versions."""

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


def template_key(key: str) -> str:
    """`GET /bookings/{id}` and `GET /bookings/{bookingId}` are one endpoint."""
    return TEMPLATE_RE.sub("{}", key)


def text_of(value: Any, limit: int = MAX_TEXT_CHARS) -> str:
    """A string from the document on one line, clipped; anything else reads as empty."""
    return clip(" ".join(str(value).split()), limit) if isinstance(value, str) else ""


def json_text(value: Any) -> str:
    """A value from the document as compact JSON text (enum values, examples)."""
    return json.dumps(value, ensure_ascii=False, sort_keys=False, default=str)
