"""The Q&A cog's Discord pieces: posting and redrawing questions, modals, confirmations and
the persistent buttons and pagers (their custom_id carries what they act on).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands

from bot.errors import BadInput, NotFound
from bot.qa import (
    ANSWER_MAX,
    DETAILS_MAX,
    TAG_MAX_CHARS,
    TITLE_MAX,
    TITLE_MIN,
    Answer,
    Draft,
    ForgetMode,
    Posted,
    QaService,
    Question,
    QuestionHit,
    Status,
    make_draft,
    may_change,
)
from cogs._kit.interaction import actor, item_label, server, services
from cogs._kit.limits import CUSTOM_ID
from cogs._kit.ui import QUIET_EDIT, Form, OwnedView, SafeView, run_safely
from cogs.qa import render

if TYPE_CHECKING:
    pass

log = logging.getLogger("cogs.qa")

Interaction = discord.Interaction[Any]
COG_NAME = "Q&A"
ID = r"\d{1,18}"  # an SQLite INTEGER (int64) holds any 18-digit number
STATUS_CODES: dict[str, Status] = {"o": "open", "a": "answered", "z": "all"}
CODE_FOR_STATUS = {v: k for k, v in STATUS_CODES.items()}
STATUS_BY_NAME: dict[str, Status] = {v: v for v in STATUS_CODES.values()}
SEARCH_QUERY_MAX = 60  # the query travels in the pager's custom_id (100 characters at most)
TAGS_INPUT_MAX = 5 * (TAG_MAX_CHARS + 2)
MODAL_TIMEOUT = 1800  # a modal left open longer than this is forgotten (no leak)
STATUS_CHOICES = [
    app_commands.Choice(name="Everything", value="all"),
    app_commands.Choice(name="Unanswered only", value="open"),
    app_commands.Choice(name="Answered only", value="answered"),
]

WHERE = "Questions and answers"  # what lives in a server, for refusals in DMs


# -- the question's message: posting and redrawing --------------------------------------------


def question_view(question: Question) -> SafeView:
    """Answer, Show answers, Accept: persistent, their custom_ids carry the question id."""
    view = SafeView(timeout=None)
    view.add_item(AnswerButton(question.id))
    view.add_item(ShowAnswersButton(question.id, question.answer_count))
    view.add_item(AcceptButton(question.id))
    return view


async def post_question(interaction: Interaction, draft: Draft) -> tuple[Question, str]:
    """Store the question and post it; returns it and a link to its message.

    When the message cannot be posted the question is removed again: nothing half-done stays.
    """
    qa, guild_id = services(interaction).qa, server(interaction, WHERE)
    channel_id = await qa.channel_for(guild_id) or interaction.channel_id
    if channel_id is None:
        raise BadInput("I cannot tell where to post that; try again in a server channel.")
    question = await qa.ask(guild_id, actor(interaction), draft, channel_id)
    channel = interaction.client.get_partial_messageable(channel_id, guild_id=guild_id)
    try:
        message = await channel.send(
            embed=render.question_embed(question),
            view=question_view(question),
        )
    except Exception as error:
        await qa.discard(question.id)  # whatever went wrong, no question stays unposted
        if not isinstance(error, discord.HTTPException):
            raise
        log.warning("could not post question %s in channel %s", question.id, channel_id)
        raise BadInput(
            f"I could not post in <#{channel_id}> (I may lack the permission to, or the "
            "channel is gone), so your question was not saved. A moderator can choose the "
            "Q&A channel with `/qa setup`."
        ) from None
    await qa.attach_message(question.id, channel_id, message.id)
    return question, message.jump_url


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
            embed=render.question_embed(question),
            view=question_view(question),
            allowed_mentions=QUIET_EDIT,
        )
    except discord.HTTPException:
        log.info("could not redraw the message of question %s", question.id, exc_info=True)


async def remove_message(client: discord.Client, question: Question) -> None:
    message = _message_of(client, question)
    if message is None:
        return
    try:
        await message.delete()
    except discord.HTTPException:
        log.info("could not delete the message of question %s", question.id, exc_info=True)


async def notify_asker(
    client: discord.Client, qa: QaService, question: Question, answer: Answer
) -> None:
    """Tell the asker, in the question's channel, pinging them and nobody else."""
    asker = question.author_id
    if asker is None or asker == answer.author_id or question.channel_id is None:
        return
    channel = client.get_partial_messageable(question.channel_id, guild_id=question.guild_id)
    reference = None
    if question.message_id is not None:
        reference = channel.get_partial_message(question.message_id).to_reference(
            fail_if_not_exists=False
        )
    try:
        notice = await channel.send(
            render.answer_notice(question, answer),
            embed=render.answer_embed(question, answer),
            reference=reference,  # type: ignore[arg-type]
            allowed_mentions=discord.AllowedMentions(
                everyone=False, roles=False, users=[discord.Object(asker)], replied_user=False
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
            embed=render.answer_embed(question, answer),
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
    await redraw(interaction.client, posted.question)
    await notify_asker(interaction.client, services(interaction).qa, posted.question, posted.answer)
    link = jump_url(posted.question)
    where = f" ({link})" if link else ""
    await interaction.followup.send(
        f"✅ Your answer #{posted.answer.id} to question #{question_id} is posted{where}.",
        ephemeral=True,
    )


# -- modals -----------------------------------------------------------------------------------


class QuestionModal(Form):
    """Asks a new question, or edits one (`question` given)."""

    def __init__(self, question: Question | None = None) -> None:
        super().__init__(
            title=f"Edit question #{question.id}" if question else "Ask the community",
            timeout=MODAL_TIMEOUT,
            again=lambda: QuestionModal(question),
        )
        self.question = question
        self.title_input: discord.ui.TextInput[QuestionModal] = discord.ui.TextInput(
            label="Title: your question in one sentence",
            custom_id="qa:input:title",
            placeholder="How do I retry a Celery task that failed?",
            min_length=TITLE_MIN,
            max_length=TITLE_MAX,
            default=question.title if question else None,
        )
        self.details_input: discord.ui.TextInput[QuestionModal] = discord.ui.TextInput(
            label="Details",
            custom_id="qa:input:details",
            style=discord.TextStyle.paragraph,
            placeholder="What you tried, what happened, what you expected. Code is welcome.",
            max_length=DETAILS_MAX,
            default=question.details if question else None,
        )
        self.tags_input: discord.ui.TextInput[QuestionModal] = discord.ui.TextInput(
            label="Tags (optional, up to 5)",
            custom_id="qa:input:tags",
            placeholder="django, celery, docker",
            required=False,
            max_length=TAGS_INPUT_MAX,
            default=" ".join(question.tags) if question and question.tags else None,
        )
        for item in (self.title_input, self.details_input, self.tags_input):
            self.add_item(item)

    async def on_submit(self, interaction: Interaction) -> None:
        draft = make_draft(self.title_input.value, self.details_input.value, self.tags_input.value)
        if self.question is not None:
            await self._edit(interaction, self.question, draft)
            return
        await interaction.response.defer(ephemeral=True, thinking=True)
        similar = await services(interaction).qa.similar(server(interaction, WHERE), draft)
        if similar:
            view = SimilarView(interaction.user.id, draft, similar)
            await interaction.followup.send(
                embed=render.similar_embed(draft, similar),
                view=view,
                ephemeral=True,
            )
            return
        question, link = await post_question(interaction, draft)
        await interaction.followup.send(
            f"📨 Your question #{question.id} is posted: {link}", ephemeral=True
        )

    async def _edit(self, interaction: Interaction, question: Question, draft: Draft) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        edited = await services(interaction).qa.edit_question(
            server(interaction, WHERE), question.id, actor(interaction), draft
        )
        await redraw(interaction.client, edited)
        await interaction.followup.send(f"✏️ Question #{edited.id} is updated.", ephemeral=True)


class AnswerModal(Form):
    """Answers a question, or edits an answer (`answer` given)."""

    def __init__(self, question_id: int, answer: Answer | None = None) -> None:
        title = f"Edit answer #{answer.id}" if answer else f"Answer question #{question_id}"
        super().__init__(
            title=title, timeout=MODAL_TIMEOUT, again=lambda: AnswerModal(question_id, answer)
        )
        self.question_id = question_id
        self.answer = answer
        self.body: discord.ui.TextInput[AnswerModal] = discord.ui.TextInput(
            label="Your answer",
            custom_id="qa:input:answer",
            style=discord.TextStyle.paragraph,
            placeholder="What worked for you, and why. Code and links are welcome.",
            max_length=ANSWER_MAX,
            default=answer.body if answer else None,
        )
        self.add_item(self.body)

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


# -- short-lived views (one member, one decision) ---------------------------------------------


class SimilarView(OwnedView):
    """Similar answered questions: one of them answers it, or post anyway."""

    def __init__(self, owner_id: int, draft: Draft, hits: list[QuestionHit]) -> None:
        super().__init__(owner_id, timeout=900)
        self.draft = draft
        for hit in hits:
            button: discord.ui.Button[SimilarView] = discord.ui.Button(
                label=f"#{hit.question.id} answers it",
                emoji="✅",
                style=discord.ButtonStyle.success,
                custom_id=f"qa:similar:{hit.question.id}",
            )
            button.callback = self._answered_by(hit.question)  # type: ignore[method-assign]
            self.add_item(button)
        post: discord.ui.Button[SimilarView] = discord.ui.Button(
            label="Post my question anyway",
            style=discord.ButtonStyle.primary,
            custom_id="qa:similar:post",
            row=1,
        )
        post.callback = self._post  # type: ignore[method-assign]
        self.add_item(post)

    def _answered_by(self, question: Question) -> Any:
        async def callback(interaction: Interaction) -> None:
            found, answers = await services(interaction).qa.answers(
                server(interaction, WHERE), question.id
            )
            embeds = [render.question_embed(found)]
            if answers:
                embeds.append(render.answer_embed(found, answers[0]))
            self.stop()
            await interaction.response.edit_message(
                content=f"👍 Glad it is solved! Your question was not posted. Here is #{found.id}:",
                embeds=embeds,
                view=None,
            )

        return callback

    async def _post(self, interaction: Interaction) -> None:
        await interaction.response.defer()
        question, link = await post_question(interaction, self.draft)
        self.stop()
        await interaction.edit_original_response(
            content=f"📨 Your question #{question.id} is posted: {link}", embed=None, view=None
        )


class ConfirmDelete(OwnedView):
    def __init__(self, owner_id: int, question: Question) -> None:
        super().__init__(owner_id, timeout=300)
        self.question = question

    @discord.ui.button(
        label="Delete", style=discord.ButtonStyle.danger, emoji="🗑️", custom_id="qa:confirm:delete"
    )
    async def delete(self, interaction: Interaction, _: discord.ui.Button[ConfirmDelete]) -> None:
        removed = await services(interaction).qa.delete_question(
            server(interaction, WHERE), self.question.id, actor(interaction)
        )
        self.stop()
        deleted, count = removed.question, removed.question.answer_count
        await interaction.response.edit_message(
            content=f"🗑️ Question #{deleted.id} and its {count} answer{'s' if count != 1 else ''} "
            "are deleted.",
            view=None,
        )
        await remove_message(interaction.client, deleted)
        await delete_messages(interaction.client, removed.notices)

    @discord.ui.button(
        label="Cancel", style=discord.ButtonStyle.secondary, custom_id="qa:confirm:cancel"
    )
    async def cancel(self, interaction: Interaction, _: discord.ui.Button[ConfirmDelete]) -> None:
        self.stop()
        await interaction.response.edit_message(content="Nothing was deleted.", view=None)


class ConfirmForget(OwnedView):
    def __init__(self, owner_id: int) -> None:
        super().__init__(owner_id, timeout=300)

    async def _forget(self, interaction: Interaction, mode: ForgetMode) -> None:
        report = await services(interaction).qa.forget(interaction.user.id, mode)
        self.stop()
        await interaction.response.edit_message(content=render.forget_done(report), view=None)
        for question in report.deleted:
            await remove_message(interaction.client, question)
        await delete_messages(interaction.client, report.deleted_notices)
        for question in report.changed:
            await redraw(interaction.client, question)
        for posted in report.changed_notices:
            await redraw_notice(interaction.client, posted)

    @discord.ui.button(
        label="Delete everything", style=discord.ButtonStyle.danger, custom_id="qa:forget:delete"
    )
    async def delete(self, interaction: Interaction, _: discord.ui.Button[ConfirmForget]) -> None:
        await self._forget(interaction, "delete")

    @discord.ui.button(
        label="Anonymise", style=discord.ButtonStyle.primary, custom_id="qa:forget:anonymise"
    )
    async def anonymise(
        self, interaction: Interaction, _: discord.ui.Button[ConfirmForget]
    ) -> None:
        await self._forget(interaction, "anonymise")

    @discord.ui.button(
        label="Cancel", style=discord.ButtonStyle.secondary, custom_id="qa:forget:cancel"
    )
    async def cancel(self, interaction: Interaction, _: discord.ui.Button[ConfirmForget]) -> None:
        self.stop()
        await interaction.response.edit_message(content="Nothing was changed.", view=None)


# -- persistent components (their custom_id carries what they act on) ------------------------


class AnswerButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]], template=rf"qa:answer:(?P<qid>{ID})"
):
    """Opens the answer modal for the question."""

    def __init__(self, question_id: int) -> None:
        super().__init__(
            discord.ui.Button(
                label="Answer",
                emoji="💬",
                style=discord.ButtonStyle.primary,
                custom_id=f"qa:answer:{question_id}",
            )
        )
        self.question_id = question_id

    @classmethod
    async def from_custom_id(
        cls, interaction: Interaction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> AnswerButton:
        return cls(int(match["qid"]))

    async def callback(self, interaction: Interaction) -> None:
        await run_safely(interaction, self._open(interaction))

    async def _open(self, interaction: Interaction) -> None:
        qa, guild_id = services(interaction).qa, server(interaction, WHERE)
        question = await qa.get(guild_id, self.question_id)
        await qa.check_answer_cooldown(guild_id, interaction.user.id)
        await interaction.response.send_modal(AnswerModal(question.id))


class ShowAnswersButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]], template=rf"qa:answers:(?P<qid>{ID})"
):
    """Shows the question's answers to the member who clicks, privately."""

    def __init__(self, question_id: int, count: int | None = None) -> None:
        label = "Show answers" if count is None else f"Show answers ({count})"
        super().__init__(
            discord.ui.Button(
                label=label,
                emoji="📖",
                style=discord.ButtonStyle.secondary,
                custom_id=f"qa:answers:{question_id}",
            )
        )
        self.question_id = question_id

    @classmethod
    async def from_custom_id(
        cls, interaction: Interaction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> ShowAnswersButton:
        return cls(int(match["qid"]))

    async def callback(self, interaction: Interaction) -> None:
        await run_safely(interaction, self._show(interaction))

    async def _show(self, interaction: Interaction) -> None:
        embed, view = await answers_message(interaction, self.question_id, 1)
        await interaction.response.send_message(embed=embed, view=view, ephemeral=True)


class AnswersPage(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=rf"qa:apage:(?P<qid>{ID}):(?P<page>\d{{1,4}})",
):
    """Turns the page of a question's answers, in place."""

    def __init__(self, question_id: int, page: int, label: str, *, disabled: bool = False) -> None:
        super().__init__(
            discord.ui.Button(
                label=label,
                style=discord.ButtonStyle.secondary,
                disabled=disabled,
                custom_id=f"qa:apage:{question_id}:{page}",
                row=1,
            )
        )
        self.question_id, self.page = question_id, page

    @classmethod
    async def from_custom_id(
        cls, interaction: Interaction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> AnswersPage:
        return cls(int(match["qid"]), int(match["page"]), item_label(item))

    async def callback(self, interaction: Interaction) -> None:
        await run_safely(interaction, self._turn(interaction))

    async def _turn(self, interaction: Interaction) -> None:
        embed, view = await answers_message(interaction, self.question_id, self.page)
        await interaction.response.edit_message(embed=embed, view=view)


class AcceptButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]], template=rf"qa:accept:(?P<qid>{ID})"
):
    """Lets the asker (or a moderator) pick the answer that solved the question."""

    def __init__(self, question_id: int) -> None:
        super().__init__(
            discord.ui.Button(
                label="Accept",
                emoji="✅",
                style=discord.ButtonStyle.success,
                custom_id=f"qa:accept:{question_id}",
            )
        )
        self.question_id = question_id

    @classmethod
    async def from_custom_id(
        cls, interaction: Interaction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> AcceptButton:
        return cls(int(match["qid"]))

    async def callback(self, interaction: Interaction) -> None:
        await run_safely(interaction, self._choose(interaction))

    async def _choose(self, interaction: Interaction) -> None:
        question = await services(interaction).qa.can_accept(
            server(interaction, WHERE), self.question_id, actor(interaction)
        )
        if question.answer_count == 0:
            raise NotFound(
                f"Nobody has answered #{question.id} yet: you can accept an answer once "
                "there is one."
            )
        embed, view = await answers_message(interaction, question.id, 1)
        await interaction.response.send_message(
            "Which answer solved it? Press **Accept #…** under it.",
            embed=embed,
            view=view,
            ephemeral=True,
        )


class AcceptAnswer(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=rf"qa:accept:(?P<qid>{ID}):(?P<aid>{ID})",
):
    """Accepts one answer (the asker or a moderator only)."""

    def __init__(self, question_id: int, answer_id: int, *, accepted: bool = False) -> None:
        super().__init__(
            discord.ui.Button(
                label=f"Accepted #{answer_id}" if accepted else f"Accept #{answer_id}",
                emoji="✅",
                style=discord.ButtonStyle.success,
                disabled=accepted,
                custom_id=f"qa:accept:{question_id}:{answer_id}",
                row=0,
            )
        )
        self.question_id, self.answer_id = question_id, answer_id

    @classmethod
    async def from_custom_id(
        cls, interaction: Interaction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> AcceptAnswer:
        return cls(int(match["qid"]), int(match["aid"]))

    async def callback(self, interaction: Interaction) -> None:
        await run_safely(interaction, self._accept(interaction))

    async def _accept(self, interaction: Interaction) -> None:
        posted = await services(interaction).qa.accept(
            server(interaction, WHERE), self.question_id, self.answer_id, actor(interaction)
        )
        embed, view = await answers_message(interaction, self.question_id, 1)
        await interaction.response.edit_message(
            content=f"✅ You accepted answer #{posted.answer.id}. Thanks for closing the loop!",
            embed=embed,
            view=view,
        )
        await redraw(interaction.client, posted.question)


class SearchPager(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"qa:find:(?P<status>[oaz]):(?P<page>\d{1,3}):(?P<tag>[^:]*):(?P<query>.+)",
):
    """Turns the page of Q&A search results; the query travels in the custom_id."""

    def __init__(
        self, status: str, page: int, tag: str, query: str, label: str, *, disabled: bool = False
    ) -> None:
        prefix = f"qa:find:{status}:{page}:{tag}:"
        super().__init__(
            discord.ui.Button(
                label=label,
                style=discord.ButtonStyle.secondary,
                disabled=disabled,
                custom_id=prefix + query[: CUSTOM_ID - len(prefix)],
                row=1,
            )
        )
        self.status, self.page, self.tag, self.query = status, page, tag, query

    @classmethod
    async def from_custom_id(
        cls, interaction: Interaction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> SearchPager:
        return cls(
            match["status"], int(match["page"]), match["tag"], match["query"], item_label(item)
        )

    async def callback(self, interaction: Interaction) -> None:
        await run_safely(interaction, self._turn(interaction))

    async def _turn(self, interaction: Interaction) -> None:
        status = STATUS_CODES.get(self.status, "all")
        embed, view = await search_message(
            interaction, self.query, self.tag or None, status, self.page
        )
        await interaction.response.edit_message(embed=embed, view=view)


class ListPager(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"qa:list:(?P<kind>mine|open):(?P<page>\d{1,4})",
):
    """Turns the page of /qa mine (the clicker's questions) or /qa open."""

    def __init__(self, kind: str, page: int, label: str, *, disabled: bool = False) -> None:
        super().__init__(
            discord.ui.Button(
                label=label,
                style=discord.ButtonStyle.secondary,
                disabled=disabled,
                custom_id=f"qa:list:{kind}:{page}",
            )
        )
        self.kind, self.page = kind, page

    @classmethod
    async def from_custom_id(
        cls, interaction: Interaction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> ListPager:
        return cls(match["kind"], int(match["page"]), item_label(item))

    async def callback(self, interaction: Interaction) -> None:
        await run_safely(interaction, self._turn(interaction))

    async def _turn(self, interaction: Interaction) -> None:
        embed, view = await list_message(interaction, self.kind, self.page)
        await interaction.response.edit_message(embed=embed, view=view)


DYNAMIC_ITEMS: tuple[type[discord.ui.DynamicItem[Any]], ...] = (
    AnswerButton,
    ShowAnswersButton,
    AnswersPage,
    AcceptButton,
    AcceptAnswer,
    SearchPager,
    ListPager,
)


# -- messages ---------------------------------------------------------------------------------


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
            view.add_item(AcceptAnswer(question.id, answer.id, accepted=answer.accepted))
    if pages > 1:
        view.add_item(AnswersPage(question.id, page - 1, "◀ Previous", disabled=page == 1))
        view.add_item(AnswersPage(question.id, page + 1, "Next ▶", disabled=page == pages))
    return embed, view


async def search_message(
    interaction: Interaction, query: str, tag: str | None, status: Status, page: int
) -> tuple[discord.Embed, SafeView]:
    result = await services(interaction).qa.search(
        server(interaction, WHERE), query, tag=tag, status=status, page=page
    )
    view = SafeView(timeout=None)
    if result.pages > 1:
        code, shown_tag = CODE_FOR_STATUS[status], tag or ""
        view.add_item(
            SearchPager(
                code,
                result.page - 1,
                shown_tag,
                result.query,
                "◀ Previous",
                disabled=result.page == 1,
            )
        )
        view.add_item(
            SearchPager(
                code,
                result.page + 1,
                shown_tag,
                result.query,
                "Next ▶",
                disabled=result.page == result.pages,
            )
        )
    return render.search_embed(result), view


async def list_message(
    interaction: Interaction, kind: str, page: int
) -> tuple[discord.Embed, SafeView]:
    qa, guild_id = services(interaction).qa, server(interaction, WHERE)
    if kind == "mine":
        listing = await qa.mine(guild_id, interaction.user.id, page)
    else:
        listing = await qa.unanswered(guild_id, page)
    view = SafeView(timeout=None)
    if listing.pages > 1:
        view.add_item(ListPager(kind, listing.page - 1, "◀ Previous", disabled=listing.page == 1))
        view.add_item(
            ListPager(kind, listing.page + 1, "Next ▶", disabled=listing.page == listing.pages)
        )
    return render.list_embed(listing), view
