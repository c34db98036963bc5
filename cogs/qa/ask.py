"""Asking: the question form (/ask, and editing a question), and the similar answered questions
shown before a new question is posted.
"""

from __future__ import annotations

from typing import Any

import discord

from bot.qa import (
    DETAILS_MAX,
    TAG_MAX_CHARS,
    TITLE_MAX,
    TITLE_MIN,
    Draft,
    Question,
    QuestionHit,
    make_draft,
)
from cogs._kit.interaction import actor, server, services
from cogs._kit.ui import Form, OwnedView, in_time, respond
from cogs.qa import render
from cogs.qa.forum import update_post
from cogs.qa.question import MODAL_TIMEOUT, WHERE, post_question, redraw

Interaction = discord.Interaction[Any]
TAGS_INPUT_MAX = 5 * (TAG_MAX_CHARS + 2)


class QuestionModal(Form):
    """Asks a new question, or edits one (`question` given)."""

    def __init__(self, question: Question | None = None) -> None:
        super().__init__(
            title=f"Edit question #{question.id}" if question else "Ask the community",
            timeout=MODAL_TIMEOUT,
            again=lambda: QuestionModal(question),
        )
        self.question = question
        self.title_input = self.field(
            "qa:input:title",
            "Title: your question in one sentence",
            "How do I retry a Celery task that failed?",
            min_length=TITLE_MIN,
            max_length=TITLE_MAX,
            default=question.title if question else None,
        )
        self.details_input = self.field(
            "qa:input:details",
            "Details",
            "What you tried, what happened, what you expected. Code is welcome.",
            max_length=DETAILS_MAX,
            long=True,
            default=question.details if question else None,
        )
        tags = " ".join(question.tags) if question else None
        self.tags_input = self.field(
            "qa:input:tags",
            "Tags (optional, up to 5)",
            "django, celery, docker",
            max_length=TAGS_INPUT_MAX,
            required=False,
            default=tags,
        )

    async def on_submit(self, interaction: Interaction) -> None:
        draft = make_draft(self.title_input.value, self.details_input.value, self.tags_input.value)
        if self.question is not None:
            await self._edit(interaction, self.question, draft)
            return
        # The similar questions are the answer itself when found in time (one request, not a
        # deferral and a follow-up); posting waits on Discord, so it is deferred first.
        similar = await in_time(
            interaction,
            services(interaction).qa.similar(server(interaction, WHERE), draft),
            ephemeral=True,
        )
        if similar:
            view = SimilarView(interaction.user.id, draft, similar)
            await respond(
                interaction, embed=render.similar_embed(draft, similar), view=view, ephemeral=True
            )
            return
        if not interaction.response.is_done():
            await interaction.response.defer(ephemeral=True, thinking=True)
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
        if edited.forum_id is not None:  # its post is named and tagged as it is now
            solved = edited.accepted or edited.close_reason == "solved"
            await update_post(interaction.client, edited, solved=solved, reopen=False)
        await interaction.followup.send(f"✏️ Question #{edited.id} is updated.", ephemeral=True)


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
