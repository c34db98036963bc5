"""/spec: backend peers share API specs; frontend peers browse them and hear of every change."""

from __future__ import annotations

import io
import logging
import re
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.errors import BadInput
from bot.specs import (
    EXAMPLE_MAX,
    LABEL_MAX,
    NOTE_MAX,
    SUMMARY_MAX,
    ImportReport,
    SpecsService,
    make_manual_draft,
    parse_spec_name,
)
from cogs._kit.interaction import actor, item_label, server, services
from cogs._kit.limits import CHOICE_VALUE, MODAL_TITLE, SELECT_OPTION_LABEL, SELECT_OPTIONS
from cogs._kit.ui import Confirm, Form, SafeView, run_safely, suggestions_in_time
from cogs.specs import render

if TYPE_CHECKING:
    from bot.client import Nexus

log = logging.getLogger(__name__)

Interaction = discord.Interaction[Any]
COG_NAME = "API specs"
ID = r"\d{1,18}"  # an SQLite INTEGER (int64) holds any 18-digit number
CLEAR_CHOICES = [
    app_commands.Choice(name="the spec channel (announce where the import runs)", value="channel"),
    app_commands.Choice(name="the editor role (Manage Server only)", value="role"),
]

WHERE = "API specs"  # what lives in a server, for refusals in DMs


def choices(pairs: list[tuple[str, str]]) -> list[app_commands.Choice[str]]:
    return [app_commands.Choice(name=name, value=value) for name, value in pairs]


# -- persistent components (their custom_id carries what they act on) ------------------------


class ListPage(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=rf"spec:list:(?P<spec>{ID}):(?P<page>\d{{1,4}})",
):
    """Turns the page of an endpoint listing, in place."""

    def __init__(self, spec_id: int, page: int, label: str, *, disabled: bool = False) -> None:
        super().__init__(
            discord.ui.Button(
                label=label,
                style=discord.ButtonStyle.secondary,
                disabled=disabled,
                custom_id=f"spec:list:{spec_id}:{page}",
                row=1,
            )
        )
        self.spec_id, self.page = spec_id, page

    @classmethod
    async def from_custom_id(
        cls, interaction: Interaction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> ListPage:
        return cls(int(match["spec"]), int(match["page"]), item_label(item))

    async def callback(self, interaction: Interaction) -> None:
        await run_safely(interaction, self._turn(interaction))

    async def _turn(self, interaction: Interaction) -> None:
        embed, view = await listing_message(
            services(interaction).specs,
            server(interaction, WHERE),
            spec_id=self.spec_id,
            page=self.page,
        )
        await interaction.response.edit_message(embed=embed, view=view)


class ListTag(
    discord.ui.DynamicItem[discord.ui.Select[Any]],
    template=rf"spec:tags:(?P<spec>{ID})",
):
    """Jumps to a tag's first page of an endpoint listing."""

    def __init__(
        self, spec_id: int, tags: tuple[tuple[str, int], ...] = (), current: str = ""
    ) -> None:
        options = [
            discord.SelectOption(
                label=render.clip(tag, SELECT_OPTION_LABEL), value=str(page), default=tag == current
            )
            for tag, page in tags[:SELECT_OPTIONS]
        ] or [discord.SelectOption(label="No tags", value="1")]
        super().__init__(
            discord.ui.Select(
                placeholder="Jump to a tag",
                options=options,
                custom_id=f"spec:tags:{spec_id}",
                row=0,
            )
        )
        self.spec_id = spec_id

    @classmethod
    async def from_custom_id(
        cls, interaction: Interaction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> ListTag:
        return cls(int(match["spec"]))

    async def callback(self, interaction: Interaction) -> None:
        await run_safely(interaction, self._jump(interaction))

    async def _jump(self, interaction: Interaction) -> None:
        value = (self.item.values or ["1"])[0]
        page = int(value) if value.isdigit() else 1
        embed, view = await listing_message(
            services(interaction).specs, server(interaction, WHERE), spec_id=self.spec_id, page=page
        )
        await interaction.response.edit_message(embed=embed, view=view)


class ChangesPageButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=rf"spec:chg:(?P<spec>{ID}):(?P<older>\d{{1,6}}):(?P<newer>\d{{1,6}}):(?P<page>\d{{1,4}})",
):
    """Turns the page of a changelog, in place."""

    def __init__(
        self, spec_id: int, older: int, newer: int, page: int, label: str, *, disabled: bool = False
    ) -> None:
        super().__init__(
            discord.ui.Button(
                label=label,
                style=discord.ButtonStyle.secondary,
                disabled=disabled,
                custom_id=f"spec:chg:{spec_id}:{older}:{newer}:{page}",
            )
        )
        self.spec_id, self.older, self.newer, self.page = spec_id, older, newer, page

    @classmethod
    async def from_custom_id(
        cls, interaction: Interaction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> ChangesPageButton:
        return cls(
            int(match["spec"]),
            int(match["older"]),
            int(match["newer"]),
            int(match["page"]),
            item_label(item),
        )

    async def callback(self, interaction: Interaction) -> None:
        await run_safely(interaction, self._turn(interaction))

    async def _turn(self, interaction: Interaction) -> None:
        embed, view = await changes_message(
            services(interaction).specs,
            server(interaction, WHERE),
            spec_id=self.spec_id,
            older=str(self.older),
            newer=str(self.newer),
            page=self.page,
        )
        await interaction.response.edit_message(embed=embed, view=view)


DYNAMIC_ITEMS: tuple[type[discord.ui.DynamicItem[Any]], ...] = (
    ListPage,
    ListTag,
    ChangesPageButton,
)


# -- messages ---------------------------------------------------------------------------------


async def listing_message(
    specs: SpecsService,
    guild_id: int,
    *,
    spec_name: str | None = None,
    spec_id: int | None = None,
    tag: str | None = None,
    page: int = 1,
) -> tuple[discord.Embed, SafeView]:
    listing = await specs.listing(
        guild_id, spec_name=spec_name, spec_id=spec_id, tag=tag, page=page
    )
    view = SafeView(timeout=None)
    if len(listing.tags) > 1:
        view.add_item(ListTag(listing.spec.id, listing.tags, listing.tag))
    if listing.pages > 1:
        view.add_item(
            ListPage(listing.spec.id, listing.page - 1, "◀ Previous", disabled=listing.page == 1)
        )
        view.add_item(
            ListPage(
                listing.spec.id,
                listing.page + 1,
                "Next ▶",
                disabled=listing.page == listing.pages,
            )
        )
    return render.listing_embed(listing), view


async def changes_message(
    specs: SpecsService,
    guild_id: int,
    *,
    spec_name: str | None = None,
    spec_id: int | None = None,
    older: str | None = None,
    newer: str | None = None,
    page: int = 1,
) -> tuple[discord.Embed, SafeView]:
    changes = await specs.changes(
        guild_id, spec_name=spec_name, spec_id=spec_id, older=older, newer=newer, page=page
    )
    view = SafeView(timeout=None)
    if changes.pages > 1:
        ids = (changes.spec.id, changes.older.number, changes.newer.number)
        view.add_item(
            ChangesPageButton(*ids, changes.page - 1, "◀ Previous", disabled=changes.page == 1)
        )
        view.add_item(
            ChangesPageButton(
                *ids, changes.page + 1, "Next ▶", disabled=changes.page == changes.pages
            )
        )
    return render.changes_embed(changes), view


async def announce(interaction: Interaction, report: ImportReport) -> str | None:
    """Post the new version's summary to the spec channel (else where the import ran), then
    mention its followers under it: each notice pings exactly the members it names.

    Returns a note for the importer when the spec channel could not be used.
    """
    embed = render.announcement_embed(report, interaction.user.id)
    problem: str | None = None
    channel: Any = None
    if report.announce_channel_id is not None and interaction.guild is not None:
        channel = interaction.guild.get_channel(report.announce_channel_id)
        if not isinstance(channel, discord.TextChannel):
            problem = "the spec channel no longer exists"
            channel = None
        else:
            perms = channel.permissions_for(interaction.guild.me)
            if not (perms.send_messages and perms.embed_links):
                problem = f"I may not post embeds in {channel.mention}"
                channel = None
    message: discord.Message | None = None
    if channel is not None:
        try:
            message = await channel.send(embed=embed)
        except discord.HTTPException:
            log.warning("could not announce a spec version in the spec channel", exc_info=True)
            problem = f"posting in {channel.mention} failed"
    if message is None:
        message = await interaction.followup.send(embed=embed, wait=True)
    for content, user_ids in render.follower_notices(report):
        mentions = discord.AllowedMentions(
            everyone=False,
            roles=False,
            replied_user=False,
            users=[discord.Object(user_id) for user_id in user_ids],
        )
        try:
            if channel is not None:
                await channel.send(content, reference=message, allowed_mentions=mentions)
            else:
                await interaction.followup.send(content, allowed_mentions=mentions)
        except discord.HTTPException:
            log.warning("could not mention the followers of a spec", exc_info=True)
            problem = problem or "mentioning its followers failed"
    return problem


# -- the modal ---------------------------------------------------------------------------------


class AddEndpointModal(Form):
    """`/spec add`: one endpoint typed by hand (method, path, summary, two examples)."""

    def __init__(self, spec_name: str) -> None:
        super().__init__(
            title=render.clip(f"Add an endpoint to {spec_name}", MODAL_TITLE),
            custom_id="spec:add",
            again=lambda: AddEndpointModal(spec_name),
        )
        self.spec_name = spec_name
        self.method: discord.ui.TextInput[AddEndpointModal] = discord.ui.TextInput(
            custom_id="spec:add:method",
            label="Method",
            placeholder="GET, POST, PUT, PATCH or DELETE",
            max_length=7,
        )
        self.path: discord.ui.TextInput[AddEndpointModal] = discord.ui.TextInput(
            custom_id="spec:add:path",
            label="Path",
            placeholder="/api/v1/bookings/{id}/",
            max_length=400,
        )
        self.summary: discord.ui.TextInput[AddEndpointModal] = discord.ui.TextInput(
            custom_id="spec:add:summary",
            label="Summary",
            placeholder="What it does, in one line",
            max_length=SUMMARY_MAX,
        )
        self.request_example: discord.ui.TextInput[AddEndpointModal] = discord.ui.TextInput(
            custom_id="spec:add:request_example",
            label="Request example (optional)",
            style=discord.TextStyle.paragraph,
            placeholder='{"listing": 42, "check_in": "2026-07-10", "guests": 2}',
            required=False,
            max_length=EXAMPLE_MAX,
        )
        self.response_example: discord.ui.TextInput[AddEndpointModal] = discord.ui.TextInput(
            custom_id="spec:add:response_example",
            label="Response example (optional)",
            style=discord.TextStyle.paragraph,
            placeholder='{"id": 981, "status": "pending"}',
            required=False,
            max_length=EXAMPLE_MAX,
        )
        for item in (
            self.method,
            self.path,
            self.summary,
            self.request_example,
            self.response_example,
        ):
            self.add_item(item)

    async def on_submit(self, interaction: Interaction) -> None:
        draft = make_manual_draft(
            self.method.value,
            self.path.value,
            self.summary.value,
            self.request_example.value,
            self.response_example.value,
        )
        view = await services(interaction).specs.add_manual(
            server(interaction, WHERE), actor(interaction), self.spec_name, draft
        )
        await interaction.response.send_message(
            render.manual_saved_text(view, interaction.user.id),
            embed=render.endpoint_embed(view),
        )


# -- the cog ----------------------------------------------------------------------------------


@app_commands.guild_only()
class Specs(commands.GroupCog, name=COG_NAME, group_name="spec"):
    """Share API specs (OpenAPI), browse endpoints, and follow their changes."""

    def __init__(self, bot: Nexus) -> None:
        self.bot = bot
        super().__init__()

    @property
    def specs(self) -> SpecsService:
        """The spec service (the bot's, built once)."""
        return self.bot.services.specs

    # -- autocomplete ----------------------------------------------------------------------

    async def spec_names(
        self, interaction: Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        if interaction.guild_id is None:
            return []
        found = await suggestions_in_time(
            interaction, self.specs.suggest_specs(interaction.guild_id, current)
        )
        return choices(render.choice_names(found))

    async def endpoint_names(
        self, interaction: Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        spec = getattr(interaction.namespace, "spec", None)
        if interaction.guild_id is None or not spec:
            return []
        found = await suggestions_in_time(
            interaction, self.specs.suggest_endpoints(interaction.guild_id, str(spec), current)
        )
        return choices(render.choice_names(found))

    async def tag_names(
        self, interaction: Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        spec = getattr(interaction.namespace, "spec", None)
        if interaction.guild_id is None or not spec:
            return []
        found = await suggestions_in_time(
            interaction, self.specs.suggest_tags(interaction.guild_id, str(spec), current)
        )
        return choices(render.choice_names(found))

    async def version_names(
        self, interaction: Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        spec = getattr(interaction.namespace, "spec", None)
        if interaction.guild_id is None or not spec:
            return []
        found = await suggestions_in_time(
            interaction, self.specs.suggest_versions(interaction.guild_id, str(spec), current)
        )
        return choices(render.choice_names(found))

    # -- importing and adding --------------------------------------------------------------

    @app_commands.command(
        name="import", description="Import an OpenAPI/Swagger file (JSON or YAML) as a new version"
    )
    @app_commands.describe(
        name="The spec's name, e.g. bookings-api (a new name starts a new spec)",
        file="The OpenAPI 3.0/3.1 or Swagger 2.0 document, .json/.yaml/.yml, up to 5 MB",
        version="A label for this version (default: the document's info.version)",
    )
    async def import_(
        self,
        interaction: Interaction,
        name: app_commands.Range[str, 1, 40],
        file: discord.Attachment,
        version: app_commands.Range[str, 1, LABEL_MAX] | None = None,
    ) -> None:
        guild_id = server(interaction, WHERE)
        who = actor(interaction)
        spec_name = parse_spec_name(name)
        await self.specs.require_editor(guild_id, who)  # who may, before what is wrong with it
        self.specs.precheck(file.filename, file.size)
        await interaction.response.defer(ephemeral=True, thinking=True)
        data = await file.read()
        report = await self.specs.import_document(
            guild_id, who, spec_name, file.filename, data, version
        )
        # The importer's answer replaces the "thinking" message first: a follow-up sent
        # before it would take its place (and be ephemeral like it).
        embed = render.import_embed(report)
        await interaction.edit_original_response(embed=embed)
        problem = await announce(interaction, report)
        if problem:
            embed.add_field(
                name="📣 Announcement",
                value=f"Posted here instead of the spec channel: {problem}.",
                inline=False,
            )
            await interaction.edit_original_response(embed=embed)

    @import_.autocomplete("name")
    async def import_names(
        self, interaction: Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await self.spec_names(interaction, current)

    @app_commands.command(
        name="add", description="Type an endpoint by hand (before any OpenAPI file)"
    )
    @app_commands.describe(spec="The spec to add it to (a new name starts a new spec)")
    async def add(self, interaction: Interaction, spec: app_commands.Range[str, 1, 40]) -> None:
        guild_id = server(interaction, WHERE)
        spec_name = parse_spec_name(spec)
        await self.specs.require_editor(guild_id, actor(interaction))
        await interaction.response.send_modal(AddEndpointModal(spec_name))

    @add.autocomplete("spec")
    async def add_specs(
        self, interaction: Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await self.spec_names(interaction, current)

    # -- browsing --------------------------------------------------------------------------

    @app_commands.command(
        name="endpoint", description="Show one endpoint: parameters, bodies, notes"
    )
    @app_commands.describe(
        spec="The spec", endpoint='The endpoint, e.g. "GET /api/v1/bookings/{id}/"'
    )
    async def endpoint(
        self,
        interaction: Interaction,
        spec: app_commands.Range[str, 1, 40],
        endpoint: app_commands.Range[str, 1, 200],
    ) -> None:
        view = await self.specs.endpoint(server(interaction, WHERE), spec, endpoint)
        await interaction.response.send_message(embed=render.endpoint_embed(view))

    @endpoint.autocomplete("spec")
    async def endpoint_specs(
        self, interaction: Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await self.spec_names(interaction, current)

    @endpoint.autocomplete("endpoint")
    async def endpoint_endpoints(
        self, interaction: Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await self.endpoint_names(interaction, current)

    @app_commands.command(name="list", description="List a spec's endpoints, page by page, by tag")
    @app_commands.describe(spec="The spec", tag="Start at this tag")
    async def list_(
        self,
        interaction: Interaction,
        spec: app_commands.Range[str, 1, 40],
        tag: app_commands.Range[str, 1, CHOICE_VALUE] | None = None,
    ) -> None:
        embed, view = await listing_message(
            self.specs, server(interaction, WHERE), spec_name=spec, tag=tag
        )
        await interaction.response.send_message(embed=embed, view=view)

    @list_.autocomplete("spec")
    async def list_specs(
        self, interaction: Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await self.spec_names(interaction, current)

    @list_.autocomplete("tag")
    async def list_tags(
        self, interaction: Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await self.tag_names(interaction, current)

    @app_commands.command(name="note", description="Attach a note to an endpoint for your peers")
    @app_commands.describe(
        spec="The spec",
        endpoint="The endpoint",
        text='What peers should know, e.g. "404 when the listing is archived"',
    )
    async def note(
        self,
        interaction: Interaction,
        spec: app_commands.Range[str, 1, 40],
        endpoint: app_commands.Range[str, 1, 200],
        text: app_commands.Range[str, 1, NOTE_MAX],
    ) -> None:
        view = await self.specs.add_note(
            server(interaction, WHERE), actor(interaction), spec, endpoint, text
        )
        await interaction.response.send_message(
            f"📝 Note added to {render.code(view.key, 150)} in **{view.spec.name}**.",
            embed=render.endpoint_embed(view),
        )

    @note.autocomplete("spec")
    async def note_specs(
        self, interaction: Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await self.spec_names(interaction, current)

    @note.autocomplete("endpoint")
    async def note_endpoints(
        self, interaction: Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await self.endpoint_names(interaction, current)

    # -- versions --------------------------------------------------------------------------

    @app_commands.command(name="changes", description="What changed between two versions of a spec")
    @app_commands.describe(
        spec="The spec",
        older="The older version (default: the one before `to`)",
        newer="The newer version (default: the latest)",
    )
    @app_commands.rename(older="from", newer="to")
    async def changes(
        self,
        interaction: Interaction,
        spec: app_commands.Range[str, 1, 40],
        older: app_commands.Range[str, 1, 64] | None = None,
        newer: app_commands.Range[str, 1, 64] | None = None,
    ) -> None:
        embed, view = await changes_message(
            self.specs, server(interaction, WHERE), spec_name=spec, older=older, newer=newer
        )
        await interaction.response.send_message(embed=embed, view=view)

    @changes.autocomplete("spec")
    async def changes_specs(
        self, interaction: Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await self.spec_names(interaction, current)

    @changes.autocomplete("older")
    async def changes_older(
        self, interaction: Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await self.version_names(interaction, current)

    @changes.autocomplete("newer")
    async def changes_newer(
        self, interaction: Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await self.version_names(interaction, current)

    @app_commands.command(name="export", description="Download the document of a spec version")
    @app_commands.describe(spec="The spec", version="The version (default: the latest)")
    async def export(
        self,
        interaction: Interaction,
        spec: app_commands.Range[str, 1, 40],
        version: app_commands.Range[str, 1, 64] | None = None,
    ) -> None:
        exported = await self.specs.export(server(interaction, WHERE), spec, version)
        await interaction.response.send_message(
            f"📦 **{spec.strip().lower()}** version `{exported.version.label}` "
            f"(#{exported.version.number}), as it was imported.",
            file=discord.File(io.BytesIO(exported.data), filename=exported.filename),
            ephemeral=True,
        )

    @export.autocomplete("spec")
    async def export_specs(
        self, interaction: Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await self.spec_names(interaction, current)

    @export.autocomplete("version")
    async def export_versions(
        self, interaction: Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await self.version_names(interaction, current)

    # -- following -------------------------------------------------------------------------

    @app_commands.command(
        name="follow", description="Be mentioned when a new version changes what you use"
    )
    @app_commands.describe(
        spec="The spec (alone: follow every change)",
        tag="Only changes to endpoints with this tag",
        endpoint="Only changes to this endpoint",
    )
    async def follow(
        self,
        interaction: Interaction,
        spec: app_commands.Range[str, 1, 40],
        tag: app_commands.Range[str, 1, CHOICE_VALUE] | None = None,
        endpoint: app_commands.Range[str, 1, 200] | None = None,
    ) -> None:
        result = await self.specs.follow(
            server(interaction, WHERE), interaction.user.id, spec, tag=tag, endpoint=endpoint
        )
        await interaction.response.send_message(
            render.follows_text(result, followed=result.changed), ephemeral=True
        )

    @follow.autocomplete("spec")
    async def follow_specs(
        self, interaction: Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await self.spec_names(interaction, current)

    @follow.autocomplete("tag")
    async def follow_tags(
        self, interaction: Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await self.tag_names(interaction, current)

    @follow.autocomplete("endpoint")
    async def follow_endpoints(
        self, interaction: Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await self.endpoint_names(interaction, current)

    @app_commands.command(name="unfollow", description="Stop being mentioned about a spec")
    @app_commands.describe(
        spec="The spec",
        tag="Stop following this tag",
        endpoint="Stop following this endpoint",
        everything="Stop following anything in this spec",
    )
    async def unfollow(
        self,
        interaction: Interaction,
        spec: app_commands.Range[str, 1, 40],
        tag: app_commands.Range[str, 1, CHOICE_VALUE] | None = None,
        endpoint: app_commands.Range[str, 1, 200] | None = None,
        everything: bool = False,
    ) -> None:
        result = await self.specs.unfollow(
            server(interaction, WHERE),
            interaction.user.id,
            spec,
            tag=tag,
            endpoint=endpoint,
            everything=everything,
        )
        await interaction.response.send_message(
            render.follows_text(result, followed=None), ephemeral=True
        )

    @unfollow.autocomplete("spec")
    async def unfollow_specs(
        self, interaction: Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await self.spec_names(interaction, current)

    @unfollow.autocomplete("tag")
    async def unfollow_tags(
        self, interaction: Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await self.tag_names(interaction, current)

    @unfollow.autocomplete("endpoint")
    async def unfollow_endpoints(
        self, interaction: Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await self.endpoint_names(interaction, current)

    # -- deleting --------------------------------------------------------------------------

    @app_commands.command(
        name="delete", description="Delete a spec with all its versions, notes and follows"
    )
    @app_commands.describe(spec="The spec to delete (editors and Manage Server only)")
    async def delete(self, interaction: Interaction, spec: app_commands.Range[str, 1, 40]) -> None:
        contents = await self.specs.contents(server(interaction, WHERE), actor(interaction), spec)

        async def delete(pressed: Interaction) -> str:
            removed = await self.specs.delete_spec(
                server(pressed, WHERE), actor(pressed), contents.name
            )
            log.info("spec %s deleted by %s", removed.name, pressed.user.id)
            return render.deleted_text(removed)

        confirm = Confirm(
            interaction.user.id,
            label="Delete the spec",
            custom_id="spec:delete",
            action=delete,
            cancelled="Nothing was deleted.",
        )
        await interaction.response.send_message(
            render.delete_prompt(contents), view=confirm, ephemeral=True
        )

    @delete.autocomplete("spec")
    async def delete_specs(
        self, interaction: Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await self.spec_names(interaction, current)

    @app_commands.command(
        name="forget-me", description="Delete your notes and follows on API specs"
    )
    async def forget_me(self, interaction: Interaction) -> None:
        data = await self.specs.written_by(interaction.user.id)
        if data.notes == data.follows == 0:
            await interaction.response.send_message(
                "You have no notes and follow nothing in API specs: there is nothing to forget.",
                ephemeral=True,
            )
            return

        async def forget(pressed: Interaction) -> str:
            return render.forgotten_text(await self.specs.forget(pressed.user.id))

        confirm = Confirm(
            interaction.user.id,
            label="Forget me",
            custom_id="spec:forget",
            action=forget,
            cancelled="Nothing was changed.",
        )
        await interaction.response.send_message(
            render.forget_prompt(data), view=confirm, ephemeral=True
        )

    # -- settings --------------------------------------------------------------------------

    @app_commands.command(
        name="setup", description="Where new versions are announced, and who may import"
    )
    @app_commands.describe(
        channel="Announce new versions here",
        role="Members with this role may import and add endpoints",
        clear="Reset a setting",
    )
    @app_commands.choices(clear=CLEAR_CHOICES)
    async def setup(
        self,
        interaction: Interaction,
        channel: discord.TextChannel | None = None,
        role: discord.Role | None = None,
        clear: app_commands.Choice[str] | None = None,
    ) -> None:
        guild_id = server(interaction, WHERE)
        who = actor(interaction)
        if channel is None and role is None and clear is None:
            settings = await self.specs.settings(guild_id)
            await interaction.response.send_message(render.settings_text(settings), ephemeral=True)
            return
        if channel is not None and who.can_manage:
            perms = channel.permissions_for(channel.guild.me)
            if not (perms.send_messages and perms.embed_links):
                raise BadInput(
                    f"I may not post embeds in {channel.mention}: give me **Send Messages** "
                    "and **Embed Links** there, then try again."
                )
        if role is not None and role.is_default():
            raise BadInput(
                "Pick a role, not @everyone (leave it unset to allow Manage Server only)."
            )
        settings = await self.specs.configure(
            guild_id,
            who,
            channel_id=channel.id if channel else None,
            role_id=role.id if role else None,
            clear_channel=clear is not None and clear.value == "channel",
            clear_role=clear is not None and clear.value == "role",
        )
        await interaction.response.send_message(
            "✅ Saved.\n" + render.settings_text(settings),
            ephemeral=True,
        )


async def setup(bot: Nexus) -> None:
    bot.add_dynamic_items(*DYNAMIC_ITEMS)
    await bot.add_cog(Specs(bot))
