"""Saving chat into the Q&A: the message context menus "Ask as question" and "Mark as answer".

Discord sends the target message's text with the interaction, so neither needs the privileged
message-content intent. A saved question or answer is the message author's; the member who
saved it is recorded (and held to the cooldowns of /ask and /answer). The author is told
once, with a link, pinged alone: of a saved question in the question's channel, of a saved
answer under their message (the asker hears of the answer as of any other).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.core.text import clean_text
from bot.errors import BadInput, NotFound
from bot.qa import ANSWER_MAX, ChatMessage, Prefill, Question, make_draft, prefill
from bot.qa.saving import NO_TEXT
from bot.qa.service import make_answer
from cogs._kit.interaction import actor, server, services
from cogs._kit.limits import SELECT_OPTION_DESCRIPTION, SELECT_OPTION_LABEL, SELECT_OPTIONS, clip
from cogs._kit.ui import (
    FixForm,
    Form,
    OwnedView,
    answer_in_place,
    if_in_time,
    in_time,
    respond,
    suggestions_in_time,
)
from cogs.qa import render
from cogs.qa.ask import QuestionModal
from cogs.qa.question import (
    MODAL_TIMEOUT,
    WHERE,
    jump_url,
    log,
    notify_asker,
    post_question,
    redraw,
)

if TYPE_CHECKING:
    from bot.client import Nexus

Interaction = discord.Interaction[Any]
ASK_AS_QUESTION = "Ask as question"
MARK_AS_ANSWER = "Mark as answer"
NOT_A_MEMBER = (
    "Only a member's own message can be saved: messages of bots, apps and webhooks are not "
    "credited to anyone."
)


def chat_message(message: discord.Message) -> ChatMessage:
    """The message as the Q&A keeps it; refused when no member wrote it."""
    if message.author.bot or message.webhook_id is not None or message.author.system:
        raise BadInput(NOT_A_MEMBER)
    return ChatMessage(message.author.id, message.channel.id, message.id)


# -- Ask as question -------------------------------------------------------------------------


class SavedQuestionModal(QuestionModal):
    """The /ask form, filled from a chat message; sent, it posts the author's question."""

    def __init__(self, source: ChatMessage, filled: Prefill) -> None:
        super().__init__()
        self.title = "Save a message as a question"
        self._again = lambda: SavedQuestionModal(source, filled)
        self.source = source
        self.title_input.default = filled.title
        self.details_input.default = filled.details
        self.tags_input.default = " ".join(filled.tags) or None

    async def on_submit(self, interaction: Interaction) -> None:
        draft = make_draft(self.title_input.value, self.details_input.value, self.tags_input.value)
        await interaction.response.defer(ephemeral=True, thinking=True)
        question, link = await post_question(interaction, draft, self.source)
        posted = await services(interaction).qa.get(question.guild_id, question.id)
        await tell_author(interaction, posted, self.source)
        await interaction.followup.send(
            f"📨 Saved as question #{question.id}, asked by {render.who(self.source.author_id)}: "
            f"{link}",
            ephemeral=True,
        )


async def tell_author(interaction: Interaction, question: Question, source: ChatMessage) -> None:
    """Tell the author, once, that their message is now their question: pinging only them."""
    saver = interaction.user.id
    if source.author_id == saver or question.channel_id is None:
        return
    channel = interaction.client.get_partial_messageable(
        question.channel_id, guild_id=question.guild_id
    )
    reference = None
    if question.message_id is not None:
        reference = channel.get_partial_message(question.message_id).to_reference(
            fail_if_not_exists=False
        )
    original = render.message_url(question.guild_id, source.channel_id, source.message_id)
    about = f"**#{question.id} · {clip(render.safe_title(question.title), 150)}**"
    try:
        await channel.send(
            f"{render.who(source.author_id)} — {render.who(saver)} saved your message "
            f"({original}) as question {about}. It is yours: change it with `/qa edit`, "
            "or remove it with `/qa delete`.",
            reference=reference,
            allowed_mentions=discord.AllowedMentions(
                everyone=False,
                roles=False,
                users=[discord.Object(source.author_id)],
                replied_user=False,
            ),
        )
    except discord.HTTPException:
        log.info("could not tell the author of question %s", question.id, exc_info=True)


@app_commands.guild_only()
async def ask_as_question(interaction: Interaction, message: discord.Message) -> None:
    """Open the question form filled from the message."""
    guild_id = server(interaction, WHERE)
    source = chat_message(message)
    filled = prefill(message.content)
    qa = services(interaction).qa
    await if_in_time(interaction, qa.check_unsaved(guild_id, source))
    await if_in_time(interaction, qa.check_ask_cooldown(guild_id, interaction.user.id))
    tags = await suggestions_in_time(interaction, _tags(interaction, guild_id, message.content))
    filled = Prefill(filled.title, filled.details, tuple(tags))
    await interaction.response.send_modal(SavedQuestionModal(source, filled))


async def _tags(interaction: Interaction, guild_id: int, text: str) -> list[str]:
    return list(await services(interaction).qa.suggested_tags(guild_id, text))


# -- Mark as answer --------------------------------------------------------------------------


class MarkedAnswerModal(Form):
    """The saved answer's text, to fix when it was refused (a group mention, too long)."""

    def __init__(self, question_id: int, source: ChatMessage) -> None:
        super().__init__(
            title=f"Save as an answer to #{question_id}",
            timeout=MODAL_TIMEOUT,
            again=lambda: MarkedAnswerModal(question_id, source),
        )
        self.question_id, self.source = question_id, source
        self.body = self.field(
            "qa:input:answer",
            "The answer",
            "What the message says that answers the question.",
            max_length=ANSWER_MAX,
            long=True,
        )

    async def on_submit(self, interaction: Interaction) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        done = await save_answer(interaction, self.question_id, self.source, self.body.value)
        await interaction.followup.send(done, ephemeral=True)


async def refused_text(
    interaction: Interaction, question_id: int, source: ChatMessage, body: str
) -> bool:
    """Whether the text was refused; if so the member was told why, with "Fix and send again"."""
    try:
        make_answer(body)
    except BadInput as refusal:
        form = MarkedAnswerModal(question_id, source)
        view = FixForm(interaction.user.id, form, {"qa:input:answer": body[:ANSWER_MAX]})
        await respond(interaction, content=refusal.message, view=view, ephemeral=True)
        return True
    return False


async def save_answer(
    interaction: Interaction, question_id: int, source: ChatMessage, body: str
) -> str:
    """Store the message as an answer, redraw the question, tell the asker; what to reply."""
    qa = services(interaction).qa
    posted = await qa.save_answer(
        server(interaction, WHERE), question_id, actor(interaction), source, body
    )
    await redraw(interaction.client, posted.question)
    await notify_asker(
        interaction.client, qa, posted.question, posted.answer, saved_by=interaction.user.id
    )
    original = render.message_url(posted.question.guild_id, source.channel_id, source.message_id)
    link = jump_url(posted.question)
    where = f" ({link})" if link else ""
    await credit_author(interaction, posted.question, posted.answer.id, source, where)
    return (
        f"✅ {render.who(source.author_id)}'s message ({original}) is saved as answer "
        f"#{posted.answer.id} to question #{question_id}{where}, credited to them."
    )


async def credit_author(
    interaction: Interaction, question: Question, answer_id: int, source: ChatMessage, where: str
) -> None:
    """Tell the author, once, under their message, that it is now their answer: pinging only
    them (not when they saved it themselves).
    """
    saver = interaction.user.id
    if source.author_id == saver:
        return
    channel = interaction.client.get_partial_messageable(
        source.channel_id, guild_id=question.guild_id
    )
    try:
        await channel.send(
            f"{render.who(source.author_id)} — {render.who(saver)} saved this message as your "
            f"answer #{answer_id} to question #{question.id}{where}. Thanks for helping!",
            reference=channel.get_partial_message(source.message_id).to_reference(
                fail_if_not_exists=False
            ),
            allowed_mentions=discord.AllowedMentions(
                everyone=False,
                roles=False,
                users=[discord.Object(source.author_id)],
                replied_user=False,
            ),
        )
    except discord.HTTPException:
        log.info("could not credit the author of answer %s", answer_id, exc_info=True)


class PickQuestion(OwnedView):
    """The open questions of the channel: the one the message answers is picked here."""

    def __init__(
        self, owner_id: int, source: ChatMessage, body: str, questions: list[Question]
    ) -> None:
        super().__init__(owner_id, timeout=600)
        self.source, self.body = source, body
        menu: discord.ui.Select[PickQuestion] = discord.ui.Select(
            custom_id="qa:mark:question",
            placeholder="The question this message answers",
            options=[
                discord.SelectOption(
                    label=clip(f"#{q.id} · {' '.join(q.title.split())}", SELECT_OPTION_LABEL),
                    value=str(q.id),
                    description=clip(render.answers_text(q), SELECT_OPTION_DESCRIPTION),
                )
                for q in questions[:SELECT_OPTIONS]
            ],
        )
        menu.callback = self._picked  # type: ignore[method-assign]
        self.menu = menu
        self.add_item(menu)

    async def _picked(self, interaction: Interaction) -> None:
        question_id = int(self.menu.values[0])
        if await refused_text(interaction, question_id, self.source, self.body):
            return
        saved = save_answer(interaction, question_id, self.source, self.body)
        done = await in_time(interaction, saved, update=True)
        self.stop()
        await answer_in_place(interaction, content=done, view=None)


@app_commands.guild_only()
async def mark_as_answer(interaction: Interaction, message: discord.Message) -> None:
    """Save the message as an answer: to the question it replies to (or whose thread it is
    in), else to one picked from the channel's open questions.
    """
    guild_id = server(interaction, WHERE)
    source = chat_message(message)
    body = clean_text(message.content, multiline=True)
    if not body:
        raise BadInput(NO_TEXT)
    qa = services(interaction).qa
    replied = message.reference.message_id if message.reference is not None else None
    known = await in_time(
        interaction,
        qa.question_at(guild_id, source.channel_id, [replied] if replied else []),
        ephemeral=True,
    )
    if known is not None:
        if await refused_text(interaction, known.id, source, body):
            return
        if not interaction.response.is_done():
            await interaction.response.defer(ephemeral=True, thinking=True)
        await interaction.followup.send(
            await save_answer(interaction, known.id, source, body), ephemeral=True
        )
        return
    questions = await in_time(
        interaction, qa.open_in_channel(guild_id, source.channel_id, SELECT_OPTIONS), ephemeral=True
    )
    if not questions:
        raise NotFound(
            "No open question was posted in this channel, so I cannot tell which one this "
            "message answers. Answer it with `/answer`, or save a message as a question with "
            f"**{ASK_AS_QUESTION}**."
        )
    view = PickQuestion(interaction.user.id, source, body, questions)
    text = f"Which question does {render.who(source.author_id)}'s message answer?"
    await respond(interaction, content=text, view=view, ephemeral=True)


# -- registration ------------------------------------------------------------------------------


class FromChat(commands.Cog, name="Q&A from chat"):
    """The two message context menus, added to the command tree with the cog."""

    def __init__(self, bot: Nexus) -> None:
        self.bot = bot
        self.menus = (
            app_commands.ContextMenu(name=ASK_AS_QUESTION, callback=ask_as_question),
            app_commands.ContextMenu(name=MARK_AS_ANSWER, callback=mark_as_answer),
        )

    async def cog_load(self) -> None:
        for menu in self.menus:
            self.bot.tree.add_command(menu)

    async def cog_unload(self) -> None:
        for menu in self.menus:
            self.bot.tree.remove_command(menu.name, type=menu.type)
