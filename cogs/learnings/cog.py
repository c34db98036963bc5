"""/concept, /challenge, /tips and /search: the learnings, answered from the knowledge base."""

from __future__ import annotations

import asyncio
import random
import re
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.errors import NotFound
from bot.learnings import Found, LearningsService, Suggestions
from bot.learnings.model import TOPICS, Learning
from bot.qa import QaService, QuestionHit
from cogs._kit.interaction import item_label, services
from cogs._kit.limits import (
    CHOICE_NAME,
    CHOICE_VALUE,
    CHOICES,
    SELECT_OPTION_DESCRIPTION,
    SELECT_OPTION_LABEL,
    SELECT_OPTIONS,
)
from cogs._kit.ui import SafeView, in_time, respond, run_safely, sanitize_label
from cogs.learnings import render

if TYPE_CHECKING:
    from bot.client import Nexus

Interaction = discord.Interaction[Any]
SLUG = r"[a-z0-9](?:[a-z0-9-]{0,58}[a-z0-9])?"
KIND_CODES = {"a": None, "c": "concept", "h": "challenge", "t": "tip"}
CODE_FOR_KIND = {v: k for k, v in KIND_CODES.items()}
SEARCH_QUERY_MAX = 80
TOPIC_CHOICES = [app_commands.Choice(name=name, value=slug) for slug, name in TOPICS.items()]
KIND_CHOICES = [
    app_commands.Choice(name="Everything", value="a"),
    app_commands.Choice(name="Concepts", value="c"),
    app_commands.Choice(name="Challenges", value="h"),
    app_commands.Choice(name="Tips", value="t"),
]


# -- persistent components (their custom_id carries what they act on) ------------------------


class OpenEntry(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=rf"learn:open:(?P<mode>[pe]):(?P<slug>{SLUG})",
):
    """Opens an entry: publicly (a pick from "Did you mean") or just for the clicker (related)."""

    def __init__(self, entry: Learning, *, public: bool) -> None:
        emoji = render.KIND_STYLE.get(entry.kind, ("📄",))[0]
        super().__init__(
            discord.ui.Button(
                label=sanitize_label(entry.title),
                emoji=emoji,
                style=discord.ButtonStyle.primary if public else discord.ButtonStyle.secondary,
                custom_id=f"learn:open:{'p' if public else 'e'}:{entry.slug}",
            )
        )
        self.slug = entry.slug
        self.public = public

    @classmethod
    async def from_custom_id(
        cls, interaction: Interaction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> OpenEntry:
        entry = services(interaction).learnings.get(match["slug"])
        if entry is None:
            entry = Learning(
                match["slug"], "concept", item_label(item) or match["slug"], "", "", ""
            )
        return cls(entry, public=match["mode"] == "p")

    async def callback(self, interaction: Interaction) -> None:
        await run_safely(interaction, self._open(interaction))

    async def _open(self, interaction: Interaction) -> None:
        entry = services(interaction).learnings.get(self.slug)
        if entry is None:
            raise NotFound("That entry was removed from the knowledge base.")
        embed, view = entry_message(services(interaction).learnings, entry, 1)
        await interaction.response.send_message(embed=embed, view=view, ephemeral=not self.public)


class EntryPage(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=rf"learn:page:(?P<slug>{SLUG}):(?P<page>\d{{1,2}})",
):
    """Turns the page of a long entry, in place."""

    def __init__(self, slug: str, page: int, label: str, *, disabled: bool = False) -> None:
        super().__init__(
            discord.ui.Button(
                label=label,
                style=discord.ButtonStyle.secondary,
                disabled=disabled,
                custom_id=f"learn:page:{slug}:{page}",
                row=0,
            )
        )
        self.slug, self.page = slug, page

    @classmethod
    async def from_custom_id(
        cls, interaction: Interaction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> EntryPage:
        return cls(match["slug"], int(match["page"]), item_label(item) or "")

    async def callback(self, interaction: Interaction) -> None:
        await run_safely(interaction, self._turn(interaction))

    async def _turn(self, interaction: Interaction) -> None:
        entry = services(interaction).learnings.get(self.slug)
        if entry is None:
            raise NotFound("That entry was removed from the knowledge base.")
        embed, view = entry_message(services(interaction).learnings, entry, self.page)
        await interaction.response.edit_message(embed=embed, view=view)


class IndexPage(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"learn:index:(?P<kind>concept|challenge|tip):(?P<topic>[a-z]+):(?P<page>\d{1,3})",
):
    """Turns the page of a browsable index."""

    def __init__(
        self, kind: str, topic: str, page: int, label: str, *, disabled: bool = False
    ) -> None:
        super().__init__(
            discord.ui.Button(
                label=label,
                style=discord.ButtonStyle.secondary,
                disabled=disabled,
                custom_id=f"learn:index:{kind}:{topic}:{page}",
                row=1,
            )
        )
        self.kind, self.topic, self.page = kind, topic, page

    @classmethod
    async def from_custom_id(
        cls, interaction: Interaction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> IndexPage:
        return cls(match["kind"], match["topic"], int(match["page"]), item_label(item) or "")

    async def callback(self, interaction: Interaction) -> None:
        await run_safely(interaction, self._turn(interaction))

    async def _turn(self, interaction: Interaction) -> None:
        topic = None if self.topic == "all" else self.topic
        embed, view = index_message(services(interaction).learnings, self.kind, topic, self.page)
        await interaction.response.edit_message(embed=embed, view=view)


class IndexTopic(
    discord.ui.DynamicItem[discord.ui.Select[Any]],
    template=r"learn:topic:(?P<kind>concept|challenge|tip)",
):
    """Chooses the topic of a browsable index."""

    def __init__(self, kind: str, topics: list[str], current: str | None) -> None:
        options = [discord.SelectOption(label="All topics", value="all", default=current is None)]
        options += [
            discord.SelectOption(label=TOPICS[t], value=t, default=t == current) for t in topics
        ]
        super().__init__(
            discord.ui.Select(
                placeholder="Choose a topic",
                options=options[:SELECT_OPTIONS],
                custom_id=f"learn:topic:{kind}",
                row=0,
            )
        )
        self.kind = kind

    @classmethod
    async def from_custom_id(
        cls, interaction: Interaction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> IndexTopic:
        return cls(match["kind"], services(interaction).learnings.topics(match["kind"]), None)

    async def callback(self, interaction: Interaction) -> None:
        await run_safely(interaction, self._choose(interaction))

    async def _choose(self, interaction: Interaction) -> None:
        value = (self.item.values or ["all"])[0]
        topic = None if value == "all" or value not in TOPICS else value
        embed, view = index_message(services(interaction).learnings, self.kind, topic, 1)
        await interaction.response.edit_message(embed=embed, view=view)


class AnotherTip(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"tips:next:(?P<topic>[a-z]+):(?P<seed>\d{1,10}):(?P<pos>\d{1,4})",
):
    """Shows the next tip of a shuffled round: none repeats until the topic is exhausted."""

    def __init__(self, topic: str, seed: int, pos: int) -> None:
        super().__init__(
            discord.ui.Button(
                label="Another tip",
                emoji="💡",
                style=discord.ButtonStyle.success,
                custom_id=f"tips:next:{topic}:{seed}:{pos}",
            )
        )
        self.topic, self.seed, self.pos = topic, seed, pos

    @classmethod
    async def from_custom_id(
        cls, interaction: Interaction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> AnotherTip:
        return cls(match["topic"], int(match["seed"]), int(match["pos"]))

    async def callback(self, interaction: Interaction) -> None:
        await run_safely(interaction, self._next(interaction))

    async def _next(self, interaction: Interaction) -> None:
        embed, view = tip_message(services(interaction).learnings, self.topic, self.seed, self.pos)
        await interaction.response.edit_message(embed=embed, view=view)


class SearchPageButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"search:(?P<kind>[acht]):(?P<page>\d{1,3}):(?P<query>.+)",
):
    """Turns the page of search results; the query travels in the custom_id."""

    def __init__(
        self, kind: str, page: int, query: str, label: str, *, disabled: bool = False
    ) -> None:
        super().__init__(
            discord.ui.Button(
                label=label,
                style=discord.ButtonStyle.secondary,
                disabled=disabled,
                custom_id=f"search:{kind}:{page}:{query}",
                row=1,
            )
        )
        self.kind, self.page, self.query = kind, page, query

    @classmethod
    async def from_custom_id(
        cls, interaction: Interaction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> SearchPageButton:
        return cls(match["kind"], int(match["page"]), match["query"], item_label(item) or "")

    async def callback(self, interaction: Interaction) -> None:
        await run_safely(interaction, self._turn(interaction))

    async def _turn(self, interaction: Interaction) -> None:
        embed, view = await search_message(
            services(interaction).learnings,
            self.query,
            self.kind,
            self.page,
            services(interaction).qa,
            interaction.guild_id,
        )
        await interaction.response.edit_message(embed=embed, view=view)


class OpenSearchResult(discord.ui.DynamicItem[discord.ui.Select[Any]], template=r"search:open"):
    """Opens one of the results on the page, publicly."""

    def __init__(self, hits: list[Learning] | None = None) -> None:
        options = [
            discord.SelectOption(
                label=sanitize_label(h.title, SELECT_OPTION_LABEL),
                value=h.slug,
                emoji=render.KIND_STYLE.get(h.kind, ("📄",))[0],
                description=sanitize_label(h.summary, SELECT_OPTION_DESCRIPTION),
            )
            for h in (hits or [])
        ] or [discord.SelectOption(label="No results", value="none")]
        super().__init__(
            discord.ui.Select(
                placeholder="Open a result", options=options, custom_id="search:open", row=0
            )
        )

    @classmethod
    async def from_custom_id(
        cls, interaction: Interaction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> OpenSearchResult:
        return cls()

    async def callback(self, interaction: Interaction) -> None:
        await run_safely(interaction, self._open(interaction))

    async def _open(self, interaction: Interaction) -> None:
        slug = (self.item.values or [""])[0]
        entry = services(interaction).learnings.get(slug)
        if entry is None:
            raise NotFound("That entry was removed from the knowledge base.")
        embed, view = entry_message(services(interaction).learnings, entry, 1)
        await interaction.response.send_message(embed=embed, view=view)


DYNAMIC_ITEMS: tuple[type[discord.ui.DynamicItem[Any]], ...] = (
    OpenEntry,
    EntryPage,
    IndexPage,
    IndexTopic,
    AnotherTip,
    SearchPageButton,
    OpenSearchResult,
)


# -- messages ---------------------------------------------------------------------------------


def entry_message(
    learnings: LearningsService, entry: Learning, page: int
) -> tuple[discord.Embed, SafeView]:
    """An entry's page with its pager and its related entries as buttons."""
    pages = render.entry_pages(entry)
    page = min(max(page, 1), len(pages))
    view = SafeView(timeout=None)
    if len(pages) > 1:
        view.add_item(EntryPage(entry.slug, page - 1, "◀ Previous", disabled=page == 1))
        view.add_item(EntryPage(entry.slug, page + 1, "Next ▶", disabled=page == len(pages)))
    for number, related in enumerate(learnings.related(entry)[:10]):
        button = OpenEntry(related, public=False)
        button.item.row = 1 + number // 5
        view.add_item(button)
    return pages[page - 1], view


def suggestions_message(result: Suggestions) -> tuple[discord.Embed, SafeView]:
    view = SafeView(timeout=None)
    for candidate in result.candidates:
        view.add_item(OpenEntry(candidate, public=True))
    return render.did_you_mean(result.query, result.candidates, result.elsewhere), view


def index_message(
    learnings: LearningsService, kind: str, topic: str | None, page: int
) -> tuple[discord.Embed, SafeView]:
    index = learnings.index(kind, topic, page)
    view = SafeView(timeout=None)
    view.add_item(IndexTopic(kind, learnings.topics(kind), topic))
    if index.pages > 1:
        code = topic or "all"
        view.add_item(IndexPage(kind, code, index.page - 1, "◀ Previous", disabled=index.page == 1))
        view.add_item(
            IndexPage(kind, code, index.page + 1, "Next ▶", disabled=index.page == index.pages)
        )
    return render.index_page(index), view


def tip_message(
    learnings: LearningsService, topic: str, seed: int, pos: int
) -> tuple[discord.Embed, SafeView]:
    """The tip at `pos` of the round shuffled by `seed`; a new round starts when one ends."""
    order = learnings.rotation("tip", None if topic == "all" else topic, seed)
    if not order:
        raise NotFound("There are no tips on that topic yet.")
    if pos >= len(order):
        seed, pos = random.Random(seed).randrange(1, 2**31), 0  # noqa: S311 - not security
        order = learnings.rotation("tip", None if topic == "all" else topic, seed)
    embed = render.entry_pages(order[pos])[0]
    embed.set_footer(text=f"{embed.footer.text} · tip {pos + 1} of {len(order)}")
    view = SafeView(timeout=None)
    view.add_item(AnotherTip(topic, seed, pos + 1))
    for related in learnings.related(order[pos])[:4]:
        view.add_item(OpenEntry(related, public=False))
    return embed, view


async def search_message(
    learnings: LearningsService,
    query: str,
    kind_code: str,
    page: int,
    qa: QaService | None = None,
    guild_id: int | None = None,
) -> tuple[discord.Embed, SafeView]:
    """Learnings found; searching everything in a server also shows its answered questions."""
    kind = KIND_CODES.get(kind_code)
    kinds = [kind] if kind else None
    questions: list[QuestionHit] = []
    if qa is None or guild_id is None or kind is not None:
        result = await learnings.search(query, page=page, kinds=kinds)
    elif page == 1:
        # Independent reads, asked together: under load each waits for a database
        # connection, and one after the other /search would wait twice.
        matched = asyncio.ensure_future(qa.answered_matches(guild_id, query))
        try:
            result = await learnings.search(query, page=page, kinds=kinds)
        except BaseException:
            matched.cancel()
            matched.add_done_callback(lambda task: task.cancelled() or task.exception())
            raise
        questions = await matched
    else:
        result = await learnings.search(query, page=page, kinds=kinds)
        if result.page == 1:  # the page asked for is past the last one
            questions = await qa.answered_matches(guild_id, query)
    view = SafeView(timeout=None)
    hits = [e for h in result.hits if (e := learnings.get(h.slug)) is not None]
    if hits:
        view.add_item(OpenSearchResult(hits))
    if result.pages > 1:
        view.add_item(
            SearchPageButton(
                kind_code, result.page - 1, result.query, "◀ Previous", disabled=result.page == 1
            )
        )
        view.add_item(
            SearchPageButton(
                kind_code,
                result.page + 1,
                result.query,
                "Next ▶",
                disabled=result.page == result.pages,
            )
        )
    return render.search_results(result, questions), view


def choices_for(entries: list[Learning]) -> list[app_commands.Choice[str]]:
    return [
        app_commands.Choice(name=sanitize_label(e.title, CHOICE_NAME), value=e.slug)
        for e in entries[:CHOICES]
    ]


# -- the cog ----------------------------------------------------------------------------------


class Learnings(commands.Cog):
    """Backend concepts, challenges and tips from the community's knowledge base."""

    def __init__(self, bot: Nexus) -> None:
        self.bot = bot

    @property
    def learnings(self) -> LearningsService:
        """The knowledge base (the bot's, built once)."""
        return self.bot.services.learnings

    async def _answer(self, interaction: Interaction, query: str, kind: str) -> None:
        result = self.learnings.lookup(query, kind)
        if isinstance(result, Found):
            embed, view = entry_message(self.learnings, result.entry, 1)
            await interaction.response.send_message(embed=embed, view=view)
        elif isinstance(result, Suggestions):
            embed, view = suggestions_message(result)
            await interaction.response.send_message(embed=embed, view=view, ephemeral=True)
        else:
            await interaction.response.send_message(render.not_found(query, kind), ephemeral=True)

    @app_commands.command(
        name="concept", description="Explain a backend concept, e.g. jwt, n+1, celery beat"
    )
    @app_commands.describe(name="The concept to explain; leave empty to browse them all by topic")
    async def concept(
        self, interaction: Interaction, name: app_commands.Range[str, 1, CHOICE_VALUE] | None = None
    ) -> None:
        if name is None:
            embed, view = index_message(self.learnings, "concept", None, 1)
            await interaction.response.send_message(embed=embed, view=view)
            return
        await self._answer(interaction, name, "concept")

    @concept.autocomplete("name")
    async def concept_names(
        self, interaction: Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return choices_for(self.learnings.suggest(current, "concept"))

    @app_commands.command(
        name="challenge", description="A challenge learners met, and how they solved it"
    )
    @app_commands.describe(
        name="The challenge to show; leave empty for a random one",
        topic="Pick a random challenge from this topic",
    )
    @app_commands.choices(topic=TOPIC_CHOICES)
    async def challenge(
        self,
        interaction: Interaction,
        name: app_commands.Range[str, 1, CHOICE_VALUE] | None = None,
        topic: app_commands.Choice[str] | None = None,
    ) -> None:
        if name is not None:
            await self._answer(interaction, name, "challenge")
            return
        entry = self.learnings.pick("challenge", topic.value if topic else None)
        if entry is None:
            raise NotFound(
                f"There is no challenge about {topic.name if topic else 'anything'} yet."
            )
        embed, view = entry_message(self.learnings, entry, 1)
        await interaction.response.send_message(embed=embed, view=view)

    @challenge.autocomplete("name")
    async def challenge_names(
        self, interaction: Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return choices_for(self.learnings.suggest(current, "challenge"))

    @app_commands.command(
        name="tips", description="A best-practice tip, with another one a click away"
    )
    @app_commands.describe(topic="Only tips about this topic")
    @app_commands.choices(topic=TOPIC_CHOICES)
    async def tips(
        self, interaction: Interaction, topic: app_commands.Choice[str] | None = None
    ) -> None:
        code = topic.value if topic else "all"
        if not self.learnings.all("tip", None if code == "all" else code):
            raise NotFound(f"There are no tips about {topic.name if topic else 'anything'} yet.")
        seed = random.randrange(1, 2**31)  # noqa: S311 - shuffling tips, not security
        embed, view = tip_message(self.learnings, code, seed, 0)
        await interaction.response.send_message(embed=embed, view=view)

    @app_commands.command(name="search", description="Search every concept, challenge and tip")
    @app_commands.describe(
        query="Words to look for, e.g. celery retries", kind="Only this kind of learning"
    )
    @app_commands.choices(kind=KIND_CHOICES)
    async def search(
        self,
        interaction: Interaction,
        query: app_commands.Range[str, 1, SEARCH_QUERY_MAX],
        kind: app_commands.Choice[str] | None = None,
    ) -> None:
        query = " ".join(query.split())
        found = search_message(
            self.learnings,
            query,
            kind.value if kind else "a",
            1,
            self.bot.services.qa,
            interaction.guild_id,
        )
        embed, view = await in_time(interaction, found)
        await respond(interaction, embed=embed, view=view)


async def setup(bot: Nexus) -> None:
    bot.add_dynamic_items(*DYNAMIC_ITEMS)
    await bot.add_cog(Learnings(bot))
