"""Every request the local Discord receives is checked against Discord's OpenAPI document.

A body that does not fit the schema of its route is recorded on the request
(`fake.schema_violations`); tests/conftest.py fails the test that let it through. Snowflakes
may be strings or integers, as Discord accepts both.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import discord
import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from localdiscord.emulator import FAST_CLIENT_OPTIONS, FakeDiscord
from localdiscord.emulator.openapi import (
    BASE_URI,
    DiscordApi,
    accept_integer_snowflakes,
    read_document,
)

MESSAGES = "/channels/1/messages"
CALLBACK = "/interactions/1/token/callback"
COMMANDS = "/applications/1/guilds/2/commands"
NO_MENTIONS = {"parse": []}


def _row(*components: dict[str, Any]) -> dict[str, Any]:
    return {"type": 1, "components": list(components)}


def _option(**fields: Any) -> dict[str, Any]:
    return {"type": 3, "name": "name", "description": "The concept", **fields}


BUTTON = {"type": 2, "style": 1, "label": "Upvote", "custom_id": "vote:up"}
SELECT = {
    "type": 3,
    "custom_id": "pick",
    "options": [{"label": "Go", "value": "go"}],
    "max_values": 1,
}
CONFORMING: list[tuple[str, str, Any]] = [
    ("POST", MESSAGES, {"content": "hi", "allowed_mentions": NO_MENTIONS}),
    (
        "POST",
        MESSAGES,
        {
            "embeds": [{"title": "t", "fields": [{"name": "a", "value": "b", "inline": True}]}],
            "components": [_row(BUTTON), _row(SELECT)],
            "allowed_mentions": {"parse": [], "users": ["1", 2]},
        },
    ),
    ("POST", MESSAGES, {"content": "reply", "message_reference": {"message_id": 123}}),
    ("POST", MESSAGES, {"content": "reply", "message_reference": {"message_id": "123"}}),
    ("POST", CALLBACK, {"type": 4, "data": {"content": "hi", "flags": 64}}),
    ("POST", CALLBACK, {"type": 5}),
    ("POST", CALLBACK, {"type": 8, "data": {"choices": [{"name": "jwt", "value": "jwt"}]}}),
    (
        "POST",
        CALLBACK,
        {
            "type": 9,
            "data": {
                "custom_id": "form",
                "title": "Ask",
                "components": [
                    _row({"type": 4, "custom_id": "q", "style": 1, "label": "Question"})
                ],
            },
        },
    ),
    ("PATCH", "/webhooks/1/token/messages/@original", {"content": "edited"}),
    ("PUT", COMMANDS, [{"name": "concept", "description": "Explain", "type": 1}]),
    (
        "PUT",
        COMMANDS,
        [{"name": "concept", "description": "Explain", "options": [_option(required=True)]}],
    ),
    ("GET", "/users/@me", None),
    ("PUT", "/channels/1/messages/2/reactions/%F0%9F%91%8D/@me", None),
]
NON_CONFORMING: list[tuple[str, str, Any, str]] = [
    ("POST", MESSAGES, {"embeds": [{"title": {"text": "t"}}]}, "embeds.0.title: "),
    ("POST", MESSAGES, {"content": "x", "tts": "yes"}, "tts: 'yes' is not of type"),
    ("POST", MESSAGES, {"content": 5}, "content: 5 is not of type"),
    ("POST", MESSAGES, {"components": [{"type": 99}]}, "components.0.type: 99 is not one of"),
    ("POST", MESSAGES, {"components": [{"components": []}]}, "'type' is a required property"),
    (
        "POST",
        MESSAGES,
        {"components": [_row({**BUTTON, "label": 5})]},
        "components.0.components.0.label: 5 is not of type",
    ),
    (
        "POST",
        MESSAGES,
        {"components": [_row({**BUTTON, "style": 9})]},
        "components.0.components.0.style: 9 is not one of",
    ),
    (
        "POST",
        MESSAGES,
        {"content": "x", "message_reference": {"message_id": "abc"}},
        "message_reference.message_id: 'abc' does not match",
    ),
    (
        "POST",
        MESSAGES,
        {"content": "x", "message_reference": {"message_id": -1}},
        "message_reference.message_id: -1 is less than the minimum",
    ),
    ("POST", MESSAGES, {"content": "x" * 4001}, "content: 'xxx"),
    ("POST", MESSAGES, [1, 2], "body: [1, 2] is not of type 'object'"),
    (
        "POST",
        CALLBACK,
        {"type": 4, "data": {"embeds": [{"title": {}}]}},
        "data.embeds.0.title: {} is not of type",
    ),
    ("POST", CALLBACK, {"type": 99}, "type: 99 is not one of"),
    (
        "PUT",
        COMMANDS,
        [{"name": "concept", "description": "Explain", "options": [_option(name=5)]}],
        "0.options.0.name: 5 is not of type 'string'",
    ),
    ("POST", MESSAGES, None, "create_message needs a JSON body"),
    ("GET", MESSAGES, {"limit": 5}, "list_messages takes no JSON body"),
    ("GET", "/nowhere/1", None, "Discord's API has no operation GET /nowhere/1"),
]


@pytest.fixture(scope="module")
def api() -> DiscordApi:
    return DiscordApi.published()


@pytest.mark.parametrize(("method", "path", "body"), CONFORMING)
def test_a_body_that_fits_discords_document_passes(
    api: DiscordApi, method: str, path: str, body: Any
) -> None:
    assert api.problems(method, path, body) == []


@pytest.mark.parametrize(("method", "path", "body", "expected"), NON_CONFORMING)
@pytest.mark.finding("requests are checked against Discord's OpenAPI document")
def test_a_body_that_does_not_fit_is_named_where_it_is_wrong(
    api: DiscordApi, method: str, path: str, body: Any, expected: str
) -> None:
    problems = api.problems(method, path, body)
    assert len(problems) == 1
    assert expected in problems[0]


def test_a_long_value_is_cut_but_says_what_is_wrong(api: DiscordApi) -> None:
    [problem] = api.problems("POST", MESSAGES, {"content": "x" * 4001})
    assert problem.endswith("is too long")
    assert len(problem) < 200


def test_a_multipart_message_needs_no_payload_json_but_one_is_checked(api: DiscordApi) -> None:
    assert api.problems("POST", MESSAGES, None, multipart=True) == []
    assert api.problems("POST", MESSAGES, {"tts": 1}, multipart=True) != []


def test_the_quick_schema_gives_the_published_schemas_verdicts(api: DiscordApi) -> None:
    """Unions as enums and dispatch on `type`, references resolved once: the same rules."""
    document = read_document()
    accept_integer_snowflakes(document)
    registry = Registry().with_resource(
        BASE_URI, Resource.from_contents(document, default_specification=DRAFT202012)
    )
    cases = [(m, p, b) for m, p, b in CONFORMING if b is not None]
    cases += [(m, p, b) for m, p, b, _ in NON_CONFORMING if b is not None]
    compared = 0
    for method, path, body in cases:
        operation = api.operation(method, path)
        assert operation is not None
        if operation.body_schema is None:
            continue
        published = Draft202012Validator(
            {"$ref": f"{BASE_URI}#{operation.body_schema}"}, registry=registry
        )
        assert published.is_valid(body) == (api.problems(method, path, body) == []), body
        compared += 1
    assert compared == 25


def test_each_operation_is_compiled_once_and_a_body_sent_again_is_not_checked_again(
    api: DiscordApi,
) -> None:
    body = {"content": "compiled once", "allowed_mentions": NO_MENTIONS}
    api.problems("POST", MESSAGES, body)
    validator = api._validators["create_message"]
    api.problems("POST", "/channels/2/messages", {**body, "content": "another"})
    assert api._validators["create_message"] is validator
    remembered = len(api._answers)
    api.problems("POST", "/channels/3/messages", body)
    assert len(api._answers) == remembered


# -- the running emulator ------------------------------------------------------------------


@pytest.fixture
async def client(fake: FakeDiscord) -> AsyncIterator[discord.Client]:
    bot = discord.Client(intents=discord.Intents.none(), **FAST_CLIENT_OPTIONS)
    await bot.login(fake.token)
    yield bot
    await bot.close()


@pytest.mark.finding("requests are checked against Discord's OpenAPI document")
async def test_the_emulator_records_what_discords_document_does_not_allow(
    fake: FakeDiscord, client: discord.Client
) -> None:
    channel = fake.channels["general"]
    good = {"content": "fits", "allowed_mentions": NO_MENTIONS}
    await client.http.request(
        discord.http.Route("POST", "/channels/{c}/messages", c=channel), json=good
    )
    assert fake.requests[-1].schema_problems is None  # not checked while it was answered
    assert fake.schema_violations == []
    assert fake.requests[-1].schema_problems == []
    bad = {"content": "title", "embeds": [{"title": {"text": "t"}}], "allowed_mentions": {}}
    with pytest.raises(discord.HTTPException):  # the emulator's own limits refuse it too
        await client.http.request(
            discord.http.Route("POST", "/channels/{c}/messages", c=channel), json=bad
        )
    taken = fake.take_schema_violations()
    assert taken == [
        f"POST /channels/{channel}/messages: embeds.0.title: {{'text': 't'}} is not of type "
        "'string', 'null'"
    ]
    assert fake.schema_violations == []


async def test_a_multipart_payload_json_is_checked(fake: FakeDiscord) -> None:
    form = aiohttp.FormData()
    form.add_field("payload_json", '{"content": "file", "tts": "no"}')
    form.add_field("files[0]", b"abc", filename="a.txt", content_type="text/plain")
    url = f"{fake.base_url}/channels/{fake.channels['general']}/messages"
    headers = {"Authorization": f"Bot {fake.token}"}
    async with aiohttp.ClientSession() as http, http.post(url, data=form, headers=headers) as r:
        assert r.status == 200
    assert fake.take_schema_violations() == [
        f"POST /channels/{fake.channels['general']}/messages: tts: 'no' is not of type "
        "'boolean', 'null'"
    ]
