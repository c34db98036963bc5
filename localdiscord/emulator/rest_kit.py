"""What every route of the fake REST API shares: JSON responses, Discord's error bodies, request
bodies (JSON or multipart), and the lookups of the objects a path names.

A handler that has to refuse raises `Refused` (through `need` or `checked_message`); the
middleware answers with its response, as if the handler had returned it.
"""

from __future__ import annotations

import json
from typing import Any, TypeVar

from aiohttp import BodyPartReader, hdrs, web

from localdiscord.emulator.jsontext import INVALID_JSON_CODE, INVALID_JSON_MESSAGE, read_json
from localdiscord.emulator.limits import Problem, error_body, message_problems
from localdiscord.emulator.state import (
    JSON,
    FakeChannel,
    FakeGuild,
    PendingInteraction,
    RecordedFile,
    RecordedRequest,
    World,
)

T = TypeVar("T")

API_PREFIX = "/api/v10"
RECORD = web.RequestKey("record", RecordedRequest)
# Set on the emulator's own JSON answers: the middleware records those, never a served file.
OWN_JSON = web.ResponseKey("own_json", bool)

UNKNOWN = {
    "channel": (10003, "Unknown Channel"),
    "guild": (10004, "Unknown Guild"),
    "member": (10007, "Unknown Member"),
    "message": (10008, "Unknown Message"),
    "user": (10013, "Unknown User"),
    "webhook": (10015, "Unknown Webhook"),
    "interaction": (10062, "Unknown interaction"),
    "command": (10063, "Unknown application command"),
    "application": (10002, "Unknown Application"),
}


class Refused(Exception):
    """A handler's early answer: the middleware sends `response` (an error) as the handler's."""

    def __init__(self, response: web.Response) -> None:
        super().__init__(response.status)
        self.response = response


def json_response(
    data: Any, status: int = 200, headers: dict[str, str] | None = None
) -> web.Response:
    """A JSON response whose content type is exactly `application/json` (discord.py needs it)."""
    all_headers = {"Content-Type": "application/json"}
    all_headers.update(headers or {})
    response = web.Response(body=json.dumps(data).encode(), status=status, headers=all_headers)
    response[OWN_JSON] = True
    return response


def error(status: int, code: int, message: str) -> web.Response:
    return json_response({"message": message, "code": code}, status)


def unknown(kind: str) -> web.Response:
    code, message = UNKNOWN[kind]
    return error(404, code, message)


def need(found: T | None, kind: str) -> T:
    """`found`, or refuse with Discord's 404 for an unknown `kind` (channel, message...)."""
    if found is None:
        raise Refused(unknown(kind))
    return found


def bad_request(problems: list[Problem], *, code: int = 50035) -> web.Response:
    if len(problems) == 1 and problems[0].code == "EMPTY_MESSAGE":
        return error(400, 50006, "Cannot send an empty message")
    return json_response(error_body(problems, code=code), 400)


def truthy(value: str | None) -> bool:
    return (value or "").lower() in ("1", "true", "yes")


def invalid_json() -> web.Response:
    """Discord's answer to a body it cannot read as JSON."""
    return error(400, INVALID_JSON_CODE, INVALID_JSON_MESSAGE)


async def parse_body(request: web.Request) -> tuple[Any, list[RecordedFile]]:
    """The JSON body (or multipart `payload_json`) and any uploaded files.

    Raises `InvalidJson` when the body (or `payload_json`) cannot be read as JSON.
    """
    if not request.can_read_body:
        return None, []
    files: list[RecordedFile] = []
    if request.content_type.startswith("multipart/"):
        body: Any = None
        reader = await request.multipart()
        while True:
            part = await reader.next()
            if part is None:
                break
            if not isinstance(part, BodyPartReader):
                continue
            data = bytes(await part.read(decode=False))
            if part.name == "payload_json":
                body = read_json(data)
            else:
                files.append(
                    RecordedFile(
                        field=part.name or "",
                        filename=part.filename or part.name or "file",
                        content_type=part.headers.get(
                            hdrs.CONTENT_TYPE, "application/octet-stream"
                        ),
                        data=data,
                    )
                )
        return body, files
    raw = await request.read()
    if not raw:
        return None, []
    return read_json(raw), []


# -- what a request carries and names ------------------------------------------------------


def body_of(request: web.Request) -> Any:
    """The request's parsed body (the middleware parsed and recorded it)."""
    return request[RECORD].json


def files_of(request: web.Request) -> list[RecordedFile]:
    return request[RECORD].files


def checked_message(
    request: web.Request,
    *,
    partial: bool = False,
    pending: PendingInteraction | None = None,
    what: str = "",
) -> tuple[JSON, list[RecordedFile]]:
    """The message body and files of `request`, or refuse (400) with what Discord would say.

    A refusal is also noted on `pending`, prefixed with `what`, for the test to see.
    """
    body = body_of(request) or {}
    files = files_of(request)
    problems = message_problems(body, files=len(files), partial=partial)
    if problems:
        if pending is not None:
            pending.errors.append(what + "; ".join(map(str, problems)))
        raise Refused(bad_request(problems))
    return body, files


def guild_of(world: World, request: web.Request) -> FakeGuild | None:
    raw = request.match_info.get("guild", "")
    return world.guild_by_id(int(raw)) if raw.isdigit() else None


def channel_of(world: World, request: web.Request) -> FakeChannel | None:
    raw = request.match_info.get("channel", "")
    return world.channel_by_id(int(raw)) if raw.isdigit() else None
