"""The bot logs in, registers valid commands, answers, and never pings."""

from __future__ import annotations

import asyncio
import logging
import re
from typing import Any

import pytest
from sqlalchemy import event, func, select, text

from bot.db.models import Entry
from bot.qa.privacy import Privacy
from localdiscord.emulator import FakeDiscord, command_payload_problems
from tests.harness import Harness, start_bot, stop_bot


async def test_ready_with_the_guild(nexus: Harness) -> None:
    guild = nexus.bot.get_guild(nexus.fake.guild_id)
    assert guild is not None
    assert {c.name for c in guild.text_channels} >= {"general", "qa", "api-specs"}
    assert nexus.bot.allowed_mentions is not None
    assert nexus.bot.allowed_mentions.to_dict() == {"parse": []}


async def test_registered_commands_fit_discords_limits(nexus: Harness) -> None:
    registered = nexus.fake.commands(nexus.fake.guild_id)
    names = {c["name"] for c in registered}
    assert {"concept", "challenge", "tips", "search", "help", "about"} <= names
    menus = {(c["name"], c.get("type")) for c in registered if c.get("type", 1) == 3}
    assert menus == {("Ask as question", 3), ("Mark as answer", 3)}  # message context menus
    for command in registered:
        assert command_payload_problems(command) == [], command["name"]


async def test_content_is_synced_at_start(nexus: Harness) -> None:
    async with nexus.bot.db.read() as session:
        count = await session.scalar(select(func.count()).select_from(Entry))
    assert count == len(nexus.bot.services.learnings) > 100


async def test_unchanged_commands_are_not_synced_again(nexus: Harness) -> None:
    puts = len(nexus.fake.requests_to("PUT", r"/applications/\d+/guilds/\d+/commands"))
    assert puts == 1
    await nexus.bot.close()
    bot, task = await start_bot(nexus.fake, nexus.settings)
    try:
        assert bot.commands_synced is False
        again = len(nexus.fake.requests_to("PUT", r"/applications/\d+/guilds/\d+/commands"))
        assert again == 1
    finally:
        await stop_bot(bot, task)


async def test_help_lists_every_command(nexus: Harness) -> None:
    result = await nexus.fake.slash("help")
    assert result.ephemeral
    text = str(result.embeds[0])
    for name in ("/concept", "/challenge", "/tips", "/search", "/about"):
        assert name in text
    menus = result.embeds[0]["fields"][-1]
    assert menus["name"].startswith("On a message")
    assert menus["value"] == "**Ask as question** · **Mark as answer**"


async def test_about_reports_health(nexus: Harness) -> None:
    result = await nexus.fake.slash("about")
    assert result.ephemeral
    fields = {f["name"]: f["value"] for f in result.embeds[0]["fields"]}
    assert "answering" in fields["Database"]
    if nexus.bot.db.is_sqlite:
        assert re.search(r"\d+\.\d MB · [\d.]+ [KMGT]B free on its disk", fields["Database"])
    else:  # PostgreSQL: the database's size; its disk is the server's
        assert re.search(r"\d+\.\d MB$", fields["Database"])
    assert fields["Gateway"].startswith("✅ connected")
    assert "drop" not in fields["Gateway"]
    assert "concepts" in fields["Learnings"]
    assert "Daily tips" in fields
    assert nexus.settings.discord_token not in str(result.embeds)


async def test_sigterm_like_close_releases_the_database(fake: FakeDiscord, nexus: Harness) -> None:
    await nexus.bot.close()
    assert nexus.bot.is_closed()
    # The engine is disposed: a new connection would have to be opened from scratch.
    assert nexus.bot.db.engine.pool.checkedout() == 0


async def test_an_answer_still_at_work_hands_its_connection_back_before_the_database_closes(
    nexus: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """forget-me rewrites the search index after its answer: a bot closed meanwhile stops that
    follow-up before it closes the database, its connection back in the pool (left running, it
    met the event loop's end, which could leave the connection to the garbage collector).
    """
    working = asyncio.Event()

    async def wipe_traces_forever(self: Privacy) -> None:
        async with self._db.unit_of_work() as session:
            await session.execute(text("SELECT 1"))
            working.set()
            await asyncio.Event().wait()

    monkeypatch.setattr(Privacy, "wipe_traces", wipe_traces_forever)
    monkeypatch.setattr("bot.client.CLOSE_GRACE_SECONDS", 0.0)  # it would never finish
    out: set[Any] = set()  # the pool's connections checked out, not yet back
    engine = nexus.bot.db.engine.sync_engine
    event.listen(engine, "checkout", lambda _dbapi, record, _proxy: out.add(record))
    event.listen(engine, "checkin", lambda _dbapi, record: out.discard(record))
    fake = nexus.fake
    opened = await fake.slash("ask", user="member")
    await opened.submit_modal(
        {"qa:input:title": "Why is my pool empty?", "qa:input:details": "It was full before."}
    )
    prompt = await fake.slash("qa forget-me", user="member")
    done = await fake.click(prompt, "qa:forget:delete", user="member")
    assert done.content.startswith("🗑️ Done")
    await working.wait()
    assert len(out) == 1
    await nexus.bot.close()
    assert out == set()


async def test_an_unexpected_error_is_an_apology_with_an_incident_id(
    nexus: Harness, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def explode(*args: object, **kwargs: object) -> None:
        raise RuntimeError("database on fire")

    monkeypatch.setattr(nexus.bot.services.learnings, "lookup", explode)
    result = await nexus.fake.slash("concept", {"name": "jwt"})
    assert result.ephemeral
    content = result.content or ""
    assert "Incident `" in content
    assert "database on fire" not in content
    assert "Traceback" not in content
    incident = content.split("`")[1]
    logged = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(logged) == 1
    assert incident in logged[0].getMessage()
    assert logged[0].exc_info is not None
    # The structured fields: the incident id the user saw and the interaction it belongs to.
    record = logged[0]
    assert record.incident == incident  # type: ignore[attr-defined]
    assert record.command == "/concept"  # type: ignore[attr-defined]
    assert record.guild == str(nexus.fake.guild.id)  # type: ignore[attr-defined]
    assert record.user == str(nexus.fake.user("member").id)  # type: ignore[attr-defined]
    caplog.clear()


async def test_every_line_logged_while_answering_names_the_interaction(
    nexus: Harness, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    service_log = logging.getLogger("bot.learnings.service")
    lookup = nexus.bot.services.learnings.lookup

    def logged_lookup(*args: object, **kwargs: object) -> object:
        service_log.warning("looking up %s", args)
        return lookup(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(nexus.bot.services.learnings, "lookup", logged_lookup)
    await nexus.fake.slash("concept", {"name": "jwt"}, user="admin")
    result = await nexus.fake.slash("tips")
    button = next(c for c in result.custom_ids() if c.startswith("tips:next:"))
    service_log.warning("between interactions")
    records = [r for r in caplog.records if r.name == "bot.learnings.service"]
    inside, outside = records[0], records[-1]
    assert inside.command == "/concept"  # type: ignore[attr-defined]
    assert inside.user == str(nexus.fake.user("admin").id)  # type: ignore[attr-defined]
    assert inside.guild == str(nexus.fake.guild.id)  # type: ignore[attr-defined]
    assert inside.interaction  # type: ignore[attr-defined]
    assert not hasattr(outside, "guild"), "nothing leaks out of an interaction"

    monkeypatch.setattr(nexus.bot.services.learnings, "lookup", lookup)
    caplog.clear()
    with caplog.at_level(logging.DEBUG, logger="bot.interactions"):
        await result.click(button)
    (received,) = [r for r in caplog.records if r.name == "bot.interactions"]
    assert received.command == f"component {button}"  # type: ignore[attr-defined]


async def test_the_same_error_inside_a_button_is_handled_too(
    nexus: Harness, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    result = await nexus.fake.slash("tips")
    button = next(c for c in result.custom_ids() if c.startswith("tips:next:"))

    def explode(*args: object, **kwargs: object) -> None:
        raise RuntimeError("rotation broke")

    monkeypatch.setattr(nexus.bot.services.learnings, "rotation", explode)
    clicked = await result.click(button)
    assert clicked.ephemeral
    assert "Incident `" in (clicked.content or "")
    caplog.clear()


async def test_the_gateway_drops_and_the_bot_resumes(nexus: Harness) -> None:
    before = await nexus.fake.slash("concept", {"name": "jwt"})
    assert before.embeds
    await nexus.fake.drop_connection()
    await nexus.fake.wait_until_connected(timeout=10)
    after = await nexus.fake.slash("concept", {"name": "redis"})
    assert after.embeds
    assert after.errors == []
    about = await nexus.fake.slash("about")
    gateway = next(f["value"] for f in about.embeds[0]["fields"] if f["name"] == "Gateway")
    assert gateway.startswith("✅ connected")
    assert "1 drop(s), 1 resume(s) since start" in gateway


async def test_a_reconnect_request_is_followed(nexus: Harness) -> None:
    await nexus.fake.send_reconnect()
    await nexus.fake.wait_until_connected(timeout=10)
    result = await nexus.fake.slash("help")
    assert result.embeds


async def test_members_messages_are_seen_but_not_kept_in_memory(nexus: Harness) -> None:
    # Nothing reads discord.py's message cache (replies and edits go by id): a busy server's
    # last thousand messages would only take memory.
    for i in range(20):
        await nexus.fake.send_message(f"message {i}")
    seen = asyncio.create_task(
        nexus.bot.wait_for("message", check=lambda m: m.id == last_id, timeout=5)
    )
    await asyncio.sleep(0)
    last_id = int((await nexus.fake.send_message("the last one"))["id"])
    message = await seen
    assert len(nexus.bot.cached_messages) == 0
    assert message.channel.last_message_id == last_id  # the channel's activity is still known
