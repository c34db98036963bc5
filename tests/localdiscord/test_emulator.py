"""The emulator against the real discord.py: a tiny bot is driven through every supported path."""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator
from typing import Any

import discord
import pytest
from discord import app_commands, ui
from discord.ext import commands

from localdiscord.emulator import (
    FAST_CLIENT_OPTIONS,
    EmulatorTimeout,
    FakeDiscord,
    Upload,
    command_payload_problems,
    message_payload_problems,
    patched_discord,
)

CONCEPTS = [f"concept-{i:02d}" for i in range(40)] + ["jwt", "jwk", "oauth", "json"]
NO_MENTIONS: dict[str, list[str]] = {"parse": []}


# -- the tiny bot under test -----------------------------------------------------------------


class VoteView(ui.View):
    def __init__(self) -> None:
        super().__init__(timeout=30)
        self.clicked_by: list[int] = []

    @ui.button(label="Upvote", custom_id="vote:up", style=discord.ButtonStyle.primary)
    async def up(self, interaction: discord.Interaction, button: ui.Button[VoteView]) -> None:
        self.clicked_by.append(interaction.user.id)
        await interaction.response.edit_message(
            content=f"voted by {interaction.user.mention}", view=None
        )


class PickView(ui.View):
    @ui.select(
        custom_id="pick:lang",
        options=[discord.SelectOption(label=x, value=x) for x in ("python", "go", "rust")],
        max_values=2,
    )
    async def pick(self, interaction: discord.Interaction, select: ui.Select[PickView]) -> None:
        await interaction.response.send_message(f"picked {','.join(select.values)}")


class FeedbackModal(ui.Modal, title="Feedback"):
    text: ui.TextInput[FeedbackModal] = ui.TextInput(
        label="Your feedback", custom_id="feedback:text", max_length=200
    )

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message(f"thanks: {self.text.value}", ephemeral=True)


class TinyBot(commands.Bot):
    def __init__(self, guild_id: int, **options: Any) -> None:
        intents = discord.Intents.default()
        intents.members = True
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=intents,
            allowed_mentions=discord.AllowedMentions.none(),
            help_command=None,
            **FAST_CLIENT_OPTIONS,
            **options,
        )
        self.guild_id = guild_id
        self.errors: list[BaseException] = []
        self.seen: list[discord.Message] = []
        self.votes = VoteView()
        self._add_commands()

    async def on_message(self, message: discord.Message) -> None:
        self.seen.append(message)

    async def setup_hook(self) -> None:
        guild = discord.Object(self.guild_id)
        self.tree.copy_global_to(guild=guild)
        await self.tree.sync(guild=guild)

    def _add_commands(self) -> None:
        tree = self.tree

        @tree.error
        async def on_error(interaction: discord.Interaction, error: Exception) -> None:
            self.errors.append(error)

        @tree.command(name="concept", description="Explain a concept")
        @app_commands.describe(name="The concept")
        async def concept(interaction: discord.Interaction, name: str) -> None:
            embed = discord.Embed(title=name, description=f"All about {name}.")
            await interaction.response.send_message(embed=embed)

        @concept.autocomplete("name")
        async def concept_names(
            interaction: discord.Interaction, current: str
        ) -> list[app_commands.Choice[str]]:
            names = [c for c in CONCEPTS if current in c]
            return [app_commands.Choice(name=c, value=c) for c in names][:25]

        @tree.command(name="vote", description="Vote on something")
        async def vote(interaction: discord.Interaction) -> None:
            await interaction.response.send_message("Vote?", view=self.votes)

        @tree.command(name="pick", description="Pick languages")
        async def pick(interaction: discord.Interaction) -> None:
            await interaction.response.send_message("Pick:", view=PickView())

        @tree.command(name="feedback", description="Send feedback")
        async def feedback(interaction: discord.Interaction) -> None:
            await interaction.response.send_modal(FeedbackModal())

        @tree.command(name="slow", description="Takes a while")
        async def slow(interaction: discord.Interaction) -> None:
            await interaction.response.defer(ephemeral=True, thinking=True)
            await asyncio.sleep(0.01)
            await interaction.followup.send("done thinking")
            await interaction.followup.send("and one more thing")

        @tree.command(name="announce", description="Post in a channel")
        async def announce(
            interaction: discord.Interaction, channel: discord.TextChannel, text: str
        ) -> None:
            target = self.get_channel(channel.id)
            assert isinstance(target, discord.TextChannel)
            await target.send(text)
            await interaction.response.send_message(f"posted in {target.mention}", ephemeral=True)

        @tree.command(name="whois", description="Who is that")
        async def whois(interaction: discord.Interaction, user: discord.Member) -> None:
            await interaction.response.send_message(f"{user.mention} is {user.display_name}")

        @tree.command(name="upload", description="Upload a file")
        async def upload(interaction: discord.Interaction, file: discord.Attachment) -> None:
            data = await file.read()
            echo = discord.File(io.BytesIO(data[::-1]), "echo.txt")
            await interaction.response.send_message(f"{file.filename}: {data.decode()}", file=echo)

        @tree.context_menu(name="Report User")
        async def report(interaction: discord.Interaction, member: discord.Member) -> None:
            await interaction.response.send_message(f"reported {member.id}", ephemeral=True)

        @tree.context_menu(name="Quote")
        async def quote(interaction: discord.Interaction, message: discord.Message) -> None:
            replied = message.reference.message_id if message.reference else None
            await interaction.response.send_message(
                f"{message.author.id} said {message.content!r} (reply to {replied})",
                ephemeral=True,
            )

        @tree.command(name="sleepy", description="Answers too late")
        async def sleepy(interaction: discord.Interaction) -> None:
            await asyncio.sleep(0.3)
            await interaction.response.send_message("finally")

        qa = app_commands.Group(name="qa", description="Questions and answers")

        @qa.command(name="search", description="Search questions")
        async def search(interaction: discord.Interaction, query: str, limit: int = 5) -> None:
            await interaction.response.send_message(f"searching {query!r} (limit {limit})")

        mod = app_commands.Group(name="mod", description="Moderation", parent=qa)

        @mod.command(name="close", description="Close a question")
        async def close(interaction: discord.Interaction, reason: str | None = None) -> None:
            await interaction.response.send_message(f"closed: {reason}", ephemeral=True)

        tree.add_command(qa)


async def start(bot: discord.Client, token: str) -> asyncio.Task[None]:
    """Start the bot; return once on_ready fired (or raise what made the start fail)."""
    task = asyncio.create_task(bot.start(token))
    ready = asyncio.create_task(bot.wait_until_ready())
    done, _ = await asyncio.wait({task, ready}, timeout=5, return_when=asyncio.FIRST_COMPLETED)
    if task in done:
        ready.cancel()
        task.result()
    if ready not in done:
        ready.cancel()
        task.cancel()
        raise TimeoutError("the bot did not become ready in 5 s")
    return task


@pytest.fixture
async def bot(fake: FakeDiscord) -> AsyncIterator[TinyBot]:
    client = TinyBot(fake.guild_id)
    task = await start(client, fake.token)
    yield client
    await client.close()
    await asyncio.wait_for(task, 5)


# -- connecting ----------------------------------------------------------------------------


async def test_login_ready_and_guild_create(fake: FakeDiscord, bot: TinyBot) -> None:
    assert bot.user is not None
    assert bot.user.id == fake.bot_user.id
    assert bot.application_id == fake.application_id
    guild = bot.get_guild(fake.guild_id)
    assert guild is not None
    assert guild.name == "Nexus Playground"
    assert [c.name for c in guild.text_channels] == ["general", "qa", "api-specs"]
    assert guild.owner_id == fake.users["owner"]
    assert {m.id for m in guild.members} == set(fake.users.values())
    assert guild.me is not None
    assert guild.me.id == fake.bot_user.id
    assert guild.me.guild_permissions.send_messages
    admin = guild.get_member(fake.users["admin"])
    assert admin is not None
    assert admin.guild_permissions.administrator
    moderator = guild.get_member(fake.users["moderator"])
    assert moderator is not None
    assert moderator.guild_permissions.manage_messages
    member = guild.get_member(fake.users["member"])
    assert member is not None
    assert not member.guild_permissions.manage_messages
    specs = guild.get_channel(fake.channels["api-specs"])
    assert isinstance(specs, discord.TextChannel)
    assert not specs.permissions_for(member).send_messages
    assert specs.permissions_for(moderator).send_messages
    assert specs.permissions_for(guild.me).send_messages
    for snowflake in (fake.guild_id, *fake.channels.values(), *fake.users.values()):
        assert snowflake > 2**50  # realistic 64-bit snowflakes
    assert fake.requests[0].method == "GET"
    assert fake.requests[0].path == "/users/@me"
    assert fake.gateway.identifies == 1
    assert fake.gateway.connect_queries[0]["encoding"] == "json"
    assert not fake.unknown_requests


async def test_wrong_token_fails_login() -> None:
    async with FakeDiscord(token="right-token") as fake, patched_discord(fake):
        client = discord.Client(intents=discord.Intents.none())
        with pytest.raises(discord.LoginFailure):
            await client.login("wrong-token")
        await client.close()
        assert fake.requests[0].status == 401


async def test_plain_client_uses_default_gateway_and_intents(fake: FakeDiscord) -> None:
    client = discord.Client(intents=discord.Intents.default(), **FAST_CLIENT_OPTIONS)
    task = await start(client, fake.token)
    try:
        guild = client.get_guild(fake.guild_id)
        assert guild is not None
        # Without the GUILD_MEMBERS intent Discord only sends the bot's own member.
        assert [m.id for m in guild.members] == [fake.bot_user.id]
        assert guild.member_count == 6
    finally:
        await client.close()
        await asyncio.wait_for(task, 5)


async def test_resume_after_dropped_connection(fake: FakeDiscord, bot: TinyBot) -> None:
    await fake.drop_connection()
    await fake.wait_until_connected()
    assert fake.gateway.resumes == 1
    await fake.send_reconnect()  # op 7: discord.py closes and RESUMEs again
    await fake.world.wait_for(lambda: fake.gateway.resumes == 2, "a second RESUME")
    await fake.wait_until_connected()
    assert fake.gateway.identifies == 1
    result = await fake.slash("concept", {"name": "jwt"})
    assert result.embeds[0]["title"] == "jwt"


# -- commands --------------------------------------------------------------------------------


async def test_sync_registers_valid_payloads(fake: FakeDiscord, bot: TinyBot) -> None:
    registered = {c["name"]: c for c in fake.commands()}
    assert set(registered) == {
        "concept",
        "vote",
        "pick",
        "feedback",
        "slow",
        "announce",
        "whois",
        "upload",
        "sleepy",
        "qa",
        "Report User",
        "Quote",
    }
    assert all(
        int(c["id"]) > 2**50 and c["guild_id"] == str(fake.guild_id) for c in registered.values()
    )
    qa = registered["qa"]
    assert [o["name"] for o in qa["options"]] == ["search", "mod"]
    for command in bot.tree.get_commands(guild=discord.Object(fake.guild_id)):
        assert command_payload_problems(command.to_dict(bot.tree)) == []
    fetched = await bot.tree.fetch_commands(guild=discord.Object(fake.guild_id))
    assert {c.name for c in fetched} == set(registered)


async def test_invalid_commands_are_rejected_like_discord(fake: FakeDiscord, bot: TinyBot) -> None:
    bad = {"name": "Bad Name", "description": "", "type": 1}
    with pytest.raises(discord.HTTPException) as caught:
        await bot.http.bulk_upsert_guild_commands(fake.application_id, fake.guild_id, [bad])
    assert caught.value.status == 400
    assert caught.value.code == 50035
    assert "lower-case" in caught.value.text
    assert fake.requests[-1].response["emulator_problems"]


def _command(**extra: Any) -> dict[str, Any]:
    return {"name": "concept", "description": "Explain a concept", "type": 1, **extra}


def _option(name: str = "name", **extra: Any) -> dict[str, Any]:
    return {"name": name, "description": "an option", "type": 3, **extra}


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        (_command(name="Concept"), "lower-case"),
        (_command(name="has space"), "characters Discord does not allow"),
        (_command(name="x" * 33), "1-32 characters"),
        (_command(name=""), "1-32 characters"),
        (_command(description=""), "1-100 characters"),
        (_command(description="d" * 101), "1-100 characters"),
        (_command(options=[_option(f"o{i}") for i in range(26)]), "at most 25 options"),
        (
            _command(
                options=[_option(choices=[{"name": f"c{i}", "value": f"v{i}"} for i in range(26)])]
            ),
            "at most 25 choices",
        ),
        (_command(options=[_option(choices=[{"name": "n" * 101, "value": "v"}])]), "choice name"),
        (_command(options=[_option(choices=[{"name": "n", "value": "v" * 101}])]), "choice value"),
        (_command(options=[_option(), _option()]), "is used 2 times"),
        (
            _command(options=[_option("a"), _option("b", required=True)]),
            "must come before optional",
        ),
        (_command(options=[_option("Upper")]), "lower-case"),
        (_command(options=[_option(description="")]), "1-100 characters"),
        (
            _command(
                options=[
                    {
                        "name": f"sub{i}",
                        "description": "d" * 100,
                        "type": 1,
                        "options": [
                            _option(
                                f"o{j}",
                                description="d" * 100,
                                choices=[{"name": "n" * 100, "value": "v" * 100} for _ in range(1)],
                            )
                            for j in range(10)
                        ],
                    }
                    for i in range(10)
                ]
            ),
            "limit is 8000",
        ),
        (
            _command(
                options=[{"name": "g", "description": "d", "type": 2, "options": [_option()]}]
            ),
            "may only contain SUB_COMMANDs",
        ),
        (
            _command(options=[_option(type=5, choices=[{"name": "a", "value": "a"}])]),
            "only allowed on STRING",
        ),
        (
            _command(options=[_option(autocomplete=True, choices=[{"name": "a", "value": "a"}])]),
            "autocomplete cannot",
        ),
    ],
)
def test_command_payload_problems_catches_each_limit(
    payload: dict[str, Any], expected: str
) -> None:
    problems = command_payload_problems(payload)
    assert any(expected in p for p in problems), problems


def test_valid_command_payload_has_no_problems() -> None:
    payload = _command(
        options=[
            _option("name", required=True, autocomplete=True),
            _option("level", type=4, choices=[{"name": "one", "value": 1}]),
            _option("ünïcödé-名前_1"),
        ]
    )
    assert command_payload_problems(payload) == []
    assert command_payload_problems({"name": "Report Message", "type": 3, "description": ""}) == []


def test_message_payload_problems() -> None:
    assert message_payload_problems({"content": "hi", "allowed_mentions": NO_MENTIONS}) == []
    assert message_payload_problems({}) == ["Cannot send an empty message"]
    assert any("2000" in p for p in message_payload_problems({"content": "x" * 2001}))
    assert any("256" in p for p in message_payload_problems({"embeds": [{"title": "t" * 257}]}))
    row = {
        "type": 1,
        "components": [{"type": 2, "style": 1, "label": "a", "custom_id": "same"}] * 2,
    }
    assert any("used 2 times" in p for p in message_payload_problems({"components": [row]}))


# -- interactions ----------------------------------------------------------------------------


async def test_slash_command_answer(fake: FakeDiscord, bot: TinyBot) -> None:
    result = await fake.slash("concept", {"name": "jwt"}, user="member", channel="general")
    assert result.type == 4
    assert not result.ephemeral
    assert result.embeds[0]["title"] == "jwt"
    assert result.data is not None
    assert result.data["allowed_mentions"] == NO_MENTIONS
    message = result.message
    assert message is not None
    assert message in fake.channel_messages("general")
    assert message["interaction_metadata"]["user"]["id"] == str(fake.users["member"])


async def test_subcommands_and_option_types(fake: FakeDiscord, bot: TinyBot) -> None:
    result = await fake.slash("qa search", {"query": "orm", "limit": 3})
    assert result.content == "searching 'orm' (limit 3)"
    nested = await fake.slash("qa mod close", {"reason": "dup"}, user="moderator")
    assert nested.content == "closed: dup"
    assert nested.ephemeral
    with pytest.raises(AssertionError, match="no option"):
        await fake.slash("qa search", {"query": "x", "nope": 1})
    with pytest.raises(AssertionError, match="INTEGER"):
        await fake.slash("qa search", {"query": "x", "limit": "three"})
    with pytest.raises(AssertionError, match="required"):
        await fake.slash("qa search", {})
    with pytest.raises(AssertionError, match="is a group"):
        await fake.slash("qa", {})
    with pytest.raises(AssertionError, match="no registered command"):
        await fake.slash("missing")


async def test_user_and_channel_options_are_resolved(fake: FakeDiscord, bot: TinyBot) -> None:
    result = await fake.slash("whois", {"user": "member2"})
    assert result.content == f"<@{fake.users['member2']}> is Barbara"
    resolved = result.interaction["data"]["resolved"]
    assert str(fake.users["member2"]) in resolved["members"]
    await fake.slash("announce", {"channel": "qa", "text": "hello @everyone"}, user="admin")
    posted = fake.channel_messages("qa")[-1]
    assert posted["content"] == "hello @everyone"
    assert posted["allowed_mentions"] == NO_MENTIONS
    assert fake.pings(posted) == {"users": [], "roles": [], "everyone": False}


async def test_autocomplete(fake: FakeDiscord, bot: TinyBot) -> None:
    choices = await fake.autocomplete("concept", {"name": "jw"}, focused="name")
    assert [c["value"] for c in choices] == ["jwt", "jwk"]
    many = await fake.autocomplete("concept", {"name": "concept"}, focused="name")
    assert len(many) == 25


async def test_button_click_routes_back_to_the_view(fake: FakeDiscord, bot: TinyBot) -> None:
    result = await fake.slash("vote")
    assert result.custom_ids() == ["vote:up"]
    clicked = await fake.click(result, "vote:up", user="member2")
    assert clicked.type == 7
    assert bot.votes.clicked_by == [fake.users["member2"]]
    assert result.content == f"voted by <@{fake.users['member2']}>"
    assert result.components == []
    with pytest.raises(AssertionError, match="no component"):
        await fake.click(result, "vote:up")


async def test_select_menu(fake: FakeDiscord, bot: TinyBot) -> None:
    result = await fake.slash("pick")
    picked = await fake.select(result, "pick:lang", ["go", "rust"])
    assert picked.content == "picked go,rust"
    with pytest.raises(AssertionError, match="no option"):
        await fake.select(result, "pick:lang", ["cobol"])


async def test_modal_submit(fake: FakeDiscord, bot: TinyBot) -> None:
    result = await fake.slash("feedback")
    assert result.type == 9
    assert result.modal is not None
    assert result.modal["title"] == "Feedback"
    assert result.custom_ids() == ["feedback:text"]
    submitted = await fake.submit_modal(result, {"feedback:text": "great bot"})
    assert submitted.content == "thanks: great bot"
    assert submitted.ephemeral
    with pytest.raises(AssertionError, match="required"):
        await fake.submit_modal(result, {})


async def test_defer_then_followups(fake: FakeDiscord, bot: TinyBot) -> None:
    result = await fake.slash("slow")
    assert result.type == 5
    assert result.content == "done thinking"  # the first follow-up replaces "thinking..."
    assert result.ephemeral
    first = await result.wait_for_followup()
    assert first["content"] == "done thinking"
    second = await result.wait_for_followup()
    assert second["content"] == "and one more thing"
    assert [m["content"] for m in result.followups] == ["done thinking", "and one more thing"]


async def test_attachment_option_is_downloaded_from_loopback(
    fake: FakeDiscord, bot: TinyBot
) -> None:
    result = await fake.slash("upload", {"file": Upload("spec.yaml", b"openapi: 3.1")})
    assert result.content == "spec.yaml: openapi: 3.1"
    assert result.message is not None
    echo = result.message["attachments"][0]
    assert echo["filename"] == "echo.txt"
    assert fake.file_bytes(echo) == b"1.3 :ipanepo"
    downloads = [r for r in fake.requests if r.path.startswith("/attachments/")]
    assert len(downloads) == 1
    assert downloads[0].status == 200


async def test_late_answer_is_rejected(fake: FakeDiscord, bot: TinyBot) -> None:
    fake.rest.interaction_deadline = 0.1
    with pytest.raises(AssertionError, match=r"allows 0\.1s"):
        await fake.slash("sleepy")


# -- channel messages and files --------------------------------------------------------------


async def test_channel_send_with_file(fake: FakeDiscord, bot: TinyBot) -> None:
    channel = bot.get_channel(fake.channels["general"])
    assert isinstance(channel, discord.TextChannel)
    sent = await channel.send("see file", file=discord.File(io.BytesIO(b"abc"), "notes.txt"))
    assert sent.attachments[0].filename == "notes.txt"
    assert await sent.attachments[0].read() == b"abc"
    stored = fake.channel_messages("general")[-1]
    assert stored["id"] == str(sent.id)
    assert stored["allowed_mentions"] == NO_MENTIONS
    assert fake.file_bytes(stored["attachments"][0]) == b"abc"
    edited = await sent.edit(content="edited")
    assert edited.content == "edited"
    assert edited.edited_at is not None
    await sent.delete()
    assert all(m["id"] != str(sent.id) for m in fake.channel_messages("general"))
    with pytest.raises(discord.HTTPException) as caught:
        await channel.send("x" * 2001)
    assert caught.value.status == 400


# -- fault injection -------------------------------------------------------------------------


async def test_500_is_retried_by_discord_py(fake: FakeDiscord, bot: TinyBot) -> None:
    rule = fake.fail_next("POST", r"^/channels/\d+/messages$", 500)
    channel = bot.get_channel(fake.channels["qa"])
    assert isinstance(channel, discord.TextChannel)
    await channel.send("after a 500")
    assert rule.hits == 1
    statuses = [r.status for r in fake.requests_to("POST", r"^/channels/\d+/messages$")]
    assert statuses == [500, 200]


async def test_429_with_via_is_retried_and_without_via_is_a_ban(
    fake: FakeDiscord, bot: TinyBot
) -> None:
    channel = bot.get_channel(fake.channels["qa"])
    assert isinstance(channel, discord.TextChannel)
    fake.fail_next(
        "POST",
        r"/messages$",
        429,
        body={"message": "slow down", "retry_after": 0.01, "global": False},
    )
    await channel.send("after a 429")
    assert [r.status for r in fake.requests_to("POST", "/messages$")] == [429, 200]
    fake.fail_next("POST", r"/messages$", 429, headers={})
    with pytest.raises(discord.HTTPException) as caught:
        await channel.send("cloudflare")
    assert caught.value.status == 429


async def test_403_and_404_faults(fake: FakeDiscord, bot: TinyBot) -> None:
    channel = bot.get_channel(fake.channels["qa"])
    assert isinstance(channel, discord.TextChannel)
    fake.fail_next("POST", r"/messages$", 403)
    with pytest.raises(discord.Forbidden):
        await channel.send("nope")
    fake.fail_next(
        "*", r"/interactions/", 404, body={"message": "Unknown interaction", "code": 10062}
    )
    with pytest.raises(AssertionError, match="did the handler raise"):
        await fake.slash("concept", {"name": "jwt"}, timeout=0.5)
    assert bot.errors
    assert isinstance(bot.errors[-1].__cause__ or bot.errors[-1], discord.NotFound)


async def test_unknown_routes_are_recorded(fake: FakeDiscord, bot: TinyBot) -> None:
    with pytest.raises(discord.NotFound):
        await bot.http.request(discord.http.Route("GET", "/nowhere/{x}", x=1))
    assert [r.path for r in fake.unknown_requests] == ["/nowhere/1"]
    assert fake.take_schema_violations() == [
        "GET /nowhere/1: Discord's API has no operation GET /nowhere/1"
    ]


async def test_every_message_the_bot_sent_disallowed_mentions(
    fake: FakeDiscord, bot: TinyBot
) -> None:
    await fake.slash("concept", {"name": "jwt"})
    await fake.slash("slow")
    vote = await fake.slash("vote")
    await fake.click(vote, "vote:up")
    modal = await fake.slash("feedback")
    await fake.submit_modal(modal, {"feedback:text": "hi"})
    await fake.slash("announce", {"channel": "general", "text": "<@&1> @here"}, user="admin")
    sent = fake.all_sent_messages()
    assert len(sent) >= 7
    assert all(body.get("allowed_mentions") == NO_MENTIONS for body in sent), sent


async def test_bounded_waits(fake: FakeDiscord) -> None:
    fake.timeout = 0.1
    with pytest.raises(EmulatorTimeout):
        await fake.wait_until_connected(timeout=0.1)


async def test_context_menu(fake: FakeDiscord, bot: TinyBot) -> None:
    result = await fake.context_menu("Report User", "member2", user="moderator")
    assert result.content == f"reported {fake.users['member2']}"
    assert result.ephemeral


async def test_a_message_command_gets_the_message_with_its_content(
    fake: FakeDiscord, bot: TinyBot
) -> None:
    first = await fake.send_message("how do I retry?", user="member2")
    reply = await fake.send_message("use acks_late", reply_to=first)
    assert reply["message_reference"]["message_id"] == first["id"]
    # Discord sends the target's text with the interaction: no message-content intent needed
    result = await fake.context_menu("Quote", reply, user="member2")
    assert result.content == (
        f"{fake.users['member']} said 'use acks_late' (reply to {first['id']})"
    )
    data = result.pending.payload["data"]
    assert (data["type"], data["target_id"]) == (3, reply["id"])
    assert data["resolved"]["messages"][reply["id"]]["content"] == "use acks_late"
    with pytest.raises(AssertionError, match="no registered command 'Quote' \\(type 2\\)"):
        await fake.context_menu("Quote", "member")  # a USER target finds only USER commands


async def test_user_messages_respect_the_message_content_intent(
    fake: FakeDiscord, bot: TinyBot
) -> None:
    await fake.send_message("hello there")
    await fake.send_message(f"<@{fake.bot_user.id}> hi", user="member2", channel="qa")
    await fake.world.wait_for(lambda: len(bot.seen) == 2, "two MESSAGE_CREATEs")
    hidden, mentioned = bot.seen
    assert hidden.content == ""  # no message_content intent
    assert hidden.author.id == fake.users["member"]
    assert mentioned.content.endswith("hi")
    assert mentioned.channel.id == fake.channels["qa"]


async def test_several_guilds() -> None:
    async with FakeDiscord(guilds=2) as fake, patched_discord(fake):
        assert len(fake.guilds) == 2
        client = discord.Client(intents=discord.Intents.default(), **FAST_CLIENT_OPTIONS)
        task = await start(client, fake.token)
        try:
            names = sorted(g.name for g in client.guilds)
            assert names == ["Nexus Playground", "Nexus Playground 2"]
            assert fake.guilds[1].channel("general").id != fake.channels["general"]
        finally:
            await client.close()
            await asyncio.wait_for(task, 5)


async def test_patch_is_restored() -> None:
    before = (discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY)
    async with FakeDiscord() as fake:
        with fake.patch():
            assert fake.base_url == discord.http.Route.BASE
            assert str(discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY) == fake.gateway_url
            assert fake.base_url.startswith("http://127.0.0.1:")
        after = (discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY)
        assert after == before


def test_only_loopback() -> None:
    with pytest.raises(ValueError, match="loopback"):
        FakeDiscord(host="0.0.0.0")
