"""Saving chat messages into the Q&A: the form's prefill, attribution, links, cooldowns, privacy."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from bot.db.models import QaMessageLink
from bot.errors import AlreadyExists, BadInput, NotFound, OnCooldown
from bot.qa import ChatMessage, prefill
from bot.qa.service import Actor, QaService, make_draft
from bot.qa.validation import DETAILS_MAX, TITLE_MAX

GUILD = 111
AUTHOR, SAVER, OTHER = Actor(1), Actor(2), Actor(3)
CHANNEL = 10


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def chat(message_id: int, author: Actor = AUTHOR) -> ChatMessage:
    return ChatMessage(author.user_id, CHANNEL, message_id)


DRAFT = make_draft("Why does celery retry twice?", "It runs the task twice.", "celery")


# -- the form's prefill ----------------------------------------------------------------------


def test_the_first_sentence_is_the_title_and_the_rest_the_details() -> None:
    found = prefill("Why does celery retry my task twice? I set max_retries=1.\nAny idea?")
    assert found.title == "Why does celery retry my task twice?"
    assert found.details == "I set max_retries=1.\nAny idea?"


def test_a_short_first_sentence_takes_the_next_one_too() -> None:
    found = prefill("Hi all! How do I pin a Docker image by digest? Thanks.")
    assert found.title == "Hi all! How do I pin a Docker image by digest?"
    assert found.details == "Thanks."


def test_a_one_sentence_message_is_its_own_details() -> None:
    found = prefill("How do I pin a Docker image by digest?")
    assert found.title == found.details == "How do I pin a Docker image by digest?"
    make_draft(found.title, found.details)  # the form's defaults are a valid question


def test_a_long_first_sentence_is_clipped_and_kept_whole_in_the_details() -> None:
    text = "why " + "really " * 60 + "does it fail"
    found = prefill(text)
    assert len(found.title) <= TITLE_MAX
    assert found.title.endswith("…")
    assert found.details == text


def test_long_details_are_clipped_to_what_the_form_takes() -> None:
    found = prefill("How do I read this log? " + "line " * 900)
    assert len(found.details) <= DETAILS_MAX


@pytest.mark.parametrize("content", ["", "   \n ", "\u200b\x00"])
def test_a_message_without_text_is_refused_kindly(content: str) -> None:
    with pytest.raises(BadInput, match="no text"):
        prefill(content.replace("\u200b", ""))


async def test_tags_are_suggested_from_the_servers_own_tags(qa: QaService, clock: Clock) -> None:
    await qa.ask(GUILD, OTHER, make_draft("How to run Django?", "Details.", "django, docker"))
    assert await qa.suggested_tags(GUILD, "My Docker build of django fails, not flask") == (
        "docker",
        "django",
    )
    assert await qa.suggested_tags(GUILD + 1, "docker django") == ()  # another server's tags
    assert await qa.suggested_tags(GUILD, "nothing known here") == ()


# -- saving ------------------------------------------------------------------------------------


async def test_a_saved_question_is_its_authors_with_the_saver_and_link_kept(
    qa: QaService,
) -> None:
    question = await qa.save_question(GUILD, SAVER, chat(500), DRAFT, CHANNEL)
    assert question.author_id == AUTHOR.user_id
    assert await qa.saved_from(GUILD, question.id) == (SAVER.user_id, CHANNEL, 500)
    assert await qa.saved_from(GUILD + 1, question.id) is None
    # the author edits and deletes it as their own; the saver cannot
    await qa.editable_question(GUILD, question.id, AUTHOR)
    with pytest.raises(Exception, match="your own questions"):
        await qa.editable_question(GUILD, question.id, SAVER)
    await qa.delete_question(GUILD, question.id, AUTHOR)
    async with qa._db.read() as session:  # the link went with it
        assert await session.scalar(select(func.count(QaMessageLink.id))) == 0


async def test_a_saved_answer_is_credited_to_the_messages_author(
    qa: QaService, clock: Clock
) -> None:
    question = await qa.ask(GUILD, OTHER, DRAFT, channel_id=CHANNEL)
    clock.advance(60)
    posted = await qa.save_answer(GUILD, question.id, SAVER, chat(600), "Set acks_late.")
    assert posted.answer.author_id == AUTHOR.user_id
    assert posted.question.answer_count == 1
    assert await qa.saved_from(GUILD, question.id, posted.answer.id) == (
        SAVER.user_id,
        CHANNEL,
        600,
    )
    assert await qa.saved_from(GUILD, question.id) is None  # the question was asked, not saved
    with pytest.raises(NotFound):
        await qa.save_answer(GUILD, 999, SAVER, chat(601), "Nothing to answer.")
    with pytest.raises(BadInput, match="@everyone"):
        await qa.save_answer(GUILD, question.id, OTHER, chat(602), "@everyone look")


async def test_the_savers_cooldown_applies_not_the_authors(qa: QaService, clock: Clock) -> None:
    await qa.save_question(GUILD, SAVER, chat(700), DRAFT, CHANNEL)
    with pytest.raises(OnCooldown):  # saving counts as asking, for the saver
        await qa.save_question(GUILD, SAVER, chat(701, OTHER), DRAFT, CHANNEL)
    with pytest.raises(OnCooldown):
        await qa.check_ask_cooldown(GUILD, SAVER.user_id)
    await qa.check_ask_cooldown(GUILD, AUTHOR.user_id)  # the author did nothing
    await qa.ask(GUILD, AUTHOR, DRAFT, channel_id=CHANNEL)
    clock.advance(61)
    await qa.check_ask_cooldown(GUILD, SAVER.user_id)
    async with qa._db.read() as session:  # the refused save left nothing behind
        assert await session.scalar(select(func.count(QaMessageLink.id))) == 1


async def test_the_savers_answer_cooldown_applies_not_the_authors(
    qa: QaService, clock: Clock
) -> None:
    question = await qa.ask(GUILD, OTHER, DRAFT, channel_id=CHANNEL)
    await qa.save_answer(GUILD, question.id, SAVER, chat(750), "Use acks_late.")
    with pytest.raises(OnCooldown):
        await qa.check_answer_cooldown(GUILD, SAVER.user_id)
    with pytest.raises(OnCooldown):
        await qa.answer(GUILD, question.id, SAVER, "And retry less.")
    await qa.check_answer_cooldown(GUILD, AUTHOR.user_id)  # credited, but did not act
    await qa.answer(GUILD, question.id, AUTHOR, "Thanks, and retry less.")
    with pytest.raises(OnCooldown):  # their own answer counts, as always
        await qa.check_answer_cooldown(GUILD, AUTHOR.user_id)


async def test_a_question_is_found_by_its_message_or_thread(qa: QaService) -> None:
    question = await qa.ask(GUILD, OTHER, DRAFT, channel_id=CHANNEL)
    await qa.attach_message(question.id, CHANNEL, 900)
    found = await qa.question_at(GUILD, CHANNEL, [900])
    assert found is not None
    assert found.id == question.id
    in_thread = await qa.question_at(GUILD, 900, [])  # a thread started from its message
    assert in_thread is not None
    assert in_thread.id == question.id
    assert await qa.question_at(GUILD, CHANNEL, [901]) is None
    assert await qa.question_at(GUILD + 1, CHANNEL, [900]) is None


async def test_the_open_questions_of_a_channel_newest_first(qa: QaService, clock: Clock) -> None:
    first = await qa.ask(GUILD, OTHER, DRAFT, channel_id=CHANNEL)
    clock.advance(61)
    second = await qa.ask(GUILD, OTHER, DRAFT, channel_id=CHANNEL)
    clock.advance(61)
    await qa.ask(GUILD, OTHER, DRAFT, channel_id=CHANNEL + 1)
    answer = await qa.answer(GUILD, first.id, AUTHOR, "This.")
    await qa.accept(GUILD, first.id, answer.answer.id, OTHER)
    found = await qa.open_in_channel(GUILD, CHANNEL, 25)
    assert [q.id for q in found] == [second.id]


async def test_forgetting_the_saver_keeps_what_they_saved_unattributed(
    qa: QaService, clock: Clock
) -> None:
    question = await qa.save_question(GUILD, SAVER, chat(800), DRAFT, CHANNEL)
    await qa.forget(SAVER.user_id, "delete")
    assert (await qa.get(GUILD, question.id)).author_id == AUTHOR.user_id
    assert await qa.saved_from(GUILD, question.id) == (None, CHANNEL, 800)


async def test_anonymising_the_author_drops_the_links_to_their_messages(
    qa: QaService, clock: Clock
) -> None:
    asked = await qa.save_question(GUILD, SAVER, chat(810), DRAFT, CHANNEL)
    other = await qa.ask(GUILD, OTHER, DRAFT, channel_id=CHANNEL)
    clock.advance(61)
    posted = await qa.save_answer(GUILD, other.id, SAVER, chat(811), "Use acks_late.")
    clock.advance(61)
    kept = await qa.save_answer(GUILD, other.id, SAVER, chat(812, OTHER), "Or retry less.")
    await qa.forget(AUTHOR.user_id, "anonymise")
    assert await qa.saved_from(GUILD, asked.id) is None
    assert await qa.saved_from(GUILD, other.id, posted.answer.id) is None
    assert await qa.saved_from(GUILD, other.id, kept.answer.id) == (SAVER.user_id, CHANNEL, 812)


async def test_a_message_is_saved_once_as_a_question_and_once_per_question_as_an_answer(
    qa: QaService, clock: Clock
) -> None:
    question = await qa.save_question(GUILD, SAVER, chat(820), DRAFT, CHANNEL)
    clock.advance(61)
    with pytest.raises(AlreadyExists, match=f"already saved as question #{question.id}"):
        await qa.save_question(GUILD, OTHER, chat(820), DRAFT, CHANNEL)
    await qa.check_unsaved(GUILD, chat(821))
    posted = await qa.save_answer(GUILD, question.id, SAVER, chat(821), "This.")
    await qa.check_unsaved(GUILD, chat(821))  # not a question: it may still become one
    with pytest.raises(AlreadyExists, match=f"answer #{posted.answer.id} to question"):
        await qa.check_unsaved(GUILD, chat(821), question.id)
    clock.advance(61)
    with pytest.raises(AlreadyExists):
        await qa.save_answer(GUILD, question.id, OTHER, chat(821), "This.")
    other = await qa.ask(GUILD, OTHER, DRAFT, channel_id=CHANNEL)
    clock.advance(61)
    await qa.save_answer(GUILD, other.id, SAVER, chat(821), "This.")  # another question
    _, answers = await qa.answers(GUILD, question.id)
    assert len(answers) == 1  # the refused one left nothing
