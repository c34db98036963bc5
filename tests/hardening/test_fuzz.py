"""Hostile text through every slash command's string options, every autocomplete and every
message context menu, end to end.

The commands and their options are discovered from what the bot registered, so a new command
is fuzzed the day it appears. For every example: Discord accepts every request the bot makes
(sizes and limits: `result.errors == []`), nothing is logged at ERROR, and nothing pings.

Buttons and selects: whatever controls come back from hostile text are then used, by the one
who asked and by another member, so text that travels inside a custom_id is fuzzed too.

CI runs a few hundred examples; `NEXUS_FUZZ_EXAMPLES=5000 pytest tests/hardening/test_fuzz.py` runs
the long mode.
"""

from __future__ import annotations

import asyncio
import logging
import os
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.qa import ACCEPTED_POINTS, VOTE_POINTS
from localdiscord.emulator import FakeDiscord
from localdiscord.emulator.limits import walk_components
from tests.figures import report
from tests.hardening.test_permissions import (
    a_world_with_content,
    message_commands,
    option_values,
    registered_commands,
)
from tests.harness import Harness, pings_nobody_but_an_asker
from tests.qa.test_qa import answer_by_button, question_messages, relax_cooldowns

JSON = dict[str, Any]
EXAMPLES = int(os.environ.get("NEXUS_FUZZ_EXAMPLES", "250"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

FRAGMENTS = [
    "@everyone",
    "@here",
    "<@&{role}>",
    "<@{user}>",
    "<@!{user}>",
    "<#{channel}>",
    "```py\nprint('x')\n```",
    "```",
    "**bold** __u__ ~~s~~ ||spoiler|| `code` > quote",
    "# heading\n- item",
    "[link](https://example.com)",
    "\u200b",
    "\u200d\u2060\ufeff",
    "\u202e\u2066RTL\u2069",
    "مرحبا",
    "שָׁלוֹם",
    "👩🏽‍💻🏳️‍🌈",
    '"',
    "NEAR(",
    "*",
    " AND ",
    " OR ",
    " NOT ",
    "^",
    "title:",
    "{title}",
    "-",
    "'; DROP TABLE questions; --",
    "1 OR 1=1",
    "%s %d {0}",
    "../../etc/passwd",
    "C:\\Windows\\system32\\",
    "file:///etc/passwd",
    "http://127.0.0.1:1/x",
    "\x00",
    "\n\n\n",
    "   ",
]


@st.composite
def hostile_text(draw: st.DrawFn) -> str:
    pieces = draw(
        st.lists(
            st.one_of(
                st.sampled_from(FRAGMENTS),
                st.text(st.characters(codec="utf-8"), max_size=40),
            ),
            min_size=1,
            max_size=6,
        )
    )
    return "".join(pieces)


def fit(text: str, spec: JSON, *, fill: bool) -> str:
    """What Discord's client would let through: within min/max length (filled to max if asked)."""
    lo, hi = int(spec.get("min_length") or 0), int(spec.get("max_length") or 6000)
    if fill and text:
        text = (text * (hi // len(text) + 1))[:hi]
    text = text[:hi]
    if len(text) < lo:
        text = text + "x" * (lo - len(text))
    return text


def targets(fake: FakeDiscord) -> list[tuple[str, list[JSON], JSON]]:
    """(command path, its options, one string option) for every string option registered."""
    found = []
    for path, options in sorted(registered_commands(fake).items()):
        found += [(path, options, o) for o in options if o["type"] == 3 and not o.get("choices")]
    return found


_world: dict[int, dict[str, dict[str, Any]]] = {}


async def base_values(nexus: Harness) -> dict[str, dict[str, Any]]:
    """Valid values for every command's required options (built once per bot)."""
    key = id(nexus.bot)
    if key not in _world:
        await a_world_with_content(nexus)
        commands = registered_commands(nexus.fake)
        _world[key] = {p: await option_values(nexus.fake, p, o) for p, o in commands.items()}
    return _world[key]


def assert_quiet(
    fake: FakeDiscord, caplog: pytest.LogCaptureFixture, sent_before: int, what: str
) -> None:
    """Since `sent_before`: nothing sent pings anyone but an asker, nothing logged at ERROR."""
    pinging = [
        m for m in fake.all_sent_messages()[sent_before:] if not pings_nobody_but_an_asker(m)
    ]
    assert pinging == []
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    caplog.clear()
    assert errors == [], f"{what} was logged as an error: {errors}"


def substitute(text: str, fake: FakeDiscord) -> str:
    return (
        text.replace("{role}", str(fake.roles["Moderator"]))
        .replace("{user}", str(fake.users["member2"]))
        .replace("{channel}", str(fake.channels["general"]))
    )


@pytest.mark.timeout(max(60, EXAMPLES // 4))
@FUZZ
@given(data=st.data())
async def test_hostile_text_everywhere(
    nexus: Harness, caplog: pytest.LogCaptureFixture, data: st.DataObject
) -> None:
    fake = nexus.fake
    base = await base_values(nexus)
    path, _, option = data.draw(st.sampled_from(targets(fake)), label="option")
    text = fit(
        substitute(data.draw(hostile_text(), label="text"), fake),
        option,
        fill=data.draw(st.booleans(), label="fill to max_length"),
    )
    user = data.draw(st.sampled_from(["member", "admin"]), label="user")
    values = {**base[path], option["name"]: text}
    relax_cooldowns(nexus.bot)
    sent_before = len(fake.all_sent_messages())

    if option.get("autocomplete"):
        choices = await fake.autocomplete(path, values, focused=option["name"], user=user)
        assert len(choices) <= 25
        for choice in choices:
            assert 1 <= len(choice["name"]) <= 100
    result = await fake.slash(path, values, user=user)
    assert result.errors == [], f"/{path} {option['name']}={text!r}: {result.errors}"

    assert_quiet(fake, caplog, sent_before, f"/{path} {option['name']}={text!r}")
    report("fuzz", slash_examples=1, autocompletes=int(bool(option.get("autocomplete"))))


MODAL_FORMS = ["ask", "spec add"]


@pytest.mark.timeout(max(60, EXAMPLES // 4))
@settings(FUZZ, max_examples=max(10, EXAMPLES // 3))
@given(data=st.data())
async def test_hostile_text_in_every_form(
    nexus: Harness, caplog: pytest.LogCaptureFixture, data: st.DataObject
) -> None:
    """The forms (modals) that take free text: every text input gets hostile text."""
    fake = nexus.fake
    base = await base_values(nexus)
    command = data.draw(st.sampled_from(MODAL_FORMS), label="form")
    relax_cooldowns(nexus.bot)
    sent_before = len(fake.all_sent_messages())
    opened = await fake.slash(command, base[command], user="admin")
    assert opened.modal is not None, opened
    values = {}
    for field in walk_components(opened.modal["components"]):
        if field.get("type") == 4:
            text = substitute(data.draw(hostile_text(), label=field["custom_id"]), fake)
            fill = data.draw(st.booleans(), label="fill")
            value = fit(text, field, fill=fill)
            values[field["custom_id"]] = value or ("x" if field.get("required", True) else "")
    submitted = await opened.submit_modal(values)
    assert submitted.errors == [], f"{command} {values!r}: {submitted.errors}"
    assert_quiet(fake, caplog, sent_before, f"{command} {values!r}")
    report("fuzz", form_examples=1, form_fields=len(values))


@pytest.mark.timeout(max(60, EXAMPLES // 4))
@settings(FUZZ, max_examples=max(10, EXAMPLES // 3))
@given(data=st.data())
async def test_hostile_chat_through_every_message_command(
    nexus: Harness, caplog: pytest.LogCaptureFixture, data: st.DataObject
) -> None:
    """A member's hostile chat message (maybe a reply to a question) through each message
    context menu, by a member or an admin; a form that opens is sent as it was filled, a
    question menu that comes back is used, a "Fix and send again" is pressed and sent."""
    fake = nexus.fake
    await base_values(nexus)
    name = data.draw(st.sampled_from(message_commands(fake)), label="message command")
    text = (
        fit(
            substitute(data.draw(hostile_text(), label="chat"), fake),
            {"max_length": 2000},
            fill=data.draw(st.booleans(), label="fill"),
        )
        or "x"
    )
    questions = [m for m in stored(fake) if "qa:answer:" in str(m.get("components"))]
    reply_to = data.draw(st.sampled_from([None, *questions[:1]]), label="reply to")
    user = data.draw(st.sampled_from(["member", "admin"]), label="user")
    relax_cooldowns(nexus.bot)
    sent_before = len(fake.all_sent_messages())
    chat = await fake.send_message(text, user="member2", reply_to=reply_to)
    result = await fake.context_menu(name, chat, user=user)
    assert result.errors == [], f"{name!r} on {text!r}: {result.errors}"
    for _ in range(2):  # a form, then perhaps its refusal's "Fix and send again" form
        if result.modal is not None:
            filled = {
                f["custom_id"]: fit(f.get("value") or "", f, fill=False)
                or ("x" if f.get("required", True) else "")
                for f in walk_components(result.modal["components"])
                if f.get("type") == 4
            }
            result = await result.submit_modal(filled)
        elif "qa:mark:question" in result.custom_ids():
            menu = result.component("qa:mark:question")
            value = menu["options"][0]["value"]
            result = await fake.select(result, "qa:mark:question", [value], user=user)
        elif "form:fix" in result.custom_ids():
            result = await fake.click(result, "form:fix", user=user)
        assert result.errors == [], f"{name!r} on {text!r}: {result.errors}"
    assert_quiet(fake, caplog, sent_before, f"{name!r} on {text!r}")
    report("fuzz", message_command_examples=1)


async def test_every_string_option_is_a_target(nexus: Harness) -> None:
    """The fuzz above reaches every command that takes free text (none is forgotten)."""
    paths = {path for path, _, _ in targets(nexus.fake)}
    assert {"concept", "search", "qa search", "spec import", "dailytip schedule"} <= paths
    assert len(targets(nexus.fake)) >= 20
    report("fuzz", string_options=str(len(targets(nexus.fake))))


# Clicking these destroys the shared world the other examples stand on; their own tests cover them.
DESTRUCTIVE = {
    "qa:confirm:delete",
    "qa:forget:delete",
    "qa:forget:anonymise",
    "spec:delete:yes",
    "spec:forget:yes",
}


def stored(fake: FakeDiscord) -> list[JSON]:
    return [m for messages in fake.messages.values() for m in messages]


def controls(messages: list[JSON]) -> list[tuple[JSON, JSON]]:
    """(message, component) for every enabled button and select a user could use."""
    found = []
    for message in messages:
        for component in walk_components(message.get("components") or []):
            usable = component.get("custom_id") and not component.get("disabled")
            if usable and component["custom_id"] not in DESTRUCTIVE:
                found.append((message, component))
    return found


_controlled: dict[int, list[tuple[str, list[JSON], JSON]]] = {}


async def with_controls(nexus: Harness) -> list[tuple[str, list[JSON], JSON]]:
    """The targets whose command answers with buttons or selects (found once per bot)."""
    key = id(nexus.bot)
    if key not in _controlled:
        base = await base_values(nexus)
        found = set()
        for path in {path for path, _, _ in targets(nexus.fake)}:
            before = {int(m["id"]) for m in stored(nexus.fake)}
            await nexus.fake.slash(path, base[path], user="admin")
            if controls([m for m in stored(nexus.fake) if int(m["id"]) not in before]):
                found.add(path)
        _controlled[key] = [t for t in targets(nexus.fake) if t[0] in found]
    return _controlled[key]


@pytest.mark.timeout(max(60, EXAMPLES // 4))
@settings(FUZZ, max_examples=max(10, EXAMPLES // 3))
@given(data=st.data())
async def test_hostile_text_then_every_button(
    nexus: Harness, caplog: pytest.LogCaptureFixture, data: st.DataObject
) -> None:
    """Hostile text goes in; then every button and select on what came back is used, by the
    one who asked and by someone else (queries and names travel inside custom_ids)."""
    fake = nexus.fake
    base = await base_values(nexus)
    path, _, option = data.draw(st.sampled_from(await with_controls(nexus)), label="option")
    known = str(base[path].get(option["name"], ""))
    word = data.draw(st.sampled_from([known, "jwt", "cache", "celery", ""]), label="known word")
    hostile = substitute(data.draw(st.just("") | hostile_text(), label="text"), fake)
    text = fit(f"{word} {hostile}".strip() or "x", option, fill=False)
    user = data.draw(st.sampled_from(["member", "admin"]), label="user")
    relax_cooldowns(nexus.bot)
    sent_before = len(fake.all_sent_messages())
    stored_before = {int(m["id"]) for m in stored(fake)}
    result = await fake.slash(path, {**base[path], option["name"]: text}, user=user)
    assert result.errors == [], f"/{path} {option['name']}={text!r}: {result.errors}"

    used = 0
    new = [m for m in stored(fake) if int(m["id"]) not in stored_before]
    for message, component in controls(new):
        clicker = data.draw(st.sampled_from([user, "member2"]), label="clicker")
        relax_cooldowns(nexus.bot)
        if component["type"] == 2:
            if "url" in component:
                continue
            answer = await fake.click(message, component["custom_id"], user=clicker)
        else:
            options = component.get("options") or []
            if not options:
                continue
            answer = await fake.select(
                message, component["custom_id"], [options[0]["value"]], user=clicker
            )
        assert answer.errors == [], f"{component['custom_id']!r}: {answer.errors}"
        used += 1

    assert_quiet(fake, caplog, sent_before, f"/{path} {option['name']}={text!r} then its buttons")
    report("fuzz", button_examples=1, buttons_used=used)


# -- votes and recognition, in any order -------------------------------------------------------

MEMBERS = ["owner", "admin", "moderator", "member", "member2"]
PERIODS = ["week", "month", "all"]


def vote_notices(fake: FakeDiscord) -> dict[int, JSON]:
    """answer id -> the notice carrying its 👍, as it is now."""
    found = {}
    for message in stored(fake):
        for component in walk_components(message.get("components") or []):
            custom_id = str(component.get("custom_id") or "")
            if custom_id.startswith("qa:vote:"):
                found[int(custom_id.rsplit(":", 1)[1])] = message
    return found


def shown_votes(message: JSON, answer_id: int) -> int:
    button = next(
        c
        for c in walk_components(message["components"])
        if c.get("custom_id") == f"qa:vote:{answer_id}"
    )
    return int(str(button["label"]).rsplit("· ", 1)[1])


@pytest.mark.timeout(max(60, EXAMPLES // 4))
@settings(FUZZ, max_examples=max(10, EXAMPLES // 10))
@given(data=st.data())
async def test_votes_and_recognition_in_any_order(
    nexus: Harness, caplog: pytest.LogCaptureFixture, data: st.DataObject
) -> None:
    """👍 pressed by anyone in any order, with /qa leaderboard, profile and stats between: a
    press moves the count by exactly one (never on one's own answer), every notice shows what
    is stored, and a profile's points are its accepted answers and votes."""
    fake, qa = nexus.fake, nexus.bot.services.qa
    await base_values(nexus)
    if len(vote_notices(fake)) < 2:  # a second answer, by another member
        relax_cooldowns(nexus.bot)
        title = question_messages(fake)[0]["embeds"][0]["title"]
        qid = int(title.split("#", 1)[1].split(" ", 1)[0])
        await answer_by_button(fake, qid, "Or keyset pagination.", user="admin")
    sent_before = len(fake.all_sent_messages())
    used = 0
    for _ in range(data.draw(st.integers(1, 8), label="steps")):
        user = data.draw(st.sampled_from(MEMBERS), label="user")
        step = data.draw(st.sampled_from(["vote", "leaderboard", "profile", "stats"]))
        if step == "vote":
            notices = vote_notices(fake)
            answer_id = data.draw(st.sampled_from(sorted(notices)), label="answer")
            author = (await qa.get_answer(fake.guild_id, answer_id)).author_id
            before = (await qa.vote_counts([answer_id])).get(answer_id, 0)
            result = await fake.click(notices[answer_id], f"qa:vote:{answer_id}", user=user)
            after = (await qa.vote_counts([answer_id])).get(answer_id, 0)
            assert result.ephemeral
            if author == fake.users[user]:
                assert "your own answer" in (result.content or "")
                assert after == before
            else:
                assert abs(after - before) == 1
                assert ("Thanks!" in (result.content or "")) == (after > before)
        elif step == "leaderboard":
            period = data.draw(st.sampled_from(PERIODS), label="period")
            result = await fake.slash("qa leaderboard", {"period": period}, user=user)
        elif step == "profile":
            member = data.draw(st.sampled_from(MEMBERS), label="member")
            result = await fake.slash("qa profile", {"member": member}, user=user)
            profile = await qa.profile(fake.guild_id, fake.users[member])
            if not profile.empty:
                points = profile.accepted * ACCEPTED_POINTS + profile.votes * VOTE_POINTS
                assert result.embeds[0]["fields"][-1]["value"].startswith(f"**{points}**")
        else:
            result = await fake.slash("qa stats", user=user)
        assert result.errors == [], f"{step} by {user}: {result.errors}"
        used += 1

    async def notices_agree() -> bool:
        notices = vote_notices(fake)
        counts = await qa.vote_counts(sorted(notices))
        return all(shown_votes(m, a) == counts.get(a, 0) for a, m in notices.items())

    for _ in range(50):  # a notice is redrawn just after its click is answered
        if await notices_agree():
            break
        await asyncio.sleep(0.05)
    assert await notices_agree(), "every notice shows the votes stored"
    assert_quiet(fake, caplog, sent_before, "votes and recognition commands")
    report("fuzz", recognition_steps=used)


_forums: set[int] = set()


@pytest.mark.timeout(max(60, EXAMPLES // 4))
@settings(FUZZ, max_examples=max(10, EXAMPLES // 5))
@given(data=st.data())
async def test_hostile_questions_as_forum_posts(
    nexus: Harness, caplog: pytest.LogCaptureFixture, data: st.DataObject
) -> None:
    """In forum mode, hostile titles and tags make posts whose names and tags Discord takes;
    an answer, an accept and /qa close on them, in any order, never fail or ping."""
    fake = nexus.fake
    if id(nexus.bot) not in _forums:
        _forums.add(id(nexus.bot))
        forum = await fake.add_forum("help")
        await fake.world.wait_for(lambda: nexus.bot.get_channel(forum.id), "the forum")
        await fake.slash("qa setup", {"channel": "help"}, user="admin")
    relax_cooldowns(nexus.bot)
    sent_before = len(fake.all_sent_messages())
    opened = await fake.slash("ask", user="member")
    assert opened.modal is not None, opened
    fields = {
        f["custom_id"]: f for f in walk_components(opened.modal["components"]) if f.get("type") == 4
    }
    title = fit(
        substitute(data.draw(hostile_text(), label="title"), fake),
        fields["qa:input:title"],
        fill=data.draw(st.booleans(), label="fill"),
    )
    tags = data.draw(
        st.lists(st.from_regex(r"[a-z0-9+#.\-]{1,24}", fullmatch=True), max_size=5), label="tags"
    )
    # Everything is drawn up front: whether the question is posted depends on the ones before.
    steps = data.draw(
        st.lists(st.sampled_from(["answer", "accept", "close"]), max_size=3), label="steps"
    )
    reason = data.draw(st.sampled_from(["solved", "outdated"]), label="reason")
    done = await opened.submit_modal(
        {"qa:input:title": title, "qa:input:details": "Details.", "qa:input:tags": " ".join(tags)}
    )
    assert done.errors == [], f"ask {title!r} {tags!r}: {done.errors}"
    posted = "is posted" in (done.content or "")
    if posted:
        qid = int((done.content or "").split("#", 1)[1].split(" ", 1)[0])
        thread = next(t for t in fake.threads("help") if str(t.id) in (done.content or ""))
        assert 1 <= len(thread.name) <= 100
        assert len(fake.channel("help").available_tags) <= 20
        assert len(thread.applied_tags) <= 5
        for step in steps:
            starter = fake.world.find_message(thread.id)
            assert starter is not None
            if step == "answer":
                result = await fake.slash(
                    "answer", {"question": str(qid), "text": title}, user="member2"
                )
            elif step == "accept":
                result = await fake.click(starter, f"qa:accept:{qid}", user="member")
                accepts = [
                    c
                    for c in result.custom_ids()
                    if c.startswith(f"qa:accept:{qid}:") and not result.component(c).get("disabled")
                ]
                if accepts:
                    result = await result.click(accepts[0])
            else:
                result = await fake.slash(
                    "qa close", {"reason": reason, "question": str(qid)}, user="member"
                )
            assert result.errors == [], f"{step} on #{qid}: {result.errors}"
    assert_quiet(fake, caplog, sent_before, f"a forum post titled {title!r}")
    report("fuzz", forum_examples=1, forum_posts=int(posted))
