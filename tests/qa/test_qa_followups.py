"""Follow-ups through the real bot and the local Discord, on a controlled clock: a nudge of an
unanswered question, the asker's solved check and the mentors' weekly digest, each once, also
across a restart; the helper role is pinged only when an admin opted it in."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import update

from bot.client import Nexus
from bot.config import Settings
from bot.db.models import QaQuestion
from cogs.qa.cog import COG_NAME
from localdiscord.emulator import FakeDiscord
from tests.harness import Harness, start_bot, stop_bot
from tests.qa.test_qa import (
    answer_by_button,
    ask,
    check_after,
    posted_id,
    qa_service,
    question_message,
    relax_cooldowns,
)

JSON = dict[str, Any]
Restart = Callable[[Settings], Awaitable[tuple[Nexus, Any]]]


@pytest.fixture
async def nexus(
    fake: FakeDiscord, settings: Settings, caplog: pytest.LogCaptureFixture
) -> AsyncIterator[Harness]:
    caplog.set_level(logging.WARNING)
    bot, task = await start_bot(fake, settings)
    try:
        relax_cooldowns(bot)
        yield Harness(await driven_by_hand(bot), fake, settings)
    finally:
        await stop_bot(bot, task)
    check_after(fake, caplog)


async def driven_by_hand(bot: Nexus) -> Nexus:
    """`bot` with its Q&A timers stopped: the test runs their rounds itself, on its clock
    (a round of the bot's own could otherwise run between a clock change and the test's)."""
    cog = bot.get_cog(COG_NAME)
    assert cog is not None
    await cog.stop_timers()  # type: ignore[attr-defined]
    return bot


def at(bot: Nexus, later: timedelta) -> None:
    """The bot's Q&A clock, `later` than now."""
    qa_service(bot)._clock = lambda: datetime.now(UTC) + later


async def followups(bot: Nexus) -> dict[str, int]:
    cog = bot.get_cog(COG_NAME)
    assert cog is not None
    sent: dict[str, int] = await cog.run_followups()  # type: ignore[attr-defined]
    return sent


def said(fake: FakeDiscord, channel: str, words: str) -> list[JSON]:
    """The public messages of a channel that say `words`."""
    return [
        m
        for m in fake.channel_messages(channel)
        if words in (m["content"] or "") and not m["flags"] & 64
    ]


async def test_an_unanswered_question_is_nudged_once(nexus: Harness, restart: Restart) -> None:
    fake, bot = nexus.fake, nexus.bot
    qid = posted_id(await ask(fake, "Why does my Docker build take ages?"))
    assert await followups(bot) == {"nudges": 0, "solved_checks": 0, "digests": 0, "stale": 0}
    at(bot, timedelta(hours=23))
    assert (await followups(bot))["nudges"] == 0
    at(bot, timedelta(hours=25))
    assert (await followups(bot))["nudges"] == 1
    [nudge] = said(fake, "general", "waited 24 hours")
    assert f"#{qid} ·" in nudge["content"]
    assert nudge["message_reference"]["message_id"] == question_message(fake, qid)["id"]
    assert fake.pings(nudge) == {"users": [], "roles": [], "everyone": False}
    assert (await followups(bot))["nudges"] == 0

    second, task = await restart(nexus.settings)
    try:
        await driven_by_hand(second)
        at(second, timedelta(hours=30))
        assert (await followups(second))["nudges"] == 0  # once, across the restart
    finally:
        await stop_bot(second, task)
    assert len(said(fake, "general", "waited 24 hours")) == 1


async def test_the_helper_role_is_pinged_only_when_opted_in(nexus: Harness) -> None:
    fake, bot = nexus.fake, nexus.bot
    refused = await fake.slash("qa setup", {"helper_role": "Moderator"}, user="moderator")
    assert "Manage Server" in (refused.content or "")
    everyone = await fake.slash("qa setup", {"helper_role": "@everyone"}, user="admin")
    assert "not @everyone" in (everyone.content or "")
    done = await fake.slash(
        "qa setup", {"helper_role": "Moderator", "nudge_after": 2}, user="admin"
    )
    role = fake.roles["Moderator"]
    assert f"nudged after 2 hours, mentioning <@&{role}>" in (done.content or "")
    assert fake.pings(fake.channel_messages("general")[-1])["roles"] == []

    qid = posted_id(await ask(fake, "How do I read a Postgres EXPLAIN plan?"))
    at(bot, timedelta(hours=3))
    assert (await followups(bot))["nudges"] == 1
    [nudge] = said(fake, "general", "waited 2 hours")
    assert nudge["content"].startswith(f"<@&{role}> — ⏰ **#{qid}")
    assert fake.pings(nudge) == {"users": [], "roles": [role], "everyone": False}

    cleared = await fake.slash("qa setup", {"clear": "helper_role_id"}, user="admin")
    assert "nudged after 2 hours." in (cleared.content or "")
    posted_id(await ask(fake, "A question nudged without a ping"))
    at(bot, timedelta(hours=6))
    assert (await followups(bot))["nudges"] == 1
    assert fake.pings(said(fake, "general", "waited 2 hours")[-1])["roles"] == []

    off = await fake.slash("qa setup", {"nudge_after": 0}, user="admin")
    assert "not nudged" in (off.content or "")
    posted_id(await ask(fake, "A question nobody will be nudged about"))
    at(bot, timedelta(days=3))
    assert (await followups(bot))["nudges"] == 0


async def test_the_asker_is_asked_once_whether_it_is_solved(nexus: Harness) -> None:
    fake, bot = nexus.fake, nexus.bot
    qid = posted_id(await ask(fake, "How do I paginate a large queryset?"))
    await answer_by_button(fake, qid, "Use keyset pagination.")
    at(bot, timedelta(hours=25))
    assert await followups(bot) == {"nudges": 0, "solved_checks": 1, "digests": 0, "stale": 0}
    [check] = said(fake, "general", "Did one solve it?")
    assert check["content"].startswith(f"<@{fake.users['member']}> — your question **#{qid}")
    assert fake.pings(check)["users"] == [fake.users["member"]]
    buttons = [c["custom_id"] for c in check["components"][0]["components"]]
    assert buttons == [f"qa:accept:{qid}", f"qa:still-open:{qid}"]
    assert (await followups(bot))["solved_checks"] == 0

    other = await fake.click(check, f"qa:still-open:{qid}", user="member2")
    assert "Only the member who asked" in (other.content or "")
    chooser = await fake.click(check, f"qa:accept:{qid}", user="member")
    assert any(c.startswith(f"qa:accept:{qid}:") for c in chooser.custom_ids())
    kept = await fake.click(check, f"qa:still-open:{qid}", user="member")
    assert "stays open" in (kept.message or {}).get("content", "")
    assert (kept.message or {}).get("components") == []


async def test_the_mentors_get_a_digest_once_a_week(nexus: Harness, restart: Restart) -> None:
    fake, bot = nexus.fake, nexus.bot
    done = await fake.slash("qa setup", {"mentors_channel": "qa"}, user="admin")
    assert f"<#{fake.channels['qa']}> once a week" in (done.content or "")
    old = posted_id(await ask(fake, "The oldest open question of the week"))
    new = posted_id(await ask(fake, "A newer open question of the week"))
    answered = posted_id(await ask(fake, "An answered question of the week"))
    await answer_by_button(fake, answered, "Answered already.")

    assert (await followups(bot))["digests"] == 1
    [digest] = [m for m in fake.channel_messages("qa") if m["embeds"]]
    text = digest["embeds"][0]["description"]
    assert text.index(f"#{old}**") < text.index(f"#{new}**")
    assert f"#{answered}**" not in text
    assert fake.pings(digest) == {"users": [], "roles": [], "everyone": False}
    assert (await followups(bot))["digests"] == 0

    second, task = await restart(nexus.settings)
    try:
        await driven_by_hand(second)
        assert (await followups(second))["digests"] == 0  # this week's went out already
        at(second, timedelta(days=7))
        assert (await followups(second))["digests"] == 1
    finally:
        await stop_bot(second, task)
    assert len([m for m in fake.channel_messages("qa") if m["embeds"]]) == 2


async def test_a_restarted_bot_sends_what_came_due_while_it_was_away(
    nexus: Harness, restart: Restart
) -> None:
    """The timers' first round runs as the bot starts, on the real clock."""
    fake = nexus.fake
    qid = posted_id(await ask(fake, "Asked while the bot was about to stop"))
    qa = qa_service(nexus.bot)
    async with qa._db.unit_of_work() as session:
        await session.execute(
            update(QaQuestion)
            .where(QaQuestion.id == qid)
            .values(created_at=datetime.now(UTC) - timedelta(days=2))
        )
    second, task = await restart(nexus.settings)
    try:
        await fake.world.wait_for(
            lambda: said(fake, "general", "waited 24 hours"), "the nudge of the first round"
        )
    finally:
        await stop_bot(second, task)
    assert len(said(fake, "general", "waited 24 hours")) == 1


async def test_a_quiet_question_is_closed_as_stale_once(nexus: Harness) -> None:
    fake, bot = nexus.fake, nexus.bot
    done = await fake.slash("qa setup", {"stale_after": 3, "nudge_after": 0}, user="admin")
    assert "quiet for 3 days is closed as stale" in (done.content or "")
    quiet = posted_id(await ask(fake, "Nobody knows this one, it seems"))
    lively = posted_id(await ask(fake, "Everybody has an opinion on this one"))
    at(bot, timedelta(days=2))
    await answer_by_button(fake, lively, "An answer two days later.")
    at(bot, timedelta(days=4))
    assert (await followups(bot))["stale"] == 1
    [note] = said(fake, "general", "closed as stale")
    assert f"#{quiet} ·" in note["content"]
    assert fake.pings(note) == {"users": [], "roles": [], "everyone": False}
    footer = question_message(fake, quiet)["embeds"][0]["footer"]["text"]
    assert "closed as stale" in footer
    assert (await followups(bot))["stale"] == 0  # once
    listed = await fake.slash("qa open")
    assert f"#{quiet} ·" not in str(listed.embeds)

    revived = await fake.slash("answer", {"question": str(quiet), "text": "Late, but: this."})
    assert "is posted" in (revived.content or "")
    question = await qa_service(bot).get(fake.guild_id, quiet)
    assert question.close_reason is None  # an answer brings it back
