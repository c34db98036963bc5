"""Who may do what: every registered command (slash and message context menus) and every
persistent button x every kind of member.

Commands are discovered from what the bot registered with the emulator, so a new command is
covered the day it appears: it is open to everyone unless it is listed in RESTRICTED below.
`default_permissions` is only a hint in Discord's UI; the emulator does not enforce it, so
these refusals prove that each restricted action is checked in code.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from localdiscord.emulator import FakeDiscord, InteractionResult, Upload
from tests.figures import report
from tests.harness import Harness
from tests.helpers import REPO
from tests.qa.test_qa import answer_by_button, ask, posted_id, relax_cooldowns

JSON = dict[str, Any]

EVERYONE = frozenset({"owner", "admin", "moderator", "member", "member2"})
MANAGE_SERVER = frozenset({"owner", "admin"})
# The question below is asked by "member" (its author) and answered by "member2" (the answer's
# author); moderators have Manage Messages, admins Administrator, the owner owns the server.
QUESTION_AUTHOR_OR_MOD = frozenset({"owner", "admin", "moderator", "member"})
ANSWER_AUTHOR_OR_MOD = frozenset({"owner", "admin", "moderator", "member2"})
NOT_THE_ANSWER_AUTHOR = EVERYONE - {"member2"}  # a 👍 is for the answers of others

# The one table of restricted actions: command path (or "button " + a custom_id prefix, or
# "message " + a message context menu's name) -> who may.
RESTRICTED: dict[str, frozenset[str]] = {
    "dailytip schedule": MANAGE_SERVER,
    "dailytip status": MANAGE_SERVER,
    "dailytip stop": MANAGE_SERVER,
    "dailytip preview": MANAGE_SERVER,
    "qa setup": MANAGE_SERVER,
    "qa edit": QUESTION_AUTHOR_OR_MOD,
    "qa delete": QUESTION_AUTHOR_OR_MOD,
    "qa edit-answer": ANSWER_AUTHOR_OR_MOD,
    "qa delete-answer": ANSWER_AUTHOR_OR_MOD,
    "qa close": QUESTION_AUTHOR_OR_MOD,
    "spec import": MANAGE_SERVER,  # or the editor role, once an admin picks one
    "spec add": MANAGE_SERVER,
    "spec setup": MANAGE_SERVER,
    "spec delete": MANAGE_SERVER,  # or the editor role, as import
    "spec token create": MANAGE_SERVER,  # or the editor role, as import
    "spec token revoke": MANAGE_SERVER,
    "button qa:accept": QUESTION_AUTHOR_OR_MOD,
    "button qa:still-open": QUESTION_AUTHOR_OR_MOD,
    "button qa:vote": NOT_THE_ANSWER_AUTHOR,
}

# A refusal is ephemeral and says why; these are the phrases Nexus uses for "not you".
REFUSAL = re.compile(
    r"You need the \*\*|Only members with|Only the member who asked|your own (questions|answers)"
    r"|Only members with the <@&|vote for your own answer"
)

# Values for options that have no autocomplete (the others take the bot's first suggestion).
FIXED_VALUES: dict[str, Any] = {
    "time": "09:00",
    "timezone": "Africa/Nairobi",
    "query": "cache",
    "text": "A short, harmless note.",
    "name": "bookings",
    "version": "v-matrix",
}
# Options a restricted command needs before it changes anything (without them, it only shows).
CHANGING_OPTIONS: dict[str, dict[str, Any]] = {
    "qa setup": {"channel": "qa"},
    "qa close": {"question": "the member's question"},  # (its number, below)
    "spec setup": {"channel": "api-specs"},
}
BY_TYPE: dict[int, Any] = {5: False, 7: "general", 8: "Moderator"}
SPEC_FILE = REPO / "tests" / "fixtures" / "openapi" / "bookings-v1.yaml"


def leaves(options: list[JSON] | None, path: str) -> Iterator[tuple[str, list[JSON]]]:
    subs = [o for o in options or [] if o["type"] in (1, 2)]
    if not subs:
        yield path, list(options or [])
    for sub in subs:
        yield from leaves(sub.get("options"), f"{path} {sub['name']}")


def registered_commands(fake: FakeDiscord) -> dict[str, list[JSON]]:
    found: dict[str, list[JSON]] = {}
    for command in fake.commands():
        if command.get("type", 1) == 1:
            found.update(leaves(command.get("options"), command["name"]))
    return found


def text_of(result: InteractionResult) -> str:
    parts = [result.content or ""]
    parts += [str(e.get("description") or "") + str(e.get("title") or "") for e in result.embeds]
    if result.modal is not None:
        parts.append(str(result.modal.get("title") or ""))
    return " ".join(parts)


def refused(result: InteractionResult) -> bool:
    return result.modal is None and bool(REFUSAL.search(text_of(result)))


async def option_values(fake: FakeDiscord, path: str, spec: list[JSON]) -> dict[str, Any]:
    """Required options filled the way a member would: autocomplete first, else a fixed value."""
    values: dict[str, Any] = {}
    for option in spec:
        if not option.get("required"):
            continue
        name, otype = option["name"], option["type"]
        if option.get("autocomplete"):
            choices = await fake.autocomplete(
                path, {**values, name: ""}, focused=name, user="admin"
            )
            values[name] = str(choices[0]["value"]) if choices else FIXED_VALUES.get(name, "x")
        elif otype == 11:
            values[name] = Upload(SPEC_FILE.name, SPEC_FILE.read_bytes())
        elif option.get("choices"):
            values[name] = option["choices"][0]["value"]
        elif otype == 3:
            values[name] = FIXED_VALUES.get(name, "x")
        else:
            values[name] = BY_TYPE[otype]
    return values


async def a_world_with_content(nexus: Harness) -> tuple[int, int]:
    """A spec (imported by an admin), a question by `member`, answered by `member2`."""
    fake = nexus.fake
    imported = await fake.slash(
        "spec import",
        {"name": "bookings", "file": Upload(SPEC_FILE.name, SPEC_FILE.read_bytes())},
        user="admin",
    )
    assert imported.errors == []
    assert not refused(imported), text_of(imported)
    qid = posted_id(await ask(fake, "How do I paginate a large queryset?", user="member"))
    await answer_by_button(fake, qid, "Use keyset pagination.", user="member2")
    answers = await fake.autocomplete(
        "qa edit-answer", {"answer": ""}, focused="answer", user="member2"
    )
    return qid, int(answers[0]["value"])


async def fresh_answer(fake: FakeDiscord, qid: int) -> int:
    await answer_by_button(fake, qid, "Another way: cursor pagination.", user="member2")
    mine = await fake.autocomplete(
        "qa delete-answer", {"answer": ""}, focused="answer", user="member2"
    )
    return max(int(c["value"]) for c in mine)


async def test_every_command_times_every_member(nexus: Harness) -> None:
    fake = nexus.fake
    qid, aid = await a_world_with_content(nexus)
    commands = registered_commands(fake)
    buttons = {path for path in RESTRICTED if path.startswith("button ")}
    assert set(RESTRICTED) - buttons <= set(commands), "the table names real commands"
    assert {"qa leaderboard", "qa profile", "qa stats"} <= set(commands), "open to everyone"

    mismatches: list[str] = []
    tried = 0
    for path, spec in sorted(commands.items()):
        allowed = RESTRICTED.get(path, EVERYONE)
        values = {**await option_values(fake, path, spec), **CHANGING_OPTIONS.get(path, {})}
        if path.startswith("qa") and "question" in values:
            values["question"] = str(qid)
        # Those who must be refused go first, so an allowed deletion cannot hide a refusal.
        for user in sorted(EVERYONE, key=lambda u: (u in allowed, u)):
            relax_cooldowns(nexus.bot)
            if "answer" in values and path != "answer":
                deletes = path == "qa delete-answer" and user in allowed
                values["answer"] = str(await fresh_answer(fake, qid) if deletes else aid)
            result = await fake.slash(path, values, user=user)
            tried += 1
            assert result.errors == [], f"/{path} by {user}: Discord rejected {result.errors}"
            was_refused = refused(result)
            if was_refused and not result.ephemeral:
                mismatches.append(f"/{path} by {user}: refused in public")
            if was_refused == (user in allowed):
                verdict = "refused" if was_refused else "allowed"
                mismatches.append(f"/{path} by {user}: {verdict}: {text_of(result)[:120]!r}")
    assert mismatches == [], "\n".join(mismatches)
    assert tried == 5 * len(commands)
    refusals = sum(len(EVERYONE - RESTRICTED.get(p, EVERYONE)) for p in commands)
    report("permissions", commands=len(commands), command_cells=tried, refusals_checked=refusals)


def message_commands(fake: FakeDiscord) -> list[str]:
    """The names of the registered message context menus (APPLICATION_COMMAND type 3)."""
    return sorted(c["name"] for c in fake.commands() if c.get("type", 1) == 3)


async def test_every_message_command_times_every_member(nexus: Harness) -> None:
    """Each message context menu, on a fresh chat reply to a question, by each member."""
    fake = nexus.fake
    qid, _ = await a_world_with_content(nexus)
    names = message_commands(fake)
    assert {"Ask as question", "Mark as answer"} <= set(names)
    question = next(
        m for m in fake.channel_messages("general") if f"qa:answer:{qid}" in str(m["components"])
    )
    mismatches: list[str] = []
    tried = 0
    for name in names:
        allowed = RESTRICTED.get(f"message {name}", EVERYONE)
        for user in sorted(EVERYONE, key=lambda u: (u in allowed, u)):
            relax_cooldowns(nexus.bot)
            chat = await fake.send_message(
                f"How do I paginate by cursor? Keyset pagination skips rows ({name}, {user}).",
                user="member2",
                reply_to=question,
            )
            result = await fake.context_menu(name, chat, user=user)
            tried += 1
            assert result.errors == [], f"{name!r} by {user}: Discord rejected {result.errors}"
            if refused(result) == (user in allowed):
                mismatches.append(f"{name!r} by {user}: {text_of(result)[:120]!r}")
            if result.modal is None and not result.ephemeral:
                mismatches.append(f"{name!r} by {user}: answered in public")
    assert mismatches == [], "\n".join(mismatches)
    assert tried == len(EVERYONE) * len(names)
    report("permissions", message_commands=len(names), message_command_cells=tried)


async def test_persistent_buttons_times_every_member(nexus: Harness) -> None:
    """Every button on the bot's public messages, clicked by each member."""
    fake = nexus.fake
    qid, _ = await a_world_with_content(nexus)
    await fake.slash("search", {"query": "cache"}, user="member")
    await fake.slash("tips", user="member")
    await fake.slash("concept", user="member")
    await fake.slash("spec list", {"spec": "bookings"}, user="member")
    # A day later the asker is asked whether the answer solved it (Accept, Still open).
    qa = nexus.bot.services.qa
    qa._clock = lambda: datetime.now(UTC) + timedelta(hours=25)
    assert (await nexus.bot.get_cog("Q&A").run_followups())["solved_checks"] == 1  # type: ignore[union-attr]
    templates = list(nexus.bot._connection._view_store._dynamic_items)

    mismatches: list[str] = []
    clicked: set[str] = set()
    clicks = accept_clicks = vote_clicks = 0
    for channel in ("general", "qa"):
        for message in fake.channel_messages(channel):
            if message["flags"] & 64:
                continue  # ephemeral: only the member who saw it can click it
            for custom_id in button_ids(message.get("components") or []):
                template = next((t.pattern for t in templates if t.fullmatch(custom_id)), None)
                if template is None:
                    continue
                clicked.add(template)
                allowed = RESTRICTED.get(f"button {custom_id.rsplit(':', 1)[0]}", EVERYONE)
                for user in sorted(EVERYONE, key=lambda u: (u in allowed, u)):
                    current = fake.world.find_message(int(message["id"]))
                    if current is None or custom_id not in button_ids(current["components"]):
                        continue  # an earlier click turned the page or removed the message
                    clicks += 1
                    accept_clicks += custom_id == f"qa:accept:{qid}"
                    vote_clicks += custom_id.startswith("qa:vote:")
                    result = await fake.click(current, custom_id, user=user)
                    assert result.errors == [], f"{custom_id} by {user}: {result.errors}"
                    if refused(result) == (user in allowed):
                        mismatches.append(f"{custom_id} by {user}: {text_of(result)[:120]!r}")
    assert mismatches == [], "\n".join(mismatches)
    assert any(t.startswith("qa:accept:") for t in clicked), f"accept was clicked: {clicked}"
    assert len(clicked) >= 6, f"buttons of several kinds were clicked: {clicked}"
    assert clicks >= len(clicked) + len(EVERYONE)
    assert accept_clicks == 2 * len(EVERYONE), "both accept buttons were tried by every member"
    assert vote_clicks == len(EVERYONE), "the 👍 on the answer was tried by every member"
    report("permissions", button_kinds=len(clicked), button_clicks=clicks)


def button_ids(components: list[JSON]) -> Iterator[str]:
    for component in components:
        if (
            component.get("type") == 2
            and component.get("custom_id")
            and not component.get("disabled")
        ):
            yield component["custom_id"]
        yield from button_ids(component.get("components") or [])
