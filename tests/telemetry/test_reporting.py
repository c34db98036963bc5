"""Error reports to Sentry leave without the token and without what members wrote: the
scrubber on a hand-made event, then a real incident sent to a local Sentry."""

from __future__ import annotations

import gzip
import json
import logging
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from typing import Any

import pytest
import sentry_sdk
from aiohttp import web

from bot.config import Settings
from bot.telemetry.interactions import Span, bind, span_of
from bot.telemetry.reporting import MEMBER_TEXT, REDACTED, scrubber
from localdiscord.emulator import FakeDiscord
from tests.harness import running_bot
from tests.helpers import TOKEN
from tests.qa.test_qa import ask

TITLE = "How do I retry a Celery task that failed?"
DETAILS = "My task calls the payments API and sometimes times out."
GZIP_MAGIC = b"\x1f\x8b"
OTHER_TITLE = "Why does my Django cache serve stale pages?"  # read from the database, not typed


def event_with_secrets() -> dict[str, Any]:
    """An event as the SDK builds it for a failed /ask, carrying everything it must not."""
    return {
        "level": "error",
        "logger": "bot.errors",
        "logentry": {
            "message": "incident %s: unexpected error (command=%s)",
            "params": ["ab12cd34", "ask"],
            "formatted": f"incident ab12cd34: could not post {TITLE} with {TOKEN}",
        },
        "exception": {
            "values": [
                {
                    "type": "RuntimeError",
                    "value": f"could not store {TITLE!r} beside {OTHER_TITLE!r} ({TOKEN})",
                    "stacktrace": {
                        "frames": [
                            {
                                "function": "ask",
                                "filename": "bot/qa/posting.py",
                                "lineno": 42,
                                "context_line": '    raise RuntimeError(f"could not store {t!r}")',
                                "vars": {"title": TITLE, "details": DETAILS, "token": TOKEN},
                            }
                        ]
                    },
                }
            ]
        },
        "breadcrumbs": {
            "values": [
                {"category": "bot.qa", "message": f"posting {TITLE}"},
                {
                    "category": "httplib",
                    "data": {
                        "url": "https://discord.com/api/v10/interactions/123/"
                        "aW50ZXJhY3Rpb246c2VjcmV0/callback",
                        "method": "POST",
                    },
                },
                {
                    "category": "httplib",
                    "data": {"url": "https://discord.com/api/v10/webhooks/456/c2VjcmV0dG9rZW4"},
                },
            ]
        },
        "extra": {"guild": 1234, "user": 5678, "command": "/ask", "incident": "ab12cd34"},
        "request": {"data": {"title": TITLE}, "headers": {"Authorization": f"Bot {TOKEN}"}},
        "user": {"id": "5678", "username": "linus"},
    }


def submitted_form() -> Span:
    """The span of the /ask form that carried TITLE and DETAILS."""
    return span_of(
        {
            "type": 5,
            "data": {
                "custom_id": "f00d",
                "components": [
                    {"type": 1, "components": [{"custom_id": "qa:input:title", "value": TITLE}]},
                    {"type": 18, "component": {"custom_id": "qa:input:details", "value": DETAILS}},
                ],
            },
        }
    )


def scrubbed_in(span: Span | None, event: dict[str, Any]) -> dict[str, Any]:
    before_send = scrubber([TOKEN])
    out: list[dict[str, Any]] = []
    if span is None:
        out.append(before_send(event, {}) or {})
    else:
        bind(lambda _: out.append(before_send(event, {}) or {}), None, span)
    return out[0]


def test_the_scrubber_removes_the_token_and_what_the_member_wrote() -> None:
    sent = json.dumps(scrubbed_in(submitted_form(), event_with_secrets()))
    interaction_tokens = ("aW50ZXJhY3Rpb246c2VjcmV0", "c2VjcmV0dG9rZW4")
    for secret in (TOKEN, TITLE, DETAILS, OTHER_TITLE, *interaction_tokens):
        assert secret not in sent, secret
    assert "linus" not in sent
    assert '"vars"' not in sent
    assert '"request"' not in sent


def test_what_helps_find_the_bug_stays() -> None:
    event = scrubbed_in(submitted_form(), event_with_secrets())
    exception = event["exception"]["values"][0]
    assert exception["type"] == "RuntimeError"
    assert exception["value"].startswith("could not store '")
    assert MEMBER_TEXT in exception["value"]
    assert REDACTED in exception["value"]
    frame = exception["stacktrace"]["frames"][0]
    where = (frame["function"], frame["filename"], frame["lineno"])
    assert where == ("ask", "bot/qa/posting.py", 42)
    assert event["logentry"]["message"] == "incident %s: unexpected error (command=%s)"
    assert event["extra"] == {"guild": 1234, "command": "/ask", "incident": "ab12cd34"}
    urls = [crumb.get("data", {}).get("url") for crumb in event["breadcrumbs"]["values"]]
    assert urls[1] == f"https://discord.com/api/v10/interactions/123/{REDACTED}/callback"
    assert urls[2] == f"https://discord.com/api/v10/webhooks/456/{REDACTED}"


def test_outside_an_interaction_the_token_still_goes() -> None:
    event = {"message": f"the gateway said no to {TOKEN}", "extra": {"sys.argv": ["bot"]}}
    assert TOKEN not in json.dumps(scrubbed_in(None, event))


# -- a real incident, reported to a local Sentry --------------------------------------------


@pytest.fixture
def no_sentry_left() -> Iterator[None]:
    """Sentry's client is process-wide: the test's is closed and removed afterwards."""
    yield
    sentry_sdk.get_client().close(timeout=2)
    sentry_sdk.get_global_scope().set_client(None)


@pytest.fixture
async def local_sentry() -> AsyncIterator[tuple[str, list[str]]]:
    """A Sentry that keeps every envelope it receives (as text): its DSN, and the envelopes."""
    received: list[str] = []

    async def envelope(request: web.Request) -> web.Response:
        body = await request.read()  # aiohttp undoes the Content-Encoding
        if body.startswith(GZIP_MAGIC):
            body = gzip.decompress(body)
        received.append(body.decode())
        return web.json_response({"id": "0" * 32})

    app = web.Application()
    app.router.add_post("/api/{project}/envelope/", envelope)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    port = runner.addresses[0][1]
    try:
        yield f"http://publickey@127.0.0.1:{port}/1", received
    finally:
        await runner.cleanup()


async def test_an_incident_reaches_sentry_without_token_or_member_text(
    fake: FakeDiscord,
    settings: Settings,
    local_sentry: tuple[str, list[str]],
    no_sentry_left: None,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    from bot.qa.posting import Posting

    dsn, received = local_sentry

    async def failing(self: Posting, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError(f"could not store {TITLE} for {settings.discord_token}")

    monkeypatch.setattr(Posting, "ask", failing)
    caplog.set_level(logging.WARNING)
    async with running_bot(fake, replace(settings, sentry_dsn=dsn)):
        result = await ask(fake, TITLE, DETAILS)
        assert "Incident" in (result.content or "")
    # Closing the bot sent what was queued.
    incident = (result.content or "").split("`")[1]
    events = [e for e in received if '"type":"event"' in e.replace(" ", "")]
    assert len(events) == 1, received
    sent = events[0]
    assert "RuntimeError" in sent
    assert incident in sent
    for secret in (settings.discord_token, TITLE, DETAILS):
        assert secret not in sent
    caplog.clear()  # the incident's ERROR line was the point
