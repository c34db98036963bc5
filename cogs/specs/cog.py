"""/spec: backend peers share API specs; frontend peers browse them and hear of every change."""

from __future__ import annotations

import io
import logging
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.errors import BadInput
from bot.specs import (
    LABEL_MAX,
    NOTE_MAX,
    SPEC_NAME_MAX,
    SpecsService,
    parse_spec_name,
)
from cogs._kit.interaction import Picked, actor, server
from cogs._kit.ui import Choice, Confirm, Done, in_time, respond
from cogs.specs import render
from cogs.specs.announce import announce
from cogs.specs.autocomplete import endpoint_names, spec_names, tag_names, version_names
from cogs.specs.endpoint import endpoint_embed
from cogs.specs.kit import CodeButton, kit_buttons
from cogs.specs.views import (
    DYNAMIC_ITEMS,
    WHERE,
    AddEndpointModal,
    changes_message,
    listing_message,
)

if TYPE_CHECKING:
    from bot.client import Nexus

log = logging.getLogger(__name__)

Interaction = discord.Interaction[Any]
COG_NAME = "API specs"
SpecName = app_commands.Range[str, 1, SPEC_NAME_MAX]  # what the spec name rule allows
# An endpoint as a member types it ("GET /api/v1/bookings/{id}/"), a version as they name it
# (its number, `#3`, `v3`, or its label): anything longer names nothing.
TypedEndpoint = app_commands.Range[str, 1, 200]
TypedVersion = app_commands.Range[str, 1, 64]
EXPORT_FORMATS = [
    app_commands.Choice(name="the document, as imported", value="document"),
    app_commands.Choice(name="TypeScript types (one .ts module)", value="typescript"),
]
CLEAR_CHOICES = [
    app_commands.Choice(name="the spec channel (announce where the import runs)", value="channel"),
    app_commands.Choice(name="the editor role (Manage Server only)", value="role"),
]


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

    # -- importing and adding --------------------------------------------------------------

    @app_commands.command(
        name="import", description="Import an OpenAPI/Swagger file (JSON or YAML) as a new version"
    )
    @app_commands.describe(
        name="The spec's name, e.g. bookings-api (a new name starts a new spec)",
        file="The OpenAPI 3.0/3.1 or Swagger 2.0 document, .json/.yaml/.yml, up to 5 MB",
        version="A label for this version (default: the document's info.version)",
    )
    @app_commands.autocomplete(name=spec_names)
    async def import_(
        self,
        interaction: Interaction,
        name: SpecName,
        file: discord.Attachment,
        version: app_commands.Range[str, 1, LABEL_MAX] | None = None,
    ) -> None:
        guild_id = server(interaction, WHERE)
        who = actor(interaction)
        spec_name = parse_spec_name(name)
        await self.specs.require_editor(guild_id, who)  # who may, before what is wrong with it
        await interaction.response.defer(ephemeral=True, thinking=True)
        self.specs.precheck(file.filename, file.size)
        data = await file.read()
        report = await self.specs.import_document(
            guild_id, who, spec_name, file.filename, data, version
        )
        if self.bot.metrics is not None:
            self.bot.metrics.spec_imported(report.analyse_seconds, report.store_seconds)
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

    @app_commands.command(
        name="add", description="Type an endpoint by hand (before any OpenAPI file)"
    )
    @app_commands.describe(spec="The spec to add it to (a new name starts a new spec)")
    @app_commands.autocomplete(spec=spec_names)
    async def add(self, interaction: Interaction, spec: SpecName) -> None:
        guild_id = server(interaction, WHERE)
        spec_name = parse_spec_name(spec)
        await self.specs.require_editor(guild_id, actor(interaction))
        await interaction.response.send_modal(AddEndpointModal(spec_name))

    # -- browsing --------------------------------------------------------------------------

    @app_commands.command(
        name="endpoint", description="Show one endpoint: parameters, bodies, notes"
    )
    @app_commands.describe(
        spec="The spec", endpoint='The endpoint, e.g. "GET /api/v1/bookings/{id}/"'
    )
    @app_commands.autocomplete(spec=spec_names, endpoint=endpoint_names)
    async def endpoint(
        self,
        interaction: Interaction,
        spec: SpecName,
        endpoint: TypedEndpoint,
    ) -> None:
        view = await self.specs.endpoint(server(interaction, WHERE), spec, endpoint)
        buttons = kit_buttons(view)
        if buttons is None:  # typed by hand: no schema to write code from
            await interaction.response.send_message(embed=endpoint_embed(view))
        else:
            await interaction.response.send_message(embed=endpoint_embed(view), view=buttons)

    @app_commands.command(name="list", description="List a spec's endpoints, page by page, by tag")
    @app_commands.describe(spec="The spec", tag="Start at this tag")
    @app_commands.autocomplete(spec=spec_names, tag=tag_names)
    async def list_(
        self,
        interaction: Interaction,
        spec: SpecName,
        tag: Picked | None = None,
    ) -> None:
        found = self.specs.listing(server(interaction, WHERE), spec_name=spec, tag=tag)
        embed, view = listing_message(await in_time(interaction, found))
        await respond(interaction, embed=embed, view=view)

    @app_commands.command(name="note", description="Attach a note to an endpoint for your peers")
    @app_commands.describe(
        spec="The spec",
        endpoint="The endpoint",
        text='What peers should know, e.g. "404 when the listing is archived"',
    )
    @app_commands.autocomplete(spec=spec_names, endpoint=endpoint_names)
    async def note(
        self,
        interaction: Interaction,
        spec: SpecName,
        endpoint: TypedEndpoint,
        text: app_commands.Range[str, 1, NOTE_MAX],
    ) -> None:
        view = await self.specs.add_note(
            server(interaction, WHERE), actor(interaction), spec, endpoint, text
        )
        await interaction.response.send_message(
            f"📝 Note added to {render.code(view.key, 150)} in **{view.spec.name}**.",
            embed=endpoint_embed(view),
        )

    # -- versions --------------------------------------------------------------------------

    @app_commands.command(name="changes", description="What changed between two versions of a spec")
    @app_commands.describe(
        spec="The spec",
        older="The older version (default: the one before `to`)",
        newer="The newer version (default: the latest)",
    )
    @app_commands.rename(older="from", newer="to")
    @app_commands.autocomplete(spec=spec_names, older=version_names, newer=version_names)
    async def changes(
        self,
        interaction: Interaction,
        spec: SpecName,
        older: TypedVersion | None = None,
        newer: TypedVersion | None = None,
    ) -> None:
        guild_id = server(interaction, WHERE)
        found = self.specs.changes(guild_id, spec_name=spec, older=older, newer=newer)
        embed, view = changes_message(await in_time(interaction, found))
        await respond(interaction, embed=embed, view=view)

    @app_commands.command(
        name="export", description="Download a spec version: its document, or its TypeScript"
    )
    @app_commands.describe(
        spec="The spec",
        version="The version (default: the latest)",
        format="The document as imported (default), or one TypeScript module of its types",
    )
    @app_commands.choices(format=EXPORT_FORMATS)
    @app_commands.autocomplete(spec=spec_names, version=version_names)
    async def export(
        self,
        interaction: Interaction,
        spec: SpecName,
        version: TypedVersion | None = None,
        format: app_commands.Choice[str] | None = None,
    ) -> None:
        guild_id = server(interaction, WHERE)
        if format is not None and format.value == "typescript":
            written = self.specs.export_typescript(guild_id, spec, version)
            exported = await in_time(interaction, written, ephemeral=True)
            what = (
                "as TypeScript types (requests without readOnly fields, responses without "
                "writeOnly ones)"
            )
        else:
            exported = await self.specs.export(guild_id, spec, version)
            what = "as it was imported"
        await respond(
            interaction,
            content=f"📦 **{spec.strip().lower()}** version `{exported.version.label}` "
            f"(#{exported.version.number}), {what}.",
            file=discord.File(io.BytesIO(exported.data), filename=exported.filename),
            ephemeral=True,
        )

    # -- following -------------------------------------------------------------------------

    @app_commands.command(
        name="follow", description="Be mentioned when a new version changes what you use"
    )
    @app_commands.describe(
        spec="The spec (alone: follow every change)",
        tag="Only changes to endpoints with this tag",
        endpoint="Only changes to this endpoint",
    )
    @app_commands.autocomplete(spec=spec_names, tag=tag_names, endpoint=endpoint_names)
    async def follow(
        self,
        interaction: Interaction,
        spec: SpecName,
        tag: Picked | None = None,
        endpoint: TypedEndpoint | None = None,
    ) -> None:
        result = await self.specs.follow(
            server(interaction, WHERE), interaction.user.id, spec, tag=tag, endpoint=endpoint
        )
        await interaction.response.send_message(
            render.follows_text(result, followed=result.changed), ephemeral=True
        )

    @app_commands.command(name="unfollow", description="Stop being mentioned about a spec")
    @app_commands.describe(
        spec="The spec",
        tag="Stop following this tag",
        endpoint="Stop following this endpoint",
        everything="Stop following anything in this spec",
    )
    @app_commands.autocomplete(spec=spec_names, tag=tag_names, endpoint=endpoint_names)
    async def unfollow(
        self,
        interaction: Interaction,
        spec: SpecName,
        tag: Picked | None = None,
        endpoint: TypedEndpoint | None = None,
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

    # -- pushes from CI ------------------------------------------------------------------

    token = app_commands.Group(
        name="token", description="Tokens that let CI push new versions of a spec"
    )

    @token.command(
        name="create", description="Make the token CI pushes this spec with (shown once)"
    )
    @app_commands.describe(
        spec="The spec CI pushes (a new name starts a new spec; a new token replaces the old)"
    )
    @app_commands.autocomplete(spec=spec_names)
    async def token_create(self, interaction: Interaction, spec: SpecName) -> None:
        issued = await self.specs.create_token(
            server(interaction, WHERE), actor(interaction), spec, interaction.channel_id
        )
        log.info("push token of spec %s made by %s", issued.spec_name, interaction.user.id)
        serving = self.bot.settings.http_port is not None
        await interaction.response.send_message(
            render.token_text(issued, serving=serving), ephemeral=True
        )

    @token.command(name="revoke", description="Revoke a spec's push token: CI can no longer push")
    @app_commands.describe(spec="The spec whose token stops working")
    @app_commands.autocomplete(spec=spec_names)
    async def token_revoke(self, interaction: Interaction, spec: SpecName) -> None:
        name = await self.specs.revoke_token(server(interaction, WHERE), actor(interaction), spec)
        log.info("push token of spec %s revoked by %s", name, interaction.user.id)
        await interaction.response.send_message(render.revoked_text(name), ephemeral=True)

    # -- deleting --------------------------------------------------------------------------

    @app_commands.command(
        name="delete", description="Delete a spec with all its versions, notes and follows"
    )
    @app_commands.describe(spec="The spec to delete (editors and Manage Server only)")
    @app_commands.autocomplete(spec=spec_names)
    async def delete(self, interaction: Interaction, spec: SpecName) -> None:
        contents = await self.specs.contents(server(interaction, WHERE), actor(interaction), spec)

        async def delete(pressed: Interaction) -> Done:
            removed = await self.specs.delete_spec(
                server(pressed, WHERE), actor(pressed), contents.name
            )
            log.info("spec %s deleted by %s", removed.name, pressed.user.id)
            return Done(render.deleted_text(removed))

        confirm = Confirm(
            interaction.user.id,
            Choice("Delete the spec", "spec:delete:yes", delete),
            cancel_id="spec:delete:no",
            cancelled="Nothing was deleted.",
        )
        await interaction.response.send_message(
            render.delete_prompt(contents), view=confirm, ephemeral=True
        )

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

        async def forget(pressed: Interaction) -> Done:
            forgotten = await self.specs.forget(pressed.user.id)
            settings = self.bot.settings
            kept = settings.backup_keep if settings.backup_dir is not None else None
            return Done(render.forgotten_text(forgotten, kept), self.specs.wipe_traces)

        confirm = Confirm(
            interaction.user.id,
            Choice("Forget me", "spec:forget:yes", forget),
            cancel_id="spec:forget:no",
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
    bot.add_dynamic_items(*DYNAMIC_ITEMS, CodeButton)
    await bot.add_cog(Specs(bot))
