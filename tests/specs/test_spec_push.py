"""Specs pushed from CI: a real aiohttp client against the bot's real push endpoint on
127.0.0.1, the bot running against the local Discord.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import aiohttp
import pytest
from sqlalchemy import select

from bot.config import Settings
from bot.db.models import SpecToken, SpecVersion
from bot.specs.ci import TOKEN_VARIABLE
from bot.specs.push import PUSHES_PER_WINDOW
from bot.specs.tokens import token_hash
from localdiscord.emulator import FakeDiscord
from tests.figures import report
from tests.harness import Harness, nothing_pings, running_bot
from tests.helpers import REPO
from tests.specs.test_specs import (
    FIXTURES,
    SPEC_CHANNEL,
    embed_text,
    import_spec,
    is_follower_notice,
    setup_specs,
    spec_channel_messages,
    until,
)

JSON = dict[str, Any]
TOKEN_RE = re.compile(r"nexus_spec_[A-Za-z0-9_-]{43}")


@pytest.fixture
async def nexus(
    fake: FakeDiscord, settings: Settings, caplog: pytest.LogCaptureFixture
) -> AsyncIterator[Harness]:
    """The bot with its push endpoint on a free port of 127.0.0.1."""
    caplog.set_level(logging.WARNING)
    async with running_bot(fake, replace(settings, http_port=0)) as harness:
        yield harness
    pinging = [
        m for m in fake.all_sent_messages() if not (nothing_pings(m) or is_follower_notice(m))
    ]
    assert pinging == [], "only follower notices may ping, and only their followers"
    assert fake.unknown_requests == []
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []


def endpoint(harness: Harness, spec: str) -> str:
    server = harness.bot.push_server
    assert server is not None
    return f"http://127.0.0.1:{server.port}/specs/{spec}/versions"


async def make_token(fake: FakeDiscord, spec: str, *, user: str = "moderator") -> str:
    made = await fake.slash("spec token create", {"spec": spec}, user=user)
    assert made.ephemeral
    found = TOKEN_RE.findall(made.content or "")
    assert len(found) == 1, made.content
    return found[0]


async def push(
    harness: Harness,
    spec: str,
    token: str | None,
    data: bytes,
    *,
    content_type: str = "application/yaml",
    **params: str,
) -> tuple[int, JSON, aiohttp.typedefs.LooseHeaders]:
    headers = {"Content-Type": content_type}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    async with (
        aiohttp.ClientSession() as http,
        http.post(endpoint(harness, spec), data=data, headers=headers, params=params) as answer,
    ):
        return answer.status, await answer.json(), answer.headers


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


async def test_two_pushed_versions_are_announced_where_an_import_would_be(
    nexus: Harness,
) -> None:
    fake = nexus.fake
    await setup_specs(fake)
    token = await make_token(fake, "bookings-api")  # a new name: CI's first push fills it
    await fake.slash("spec follow", {"spec": "bookings-api"}, user="member2")

    started = time.perf_counter()
    status, first, _ = await push(nexus, "bookings-api", token, fixture("bookings-v1.yaml"))
    first_ms = (time.perf_counter() - started) * 1000
    assert status == 201, first
    assert first["version"] == {"number": 1, "label": "1.0.0", "openapi": "3.0.3"}
    assert first["previous"] is None
    assert first["endpoints"] > 5
    assert first["announced_in"] == str(fake.channel(SPEC_CHANNEL).id)
    [announced] = await until(
        fake, lambda: spec_channel_messages(fake, "New API spec"), "the first announcement"
    )
    assert announced["embeds"][0]["title"] == "📘 New API spec: bookings-api · 1.0.0"
    moderator = fake.users["moderator"]
    assert f"pushed from CI with <@{moderator}>'s token" in embed_text(announced)

    started = time.perf_counter()
    status, second, _ = await push(
        nexus, "bookings-api", token, fixture("bookings-v2.yaml"), version="2.0.0-ci"
    )
    report(
        "spec push",
        first_push_ms=round(first_ms),
        second_push_ms=round((time.perf_counter() - started) * 1000),
    )
    assert status == 201, second
    assert second["version"]["label"] == "2.0.0-ci"
    assert second["previous"] == {"number": 1, "label": "1.0.0"}
    assert second["counts"]["breaking"] >= 1
    assert second["change_count"] == sum(second["counts"].values())
    removed = [c for c in second["changes"] if c["endpoint"] == "DELETE /api/v1/bookings/{id}/"]
    assert [c["severity"] for c in removed] == ["breaking"]
    [changed] = await until(
        fake, lambda: spec_channel_messages(fake, "1.0.0 → 2.0.0-ci"), "the second announcement"
    )
    assert "`DELETE /api/v1/bookings/{id}/` — removed" in changed["embeds"][0]["description"]
    notices = await until(
        fake,
        lambda: [
            m
            for m in fake.channel_messages(SPEC_CHANNEL)
            if (m.get("content") or "").startswith("🔔")
        ],
        "the follower notices",
    )
    assert all(fake.pings(n)["users"] == [fake.users["member2"]] for n in notices)

    # What /spec import shows is there: the pushed versions, in the member's own words.
    changes = await fake.slash("spec changes", {"spec": "bookings-api"}, user="member")
    assert "2.0.0-ci" in str(changes.embeds)
    async with nexus.bot.db.read() as session:
        row = await session.scalar(select(SpecToken))
        versions = (await session.scalars(select(SpecVersion.imported_by))).all()
    assert row is not None
    assert row.token_hash == token_hash(token)
    assert token not in str(vars(row))
    assert row.last_used_at is not None
    assert versions == [moderator, moderator]


async def test_without_a_spec_channel_a_push_is_announced_where_its_token_was_made(
    nexus: Harness,
) -> None:
    fake = nexus.fake
    made = await fake.slash("spec token create", {"spec": "payments"}, user="owner")
    [token] = TOKEN_RE.findall(made.content or "")
    status, body, _ = await push(
        nexus,
        "payments",
        token,
        fixture("payments-swagger2.json"),
        content_type="application/octet-stream",  # told apart by its first character
    )
    assert status == 201, body
    assert body["format"] == "json"
    assert body["announced_in"] == str(fake.channel("general").id)
    [announced] = await until(
        fake,
        lambda: [m for m in fake.channel_messages("general") if "payments" in embed_text(m)],
        "the announcement in the token's channel",
    )
    assert announced["embeds"][0]["title"] == "📘 New API spec: payments · 1.4.2"


async def test_refused_pushes_say_why_and_store_nothing(nexus: Harness) -> None:
    fake = nexus.fake
    await setup_specs(fake)
    token = await make_token(fake, "reviews")
    other = await make_token(fake, "payments")
    document = fixture("bookings-v1.yaml")

    status, body, headers = await push(nexus, "reviews", None, document)
    assert (status, headers["WWW-Authenticate"]) == (401, 'Bearer realm="nexus"')
    assert "not a Nexus spec token" in body["error"]
    forged = "nexus_spec_" + "A" * 43
    status, body, _ = await push(nexus, "reviews", forged, document)
    assert status == 401
    assert "/spec token create" in body["error"]

    status, body, _ = await push(nexus, "nope", token, document)
    assert status == 404
    assert "no spec `nope`" in body["error"]
    status, body, _ = await push(nexus, "payments", token, document)
    assert status == 403
    assert "pushes to `reviews` only" in body["error"]

    huge = b" " * (5 * 1024 * 1024 + 1)
    status, body, _ = await push(nexus, "reviews", token, huge)
    assert status == 413
    assert "the limit is 5 MB" in body["error"]

    async with aiohttp.ClientSession() as http:
        async with http.get(endpoint(nexus, "reviews")) as answer:
            assert (answer.status, answer.headers["Allow"]) == (405, "POST")
            assert (await answer.json())["error"] == "Method Not Allowed"
        async with http.post(endpoint(nexus, "reviews").replace("/versions", "/v")) as answer:
            assert (answer.status, await answer.json()) == (404, {"error": "Not Found"})

    async def streamed() -> AsyncIterator[bytes]:  # no Content-Length: counted as it comes
        for _ in range(6):
            yield b" " * (1024 * 1024)

    async with (
        aiohttp.ClientSession() as http,
        http.post(
            endpoint(nexus, "reviews"),
            data=streamed(),
            headers={"Authorization": f"Bearer {token}"},
        ) as answer,
    ):
        assert answer.status == 413
        assert "over the 5 MB limit" in (await answer.json())["error"]

    # The reason /spec import gives for the same document, word for word.
    status, body, _ = await push(nexus, "reviews", token, fixture("remote-ref-https.yaml"))
    assert status == 422
    assert "points to a remote URL" in body["error"]
    imported = await import_spec(fake, "reviews", "remote-ref-https.yaml")
    said = imported.content or imported.followups[-1]["content"]
    assert body["error"] in said

    # A revoked token pushes nothing; the spec's other token was never its.
    revoked = await fake.slash("spec token revoke", {"spec": "reviews"}, user="moderator")
    assert revoked.ephemeral
    assert "is revoked" in (revoked.content or "")
    status, _, _ = await push(nexus, "reviews", token, document)
    assert status == 401
    status, body, _ = await push(nexus, "payments", other, b"openapi: [unclosed")
    assert status == 422

    async with nexus.bot.db.read() as session:
        assert (await session.scalars(select(SpecVersion))).all() == []
    assert fake.channel_messages(SPEC_CHANNEL) == []


async def test_a_flood_of_pushes_is_refused_with_retry_after(nexus: Harness) -> None:
    fake = nexus.fake
    token = await make_token(fake, "reviews", user="owner")
    for _ in range(PUSHES_PER_WINDOW):
        status, _, _ = await push(nexus, "reviews", token, b"openapi: [unclosed")
        assert status == 422
    status, body, headers = await push(nexus, "reviews", token, fixture("bookings-v1.yaml"))
    assert status == 429
    assert 0 < int(headers["Retry-After"]) <= 60
    assert "Too many pushes" in body["error"]
    # Another spec's token is counted on its own.
    second = await make_token(fake, "payments", user="owner")
    status, _, _ = await push(nexus, "payments", second, fixture("payments-swagger2.json"))
    assert status == 201


async def test_token_commands_are_for_editors_and_shown_once(nexus: Harness) -> None:
    fake = nexus.fake
    await setup_specs(fake)
    denied = await fake.slash("spec token create", {"spec": "reviews"}, user="member")
    assert denied.ephemeral
    assert "can change specs" in (denied.content or "")
    assert TOKEN_RE.search(denied.content or "") is None
    first = await make_token(fake, "reviews")
    made = await fake.slash("spec token create", {"spec": "reviews"}, user="moderator")
    assert "previous token no longer works" in (made.content or "")
    [second] = TOKEN_RE.findall(made.content or "")
    assert second != first
    status, _, _ = await push(nexus, "reviews", first, fixture("bookings-v1.yaml"))
    assert status == 401
    nothing = await fake.slash("spec token revoke", {"spec": "payments"}, user="moderator")
    assert nothing.ephemeral
    assert "no spec `payments`" in (nothing.content or "")
    assert fake.channel_messages(SPEC_CHANNEL) == []
    sent = fake.channel_messages(SPEC_CHANNEL) + fake.channel_messages("general")
    shown = [m for m in sent if TOKEN_RE.search(str(m))]
    assert len(shown) == 2
    assert all(m["flags"] & 64 for m in shown), "shown only to its maker"


# -- python -m bot spec push, against the endpoint ----------------------------------------------


async def spec_push(*args: str, token: str | None) -> tuple[int, str, str]:
    """`python -m bot spec push ARGS` with NEXUS_SPEC_TOKEN set to `token` (unset: None)."""
    environ = {k: v for k, v in os.environ.items() if k != TOKEN_VARIABLE}
    if token is not None:
        environ[TOKEN_VARIABLE] = token
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "spec",
        "push",
        *args,
        cwd=REPO,
        env=environ,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 120)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def test_ci_pushes_with_the_command_line_and_reads_refusals_in_one_line(
    nexus: Harness,
) -> None:
    fake = nexus.fake
    await setup_specs(fake)
    token = await make_token(fake, "bookings-api")
    server = nexus.bot.push_server
    assert server is not None
    url = f"http://127.0.0.1:{server.port}"
    v1, v2 = str(FIXTURES / "bookings-v1.yaml"), str(FIXTURES / "bookings-v2.yaml")

    status, out, err = await spec_push(v1, "--spec", "bookings-api", "--url", url, token=token)
    assert (status, err) == (0, ""), err
    assert out.startswith("pushed bookings-api 1.0.0 (#1): ")
    assert "its first version" in out
    status, out, err = await spec_push(
        v2, "--spec", "bookings-api", "--version", "2.0.0-ci", "--url", url, token=token
    )
    assert (status, err) == (0, ""), err
    assert "pushed bookings-api 2.0.0-ci (#2)" in out
    assert "since 1.0.0: " in out
    assert "breaking" in out.split("\n", 1)[1]
    await until(fake, lambda: spec_channel_messages(fake, "1.0.0 → 2.0.0-ci"), "the announcement")

    refusals = [
        ((v2, "--spec", "bookings-api", "--url", url), token, 1, "push refused (422): "),
        ((v1, "--spec", "bookings-api", "--url", url), "nexus_spec_" + "x" * 43, 1, "(401)"),
        ((v1, "--spec", "bookings-api", "--url", url), None, 2, "NEXUS_SPEC_TOKEN is not set"),
        ((v1, "--spec", "bookings-api", "--url", "http://127.0.0.1:9"), token, 2, "cannot reach"),
        ((v1, "--spec", "bookings-api", "--url", "nexus.example.com"), token, 2, "--url: "),
        (("missing.yaml", "--spec", "bookings-api", "--url", url), token, 2, "cannot read"),
    ]
    for args, given, expected, words in refusals:
        status, out, err = await spec_push(*args, token=given)
        assert (status, out) == (expected, ""), (args, err)
        assert err.startswith("nexus: "), err
        assert err.count("\n") == 1, err
        assert words in err
        assert "Traceback" not in err
    assert (
        "exactly the document of version `2.0.0-ci`"
        in (await spec_push(v2, "--spec", "bookings-api", "--url", url, token=token))[2]
    )
