"""Recognition through the real bot and the local Discord, on a controlled clock: the 👍 on
answers, /qa leaderboard by period, /qa profile, forget-me and /qa stats."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import timedelta

import pytest

from bot.config import Settings
from bot.qa import ACCEPTED_POINTS, VOTE_POINTS
from bot.qa.service import QaService
from localdiscord.emulator import FakeDiscord
from localdiscord.emulator.limits import walk_components
from tests.harness import Harness, start_bot, stop_bot
from tests.qa.test_qa import (
    JSON,
    answer_by_button,
    ask,
    check_after,
    notices,
    posted_id,
    question_message,
    question_messages,
    relax_cooldowns,
    until,
)
from tests.qa.test_qa_service import Clock

HOUR = 3600.0
DAY = 24 * HOUR


@pytest.fixture
async def nexus(
    fake: FakeDiscord, settings: Settings, caplog: pytest.LogCaptureFixture, clock: Clock
) -> AsyncIterator[Harness]:
    """The bot, its Q&A on `clock` (and without cooldowns: the clock is moved by hand)."""
    caplog.set_level(logging.WARNING)
    bot, task = await start_bot(fake, settings)
    try:
        qa = QaService(bot.db, clock=clock, ask_cooldown=timedelta(0), answer_cooldown=timedelta(0))
        bot.services = replace(bot.services, qa=qa)
        yield Harness(bot, fake, settings)
    finally:
        await stop_bot(bot, task)
    check_after(fake, caplog)


# Titles that share no word: an answered look-alike would be offered before posting.
TITLES = [
    "How do I retry a Celery task?",
    "Why does Postgres ignore my index?",
    "Which JWT library suits Django REST?",
    "Where should Docker volumes live?",
    "What makes Redis evict keys early?",
]


def next_title(fake: FakeDiscord) -> str:
    return TITLES[len(question_messages(fake)) % len(TITLES)]


async def question_answered(
    fake: FakeDiscord, *, asker: str, by: str, title: str | None = None
) -> tuple[int, int]:
    """A question asked by `asker` and answered by `by`: (question id, answer id)."""
    qid = posted_id(await ask(fake, title or next_title(fake), user=asker))
    aid = posted_id(await answer_by_button(fake, qid, "Use autoretry_for.", user=by))
    return qid, aid


def notice_of(fake: FakeDiscord, aid: int) -> JSON:
    for message in notices(fake):
        if f"qa:vote:{aid}" in str(message.get("components")):
            return message
    raise AssertionError(f"no notice with a vote button for answer #{aid}")


async def shows(fake: FakeDiscord, aid: int, label: str) -> None:
    """Wait until the answer's notice shows `label` on its 👍 (it is redrawn after the reply)."""
    await until(fake, lambda: vote_label(notice_of(fake, aid), aid) == label, label)


def vote_label(message: JSON, aid: int) -> str:
    button = next(
        c for c in walk_components(message["components"]) if c.get("custom_id") == f"qa:vote:{aid}"
    )
    return f"{button['emoji']['name']} {button['label']}"


async def accept(fake: FakeDiscord, qid: int, aid: int, user: str) -> None:
    chooser = await fake.click(question_message(fake, qid), f"qa:accept:{qid}", user=user)
    accepted = await chooser.click(f"qa:accept:{qid}:{aid}")
    assert "You accepted answer" in (accepted.content or ""), accepted.content


def description(result: object) -> str:
    embeds = result.embeds  # type: ignore[attr-defined]
    assert embeds, result
    return str(embeds[0].get("description") or "")


# -- the 👍 button ------------------------------------------------------------------------------


async def test_one_vote_per_member_and_a_second_press_takes_it_back(nexus: Harness) -> None:
    fake = nexus.fake
    _, aid = await question_answered(fake, asker="member", by="member2")
    notice = notice_of(fake, aid)
    assert vote_label(notice, aid) == "👍 Helpful · 0"

    voted = await fake.click(notice, f"qa:vote:{aid}", user="member")
    assert voted.ephemeral
    assert "Thanks! Answer" in (voted.content or ""), voted.content
    await shows(fake, aid, "👍 Helpful · 1")
    await fake.click(notice_of(fake, aid), f"qa:vote:{aid}", user="moderator")
    await shows(fake, aid, "👍 Helpful · 2")

    back = await fake.click(notice_of(fake, aid), f"qa:vote:{aid}", user="member")
    assert back.ephemeral
    assert "taken back" in (back.content or ""), back.content
    assert "now has 1 vote" in (back.content or "")
    await shows(fake, aid, "👍 Helpful · 1")


async def test_nobody_votes_for_their_own_answer(nexus: Harness) -> None:
    fake = nexus.fake
    _, aid = await question_answered(fake, asker="member", by="member2")
    refused = await fake.click(notice_of(fake, aid), f"qa:vote:{aid}", user="member2")
    assert refused.ephemeral
    assert "cannot vote for your own answer" in (refused.content or ""), refused.content
    await shows(fake, aid, "👍 Helpful · 0")


async def test_answers_pages_carry_a_vote_for_the_answers_of_others(nexus: Harness) -> None:
    fake = nexus.fake
    qid, aid = await question_answered(fake, asker="member", by="member2")
    own = posted_id(await answer_by_button(fake, qid, "Or acks_late.", user="admin"))
    page = await fake.click(question_message(fake, qid), f"qa:answers:{qid}", user="admin")
    assert f"qa:vote:{aid}" in page.custom_ids()
    assert f"qa:vote:{own}" not in page.custom_ids()  # the viewer's own answer
    voted = await page.click(f"qa:vote:{aid}")
    assert voted.ephemeral
    assert "now has 1 vote" in (voted.content or ""), voted.content
    await shows(fake, aid, "👍 Helpful · 1")  # the notice follows


# -- the leaderboard and profiles --------------------------------------------------------------


async def test_leaderboard_counts_by_period(nexus: Harness, clock: Clock) -> None:
    fake = nexus.fake
    qid, old = await question_answered(fake, asker="member", by="member2")
    await accept(fake, qid, old, user="member")  # member2: accepted 20 days before the end
    clock.advance(18 * DAY)
    _, recent = await question_answered(fake, asker="member2", by="admin")
    await fake.click(notice_of(fake, recent), f"qa:vote:{recent}", user="member")
    await fake.click(notice_of(fake, recent), f"qa:vote:{recent}", user="moderator")
    clock.advance(2 * DAY)  # admin: two votes 2 days before the end

    week = await fake.slash("qa leaderboard", {"period": "week"}, user="member")
    assert not week.ephemeral
    assert week.embeds[0]["title"] == "🏆 Q&A leaderboard · last 7 days"
    lines = description(week).splitlines()
    admin, member2 = fake.users["admin"], fake.users["member2"]
    assert lines == [f"🥇 <@{admin}> — **{2 * VOTE_POINTS}** points (0 accepted answers · 2 👍)"]

    month = description(await fake.slash("qa leaderboard", {"period": "month"}))
    assert month.splitlines() == [
        f"🥇 <@{member2}> — **{ACCEPTED_POINTS}** points (1 accepted answer · 0 👍)",
        f"🥈 <@{admin}> — **{2 * VOTE_POINTS}** points (0 accepted answers · 2 👍)",
    ]
    clock.advance(8 * DAY)
    assert "Nobody has earned points" in description(await fake.slash("qa leaderboard"))
    assert f"<@{member2}>" in description(
        await fake.slash("qa leaderboard", {"period": "all"}, user="member2")
    )


async def test_profile_of_a_member_and_of_one_who_wrote_nothing(nexus: Harness) -> None:
    fake = nexus.fake
    qid, aid = await question_answered(fake, asker="member", by="member2")
    await accept(fake, qid, aid, user="member")
    await fake.click(notice_of(fake, aid), f"qa:vote:{aid}", user="member")

    shown = await fake.slash("qa profile", {"member": "member2"}, user="member")
    fields = {f["name"]: f["value"] for f in shown.embeds[0]["fields"]}
    assert fields == {
        "Questions asked": "0",
        "Answers": "1",
        "Accepted": "1",
        "👍 received": "1",
        "Points": f"**{ACCEPTED_POINTS + VOTE_POINTS}** · rank #1",
    }
    mine = await fake.slash("qa profile", user="member")
    assert {f["name"]: f["value"] for f in mine.embeds[0]["fields"]}["Questions asked"] == "1"

    nothing = await fake.slash("qa profile", {"member": "owner"}, user="member")
    assert nothing.ephemeral
    owner = fake.users["owner"]
    assert nothing.content == f"<@{owner}> has not asked or answered anything here yet."
    assert (await fake.slash("qa profile", user="owner")).content == (
        "You have not asked or answered anything here yet."
    )


@pytest.mark.parametrize("choice", ["qa:forget:delete", "qa:forget:anonymise"])
async def test_forget_me_takes_votes_and_points_away(nexus: Harness, choice: str) -> None:
    fake = nexus.fake
    qid, theirs = await question_answered(fake, asker="member", by="member2")
    await accept(fake, qid, theirs, user="member")
    _, others = await question_answered(fake, asker="admin", by="moderator")
    await fake.click(notice_of(fake, others), f"qa:vote:{others}", user="member2")

    prompt = await fake.slash("qa forget-me", user="member2")
    assert "gave **1** 👍" in (prompt.content or ""), prompt.content
    done = await prompt.click(choice)
    assert "Your 1 👍 are taken back." in (done.content or ""), done.content

    await shows(fake, others, "👍 Helpful · 0")  # their vote is no longer counted
    board = description(await fake.slash("qa leaderboard", {"period": "all"}))
    assert "Nobody has earned points" in board  # member2's points and their one vote are gone
    nothing = await fake.slash("qa profile", {"member": "member2"})
    assert "has not asked or answered anything" in (nothing.content or "")
    gone = await fake.slash("qa forget-me", user="member2")
    assert "nothing to forget" in (gone.content or "")


# -- /qa stats ---------------------------------------------------------------------------------


async def test_stats_on_a_controlled_clock(nexus: Harness, clock: Clock) -> None:
    fake = nexus.fake
    for minutes in (10, 30, 120):
        qid = posted_id(await ask(fake, next_title(fake)))
        clock.advance(minutes * 60)
        aid = posted_id(await answer_by_button(fake, qid, "An answer.", user="member2"))
        clock.advance(HOUR)
        await accept(fake, qid, aid, user="member")
    clock.advance(10 * DAY)
    posted_id(await ask(fake, next_title(fake)))  # nobody answers this one

    stats = await fake.slash("qa stats", user="member2")
    fields = {f["name"]: f["value"] for f in stats.embeds[0]["fields"]}
    assert fields["Last 7 days"] == "\n".join(
        [
            "Questions asked: **1**",
            "Answered: **0%** (0 of 1)",
            "Accepted: **0**",
            "Median time to a first answer: **—**",
            "Median time to accept: **—**",
        ]
    )
    assert fields["Last 30 days"] == "\n".join(
        [
            "Questions asked: **4**",
            "Answered: **75%** (3 of 4)",
            "Accepted: **3**",
            "Median time to a first answer: **30 min**",
            "Median time to accept: **1 h 30 min**",
        ]
    )


async def test_the_vote_button_works_after_a_restart(
    fake: FakeDiscord, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    bot, task = await start_bot(fake, settings)
    try:
        relax_cooldowns(bot)
        _, aid = await question_answered(fake, asker="member", by="member2")
    finally:
        await stop_bot(bot, task)

    bot, task = await start_bot(fake, settings)  # a new process on the same database
    try:
        voted = await fake.click(notice_of(fake, aid), f"qa:vote:{aid}", user="admin")
        assert "now has 1 vote" in (voted.content or ""), voted.content
        await shows(fake, aid, "👍 Helpful · 1")
    finally:
        await stop_bot(bot, task)
    check_after(fake, caplog)
