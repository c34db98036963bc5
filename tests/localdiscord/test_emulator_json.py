"""Odd JSON reaches the local Discord: it answers like Discord instead of crashing.

Python's json raises RecursionError on deeply nested arrays and ValueError on integers of more
than 4,300 digits. A request body (or a multipart `payload_json`) Discord cannot read gets
Discord's 400 `{"code": 50109, ...}`; an attachment is bytes, served as it was uploaded, whatever
its content type says.
"""

from __future__ import annotations

import aiohttp
import pytest

from localdiscord.emulator import FakeDiscord, Upload
from localdiscord.emulator.messages import store_file
from localdiscord.emulator.state import RecordedFile

DEEP = b"[" * 100_000 + b"]" * 100_000
HUGE = b'{"content": ' + b"9" * 5_000 + b"}"
INVALID_JSON = {"code": 50109, "message": "The request body contains invalid JSON."}


def _auth(fake: FakeDiscord) -> dict[str, str]:
    return {"Authorization": f"Bot {fake.token}"}


def _messages_url(fake: FakeDiscord) -> str:
    return f"{fake.base_url}/channels/{fake.channels['general']}/messages"


@pytest.mark.parametrize("raw", [DEEP, HUGE, b"{not json"], ids=["deep", "huge", "broken"])
@pytest.mark.finding("the local Discord crashes on deep or huge JSON")
async def test_a_json_body_python_cannot_read_is_invalid_json(
    fake: FakeDiscord, raw: bytes
) -> None:
    headers = {**_auth(fake), "Content-Type": "application/json"}
    async with (
        aiohttp.ClientSession() as http,
        http.post(_messages_url(fake), data=raw, headers=headers) as answer,
    ):
        assert answer.status == 400
        assert answer.content_type == "application/json"
        assert await answer.json() == INVALID_JSON
    assert fake.requests[-1].status == 400
    assert fake.channel_messages("general") == []


@pytest.mark.parametrize("raw", [DEEP, HUGE, b"{not json"], ids=["deep", "huge", "broken"])
@pytest.mark.finding("the local Discord crashes on deep or huge JSON")
async def test_a_payload_json_python_cannot_read_is_invalid_json(
    fake: FakeDiscord, raw: bytes
) -> None:
    form = aiohttp.FormData()
    form.add_field("payload_json", raw.decode(), content_type="application/json")
    form.add_field("files[0]", b"abc", filename="a.txt", content_type="text/plain")
    async with (
        aiohttp.ClientSession() as http,
        http.post(_messages_url(fake), data=form, headers=_auth(fake)) as answer,
    ):
        assert answer.status == 400
        assert await answer.json() == INVALID_JSON
    assert fake.channel_messages("general") == []


@pytest.mark.parametrize("raw", [DEEP, HUGE], ids=["deep", "huge"])
@pytest.mark.finding("the local Discord crashes on deep or huge JSON")
async def test_a_json_attachment_is_served_as_its_bytes(fake: FakeDiscord, raw: bytes) -> None:
    upload = Upload("spec.json", raw)
    assert upload.content_type == "application/json"
    stored = store_file(
        fake.world,
        fake.channels["general"],
        RecordedFile("files[0]", upload.filename, upload.content_type, upload.data),
    )
    async with aiohttp.ClientSession() as http, http.get(stored.url) as answer:
        assert answer.status == 200
        assert answer.content_type == "application/json"
        assert await answer.read() == raw
    assert fake.requests[-1].status == 200
    assert fake.requests[-1].response is None  # the emulator's own answers are JSON, not files


async def test_the_emulators_own_answers_are_still_recorded(fake: FakeDiscord) -> None:
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"{fake.base_url}/users/@me", headers=_auth(fake)) as answer,
    ):
        assert answer.status == 200
    assert fake.requests[-1].response["id"] == str(fake.bot_user.id)


async def test_a_gateway_frame_python_cannot_read_closes_with_decode_error(
    fake: FakeDiscord,
) -> None:
    async with aiohttp.ClientSession() as http, http.ws_connect(fake.gateway_url) as ws:
        hello = await ws.receive_json(timeout=5)
        assert hello["op"] == 10
        await ws.send_str(DEEP.decode())
        closed = await ws.receive(timeout=5)
        assert closed.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)
        assert ws.close_code == 4002
