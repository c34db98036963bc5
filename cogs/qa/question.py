"""A question on Discord: its posted message and persistent buttons (Answer, Show answers,
Accept; their custom_id carries the question id), its paged answers, the answer form, and the
notice that tells the asker an answer came (the one ping Q&A sends).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any, NoReturn

import discord

from bot.errors import BadInput, NotFound
from bot.qa import (
    ANSWER_MAX,
    Answer,
    ChatMessage,
    Draft,
    Posted,
    QaService,
    Question,
    may_change,
)
from cogs._kit.interaction import actor, server, services
from cogs._kit.pager import Book
from cogs._kit.persistent import Action
from cogs._kit.ui import QUIET_EDIT, Form, SafeView
from cogs.qa import render
from cogs.qa.forum import create_post, delete_post, forum_at, update_post
from cogs.qa.recognition import notice_view, vote_button

log = logging.getLogger("cogs.qa")

Interaction = discord.Interaction[Any]
WHERE = "Questions and answers"  # what lives in a server, for refusals in DMs
ID = r"\d{1,18}"  # an SQLite INTEGER (int64) holds any 18-digit number
MODAL_TIMEOUT = 1800  # a modal left open longer than this is forgotten (no leak)


# -- the question's message: posting and redrawing --------------------------------------------


def question_view(question: Question) -> SafeView:
    """Answer, Show answers, Accept: persistent, their custom_ids carry the question id."""
    view = SafeView(timeout=None)
    ids = {"qid": question.id}
    count = question.answer_count
    view.add_item(ANSWER.make("Answer", ids, emoji="💬", style=discord.ButtonStyle.primary))
    view.add_item(SHOW_ANSWERS.make(f"Show answers ({count})", ids, emoji="📖"))
    view.add_item(ACCEPT.make("Accept", ids, emoji="✅", style=discord.ButtonStyle.success))
    return view


async def post_question(
    interaction: Interaction, draft: Draft, saved_from: ChatMessage | None = None
) -> tuple[Question, str]:
    """Store the question and post it; returns it and a link to its message. `saved_from`:
    the chat message it is saved from (its author asks it; the member acting saved it).

    When the message cannot be posted the question is removed again: nothing half-done stays.
    """
    qa, guild_id = services(interaction).qa, server(interaction, WHERE)
    channel_id = await qa.channel_for(guild_id) or interaction.channel_id
    if channel_id is None:
        raise BadInput("I cannot tell where to post that; try again in a server channel.")
    if saved_from is None:
        question = await qa.ask(guild_id, actor(interaction), draft, channel_id)
    else:
        question = await qa.save_question(
            guild_id, actor(interaction), saved_from, draft, channel_id
        )
    forum = await forum_at(interaction.client, guild_id, channel_id)
    if forum is not None:
        return question, await _post_in_forum(interaction, forum, question)
    channel = interaction.client.get_partial_messageable(channel_id, guild_id=guild_id)
    reference = None  # saved from a message of this channel: posted as a reply to it
    if saved_from is not None and saved_from.channel_id == channel_id:
        reference = channel.get_partial_message(saved_from.message_id).to_reference(
            fail_if_not_exists=False
        )
    try:
        message = await channel.send(
            embed=await shown_question(interaction.client, question),
            view=question_view(question),
            reference=reference,
        )
    except Exception as error:
        await _not_posted(qa, question, channel_id, error)
    await qa.attach_message(question.id, channel_id, message.id)
    return question, message.jump_url


async def _not_posted(
    qa: QaService, question: Question, channel_id: int, error: Exception
) -> NoReturn:
    """The question could not be posted: removed again, and the member told why."""
    await qa.discard(question.id)  # whatever went wrong, no question stays unposted
    if not isinstance(error, discord.HTTPException):
        raise error
    log.warning("could not post question %s in channel %s", question.id, channel_id)
    raise BadInput(
        f"I could not post in <#{channel_id}> (I may lack the permission to, or the "
        "channel is gone), so your question was not saved. A moderator can choose the "
        "Q&A channel with `/qa setup`."
    ) from None


async def _post_in_forum(interaction: Interaction, forum: Any, question: Question) -> str:
    """Post the question as a forum post with its tags; a link to the post."""
    qa = services(interaction).qa
    try:
        thread = await create_post(
            interaction.client,
            forum,
            question,
            await shown_question(interaction.client, question),
            question_view(question),
        )
    except Exception as error:
        await _not_posted(qa, question, forum.id, error)
    await qa.attach_post(question.id, forum.id, thread.id)
    return thread.jump_url


async def _from_chat(
    client: discord.Client, embed: discord.Embed, question: Question, answer_id: int | None
) -> discord.Embed:
    qa: QaService = client.services.qa  # type: ignore[attr-defined]
    found = await qa.saved_from(question.guild_id, question.id, answer_id)
    if found is None:
        return embed
    saver, channel_id, message_id = found
    url = render.message_url(question.guild_id, channel_id, message_id)
    return render.from_chat(embed, url, saver)


async def shown_question(client: discord.Client, question: Question) -> discord.Embed:
    """The question's embed as posted: saved from chat, with a link to the message."""
    return await _from_chat(client, render.question_embed(question), question, None)


async def shown_answer(client: discord.Client, question: Question, answer: Answer) -> discord.Embed:
    """An answer's embed on its notice: saved from chat, with a link to the message."""
    return await _from_chat(client, render.answer_embed(question, answer), question, answer.id)


def _message_of(client: discord.Client, question: Question) -> discord.PartialMessage | None:
    if question.channel_id is None or question.message_id is None:
        return None
    channel = client.get_partial_messageable(question.channel_id, guild_id=question.guild_id)
    return channel.get_partial_message(question.message_id)


def jump_url(question: Question) -> str | None:
    if question.channel_id is None or question.message_id is None:
        return None
    return (
        f"https://discord.com/channels/{question.guild_id}/{question.channel_id}/"
        f"{question.message_id}"
    )


async def redraw(client: discord.Client, question: Question) -> None:
    """Bring the question's message up to date (answer count, accepted mark, edits)."""
    message = _message_of(client, question)
    if message is None:
        return
    try:
        await message.edit(
            embed=await shown_question(client, question),
            view=question_view(question),
            allowed_mentions=QUIET_EDIT,
        )
    except discord.HTTPException:
        log.info("could not redraw the message of question %s", question.id, exc_info=True)


async def remove_message(client: discord.Client, question: Question) -> None:
    """Delete the question's message (its post, in a forum)."""
    if question.forum_id is not None:
        await delete_post(client, question)
        return
    message = _message_of(client, question)
    if message is None:
        return
    try:
        await message.delete()
    except discord.HTTPException:
        log.info("could not delete the message of question %s", question.id, exc_info=True)


async def notify_asker(
    client: discord.Client,
    qa: QaService,
    question: Question,
    answer: Answer,
    saved_by: int | None = None,
) -> None:
    """Tell the asker, in the question's channel, pinging them and nobody else (nobody when
    the asker saved the answer themselves: they know). In a forum post every answer is posted
    there, the asker's own too (pinging nobody).
    """
    asker = question.author_id
    if question.channel_id is None:
        return
    pinged = [] if asker is None or asker == answer.author_id else [discord.Object(asker)]
    if not pinged and question.forum_id is None:
        return
    if saved_by == asker:
        pinged = []
    channel = client.get_partial_messageable(question.channel_id, guild_id=question.guild_id)
    reference = None
    if question.message_id is not None:
        reference = channel.get_partial_message(question.message_id).to_reference(
            fail_if_not_exists=False
        )
    try:
        notice = await channel.send(
            render.answer_notice(question, answer),
            embed=await shown_answer(client, question, answer),
            reference=reference,  # type: ignore[arg-type]
            view=notice_view(answer.id, 0),
            allowed_mentions=discord.AllowedMentions(
                everyone=False,
                roles=False,
                users=pinged,
                replied_user=False,
            ),
        )
    except discord.HTTPException:
        log.info("could not notify the asker of question %s", question.id, exc_info=True)
        return
    await qa.record_notice(answer.id, notice.id)


async def redraw_notice(client: discord.Client, posted: Posted) -> None:
    """Show an answer's notice as the answer is now (edited, or its author anonymised)."""
    question, answer = posted.question, posted.answer
    if question.channel_id is None or answer.notice_message_id is None:
        return
    channel = client.get_partial_messageable(question.channel_id, guild_id=question.guild_id)
    try:
        await channel.get_partial_message(answer.notice_message_id).edit(
            content=render.answer_notice(question, answer),
            embed=await shown_answer(client, question, answer),
        )
    except discord.HTTPException:
        log.info("could not redraw the notice of answer %s", answer.id, exc_info=True)


async def delete_messages(client: discord.Client, where: Iterable[tuple[int, int]]) -> None:
    """Delete messages by (channel id, message id), as far as Discord lets us."""
    for channel_id, message_id in where:
        message = client.get_partial_messageable(channel_id).get_partial_message(message_id)
        try:
            await message.delete()
        except discord.HTTPException:
            log.info("could not delete message %s", message_id, exc_info=True)


async def submit_answer(interaction: Interaction, question_id: int, body: str) -> None:
    await interaction.response.defer(ephemeral=True, thinking=True)
    posted = await services(interaction).qa.answer(
        server(interaction, WHERE), question_id, actor(interaction), body
    )
    # Told first: in an archived post the answer opens it again, so it can be redrawn.
    await notify_asker(interaction.client, services(interaction).qa, posted.question, posted.answer)
    await redraw(interaction.client, posted.question)
    link = jump_url(posted.question)
    where = f" ({link})" if link else ""
    await interaction.followup.send(
        f"✅ Your answer #{posted.answer.id} to question #{question_id} is posted{where}.",
        ephemeral=True,
    )


# -- the answer form ---------------------------------------------------------------------------


class AnswerModal(Form):
    """Answers a question, or edits an answer (`answer` given)."""

    def __init__(self, question_id: int, answer: Answer | None = None) -> None:
        title = f"Edit answer #{answer.id}" if answer else f"Answer question #{question_id}"
        super().__init__(
            title=title, timeout=MODAL_TIMEOUT, again=lambda: AnswerModal(question_id, answer)
        )
        self.question_id = question_id
        self.answer = answer
        self.body = self.field(
            "qa:input:answer",
            "Your answer",
            "What worked for you, and why. Code and links are welcome.",
            max_length=ANSWER_MAX,
            long=True,
            default=answer.body if answer else None,
        )

    async def on_submit(self, interaction: Interaction) -> None:
        if self.answer is None:
            await submit_answer(interaction, self.question_id, self.body.value)
            return
        await interaction.response.defer(ephemeral=True, thinking=True)
        posted = await services(interaction).qa.edit_answer(
            server(interaction, WHERE), self.answer.id, actor(interaction), self.body.value
        )
        await redraw_notice(interaction.client, posted)
        await interaction.followup.send(f"✏️ Answer #{posted.answer.id} is updated.", ephemeral=True)


# -- persistent components (their custom_id carries what they act on) ------------------------


async def _open_answer_form(interaction: Interaction, state: Mapping[str, str]) -> None:
    qa, guild_id = services(interaction).qa, server(interaction, WHERE)
    question = await qa.get(guild_id, int(state["qid"]))
    await qa.check_answer_cooldown(guild_id, interaction.user.id)
    await interaction.response.send_modal(AnswerModal(question.id))


async def _show_answers(interaction: Interaction, state: Mapping[str, str]) -> None:
    embed, view = await answers_message(interaction, int(state["qid"]), 1)
    await interaction.response.send_message(embed=embed, view=view, ephemeral=True)


async def _choose_accepted(interaction: Interaction, state: Mapping[str, str]) -> None:
    question = await services(interaction).qa.can_accept(
        server(interaction, WHERE), int(state["qid"]), actor(interaction)
    )
    if question.answer_count == 0:
        raise NotFound(
            f"Nobody has answered #{question.id} yet: you can accept an answer once there is one."
        )
    embed, view = await answers_message(interaction, question.id, 1)
    await interaction.response.send_message(
        "Which answer solved it? Press **Accept #…** under it.",
        embed=embed,
        view=view,
        ephemeral=True,
    )


async def _accept(interaction: Interaction, state: Mapping[str, str]) -> None:
    question_id = int(state["qid"])
    posted = await services(interaction).qa.accept(
        server(interaction, WHERE), question_id, int(state["aid"]), actor(interaction)
    )
    embed, view = await answers_message(interaction, question_id, 1)
    await interaction.response.edit_message(
        content=f"✅ You accepted answer #{posted.answer.id}. Thanks for closing the loop!",
        embed=embed,
        view=view,
    )
    await redraw(interaction.client, posted.question)
    if posted.question.forum_id is not None:
        await update_post(interaction.client, posted.question, solved=True)


# Answer (opens the form), Show answers (privately), Accept (the asker or a moderator picks one).
ANSWER = Action("qa:answer:{qid}", {"qid": ID}, _open_answer_form)
SHOW_ANSWERS = Action("qa:answers:{qid}", {"qid": ID}, _show_answers)
ACCEPT = Action("qa:accept:{qid}", {"qid": ID}, _choose_accepted)
ACCEPT_ANSWER = Action("qa:accept:{qid}:{aid}", {"qid": ID, "aid": ID}, _accept)
AnswerButton, ShowAnswersButton = ANSWER.button, SHOW_ANSWERS.button
AcceptButton, AcceptAnswer = ACCEPT.button, ACCEPT_ANSWER.button


# -- the answers, page by page -------------------------------------------------------------


async def answers_message(
    interaction: Interaction, question_id: int, page: int
) -> tuple[discord.Embed, SafeView]:
    """A page of answers; the asker and moderators also get an Accept button per answer."""
    question, answers = await services(interaction).qa.answers(
        server(interaction, WHERE), question_id
    )
    embed, shown, page, pages = render.answers_embed(question, answers, page)
    view = SafeView(timeout=None)
    if may_change(actor(interaction), question.author_id):
        for answer in shown:
            label = f"Accepted #{answer.id}" if answer.accepted else f"Accept #{answer.id}"
            view.add_item(
                ACCEPT_ANSWER.make(
                    label,
                    {"qid": question.id, "aid": answer.id},
                    emoji="✅",
                    style=discord.ButtonStyle.success,
                    disabled=answer.accepted,
                    row=0,
                )
            )
    for answer in shown:  # 👍 for the answers of others (own answers cannot be voted for)
        if answer.author_id != interaction.user.id:
            view.add_item(vote_button(answer.id, row=2))
    ANSWERS.add_to(view, page, pages, qid=str(question.id))
    return embed, view


async def _answers_page(
    interaction: Interaction, state: Mapping[str, str], page: int
) -> tuple[discord.Embed, SafeView]:
    return await answers_message(interaction, int(state["qid"]), page)


ANSWERS = Book("qa:apage:{qid}:{page}", {"qid": ID, "page": r"\d{1,4}"}, _answers_page, row=1)
AnswersPage = ANSWERS.button
