"""/dailytip and the scheduler through the real bot and the local Discord."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select, update

from bot.client import Nexus
from bot.dailytip import TipScheduler
from bot.db.models import DailyTipPost, DailyTipSchedule
from bot.db.types import utcnow
from cogs.dailytip.cog import COG_NAME, DailyTip, scheduler_status
from localdiscord.emulator.payloads import channel_payload
from localdiscord.emulator.state import EMBED_LINKS, Overwrite
from tests.harness import Harness, start_bot, stop_bot

WAIT = 10.0


def cog(harness: Harness | Nexus) -> DailyTip:
    """The loaded cog (its class comes from the module the extension loader imported)."""
    bot = harness if isinstance(harness, Nexus) else harness.bot
    found = bot.get_cog(COG_NAME)
    assert type(found).__name__ == "DailyTip"
    assert isinstance(getattr(found, "scheduler", None), TipScheduler)
    return found  # type: ignore[return-value]


def daily_tips(harness: Harness, channel: str = "general") -> list[dict[str, Any]]:
    bot_id = str(harness.fake.bot_user.id)
    return [
        m
        for m in harness.fake.channel_messages(channel)
        if m["author"]["id"] == bot_id
        and any("Tip of the day" in (e.get("author") or {}).get("name", "") for e in m["embeds"])
    ]


async def schedule(harness: Harness, **options: str) -> Any:
    values = {"channel": "general", "time": "00:00", "timezone": "UTC", **options}
    return await harness.fake.slash("dailytip schedule", values, user="admin")


async def owed_since_yesterday(harness: Harness) -> None:
    """As if the schedule had been set two days ago and the bot was down at today's time."""
    async with harness.bot.db.unit_of_work() as session:
        await session.execute(
            update(DailyTipSchedule).values(active_from=utcnow() - timedelta(days=2))
        )
    cog(harness).scheduler.wake()


async def wait_for_tips(harness: Harness, count: int, channel: str = "general") -> list[Any]:
    return await harness.fake.world.wait_for(
        lambda: found if len(found := daily_tips(harness, channel)) >= count else None,
        f"{count} daily tip(s) in #{channel}",
        WAIT,
    )


async def test_an_admin_schedules_and_a_real_tip_arrives_without_pings(nexus: Harness) -> None:
    result = await schedule(nexus, timezone="europe/berlin", time="9:30")
    assert result.ephemeral
    text = result.content or (result.followups[0]["content"] if result.followups else "")
    assert "09:30 Europe/Berlin" in text
    assert "<t:" in text
    assert ":F>" in text

    await schedule(nexus)  # 00:00 UTC: already past today, so it counts from tomorrow
    await owed_since_yesterday(nexus)  # ...unless it was owed since before: catch up now
    [posted] = await wait_for_tips(nexus, 1)
    scheduler = cog(nexus).scheduler
    await nexus.fake.world.wait_for(lambda: scheduler.status().posted == 1, "the record", WAIT)
    embed = posted["embeds"][0]
    assert embed["footer"]["text"].endswith(f"Daily tip · {utcnow().date().isoformat()}")
    assert nexus.fake.pings(posted) == {"users": [], "roles": [], "everyone": False}
    sent = nexus.fake.requests_to("POST", rf"/channels/{nexus.fake.channel('general').id}/messages")
    assert sent[-1].json["allowed_mentions"] == {"parse": []}
    assert sent[-1].json["nonce"]  # Discord refuses a repeat of it

    assert await scheduler.run_due() is not None  # planning again posts nothing
    assert len(daily_tips(nexus)) == 1
    status = await nexus.fake.slash("dailytip status", user="admin")
    assert status.ephemeral
    fields = {f["name"]: f["value"] for f in status.embeds[0]["fields"]}
    assert fields["State"] == "🟢 On"
    assert posted["id"] in fields["Last tip"]
    about = scheduler_status(nexus.bot)
    assert about is not None
    assert about.running
    assert about.last_post is not None


async def test_a_restart_the_same_day_does_not_post_again(nexus: Harness) -> None:
    await schedule(nexus)
    await owed_since_yesterday(nexus)
    await wait_for_tips(nexus, 1)
    await nexus.bot.close()
    bot, task = await start_bot(nexus.fake, nexus.settings)
    try:
        restarted = cog(bot)
        await nexus.fake.world.wait_for(
            lambda: restarted.scheduler.status().next_run is not None,
            "the restarted scheduler's first pass",
            WAIT,
        )
        assert len(daily_tips(nexus)) == 1
        async with bot.db.read() as session:
            rows = (await session.scalars(select(DailyTipPost))).all()
        assert [r.status for r in rows] == ["posted"]
    finally:
        await stop_bot(bot, task)


async def test_members_cannot_manage_the_daily_tip(nexus: Harness) -> None:
    for command, options in [
        ("dailytip schedule", {"channel": "general", "time": "09:00", "timezone": "UTC"}),
        ("dailytip status", {}),
        ("dailytip stop", {}),
        ("dailytip preview", {}),
    ]:
        result = await nexus.fake.slash(command, options, user="member")
        assert result.ephemeral, command
        assert "Manage Server" in (result.content or ""), command
    async with nexus.bot.db.read() as session:
        assert (await session.scalar(select(DailyTipSchedule))) is None


async def test_a_bad_time_or_zone_is_explained(nexus: Harness) -> None:
    bad_time = await schedule(nexus, time="25:00")
    assert bad_time.ephemeral
    assert "HH:MM" in (bad_time.content or "")
    bad_zone = await schedule(nexus, timezone="Europe/Berln")
    assert bad_zone.ephemeral
    assert "Europe/Berlin" in (bad_zone.content or "")
    async with nexus.bot.db.read() as session:
        assert (await session.scalar(select(DailyTipSchedule))) is None


async def test_timezone_autocomplete_is_capped_and_finds_cities(nexus: Harness) -> None:
    options = {"channel": "general", "time": "09:00"}
    typed = await nexus.fake.autocomplete(
        "dailytip schedule", {**options, "timezone": "berl"}, focused="timezone", user="admin"
    )
    assert typed[0]["value"] == "Europe/Berlin"
    assert "UTC+0" in typed[0]["name"]
    for query in ("", "a", "america"):
        choices = await nexus.fake.autocomplete(
            "dailytip schedule", {**options, "timezone": query}, focused="timezone", user="admin"
        )
        assert 0 < len(choices) <= 25
        assert all(1 <= len(c["name"]) <= 100 for c in choices)


async def test_a_channel_where_nexus_cannot_embed_is_refused_by_name(nexus: Harness) -> None:
    fake = nexus.fake
    channel = fake.channel("qa")
    bot_role = next(r for r in fake.guild.roles.values() if r.bot_id == fake.bot_user.id)
    channel.overwrites.append(Overwrite(id=bot_role.id, type=0, deny=EMBED_LINKS))
    await fake.dispatch("CHANNEL_UPDATE", channel_payload(channel, fake.world))
    await fake.world.wait_for(
        lambda: (
            not nexus.bot.get_channel(channel.id)
            .permissions_for(  # type: ignore[union-attr]
                nexus.bot.get_guild(fake.guild_id).me  # type: ignore[union-attr]
            )
            .embed_links
        ),
        "the bot to see the new overwrite",
        WAIT,
    )
    result = await schedule(nexus, channel="qa")
    assert result.ephemeral
    assert "**Embed Links**" in (result.content or "")
    assert "#qa" in (result.content or "") or str(channel.id) in (result.content or "")


async def test_a_403_switches_it_off_and_the_admin_hears_on_their_next_command(
    nexus: Harness,
) -> None:
    fake = nexus.fake
    await schedule(nexus)
    refused = fake.fail_next("POST", rf"/channels/{fake.channel('general').id}/messages", 403)
    await owed_since_yesterday(nexus)
    scheduler = cog(nexus).scheduler
    await fake.world.wait_for(
        lambda: "schedule disabled" in (scheduler.status().last_error or ""),
        "the scheduler to switch the schedule off",
        WAIT,
    )
    assert refused.hits == 1
    assert daily_tips(nexus) == []
    status_now = await cog(nexus).service.status(fake.guild_id)
    assert status_now is not None
    assert not status_now.schedule.enabled

    member_help = await fake.slash("help", user="member")
    assert member_help.followups == []  # only admins are told
    admin_help = await fake.slash("help", user="admin")
    notice = await admin_help.wait_for_followup()
    assert notice["flags"] & 64  # ephemeral
    assert "switched off" in notice["content"]
    assert "Missing Permissions" in notice["content"]
    again = await fake.slash("help", user="admin")
    assert again.followups == []  # told once

    status = await fake.slash("dailytip status", user="admin")
    fields = {f["name"]: f["value"] for f in status.embeds[0]["fields"]}
    assert "Switched off" in fields["State"]
    assert "Missing Permissions" in fields["Why it stopped"]


async def test_preview_shows_the_tip_that_then_goes_out(nexus: Harness) -> None:
    nothing = await nexus.fake.slash("dailytip preview", user="admin")
    assert "/dailytip schedule" in (nothing.content or "")
    await schedule(nexus)
    preview = await nexus.fake.slash("dailytip preview", user="admin")
    assert preview.ephemeral
    previewed = preview.embeds[0]
    assert "Preview, only you can see it" in previewed["description"]
    await owed_since_yesterday(nexus)
    [posted] = await wait_for_tips(nexus, 1)
    assert posted["embeds"][0]["title"] == previewed["title"]


async def test_stop_stops_and_says_so_twice(nexus: Harness) -> None:
    await schedule(nexus)
    stopped = await nexus.fake.slash("dailytip stop", user="admin")
    assert stopped.ephemeral
    assert "stopped" in (stopped.content or "").lower()
    again = await nexus.fake.slash("dailytip stop", user="admin")
    assert "nothing to stop" in (again.content or "")
    await owed_since_yesterday(nexus)
    assert await cog(nexus).scheduler.run_due() is None
    assert daily_tips(nexus) == []
    status = await nexus.fake.slash("dailytip status", user="admin")
    fields = {f["name"]: f["value"] for f in status.embeds[0]["fields"]}
    assert "Stopped" in fields["State"]
    assert fields["Next tip"] == "none scheduled"


async def test_a_post_discord_accepted_before_a_crash_is_found_not_repeated(
    nexus: Harness,
) -> None:
    await schedule(nexus)
    await owed_since_yesterday(nexus)
    [posted] = await wait_for_tips(nexus, 1)
    scheduler = cog(nexus).scheduler
    await nexus.fake.world.wait_for(lambda: scheduler.status().posted == 1, "the record", WAIT)
    # As if the process had died between Discord's answer and writing it down.
    async with nexus.bot.db.unit_of_work() as session:
        await session.execute(
            update(DailyTipPost).values(
                status="pending",
                message_id=None,
                posted_at=None,
                lease_owner="a-dead-process",
                lease_until=utcnow() - timedelta(seconds=1),
                next_attempt_at=utcnow() - timedelta(minutes=2),
            )
        )
    scheduler.wake()
    await nexus.fake.world.wait_for(
        lambda: scheduler.status().posted >= 2, "the retry to record the post", WAIT
    )
    assert len(daily_tips(nexus)) == 1
    general = nexus.fake.channel("general").id
    assert nexus.fake.requests_to("GET", rf"/channels/{general}/messages")
    async with nexus.bot.db.read() as session:
        row = await session.scalar(select(DailyTipPost))
    assert row is not None
    assert (row.status, row.message_id, row.attempts) == ("posted", int(posted["id"]), 2)
