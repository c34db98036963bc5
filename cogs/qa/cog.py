"""/ask, /answer and /qa: members ask, peers answer, the asker accepts, everyone finds it later."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.qa import (
    ANSWER_MAX,
    TAG_MAX_CHARS,
    ForgetMode,
    QaService,
    Question,
    parse_ref,
    parse_tag,
)
from bot.qa.forum import QUIET_MAX_HOURS, QUIET_PERIOD
from cogs._kit.interaction import Picked, actor, server
from cogs._kit.text import plural
from cogs._kit.ui import (
    Choice,
    Confirm,
    Done,
    if_in_time,
    in_time,
    respond,
)
from cogs.qa import render
from cogs.qa.ask import QuestionModal
from cogs.qa.autocomplete import any_question, open_questions, own_answers
from cogs.qa.browse import (
    LISTS,
    SEARCH,
    SEARCH_QUERY_MAX,
    STATUS_BY_NAME,
    STATUS_CHOICES,
    list_message,
    search_message,
)
from cogs.qa.context import FromChat
from cogs.qa.followups import StillOpenButton, run_followups
from cogs.qa.forum import archive_due_posts
from cogs.qa.posts import PostCommands, QaChannel, can_post_in, helper_note
from cogs.qa.question import (
    ANSWERS,
    WHERE,
    AcceptAnswer,
    AcceptButton,
    AnswerButton,
    AnswerModal,
    Interaction,
    ShowAnswersButton,
    delete_messages,
    question_view,
    redraw,
    redraw_notice,
    remove_message,
    shown_answer,
    shown_question,
    submit_answer,
)
from cogs.qa.recognition import RecognitionCommands, VoteButton, show_votes

if TYPE_CHECKING:
    from bot.client import Nexus


log = logging.getLogger("cogs.qa")

COG_NAME = "Q&A"
STALE_MAX_DAYS = 365
CLEAR_CHOICES = [
    app_commands.Choice(name="The helper role (nudges ping nobody)", value="helper_role_id"),
    app_commands.Choice(name="The mentors' channel (no weekly digest)", value="mentors_channel_id"),
]
TIMERS_EVERY = 60.0  # seconds between two looks for posts to archive and follow-ups due
TIMERS_GRACE = 5.0  # seconds a round in progress may take to finish when the bot stops
DYNAMIC_ITEMS: tuple[type[discord.ui.DynamicItem[Any]], ...] = (
    AnswerButton,
    ShowAnswersButton,
    ANSWERS.button,
    AcceptButton,
    AcceptAnswer,
    VoteButton,
    SEARCH.button,
    LISTS.button,
    StillOpenButton,
)


# -- the cog ----------------------------------------------------------------------------------


class QA(commands.Cog, name=COG_NAME):
    """Peer questions and answers: ask, answer, accept, search."""

    qa_group = app_commands.Group(
        name="qa", description="Peer questions and answers: search, browse, manage", guild_only=True
    )

    def __init__(self, bot: Nexus) -> None:
        self.bot = bot
        self._timers: asyncio.Task[None] | None = None
        self._stop = asyncio.Event()

    @property
    def qa(self) -> QaService:
        """The Q&A service (the bot's, built once)."""
        return self.bot.services.qa

    # -- timers: solved posts archived, follow-ups sent ------------------------------------------

    async def cog_load(self) -> None:
        self._stop = asyncio.Event()
        self._timers = asyncio.create_task(self._timers_forever(), name="qa-timers")

    async def cog_unload(self) -> None:
        await self.stop_timers()

    async def stop_timers(self) -> None:
        """Stop the timers, letting a round in progress finish (a query cut off half-way
        leaves its connection in a bad state) within `TIMERS_GRACE` seconds.
        """
        task = self._timers
        if task is None or task.done():
            return
        self._stop.set()
        await asyncio.wait({task}, timeout=TIMERS_GRACE)
        if not task.done():
            task.cancel()

    async def _timers_forever(self) -> None:
        """Archive solved posts and send follow-ups that are due: at start (what came due
        while the bot was away), then every `TIMERS_EVERY` seconds, until stopped.
        """
        await self.bot.wait_until_ready()
        while not self._stop.is_set():
            for work in (self.archive_due_posts, self.run_followups):
                try:
                    await work()
                except Exception:
                    log.warning("Q&A timers: %s failed; trying again", work.__name__, exc_info=True)
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(TIMERS_EVERY):
                    await self._stop.wait()

    async def archive_due_posts(self) -> int:
        """Archive the solved posts that are due now, each once; how many were."""
        return await archive_due_posts(self.bot)

    async def run_followups(self) -> dict[str, int]:
        """Send the nudges, solved checks and digests due now, each once; how many were."""
        return await run_followups(self.bot)

    # -- asking and answering --------------------------------------------------------------

    @app_commands.command(name="ask", description="Ask the community a question")
    @app_commands.guild_only()
    async def ask(self, interaction: Interaction) -> None:
        cooldown = self.qa.check_ask_cooldown(server(interaction, WHERE), interaction.user.id)
        await if_in_time(interaction, cooldown)  # sending the form checks it again
        await interaction.response.send_modal(QuestionModal())

    @app_commands.command(name="answer", description="Answer a member's question")
    @app_commands.describe(
        question="The question to answer (start typing its words or number)",
        text="Your answer; leave empty to write it in a bigger box",
    )
    @app_commands.guild_only()
    @app_commands.autocomplete(question=open_questions)
    async def answer(
        self,
        interaction: Interaction,
        question: Picked,
        text: app_commands.Range[str, 1, ANSWER_MAX] | None = None,
    ) -> None:
        question_id = parse_ref(question, "question")
        if text is not None:
            await submit_answer(interaction, question_id, text)
            return
        guild_id, user_id = server(interaction, WHERE), interaction.user.id
        # Both are checked again when the answer is sent; a busy database opens the form anyway.
        await if_in_time(interaction, self._may_answer(guild_id, question_id, user_id))
        await interaction.response.send_modal(AnswerModal(question_id))

    async def _may_answer(self, guild_id: int, question_id: int, user_id: int) -> None:
        await self.qa.get(guild_id, question_id)
        await self.qa.check_answer_cooldown(guild_id, user_id)

    # -- /qa ---------------------------------------------------------------------------------

    @qa_group.command(
        name="setup", description="Choose the channel or forum where questions are posted"
    )
    @app_commands.describe(
        channel="The Q&A channel, or a forum (one post per question); empty: where each is asked",
        archive_after="In a forum: hours a solved post stays open when quiet (default 24)",
        nudge_after="Hours an unanswered question waits before it is nudged (default 24; 0: never)",
        helper_role="A role the nudge mentions (pinging it): opt-in, the only role Nexus pings",
        mentors_channel="Where a weekly digest of the open questions goes",
        stale_after="Days without a new answer or an accept before a question is closed (0: never)",
        clear="Stop pinging the helper role, or stop the weekly digest",
    )
    @app_commands.choices(clear=CLEAR_CHOICES)
    async def setup(
        self,
        interaction: Interaction,
        channel: QaChannel | None = None,
        archive_after: app_commands.Range[int, 1, QUIET_MAX_HOURS] | None = None,
        nudge_after: app_commands.Range[int, 0, QUIET_MAX_HOURS] | None = None,
        helper_role: discord.Role | None = None,
        mentors_channel: discord.TextChannel | None = None,
        stale_after: app_commands.Range[int, 0, STALE_MAX_DAYS] | None = None,
        clear: app_commands.Choice[str] | None = None,
    ) -> None:
        guild_id = server(interaction, WHERE)
        can_manage = interaction.permissions.manage_guild
        notes = [can_post_in(c) for c in (channel, mentors_channel) if c is not None and can_manage]
        if helper_role is not None and can_manage:
            notes.append(helper_note(helper_role))
        lines = []
        if archive_after is not None:
            await self.qa.set_archive_after(guild_id, archive_after * 60, can_manage=can_manage)
            lines.append(
                f"🗄️ A solved forum post is archived after {plural(archive_after, 'hour')} of quiet."
            )
        chosen: dict[str, Any] = {"nudge_after_hours": nudge_after, "stale_after_days": stale_after}
        chosen.update(
            helper_role_id=helper_role.id if helper_role else None,
            mentors_channel_id=mentors_channel.id if mentors_channel else None,
        )
        chosen = {k: v for k, v in chosen.items() if v is not None}
        if clear is not None:
            chosen[clear.value] = None
        if chosen:
            done = await self.qa.set_followups(guild_id, can_manage=can_manage, **chosen)
            lines.append(render.followups_text(done))
        if channel is not None or not lines:
            await self.qa.set_channel(
                guild_id, channel.id if channel else None, can_manage=can_manage
            )
            lines.insert(0, await self._channel_text(guild_id, channel))
        text = "\n".join(lines) + "".join(notes)
        await interaction.response.send_message(text, ephemeral=True)

    async def _channel_text(
        self, guild_id: int, channel: discord.TextChannel | discord.ForumChannel | None
    ) -> str:
        if isinstance(channel, discord.ForumChannel):
            minutes = await self.qa.archive_after(guild_id)
            hours = QUIET_PERIOD.total_seconds() / 3600 if minutes is None else minutes / 60
            return (
                f"📌 New questions will be posts of {channel.mention}, tagged with their tags; "
                f"a solved post is archived after {plural(round(hours), 'hour')} of quiet."
            )
        where = channel.mention if channel else "the channel where each one is asked"
        return f"📌 New questions will be posted in {where}."

    @qa_group.command(name="search", description="Search questions and answers of this server")
    @app_commands.describe(
        query="Words to look for, e.g. celery retries",
        tag="Only questions with this tag",
        status="Only unanswered or answered questions",
    )
    @app_commands.choices(status=STATUS_CHOICES)
    async def search(
        self,
        interaction: Interaction,
        query: app_commands.Range[str, 1, SEARCH_QUERY_MAX],
        tag: app_commands.Range[str, 1, TAG_MAX_CHARS + 1] | None = None,
        status: app_commands.Choice[str] | None = None,
    ) -> None:
        chosen = STATUS_BY_NAME.get(status.value, "all") if status else "all"
        found = search_message(interaction, query, parse_tag(tag), chosen, 1)
        embed, view = await in_time(interaction, found)
        await respond(interaction, embed=embed, view=view)

    @qa_group.command(name="show", description="Show a question with its best answer")
    @app_commands.describe(question="The question (start typing its words or number)")
    @app_commands.autocomplete(question=any_question)
    async def show(self, interaction: Interaction, question: Picked) -> None:
        found, answers = await self.qa.answers(
            server(interaction, WHERE), parse_ref(question, "question")
        )
        embeds = [await shown_question(interaction.client, found)]
        if answers:
            embeds.append(await shown_answer(interaction.client, found, answers[0]))
        await interaction.response.send_message(embeds=embeds, view=question_view(found))

    @qa_group.command(name="mine", description="The questions you asked here")
    async def mine(self, interaction: Interaction) -> None:
        await self._list(interaction, "mine")

    @qa_group.command(name="open", description="Questions nobody has answered yet, oldest first")
    async def unanswered(self, interaction: Interaction) -> None:
        await self._list(interaction, "open")

    async def _list(self, interaction: Interaction, kind: str) -> None:
        embed, view = await list_message(interaction, kind, 1)
        await interaction.response.send_message(embed=embed, view=view, ephemeral=True)

    async def _own_question(self, interaction: Interaction, question: str) -> Question:
        """The question named, if the member may change it (theirs, or a moderator's call)."""
        return await self.qa.editable_question(
            server(interaction, WHERE), parse_ref(question, "question"), actor(interaction)
        )

    @qa_group.command(name="edit", description="Edit one of your questions")
    @app_commands.describe(question="The question to edit")
    @app_commands.autocomplete(question=any_question)
    async def edit(self, interaction: Interaction, question: Picked) -> None:
        found = await self._own_question(interaction, question)
        await interaction.response.send_modal(QuestionModal(found))

    @qa_group.command(name="delete", description="Delete one of your questions and its answers")
    @app_commands.describe(question="The question to delete")
    @app_commands.autocomplete(question=any_question)
    async def delete(self, interaction: Interaction, question: Picked) -> None:
        found = await self._own_question(interaction, question)
        count = found.answer_count

        async def delete(pressed: Interaction) -> Done:
            removed = await self.qa.delete_question(
                server(pressed, WHERE), found.id, actor(pressed)
            )
            deleted, count = removed.question, removed.question.answer_count

            async def then() -> None:
                await remove_message(pressed.client, deleted)
                await delete_messages(pressed.client, removed.notices)

            text = f"🗑️ Question #{deleted.id} and its {plural(count, 'answer')} are deleted."
            return Done(text, then)

        confirm = Confirm(
            interaction.user.id,
            Choice("Delete", "qa:confirm:delete", delete, emoji="🗑️"),
            cancel_id="qa:confirm:cancel",
            cancelled="Nothing was deleted.",
        )
        await interaction.response.send_message(
            f"Delete **{render.heading(found)}** and its {plural(count, 'answer')}? "
            "This cannot be undone.",
            view=confirm,
            ephemeral=True,
        )

    @qa_group.command(name="edit-answer", description="Edit one of your answers")
    @app_commands.describe(answer="The answer to edit (start typing its words or number)")
    @app_commands.autocomplete(answer=own_answers)
    async def edit_answer(self, interaction: Interaction, answer: Picked) -> None:
        found = await self.qa.editable_answer(
            server(interaction, WHERE), parse_ref(answer, "answer"), actor(interaction)
        )
        await interaction.response.send_modal(AnswerModal(found.question_id, found))

    @qa_group.command(name="delete-answer", description="Delete one of your answers")
    @app_commands.describe(answer="The answer to delete (start typing its words or number)")
    @app_commands.autocomplete(answer=own_answers)
    async def delete_answer(self, interaction: Interaction, answer: Picked) -> None:
        answer_id = parse_ref(answer, "answer")
        removed = await self.qa.delete_answer(
            server(interaction, WHERE), answer_id, actor(interaction)
        )
        await interaction.response.send_message(
            f"🗑️ Answer #{answer_id} is deleted.", ephemeral=True
        )
        await redraw(interaction.client, removed.question)
        notice = removed.answer.notice_message_id
        if removed.question.channel_id is not None and notice is not None:
            await delete_messages(interaction.client, [(removed.question.channel_id, notice)])

    @qa_group.command(
        name="forget-me", description="Delete or anonymise everything you wrote in Q&A"
    )
    async def forget_me(self, interaction: Interaction) -> None:
        questions, answers = await self.qa.written_by(interaction.user.id)
        votes = await self.qa.votes_by(interaction.user.id)
        saved = await self.qa.saved_by_count(interaction.user.id)
        if questions == answers == votes == saved == 0:
            await interaction.response.send_message(
                "Nexus holds no question, answer or vote of yours: there is nothing to forget.",
                ephemeral=True,
            )
            return

        def forget(mode: ForgetMode) -> Callable[[Interaction], Awaitable[Done]]:
            async def confirmed(pressed: Interaction) -> Done:
                report = await self.qa.forget(pressed.user.id, mode)

                async def then() -> None:
                    for question in report.deleted:
                        await remove_message(pressed.client, question)
                    await delete_messages(pressed.client, report.deleted_notices)
                    for question in report.changed:
                        await redraw(pressed.client, question)
                    for posted in report.changed_notices:
                        await redraw_notice(pressed.client, posted)
                    for recount in report.recounted:
                        await show_votes(pressed.client, recount)
                    if mode == "delete":
                        await self.qa.wipe_traces()

                settings = self.bot.settings
                kept = settings.backup_keep if settings.backup_dir is not None else None
                return Done(render.forget_done(report, kept), then)

            return confirmed

        confirm = Confirm(
            interaction.user.id,
            Choice("Delete everything", "qa:forget:delete", forget("delete")),
            Choice(
                "Anonymise", "qa:forget:anonymise", forget("anonymise"), discord.ButtonStyle.primary
            ),
            cancel_id="qa:forget:cancel",
            cancelled="Nothing was changed.",
        )
        await interaction.response.send_message(
            render.forget_prompt(questions, answers, votes, saved), view=confirm, ephemeral=True
        )

    # -- recognition and health (cogs/qa/recognition.py) ------------------------------------

    leaderboard = qa_group.command(
        name="leaderboard", description="Who helped most: points from accepted answers and 👍"
    )(RecognitionCommands.leaderboard)
    profile = qa_group.command(
        name="profile", description="A member's questions, answers, accepted answers and points"
    )(RecognitionCommands.profile)
    stats = qa_group.command(
        name="stats", description="This server's Q&A health: questions, answered, response times"
    )(RecognitionCommands.stats)

    # -- forum posts (cogs/qa/posts.py) ----------------------------------------------------------

    close = qa_group.command(
        name="close", description="Close your forum post: solved, a duplicate, or outdated"
    )(PostCommands.close)


async def setup(bot: Nexus) -> None:
    bot.add_dynamic_items(*DYNAMIC_ITEMS)
    await bot.add_cog(QA(bot))
    await bot.add_cog(FromChat(bot))  # the message context menus
