"""Forum mode through the real bot and the local Discord: a question is a forum post with its
tags, answers are posted in it, an accepted answer adds Solved and archives the post once it is
quiet, and its asker may close it."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import discord
import pytest

from bot.client import Nexus
from bot.config import Settings
from bot.qa.forum import plan_forum_tags, post_tags
from bot.qa.model import Question
from bot.qa.service import QaService
from cogs.qa.cog import COG_NAME
from localdiscord.emulator import FakeChannel, FakeDiscord
from tests.harness import Harness, start_bot, stop_bot
from tests.qa.test_qa import check_after, qa_service, relax_cooldowns
from tests.qa.test_qa_followups import driven_by_hand

JSON = dict[str, Any]
DETAILS = "I tried autoretry_for but the task still fails silently."


@pytest.fixture
async def nexus(
    fake: FakeDiscord, settings: Settings, caplog: pytest.LogCaptureFixture
) -> AsyncIterator[Harness]:
    """The bot with cooldowns off, and a forum #help set up for questions (no tags yet but
    one a moderator made)."""
    caplog.set_level(logging.WARNING)
    bot, task = await start_bot(fake, settings)
    try:
        relax_cooldowns(bot)
        yield Harness(await driven_by_hand(bot), fake, settings)
    finally:
        await stop_bot(bot, task)
    check_after(fake, caplog)


async def use_forum(fake: FakeDiscord, bot: Nexus, **options: Any) -> FakeChannel:
    forum = await fake.add_forum("help", tags=("announcements",), **options)
    await fake.world.wait_for(lambda: bot.get_channel(forum.id), "the bot to see the forum")
    return forum


async def ask(fake: FakeDiscord, title: str, tags: str = "", *, user: str = "member") -> int:
    opened = await fake.slash("ask", user=user)
    assert opened.modal is not None, opened
    done = await opened.submit_modal(
        {"qa:input:title": title, "qa:input:details": DETAILS, "qa:input:tags": tags}
    )
    content = done.content or ""
    assert "is posted" in content, content
    return int(content.split("#", 1)[1].split(" ", 1)[0])


def post_of(fake: FakeDiscord, qid: int) -> FakeChannel:
    for thread in fake.threads("help"):
        first = fake.world.find_message(thread.id)
        if first and first["embeds"] and f"#{qid} ·" in first["embeds"][0]["title"]:
            return thread
    raise AssertionError(f"question #{qid} has no post in #help")


def tag_names(fake: FakeDiscord, thread: FakeChannel) -> list[str]:
    names = {t.id: t.name for t in fake.channel("help").available_tags}
    return [names[t] for t in thread.applied_tags]


async def until(fake: FakeDiscord, check: Callable[[], Any], what: str) -> Any:
    return await fake.world.wait_for(check, what, 5.0)


def shift_clock(qa: QaService, by: timedelta) -> None:
    qa._clock = lambda: datetime.now(UTC) + by


def archiver(bot: Nexus) -> Callable[[], Awaitable[int]]:
    cog = bot.get_cog(COG_NAME)
    assert cog is not None
    run: Callable[[], Awaitable[int]] = cog.archive_due_posts  # type: ignore[attr-defined]
    return run


async def accept_first(fake: FakeDiscord, qid: int, user: str = "member") -> None:
    post = post_of(fake, qid)
    starter = fake.world.find_message(post.id)
    assert starter is not None
    chooser = await fake.click(starter, f"qa:accept:{qid}", user=user)
    [accept] = [c for c in chooser.custom_ids() if c.startswith(f"qa:accept:{qid}:")][:1]
    accepted = await chooser.click(accept)
    assert "You accepted answer" in (accepted.message or {}).get("content", "")
    # The post is tagged after the answer: wait for it, so that what a test does next (archive
    # the post, say) does not race the tagging.
    await until(fake, lambda: "Solved" in tag_names(fake, post), "the post tagged Solved")


# -- the tags a forum offers and a post carries (no Discord) ------------------------------------


def test_the_forum_offers_solved_and_the_most_used_tags_within_twenty() -> None:
    usage = {"django": 9, "celery": 4, "rare": 1}
    assert plan_forum_tags([], usage, ["celery"], most=20, longest=20) == ["Solved", "celery"]
    assert plan_forum_tags(["Solved", "celery"], usage, ["celery"], most=20, longest=20) is None
    full = ["Solved", "rare", *(f"mod{i}" for i in range(18))]  # 20: moderators' tags stay
    assert plan_forum_tags(full, usage, ["django"], most=20, longest=20) == [
        "Solved",
        *(f"mod{i}" for i in range(18)),
        "django",
    ]
    assert plan_forum_tags(full, usage, ["rare2"], most=20, longest=20) is None  # no less used
    too_long = "x" * 21
    assert plan_forum_tags(["Solved"], {too_long: 3}, [too_long], most=20, longest=20) is None


def test_a_post_carries_solved_first_and_at_most_five_tags() -> None:
    question = Question(
        1, 1, 2, 3, 3, "A title here", "", ("a", "b", "c", "d", "e"), 1, None,
        datetime.now(UTC), None,
    )  # fmt: skip
    offered = ["Solved", "a", "b", "c", "d", "e"]
    assert post_tags(question, offered, solved=False, most=5) == ["a", "b", "c", "d", "e"]
    assert post_tags(question, offered, solved=True, most=5) == ["Solved", "a", "b", "c", "d"]


# -- asking, answering -----------------------------------------------------------------------------


async def test_setup_takes_a_forum_and_ask_makes_a_post_with_its_tags(nexus: Harness) -> None:
    fake = nexus.fake
    forum = await use_forum(fake, nexus.bot)
    done = await fake.slash("qa setup", {"channel": "help", "archive_after": 2}, user="admin")
    assert done.ephemeral
    assert f"posts of <#{forum.id}>" in (done.content or "")
    assert "2 hours of quiet" in (done.content or "")
    title = "How do I retry a **Celery** task that failed? " + "x" * 120
    opened = await fake.slash("ask")
    assert opened.modal is not None
    long_title = title[:150]
    posted = await opened.submit_modal(
        {"qa:input:title": long_title, "qa:input:details": DETAILS, "qa:input:tags": "celery"}
    )
    qid = int((posted.content or "").split("#", 1)[1].split(" ", 1)[0])
    thread = post_of(fake, qid)
    assert f"/{thread.id}" in (posted.content or "")  # the link opens the post
    assert len(thread.name) == 100
    assert thread.name.startswith("How do I retry a **Celery** task")  # a name shows as typed
    assert thread.name.endswith("…")
    first = fake.channel_messages(thread.id)[0]
    assert first["id"] == str(thread.id)
    assert "qa:answer:" in str(first["components"])
    assert fake.pings(first) == {"users": [], "roles": [], "everyone": False}
    assert [t.name for t in forum.available_tags] == ["announcements", "Solved", "celery"]
    assert tag_names(fake, thread) == ["celery"]
    question = await qa_service(nexus.bot).get(fake.guild_id, qid)
    assert (question.forum_id, question.channel_id) == (forum.id, thread.id)
    assert fake.channel_messages("general") == [] or all(
        "qa:answer:" not in str(m.get("components")) for m in fake.channel_messages("general")
    )


async def test_answers_are_posted_in_the_post(nexus: Harness) -> None:
    fake = nexus.fake
    await use_forum(fake, nexus.bot)
    await fake.slash("qa setup", {"channel": "help"}, user="admin")
    qid = await ask(fake, "Why is my Django query slow?", "django")
    thread = post_of(fake, qid)
    starter = fake.world.find_message(thread.id)
    assert starter is not None

    opened = await fake.click(starter, f"qa:answer:{qid}", user="member2")
    assert opened.modal is not None
    done = await opened.submit_modal({"qa:input:answer": "Use select_related."})
    assert f"/{thread.id}/" in (done.content or "")
    notice = fake.channel_messages(thread.id)[-1]
    assert "select_related" in notice["embeds"][0]["description"]
    assert fake.pings(notice)["users"] == [fake.users["member"]]

    own = await fake.slash("answer", {"question": str(qid), "text": "Also: prefetch_related."})
    assert "is posted" in (own.content or "")
    mine = fake.channel_messages(thread.id)[-1]
    assert "answered their own question" in mine["content"]
    assert fake.pings(mine)["users"] == []

    chat = await fake.send_message("only() trims the columns.", user="member2", channel=thread.id)
    saved = await fake.context_menu("Mark as answer", chat, user="member", channel=thread.id)
    assert "is saved as answer" in (saved.content or "")

    def counted() -> bool:
        first = fake.world.find_message(thread.id) or {}
        return "Show answers (3)" in str(first.get("components"))

    await until(fake, counted, "the post to count three answers")


# -- accepting, archiving ------------------------------------------------------------------------


async def test_accept_adds_solved_and_archives_once_after_the_quiet_period(
    nexus: Harness,
    restart: Callable[[Settings], Awaitable[tuple[Nexus, Any]]],
) -> None:
    fake, bot = nexus.fake, nexus.bot
    await use_forum(fake, bot)
    await fake.slash("qa setup", {"channel": "help", "archive_after": 2}, user="admin")
    qid = await ask(fake, "How do I version a REST API?", "api")
    thread = post_of(fake, qid)
    starter = fake.world.find_message(thread.id)
    assert starter is not None
    answered = await fake.click(starter, f"qa:answer:{qid}", user="member2")
    await answered.submit_modal({"qa:input:answer": "Put the version in the URL."})

    refused = await fake.click(starter, f"qa:accept:{qid}", user="member2")
    assert "Only the member who asked" in (refused.content or "")
    await accept_first(fake, qid)
    await until(fake, lambda: tag_names(fake, thread) == ["Solved", "api"], "Solved on the post")
    assert not thread.archived

    archive = archiver(bot)
    assert await archive() == 0  # quiet for less than 2 hours
    qa = qa_service(bot)
    shift_clock(qa, timedelta(hours=1))
    assert await archive() == 0
    shift_clock(qa, timedelta(hours=2, minutes=1))
    assert await archive() == 1
    assert thread.archived
    assert not thread.locked
    assert await archive() == 0  # once
    updates = [f for f in fake.gateway.current.log if f["t"] == "THREAD_UPDATE"]
    assert updates[-1]["d"]["thread_metadata"]["archived"] is True

    # A late answer opens the post again; once quiet, it is archived again, across a restart.
    late = await fake.slash(
        "answer", {"question": str(qid), "text": "Or in a header."}, user="admin"
    )
    assert "is posted" in (late.content or "")
    assert not thread.archived
    await until(
        fake,
        lambda: (
            "Show answers (2)" in str((fake.world.find_message(thread.id) or {}).get("components"))
        ),
        "the post to count two answers",
    )
    second, task = await restart(nexus.settings)
    try:
        later = qa_service(await driven_by_hand(second))
        shift_clock(later, timedelta(hours=5))
        assert await archiver(second)() == 1
        assert thread.archived
        assert await archiver(second)() == 0
    finally:
        await stop_bot(second, task)


# -- closing -----------------------------------------------------------------------------------


async def test_the_asker_closes_their_post_and_others_may_not(nexus: Harness) -> None:
    fake = nexus.fake
    await use_forum(fake, nexus.bot)
    await fake.slash("qa setup", {"channel": "help"}, user="admin")
    original = await ask(fake, "How do I retry failed Celery tasks?", "celery")
    repeat = await ask(fake, "Retrying Celery tasks that failed, how?", "celery")
    thread = post_of(fake, repeat)

    other = await fake.slash("qa close", {"reason": "outdated"}, user="member2", channel=thread.id)
    assert other.ephemeral
    assert "Only the member who asked" in (other.content or "")
    unnamed = await fake.slash("qa close", {"reason": "duplicate"}, channel=thread.id)
    assert "duplicate_of:" in (unnamed.content or "")
    itself = await fake.slash(
        "qa close", {"reason": "duplicate", "duplicate_of": str(repeat)}, channel=thread.id
    )
    assert "itself" in (itself.content or "")
    nowhere = await fake.slash("qa close", {"reason": "solved"}, channel="general")
    assert "inside your question's post" in (nowhere.content or "")
    assert not thread.archived

    closed = await fake.slash(
        "qa close", {"reason": "duplicate", "duplicate_of": f"#{original}"}, channel=thread.id
    )
    assert closed.ephemeral
    assert f"closed as a duplicate of #{original}" in (closed.content or "")
    await until(fake, lambda: thread.archived and thread.locked, "the post to be archived, locked")
    note = fake.channel_messages(thread.id)[-1]
    assert note["content"].startswith(f"🔒 <@{fake.users['member']}> closed this post")
    assert fake.pings(note)["users"] == []
    starter = fake.world.find_message(thread.id) or {}
    assert f"duplicate of #{original}" in starter["embeds"][0]["footer"]["text"]
    again = await fake.slash("qa close", {"reason": "solved", "question": str(repeat)})
    assert "already closed" in (again.content or "")
    late = await fake.slash(
        "answer", {"question": str(repeat), "text": "Use acks_late."}, user="member2"
    )
    assert "takes no more answers" in (late.content or "")

    solved_post = post_of(fake, original)
    solved = await fake.slash(
        "qa close", {"reason": "solved", "question": str(original)}, user="moderator"
    )
    assert "closed as solved" in (solved.content or "")
    await until(fake, lambda: solved_post.archived, "the solved post to be archived")
    assert not solved_post.locked
    assert tag_names(fake, solved_post) == ["Solved", "celery"]


async def test_text_channel_questions_are_not_posts(nexus: Harness) -> None:
    fake = nexus.fake
    await use_forum(fake, nexus.bot)
    qid = await ask(fake, "Where does this question go?")
    assert fake.threads() == []
    refused = await fake.slash("qa close", {"reason": "solved", "question": str(qid)})
    assert "not a forum" in (refused.content or "")


async def test_a_forum_without_manage_channels_still_takes_posts(nexus: Harness) -> None:
    fake = nexus.fake
    await use_forum(fake, nexus.bot, manage_channels=False)
    done = await fake.slash("qa setup", {"channel": "help"}, user="admin")
    assert "Manage Channels" in (done.content or "")
    qid = await ask(fake, "Untagged but posted, right?", "django")
    assert tag_names(fake, post_of(fake, qid)) == []


async def test_an_edit_renames_the_post_and_a_delete_removes_it(nexus: Harness) -> None:
    fake = nexus.fake
    await use_forum(fake, nexus.bot)
    await fake.slash("qa setup", {"channel": "help"}, user="admin")
    qid = await ask(fake, "Celery retries twice, why?", "celery")
    thread = post_of(fake, qid)
    opened = await fake.slash("qa edit", {"question": str(qid)})
    assert opened.modal is not None
    await opened.submit_modal(
        {
            "qa:input:title": "Why does Celery retry my task twice?",
            "qa:input:details": DETAILS,
            "qa:input:tags": "celery redis",
        }
    )
    await until(fake, lambda: thread.name == "Why does Celery retry my task twice?", "a rename")
    assert tag_names(fake, thread) == ["celery", "redis"]

    closed = await ask(fake, "An outdated question about Python 2?")
    await fake.slash("qa close", {"reason": "outdated", "question": str(closed)})
    listed = await fake.slash("qa open")
    assert f"#{qid} ·" in str(listed.embeds)
    assert f"#{closed} ·" not in str(listed.embeds)  # closed: nobody needs to answer it

    confirm = await fake.slash("qa delete", {"question": str(qid)})
    await confirm.click("qa:confirm:delete")
    await until(fake, lambda: thread.id not in fake.guild.threads, "the post to be deleted")


async def test_a_chat_message_asked_as_a_question_becomes_a_post(nexus: Harness) -> None:
    fake = nexus.fake
    await use_forum(fake, nexus.bot)
    await fake.slash("qa setup", {"channel": "help"}, user="admin")
    chat = await fake.send_message(
        "How do I keep Celery workers from eating all the memory? They grow until killed.",
        user="member2",
        channel="general",
    )
    opened = await fake.context_menu("Ask as question", chat, user="member", channel="general")
    assert opened.modal is not None
    saved = await opened.submit_modal({})
    assert "Saved as question #" in (saved.content or "")
    [thread] = fake.threads("help")
    told = fake.channel_messages(thread.id)[-1]  # the author is told in the post, pinged alone
    assert told["content"].startswith(f"<@{fake.users['member2']}> — <@{fake.users['member']}>")
    assert fake.pings(told)["users"] == [fake.users["member2"]]


async def test_discord_refusing_a_post_saves_nothing_and_refused_tags_lose_no_post(
    nexus: Harness,
) -> None:
    fake = nexus.fake
    forum = await use_forum(fake, nexus.bot)
    await fake.slash("qa setup", {"channel": "help"}, user="admin")
    fake.fail_next("POST", rf"^/channels/{forum.id}/threads$", 403)
    refused = await fake.slash("ask")
    assert refused.modal is not None
    lost = await refused.submit_modal(
        {"qa:input:title": "Will this post be made at all?", "qa:input:details": DETAILS}
    )
    assert "was not saved" in (lost.content or "")
    assert fake.threads("help") == []
    assert await qa_service(nexus.bot).suggest(fake.guild_id, "") == []

    fake.fail_next("PATCH", rf"^/channels/{forum.id}$", 403)
    qid = await ask(fake, "Posted even when the tags cannot change?", "django")
    assert tag_names(fake, post_of(fake, qid)) == []
    caught = [r for r in fake.requests if r.fault]
    assert len(caught) == 2


async def test_a_post_archived_without_the_bot_hearing_it_is_still_marked_solved(
    nexus: Harness,
) -> None:
    """Discord archived the post and its THREAD_UPDATE has not reached the bot (still on its
    way, or lost in a reconnect): the bot's cache says open, Discord refuses a change to an
    archived thread, and the bot reads the post again and opens it to tag it Solved."""
    fake, bot = nexus.fake, nexus.bot
    await use_forum(fake, bot)
    await fake.slash("qa setup", {"channel": "help"}, user="admin")
    qid = await ask(fake, "Which Python version for a new Django project?", "django")
    thread = post_of(fake, qid)
    await fake.slash("answer", {"question": str(qid), "text": "3.12."}, user="member2")
    thread.archived = True  # on Discord's side only: no event tells the bot
    cached = bot.get_channel(thread.id)
    assert isinstance(cached, discord.Thread)
    assert not cached.archived
    await accept_first(fake, qid)
    await until(fake, lambda: "Solved" in tag_names(fake, thread), "the post tagged Solved")
    assert not thread.archived  # until it has been quiet for the server's quiet period


async def test_an_archived_post_can_still_be_closed(nexus: Harness) -> None:
    fake, bot = nexus.fake, nexus.bot
    await use_forum(fake, bot)
    await fake.slash("qa setup", {"channel": "help", "archive_after": 1}, user="admin")
    qid = await ask(fake, "Which Python version for a new Django project?", "django")
    thread = post_of(fake, qid)
    await fake.slash("answer", {"question": str(qid), "text": "3.12."}, user="member2")
    await accept_first(fake, qid)
    shift_clock(qa_service(bot), timedelta(hours=2))
    assert await archiver(bot)() == 1
    assert thread.archived
    # The bot knows the post archived once Discord's THREAD_UPDATE reaches it: its cache then
    # holds the post archived, or no longer holds it (an archived thread is fetched).
    await until(
        fake,
        lambda: getattr(bot.get_channel(thread.id), "archived", True),
        "the bot to see the post archived",
    )
    edited = await fake.slash("qa edit", {"question": str(qid)})
    assert edited.modal is not None  # an edit leaves an archived post as it is
    await edited.submit_modal(
        {
            "qa:input:title": "Which Python version for a new Django app?",
            "qa:input:details": DETAILS,
            "qa:input:tags": "django",
        }
    )
    assert thread.archived
    closed = await fake.slash("qa close", {"reason": "outdated", "question": str(qid)})
    assert "closed as outdated" in (closed.content or "")
    await until(fake, lambda: thread.archived and thread.locked, "the post archived and locked")
    assert fake.channel_messages(thread.id)[-1]["content"].startswith("🔒")
