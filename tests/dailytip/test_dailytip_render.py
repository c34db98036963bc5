from __future__ import annotations

from datetime import UTC, date, datetime, time

from bot.core.localtime import suggested_zones
from bot.dailytip import DisabledNotice, GuildTipStatus, SchedulerStatus
from bot.dailytip.model import Post, Schedule
from bot.learnings.model import Learning
from cogs._kit.limits import CHOICE_NAME, embed_problems
from cogs.dailytip import render

NOW = datetime(2026, 6, 10, 12, 0, tzinfo=UTC)
TIP = Learning(
    "cache-reads",
    "tip",
    "Cache expensive reads **now**",
    "caching",
    "Cache what is read often and computed slowly.",
    "Put a TTL on every key.\n\n```python\ncache.set('k', v, timeout=60)\n```",
    why="Because the database is the bottleneck.",
)


def schedule(**kw: object) -> Schedule:
    values: dict[str, object] = {
        "guild_id": 1,
        "channel_id": 22,
        "at": time(9, 5),
        "timezone": "Europe/Berlin",
        "enabled": True,
        "active_from": NOW,
        "rotation_seed": 3,
    }
    values.update(kw)
    return Schedule(**values)  # type: ignore[arg-type]


def posted(**kw: object) -> Post:
    values: dict[str, object] = {
        "id": 1,
        "guild_id": 1,
        "local_date": date(2026, 6, 9),
        "channel_id": 22,
        "tip_slug": "cache-reads",
        "rotation_round": 0,
        "status": "posted",
        "attempts": 1,
        "next_attempt_at": NOW,
        "lease_owner": None,
        "lease_until": None,
        "claimed_at": NOW,
        "posted_at": datetime(2026, 6, 9, 7, 0, tzinfo=UTC),
        "message_id": 999,
        "last_error": None,
    }
    values.update(kw)
    return Post(**values)  # type: ignore[arg-type]


def test_the_posted_tip_is_the_tip_dated_and_marked() -> None:
    embed = render.daily_tip_embed(TIP, date(2026, 6, 10))
    assert embed_problems(embed) == []
    assert embed.author.name == "💡 Tip of the day · Wednesday 10 June"
    assert embed.title is not None
    assert "Cache expensive reads" in embed.title
    assert (embed.footer.text or "").endswith("Daily tip · 2026-06-10")
    assert render.is_daily_tip([embed], date(2026, 6, 10))
    assert not render.is_daily_tip([embed], date(2026, 6, 11))
    assert not render.is_daily_tip([], date(2026, 6, 10))


def test_status_shows_when_where_last_and_next() -> None:
    status = GuildTipStatus(schedule(), datetime(2026, 6, 11, 7, 5, tzinfo=UTC), posted(), None)
    embed = render.status_embed(status, NOW)
    assert embed_problems(embed) == []
    fields = {f.name: f.value or "" for f in embed.fields}
    assert fields["State"] == "🟢 On"
    assert fields["When"] == "09:05 Europe/Berlin (UTC+02:00)"
    assert fields["Where"] == "<#22>"
    assert "<t:1781161500:F>" in fields["Next tip"]
    assert "https://discord.com/channels/1/22/999" in fields["Last tip"]


def test_status_explains_a_switched_off_schedule_and_a_retry() -> None:
    off = schedule(enabled=False, disabled_reason="the channel <#22> no longer exists")
    retrying = posted(status="pending", last_error="Discord answered 503", posted_at=None)
    embed = render.status_embed(GuildTipStatus(off, None, None, retrying), NOW)
    fields = {f.name: f.value or "" for f in embed.fields}
    assert "Switched off" in fields["State"]
    assert "no longer exists" in fields["Why it stopped"]
    assert "/dailytip schedule" in fields["Why it stopped"]
    assert fields["Next tip"] == "none scheduled"
    assert "503" in fields["Today's tip"]
    stopped = render.status_embed(GuildTipStatus(schedule(enabled=False), None, None, None), NOW)
    assert "Stopped" in {f.name: f.value or "" for f in stopped.fields}["State"]


def test_the_schedule_answer_uses_discord_timestamps() -> None:
    status = GuildTipStatus(
        schedule(log_channel_id=77), datetime(2026, 6, 11, 7, 5, tzinfo=UTC), None, None
    )
    text = render.scheduled_message(status)
    assert "**09:05 Europe/Berlin** in <#22>" in text
    assert "<t:1781161500:F>" in text
    assert "<t:1781161500:R>" in text
    assert "<#77>" in text


def test_preview_is_marked_private_and_stays_in_limits() -> None:
    status = GuildTipStatus(schedule(), datetime(2026, 6, 11, 7, 5, tzinfo=UTC), None, None)
    embed = render.preview_embed(TIP, status)
    assert embed_problems(embed) == []
    assert (embed.description or "").startswith("-# Preview, only you can see it.")
    assert (embed.footer.text or "").endswith("2026-06-11")


def test_the_notice_names_the_channel_and_the_fix() -> None:
    text = render.disabled_notice(DisabledNotice(1, 22, "Missing Permissions", NOW))
    assert "<#22>" in text
    assert "Missing Permissions" in text
    assert "/dailytip schedule" in text
    assert len(text) <= 2000


def test_every_zone_label_fits_a_choice() -> None:
    for zone in suggested_zones():
        label = render.timezone_choice(zone, NOW)
        assert 1 <= len(label) <= CHOICE_NAME
        assert label.startswith(zone)
    assert render.timezone_choice("Asia/Kolkata", NOW) == "Asia/Kolkata (UTC+05:30, now 17:30)"


def test_about_line_reports_next_run_last_post_and_last_error() -> None:
    assert render.about_value(None) == "not loaded"
    idle = render.about_value(SchedulerStatus(running=True))
    assert idle == "🟢 running · nothing scheduled"
    busy = render.about_value(
        SchedulerStatus(
            running=True,
            next_run=datetime(2026, 6, 11, 7, tzinfo=UTC),
            last_post=datetime(2026, 6, 10, 7, tzinfo=UTC),
            last_error="server 5: Discord answered 503 (retrying)",
            last_error_at=datetime(2026, 6, 10, 6, tzinfo=UTC),
        )
    )
    assert "next run <t:1781161200:R>" in busy
    assert "last post <t:1781074800:R>" in busy
    assert "503" in busy
    assert len(busy) <= 1024
