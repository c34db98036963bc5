"""Text from an imported document never formats a message: no masked link, no broken code span.

Two real versions of a spec (tests/fixtures/openapi/bookings-v*.yaml) are poisoned in every
field a document author controls and Nexus shows: the title, `info.version`, tags, summaries,
descriptions, parameter and property names, formats, enum values, examples. Each gets a
backtick (which must not end an inline code span) and a masked link (which must not turn into a
link a reader clicks believing it is Nexus's). Then every view is drawn: the import report, the
announcement and the follower notice that pings, the listing, an endpoint, the changes.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.config import Settings
from localdiscord.emulator import FakeDiscord, Upload
from tests.figures import report
from tests.harness import Harness, nothing_pings, running_bot
from tests.specs.test_specs import is_follower_notice

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "openapi"
BAIT = "x` [Claim your free Nitro](https://nitro.example/claim) `y"
TEXT_KEYS = {"title", "description", "summary", "format", "operationId", "example", "default"}

# A masked link, once code spans and escaped characters are out of the way.
MASKED_LINK = re.compile(r"\[[^\]\n]*\]\(\s*<?\w+:")


@pytest.fixture
async def nexus(
    fake: FakeDiscord, settings: Settings, caplog: pytest.LogCaptureFixture
) -> AsyncIterator[Harness]:
    """The bot, and afterwards: only follower notices pinged, nothing unexpected was logged."""
    caplog.set_level(logging.WARNING)
    async with running_bot(fake, settings) as harness:
        yield harness
    sent = fake.all_sent_messages()
    assert [m for m in sent if not (nothing_pings(m) or is_follower_notice(m))] == []
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []


def poison(value: Any, key: str = "") -> Any:
    """`value` with the bait appended to every string an author writes (same on every call)."""
    if isinstance(value, dict):
        poisoned: dict[str, Any] = {}
        for k, v in value.items():
            if k == "properties" and isinstance(v, dict):
                poisoned[k] = {f"{name} {BAIT}": poison(s) for name, s in v.items()}
            elif k == "required" and isinstance(v, list):
                poisoned[k] = [f"{name} {BAIT}" for name in v]
            elif k == "name" and value.get("in") != "path" and isinstance(v, str):
                poisoned[k] = f"{v} {BAIT}"  # tag and parameter names (not path templates)
            elif k == "version" and key == "info":
                poisoned[k] = f"{v}{BAIT}"
            elif k in ("tags", "enum") and isinstance(v, list):
                poisoned[k] = [f"{t} {BAIT}" if isinstance(t, str) else poison(t) for t in v]
            elif k in TEXT_KEYS and isinstance(v, str):
                poisoned[k] = f"{v} {BAIT}"
            else:
                poisoned[k] = poison(v, k)
        return poisoned
    if isinstance(value, list):
        return [poison(item, key) for item in value]
    return value


def poisoned_upload(fixture: str) -> Upload:
    document = poison(yaml.safe_load((FIXTURES / fixture).read_text(encoding="utf-8")))
    return Upload(fixture.replace(".yaml", ".json"), json.dumps(document).encode())


def live_links(markdown: str) -> list[str]:
    """The masked links Discord would draw from `markdown`."""
    text = re.sub(r"\\.", "", markdown)  # escaped characters draw as themselves
    text = re.sub(r"```.*?```", "", text, flags=re.S)
    text = re.sub(r"(`+)(?:(?!\1).)+\1", "", text, flags=re.S)  # inline code spans
    return MASKED_LINK.findall(text)


def texts(message: dict[str, Any]) -> list[str]:
    """Every piece of a message that Discord draws as Markdown (footers and authors are drawn
    as plain text: escaping them would show the backslashes).
    """
    found = [message.get("content") or ""]
    for embed in message.get("embeds") or []:
        found += [embed.get("title") or "", embed.get("description") or ""]
        for field in embed.get("fields") or []:
            found += [field.get("name") or "", field.get("value") or ""]
    return found


async def import_(fake: FakeDiscord, fixture: str) -> None:
    done = await fake.slash(
        "spec import",
        {"name": "bookings-api", "file": poisoned_upload(fixture)},
        user="owner",
        timeout=30,
    )
    assert done.errors == []
    assert done.embeds, done


@pytest.mark.finding("6 masked links from documents")
async def test_document_text_never_formats_a_message(nexus: Harness) -> None:
    fake = nexus.fake
    await fake.slash("spec setup", {"channel": "api-specs"}, user="owner")
    await import_(fake, "bookings-v1.yaml")
    await fake.slash("spec follow", {"spec": "bookings-api"}, user="member")
    await import_(fake, "bookings-v2.yaml")
    await fake.world.wait_for(
        lambda: (
            any(
                (m.get("content") or "").startswith("🔔")
                for m in fake.channel_messages("api-specs")
            )
            or None
        ),
        "the follower notice",
        10.0,
    )

    listing = await fake.slash("spec list", {"spec": "bookings-api"})
    for custom_id in listing.custom_ids():
        if custom_id.endswith(":2"):
            await fake.click(listing, custom_id)
    endpoints = await fake.autocomplete(
        "spec endpoint", {"spec": "bookings-api", "endpoint": ""}, focused="endpoint"
    )
    for choice in endpoints[:5]:
        await fake.slash("spec endpoint", {"spec": "bookings-api", "endpoint": choice["value"]})
    await fake.slash("spec changes", {"spec": "bookings-api", "from": "1", "to": "2"})

    sent = fake.all_sent_messages()
    drawn = [text for message in sent for text in texts(message)]
    assert sum("Claim your free Nitro" in text for text in drawn) >= 10, "the bait was shown"
    leaks = [(text[:300], links) for text in drawn if (links := live_links(text))]
    report("fuzz", document_fields_poisoned=len(drawn))
    assert leaks == [], "\n".join(f"{links} in {text!r}" for text, links in leaks)


def test_the_check_finds_what_it_looks_for() -> None:
    assert live_links("see [Claim](https://nitro.example)")
    assert live_links("`GET /x` [Claim](https://nitro.example) `y`")
    assert live_links("`a`b` [Claim](https://nitro.example) `") == []  # inside the second span
    assert live_links("`a`b` [Claim](https://nitro.example)")  # a backtick left alone
    assert live_links("\\[Claim](https://nitro.example)") == []
    assert live_links("`x ˋ [Claim](https://nitro.example) ˋ y`") == []
    assert live_links("```\n[Claim](https://nitro.example)\n```") == []


@pytest.mark.finding("6 masked links from documents")
async def test_a_members_masked_link_shows_where_it_goes(nexus: Harness) -> None:
    """Questions and answers keep their Markdown (code above all); a masked link is shown as
    its text and its real address, outside code.
    """
    fake = nexus.fake
    await fake.slash("qa setup", {"channel": "qa"}, user="admin")
    details = (
        "Docs say [the official guide](https://nitro.example/claim) works.\n"
        "```py\nretry = '[kept](https://as.written)'\n```\n"
        'Escaped \\`[Claim](<https://nitro.example/2> "Nitro")\\` too'
    )
    opened = await fake.slash("ask", user="member")
    asked = await opened.submit_modal(
        {
            "qa:input:title": "Which Celery retry guide should I trust?",
            "qa:input:details": details,
            "qa:input:tags": "celery",
        }
    )
    assert "is posted" in (asked.content or ""), asked
    [posted] = fake.channel_messages("qa")
    description = posted["embeds"][0]["description"]
    assert live_links(description) == []
    assert "the official guide (https://nitro.example/claim)" in description
    assert "https://nitro.example/2" in description
    assert "```py\nretry = '[kept](https://as.written)'\n```" in description
