"""Saving chat into the Q&A through the real bot and the local Discord: the message context
menus "Ask as question" and "Mark as answer", as Discord sends them (an APPLICATION_COMMAND of
type MESSAGE, the target message resolved with its text).
"""

from __future__ import annotations

from typing import Any

from bot.qa.service import QaService
from cogs.qa.cog import COG_NAME
from localdiscord.emulator import FakeDiscord
from tests.harness import Harness

JSON = dict[str, Any]
ASK, MARK = "Ask as question", "Mark as answer"


def qa(nexus: Harness) -> QaService:
    cog = nexus.bot.get_cog(COG_NAME)
    assert cog is not None
    found: QaService = cog.qa  # type: ignore[attr-defined]
    return found


def question_message(fake: FakeDiscord, qid: int, channel: str = "general") -> JSON:
    for message in fake.channel_messages(channel):
        title = message["embeds"][0].get("title", "") if message["embeds"] else ""
        if f"#{qid} ·" in title and "qa:answer:" in str(message.get("components")):
            return message
    raise AssertionError(f"question #{qid} is not posted in #{channel}")


def field(message: JSON, name: str) -> str:
    return next(f["value"] for f in message["embeds"][0]["fields"] if f["name"] == name)


def number_after(text: str, marker: str) -> int:
    return int(text.split(marker, 1)[1].split(maxsplit=1)[0].strip(",:"))


def pinged(message: JSON) -> list[str]:
    return [str(u) for u in (message.get("allowed_mentions") or {}).get("users") or []]


async def ask(fake: FakeDiscord, title: str, tags: str = "", *, user: str = "member") -> int:
    opened = await fake.slash("ask", user=user)
    done = await opened.submit_modal(
        {
            "qa:input:title": title,
            "qa:input:details": "What I tried, what happened.",
            "qa:input:tags": tags,
        }
    )
    return number_after(done.content or "", "question #")


async def test_a_chat_message_becomes_a_question_of_its_author(
    nexus: Harness, fake: FakeDiscord
) -> None:
    await ask(fake, "How do I cache a Django view?", "django, celery", user="moderator")
    chat = await fake.send_message(
        "Hi all! How do I retry a Celery task that failed? I tried autoretry_for.\nNo luck.",
        user="member2",
    )
    opened = await fake.context_menu(ASK, chat, user="member")
    form = opened.modal
    assert form is not None, opened.content
    assert opened.component("qa:input:title")["value"] == (
        "Hi all! How do I retry a Celery task that failed?"
    )
    assert opened.component("qa:input:details")["value"] == "I tried autoretry_for.\nNo luck."
    assert opened.component("qa:input:tags")["value"] == "celery"  # a tag the server uses

    done = await opened.submit_modal({})
    author, saver = fake.users["member2"], fake.users["member"]
    assert done.ephemeral
    assert f"asked by <@{author}>" in (done.content or "")
    qid = number_after(done.content or "", "question #")
    posted = question_message(fake, qid)
    assert field(posted, "Asked by") == f"<@{author}>"
    assert posted["message_reference"]["message_id"] == chat["id"]  # shown under the message
    assert field(posted, "From chat") == (
        f"[The message](https://discord.com/channels/{fake.guild_id}/{chat['channel_id']}/"
        f"{chat['id']}) · saved by <@{saver}>"
    )
    assert field(posted, "Tags") == "`celery`"

    # told once, with a link to their message: the only ping, and only them
    told = [m for m in fake.channel_messages("general") if pinged(m)]
    assert len(told) == 1
    assert pinged(told[0]) == [str(author)]
    assert told[0]["content"].startswith(f"<@{author}> — <@{saver}> saved your message")
    assert f"/{chat['channel_id']}/{chat['id']}" in told[0]["content"]
    assert told[0]["message_reference"]["message_id"] == posted["id"]  # under the question
    stored = await qa(nexus).get(fake.guild_id, qid)
    assert stored.author_id == author
    assert await qa(nexus).saved_from(fake.guild_id, qid) == (
        saver,
        int(chat["channel_id"]),
        int(chat["id"]),
    )

    again = await fake.context_menu(ASK, chat, user="admin")
    assert again.modal is None
    assert f"already saved as question #{qid}" in (again.content or "")
    # the question is the author's to change; the member who saved it cannot
    refused = await fake.slash("qa edit", {"question": str(qid)}, user="member")
    assert refused.ephemeral
    assert "your own questions" in (refused.content or "")
    edit = await fake.slash("qa edit", {"question": str(qid)}, user="member2")
    assert edit.modal is not None


async def test_a_chat_reply_is_marked_as_the_answer_and_credited(
    nexus: Harness, fake: FakeDiscord
) -> None:
    qid = await ask(fake, "Why does my Celery task run twice?")
    reply = await fake.send_message(
        "Set acks_late=True and make the task idempotent.",
        user="member2",
        reply_to=question_message(fake, qid),
    )
    done = await fake.context_menu(MARK, reply, user="moderator")
    author, asker = fake.users["member2"], fake.users["member"]
    assert done.ephemeral
    assert "credited to them" in (done.content or ""), done.content
    assert f"/{reply['channel_id']}/{reply['id']}" in (done.content or "")
    question, answers = await qa(nexus).answers(fake.guild_id, qid)
    assert [(a.author_id, a.body) for a in answers] == [
        (author, "Set acks_late=True and make the task idempotent.")
    ]
    assert question.answer_count == 1
    assert field(question_message(fake, qid), "Answers").startswith("1 answer")
    # the asker is told, and the credited author under their message, each pinged alone;
    # the moderator who saved it is named, never pinged
    notice, credit = [m for m in fake.channel_messages("general") if pinged(m)]
    assert [pinged(m) for m in (notice, credit)] == [[str(asker)], [str(author)]]
    assert f"<@{author}> answered your question" in notice["content"]
    assert credit["content"].startswith(f"<@{author}> — <@{fake.users['moderator']}> saved")
    assert f"your answer #{answers[0].id} to question #{qid}" in credit["content"]
    assert credit["message_reference"]["message_id"] == reply["id"]
    moderator = fake.users["moderator"]
    link = f"/{reply['channel_id']}/{reply['id']}) · saved by <@{moderator}>"
    assert field(notice, "From chat").endswith(link)
    assert await qa(nexus).saved_from(fake.guild_id, qid, answers[0].id) == (
        fake.users["moderator"],
        int(reply["channel_id"]),
        int(reply["id"]),
    )
    # marked once: a second time is refused, and nothing is added
    twice = await fake.context_menu(MARK, reply, user="admin")
    assert twice.ephemeral
    assert f"already saved as answer #{answers[0].id}" in (twice.content or "")
    assert (await qa(nexus).get(fake.guild_id, qid)).answer_count == 1
    # its author edits it as their own; the notice keeps its link to the message
    edit = await fake.slash("qa edit-answer", {"answer": str(answers[0].id)}, user="member2")
    await edit.submit_modal({"qa:input:answer": "Set acks_late=True; keep tasks idempotent."})
    notice = fake.world.find_message(int(notice["id"]))
    assert notice is not None
    assert "keep tasks idempotent" in notice["embeds"][0]["description"]
    assert field(notice, "From chat").endswith(link)
    # /qa show links both to the chat message they came from
    shown = await fake.slash("qa show", {"question": str(qid)}, user="member2")
    assert field({"embeds": shown.embeds[1:]}, "From chat").endswith(link)
    # the asker may accept it like any answer
    accept = await fake.click(question_message(fake, qid), f"qa:accept:{qid}", user="member")
    assert f"qa:accept:{qid}:{answers[0].id}" in accept.custom_ids()


async def test_without_a_reply_the_question_is_picked_from_the_channels_open_ones(
    nexus: Harness, fake: FakeDiscord
) -> None:
    first = await ask(fake, "How do I pin a Docker image?", user="moderator")
    second = await ask(fake, "How do I read a uWSGI log?", user="member")
    chat = await fake.send_message("Use the digest: image@sha256:...", user="member2")
    picking = await fake.context_menu(MARK, chat, user="admin")
    assert picking.ephemeral
    menu = picking.component("qa:mark:question")
    assert [o["value"] for o in menu["options"]] == [str(second), str(first)]  # newest first
    done = await fake.select(picking, "qa:mark:question", [str(first)], user="admin")
    assert "credited to them" in (done.content or "")
    _, answers = await qa(nexus).answers(fake.guild_id, first)
    assert [a.author_id for a in answers] == [fake.users["member2"]]

    elsewhere = await fake.send_message("A thought with no question around.", channel="qa")
    refused = await fake.context_menu(MARK, elsewhere, user="admin", channel="qa")
    assert refused.ephemeral
    assert "No open question" in (refused.content or "")


async def test_what_cannot_be_saved_is_refused_kindly(nexus: Harness, fake: FakeDiscord) -> None:
    qid = await ask(fake, "Why does my Celery task run twice?")
    bots = await fake.context_menu(ASK, question_message(fake, qid), user="member2")
    assert bots.ephemeral
    assert "member's own message" in (bots.content or "")
    chat = await fake.send_message("Look at this picture", user="member2")
    no_text = await fake.context_menu(MARK, {**chat, "content": ""}, user="member")
    assert no_text.ephemeral
    assert "no text" in (no_text.content or "")

    # a group mention is refused, with "Fix and send again" and the text kept
    loud = await fake.send_message(
        "@everyone set acks_late=True", user="member2", reply_to=question_message(fake, qid)
    )
    refused = await fake.context_menu(MARK, loud, user="moderator")
    assert refused.ephemeral
    assert "@everyone" in (refused.content or "")
    fix = await fake.click(refused, "form:fix", user="moderator")
    assert fix.component("qa:input:answer")["value"] == "@everyone set acks_late=True"
    fixed = await fix.submit_modal({"qa:input:answer": "Set acks_late=True."})
    assert "credited to them" in (fixed.content or "")
    _, answers = await qa(nexus).answers(fake.guild_id, qid)
    assert [(a.author_id, a.body) for a in answers] == [
        (fake.users["member2"], "Set acks_late=True.")
    ]


async def test_saving_counts_against_the_savers_cooldown(nexus: Harness, fake: FakeDiscord) -> None:
    chat = await fake.send_message("How do I profile a slow Django query? It takes 3 s.")
    opened = await fake.context_menu(ASK, chat, user="member2")
    await opened.submit_modal({})
    again = await fake.send_message("How do I shrink a Docker image? It is 2 GB.")
    slow = await fake.context_menu(ASK, again, user="member2")
    assert slow.ephemeral
    assert "Slow down" in (slow.content or "")
    # the author of the saved message is not held back: they may /ask at once
    opened = await fake.slash("ask", user="member")
    assert opened.modal is not None


async def test_with_a_qa_channel_the_saved_question_and_its_notice_go_there(
    nexus: Harness, fake: FakeDiscord
) -> None:
    await fake.slash("qa setup", {"channel": "qa"}, user="admin")
    chat = await fake.send_message("How do I rotate JWT signing keys? Without logging all out.")
    opened = await fake.context_menu(ASK, chat, user="member2")
    done = await opened.submit_modal({})
    qid = number_after(done.content or "", "question #")
    posted = question_message(fake, qid, channel="qa")
    assert "message_reference" not in posted  # a reply cannot cross channels: the notice links
    told = [m for m in fake.channel_messages("qa") if pinged(m)]
    assert [pinged(m) for m in told] == [[str(fake.users["member"])]]
    assert f"/{chat['channel_id']}/{chat['id']}" in told[0]["content"]
    assert told[0]["message_reference"]["message_id"] == posted["id"]
    assert not [m for m in fake.channel_messages("general") if pinged(m)]


async def test_a_refused_saved_question_is_fixed_and_stays_the_authors(
    nexus: Harness, fake: FakeDiscord
) -> None:
    chat = await fake.send_message(
        "@everyone How do I tune gunicorn workers? We run 4 cores.", user="member2"
    )
    opened = await fake.context_menu(ASK, chat, user="member")
    assert opened.component("qa:input:title")["value"].startswith("@everyone")
    refused = await opened.submit_modal({})
    assert refused.ephemeral
    assert "@everyone" in (refused.content or "")
    fix = await fake.click(refused, "form:fix", user="member")
    assert fix.component("qa:input:details")["value"] == "We run 4 cores."
    done = await fix.submit_modal({"qa:input:title": "How do I tune gunicorn workers?"})
    qid = number_after(done.content or "", "question #")
    stored = await qa(nexus).get(fake.guild_id, qid)
    assert (stored.author_id, stored.title) == (
        fake.users["member2"],
        "How do I tune gunicorn workers?",
    )
    assert await qa(nexus).saved_from(fake.guild_id, qid) == (
        fake.users["member"],
        int(chat["channel_id"]),
        int(chat["id"]),
    )


async def test_a_member_who_only_saved_messages_can_take_their_name_off_them(
    nexus: Harness, fake: FakeDiscord
) -> None:
    chat = await fake.send_message("How do I vacuum SQLite online? It locks for minutes.")
    opened = await fake.context_menu(ASK, chat, user="member2")
    qid = number_after((await opened.submit_modal({})).content or "", "question #")
    answered = await ask(fake, "How do I size a connection pool?", user="moderator")
    reply = await fake.send_message(
        "Cores times two, plus spindles.", reply_to=question_message(fake, answered)
    )
    await fake.context_menu(MARK, reply, user="member2")
    notice = next(m for m in fake.channel_messages("general") if " answered " in m["content"])
    saver = f"saved by <@{fake.users['member2']}>"
    assert field(question_message(fake, qid), "From chat").endswith(saver)
    assert field(notice, "From chat").endswith(saver)

    prompt = await fake.slash("qa forget-me", user="member2")
    assert "You also saved **2** messages of others" in (prompt.content or "")
    done = await fake.click(prompt, "qa:forget:delete", user="member2")
    assert done.content.startswith("🗑️ Done")

    # the posts are redrawn without the saver's name; the links to the messages stay
    def redrawn_both() -> bool:
        again = fake.world.find_message(int(notice["id"]))
        mentioned = field(question_message(fake, qid), "From chat") + str(again)
        return "saved by" not in mentioned

    await fake.world.wait_for(redrawn_both, "the saver's name to be taken off", 5.0)
    link = field(question_message(fake, qid), "From chat")
    assert link == f"[The message](https://discord.com/channels/{fake.guild_id}/" + (
        f"{chat['channel_id']}/{chat['id']})"
    )
    redrawn = fake.world.find_message(int(notice["id"]))
    assert redrawn is not None
    assert "saved by" not in field(redrawn, "From chat")
    assert await qa(nexus).saved_from(fake.guild_id, qid) == (
        None,
        int(chat["channel_id"]),
        int(chat["id"]),
    )
    assert (await qa(nexus).get(fake.guild_id, qid)).author_id == fake.users["member"]
    nothing = await fake.slash("qa forget-me", user="member2")
    assert "nothing to forget" in (nothing.content or "")


async def test_an_asker_who_marks_the_answer_is_not_pinged_about_it(
    nexus: Harness, fake: FakeDiscord
) -> None:
    qid = await ask(fake, "Why does my Celery beat schedule run twice?")
    reply = await fake.send_message(
        "Run exactly one beat process.", user="member2", reply_to=question_message(fake, qid)
    )
    done = await fake.context_menu(MARK, reply, user="member")  # the asker saves it
    assert "credited to them" in (done.content or ""), done.content
    notice = next(m for m in fake.channel_messages("general") if "answered your" in m["content"])
    assert pinged(notice) == [], "the asker did it: the notice is there, without a ping"
    credit = next(
        m for m in fake.channel_messages("general") if "Thanks for helping" in m["content"]
    )
    assert pinged(credit) == [str(fake.users["member2"])], "the author is still told"
