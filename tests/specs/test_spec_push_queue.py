"""A push takes its place in the server's import queue like `/spec import`: refused at once
(429, Retry-After) when the server's queue is full, taken in turn otherwise; and a version
stored is answered as stored even when its announcement fails. The push endpoint runs on
127.0.0.1 over the real service; the analysis is held at the test's gates (no timings).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import aiohttp
import pytest

from bot.db.engine import Database
from bot.specs import ImportReport, SpecsService
from bot.specs.push import QUEUE_FULL_RETRY_SECONDS, SpecPushServer
from bot.specs.tokens import PushGrant
from tests.specs.test_spec_import_queue import (
    ADMIN,
    MAX_WAITING_PER_SERVER,
    SERVER_A,
    GatedAnalysis,
    document,
    queue_up,
    until,
)


class Announcements:
    """What the server was asked to announce; fails when told to."""

    def __init__(self) -> None:
        self.asked: list[tuple[str, int]] = []
        self.fail = False

    async def __call__(self, report: ImportReport, grant: PushGrant) -> tuple[int | None, None]:
        self.asked.append((report.version.label, grant.guild_id))
        if self.fail:
            raise RuntimeError("Discord is down")
        return 4242, None


@pytest.fixture
def gated() -> GatedAnalysis:
    return GatedAnalysis()


@pytest.fixture
def specs(db: Database, gated: GatedAnalysis) -> SpecsService:
    return SpecsService(db, off_loop=gated)


@pytest.fixture
async def server(specs: SpecsService) -> AsyncIterator[tuple[SpecPushServer, Announcements]]:
    announcements = Announcements()
    pushes = SpecPushServer(specs, announcements, "127.0.0.1", 0)
    await pushes.start()
    try:
        yield pushes, announcements
    finally:
        await pushes.stop()


def versioned(label: str) -> bytes:
    """The gateway's document, its `info.version` `label`."""
    return document("gateway").replace(b'"version": "1"', f'"version": "{label}"'.encode())


async def post(server: SpecPushServer, token: str, body: bytes) -> tuple[int, dict, str | None]:
    url = f"http://127.0.0.1:{server.port}/specs/gateway/versions"
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    async with (
        aiohttp.ClientSession() as http,
        http.post(url, data=body, headers=headers) as answer,
    ):
        return answer.status, await answer.json(), answer.headers.get("Retry-After")


async def test_a_push_to_a_full_queue_is_told_when_to_come_back_and_a_waiting_one_is_served(
    specs: SpecsService,
    gated: GatedAnalysis,
    server: tuple[SpecPushServer, Announcements],
    caplog: pytest.LogCaptureFixture,
) -> None:
    pushes, announcements = server
    issued = await specs.create_token(SERVER_A, ADMIN, "gateway", None)
    names = [f"a{i}" for i in range(1, MAX_WAITING_PER_SERVER + 2)]  # one running, cap waiting
    imports = await queue_up(specs, gated, SERVER_A, names)

    status, body, retry = await post(pushes, issued.token, document("gateway"))
    assert (status, retry) == (429, str(QUEUE_FULL_RETRY_SECONDS))
    assert "imports are already waiting for this server" in body["error"]

    gated.gate("a1.json").set()
    await imports[0]
    waiting = asyncio.create_task(post(pushes, issued.token, versioned("1.0.0")))
    await until(lambda: specs.imports_waiting(SERVER_A) == MAX_WAITING_PER_SERVER)
    for name in names[1:]:
        gated.gate(f"{name}.json").set()
    gated.gate("gateway.json").set()
    status, body, _ = await waiting
    assert status == 201, body
    assert (body["spec"], body["version"]["label"]) == ("gateway", "1.0.0")
    assert body["announced_in"] == "4242"
    await asyncio.gather(*imports)

    announcements.fail = True
    status, body, _ = await post(pushes, issued.token, versioned("2.0.0"))
    assert status == 201, body
    assert body["announcement_problem"] == "the announcement failed; the version is stored"
    assert announcements.asked == [("1.0.0", SERVER_A), ("2.0.0", SERVER_A)]
    assert "could not announce a pushed spec version" in caplog.text


async def test_a_token_revoked_while_its_document_is_read_stores_nothing(
    specs: SpecsService, gated: GatedAnalysis, server: tuple[SpecPushServer, Announcements]
) -> None:
    pushes, announcements = server
    issued = await specs.create_token(SERVER_A, ADMIN, "gateway", None)
    pushing = asyncio.create_task(post(pushes, issued.token, versioned("1.0.0")))
    await until(lambda: gated.started == ["gateway.json"])
    await specs.revoke_token(SERVER_A, ADMIN, "gateway")
    gated.gate("gateway.json").set()
    status, body, _ = await pushing
    assert status == 401
    assert "revoked, or its spec deleted, while the document was read" in body["error"]
    listing = await specs.listing(SERVER_A, spec_name="gateway")
    assert (listing.version, listing.total) == (None, 0)
    assert announcements.asked == []
