"""API specs as embeds and short messages: endpoints, listings, changelogs, announcements.

Everything shown comes from members' documents, so it is escaped or fenced, clipped to
Discord's limits, and sent with mentions off (follower notices ping exactly their followers).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import discord

from bot.specs import (
    ChangesPage,
    FollowList,
    ImportReport,
    ListingPage,
    PersonalData,
    SpecContents,
    SpecSettingsView,
    StoredChange,
)
from bot.specs.tokens import IssuedToken
from cogs._kit.limits import (
    EMBED_DESCRIPTION,
    EMBED_FIELD_VALUE,
    EMBED_TITLE,
    MESSAGE_CONTENT,
    clip,
)
from cogs._kit.text import backups_note, code, esc, fit_lines, plural

if TYPE_CHECKING:  # values of a read document; the bot loads its reader only to read one
    from bot.specs.diff import Change
    from bot.specs.openapi import Problem

SEVERITY_ICON = {"breaking": "🔴", "warning": "🟡", "info": "🔵"}
SEVERITY_NAME = {"breaking": "breaking change", "warning": "warning", "info": "compatible change"}
COLOUR = 0x0EA5E9
BREAKING_COLOUR = 0xE74C3C
WARNING_COLOUR = 0xF1C40F
METHOD_ICON = {
    "GET": "🟦",
    "POST": "🟩",
    "PUT": "🟧",
    "PATCH": "🟪",
    "DELETE": "🟥",
}
ANNOUNCE_LINES = 15
WARNINGS_SHOWN = 8
FIELDS_SHOWN = 14


def counts_line(counts: dict[str, int]) -> str:
    parts = [
        f"{SEVERITY_ICON[s]} {plural(counts.get(s, 0), SEVERITY_NAME[s])}"
        for s in ("breaking", "warning", "info")
        if counts.get(s)
    ]
    return " · ".join(parts) or "no changes"


def change_line(change: Change | StoredChange, *, limit: int = 300) -> str:
    endpoint = change.endpoint
    return clip(f"{SEVERITY_ICON[change.severity]} {code(endpoint, 90)} — {change.message}", limit)


# -- settings ---------------------------------------------------------------------------------


def settings_text(settings: SpecSettingsView) -> str:
    channel = f"<#{settings.channel_id}>" if settings.channel_id else "not set"
    role = f"<@&{settings.editor_role_id}>" if settings.editor_role_id else "not set"
    return (
        "⚙️ **API specs in this server**\n"
        f"• Announcements of new versions: {channel}"
        f"{'' if settings.channel_id else ' (they go to the channel of the import)'}\n"
        f"• Who may import and add endpoints: {role}"
        f"{' and' if settings.editor_role_id else ' — only'} members with **Manage Server**"
    )


# -- import -----------------------------------------------------------------------------------


def warning_lines(warnings: Sequence[Problem], total: int) -> str:
    lines = []
    for problem in warnings[:WARNINGS_SHOWN]:
        where = problem.where()
        text = clip(" ".join(problem.message.split()), 160)
        lines.append(f"• {esc(where)}: {esc(text)}" if where else f"• {esc(text)}")
    if total > len(lines):
        lines.append(f"• …and {total - len(lines)} more.")
    return clip("\n".join(lines), EMBED_FIELD_VALUE)


def import_embed(report: ImportReport) -> discord.Embed:
    """What the importer sees: the version stored, its warnings, what changed."""
    version = report.version
    title = f"✅ Imported {report.spec.name} · {esc(version.label)}"
    lines = [
        f"**{esc(clip(report.spec.title, 200))}** — {plural(version.endpoint_count, 'endpoint')}",
        f"OpenAPI {code(version.openapi, 20)} · {report.source_format.upper()} · "
        f"version #{version.number}",
    ]
    if report.previous is not None:
        lines.append(f"Since {code(report.previous.label, 40)}: {counts_line(report.counts)}")
    else:
        lines.append("First version: browse it with `/spec list`.")
    embed = discord.Embed(
        title=clip(title, EMBED_TITLE), description="\n".join(lines), colour=COLOUR
    )
    if report.warning_count:
        embed.add_field(
            name=f"⚠️ {plural(report.warning_count, 'warning')} (imported anyway)",
            value=warning_lines(report.warnings, report.warning_count),
            inline=False,
        )
    embed.set_footer(
        text=f"read and checked in {report.analyse_seconds:.1f} s, stored in "
        f"{report.store_seconds:.1f} s"
    )
    return embed


def announcement_embed(
    report: ImportReport, importer_id: int | None, *, pushed: bool = False
) -> discord.Embed:
    """The public announcement of a new version: breaking changes first. `pushed`: it came
    from CI, with a token `importer_id` made.
    """
    version = report.version
    if not pushed:
        by = f"imported by <@{importer_id}>"
    elif importer_id is not None:
        by = f"pushed from CI with <@{importer_id}>'s token"
    else:
        by = "pushed from CI"
    counts = report.counts
    colour = COLOUR
    if counts["breaking"]:
        colour = BREAKING_COLOUR
    elif counts["warning"]:
        colour = WARNING_COLOUR
    if report.previous is None:
        title = f"📘 New API spec: {report.spec.name} · {esc(version.label)}"
        endpoints = plural(version.endpoint_count, "endpoint")
        summary = (
            f"**{esc(clip(report.spec.title, 200))}** — {endpoints}, {by}.\n"
            f"Browse it: `/spec list spec:{report.spec.name}`."
        )
        return discord.Embed(title=clip(title, EMBED_TITLE), description=summary, colour=colour)
    title = f"📘 {report.spec.name}: {esc(report.previous.label)} → {esc(version.label)}"
    head = (
        f"**{esc(clip(report.spec.title, 200))}** — {plural(version.endpoint_count, 'endpoint')}"
        f", {by}.\n**{counts_line(counts)}**\n"
    )
    if not report.changes:
        body = "No change to any endpoint (descriptions and examples may differ)."
    else:
        more = "…and {n} more: " + f"`/spec changes spec:{report.spec.name}`"
        body = fit_lines(
            (change_line(c, limit=240) for c in report.changes),
            EMBED_DESCRIPTION - len(head) - 50,
            more,
        )
    embed = discord.Embed(title=clip(title, EMBED_TITLE), description=head + body, colour=colour)
    embed.set_footer(text=f"Follow what you use: /spec follow spec:{report.spec.name}")
    return embed


def follower_notices(report: ImportReport) -> list[tuple[str, list[int]]]:
    """Messages that ping followers, each with exactly the users it mentions (in order)."""
    version = report.version
    if not report.followers:
        return []
    if report.previous is None:
        head = (
            f"🔔 **{report.spec.name}** has its first imported version, {code(version.label, 40)}:"
        )
    else:
        head = f"🔔 **{report.spec.name}** {code(version.label, 40)} changed what you follow:"
    messages: list[tuple[str, list[int]]] = []
    content, users = head, list[int]()
    for notice in report.followers:
        if notice.first_import:
            detail = "you follow the whole spec"
        else:
            reasons = ", ".join(notice.reasons[:4])
            if len(notice.reasons) > 4:
                reasons += ", …"
            detail = f"{counts_line(notice.counts)} ({clip(reasons, 300)})"
        line = f"\n<@{notice.user_id}> — {detail}"
        if len(content) + len(line) > MESSAGE_CONTENT - 20 and users:
            messages.append((content, users))
            content, users = head, list[int]()
        content += line
        users.append(notice.user_id)
    messages.append((content, users))
    return messages


# -- listings and changelogs --------------------------------------------------------------------


def listing_embed(page: ListingPage) -> discord.Embed:
    if not page.entries:
        return discord.Embed(
            title=clip(f"📚 {page.spec.name}", EMBED_TITLE),
            description=(
                "No endpoints yet: import a document with `/spec import`, or type one with "
                "`/spec add`."
            ),
            colour=COLOUR,
        )
    part = f" ({page.part}/{page.parts})" if page.parts > 1 else ""
    title = f"📚 {page.spec.name} — {esc(page.tag)}{part}"
    lines = []
    for entry in page.entries:
        method, _, path = entry.key.partition(" ")
        mark = " ✍️" if entry.manual else ""
        mark += " ⚠️ deprecated" if entry.deprecated else ""
        summary = f" — {esc(clip(entry.summary, 90))}" if entry.summary else ""
        lines.append(
            f"{METHOD_ICON.get(method, '⬜')} {code(f'{method} {path}', 110)}{summary}{mark}"
        )
    embed = discord.Embed(
        title=clip(title, EMBED_TITLE),
        description=clip("\n".join(lines), EMBED_DESCRIPTION),
        colour=COLOUR,
    )
    version = f"version {page.version.label} · " if page.version else ""
    embed.set_footer(
        text=f"{version}{plural(page.total, 'endpoint')} · page {page.page}/{page.pages} · "
        "open one with /spec endpoint"
    )
    return embed


def changes_embed(page: ChangesPage) -> discord.Embed:
    title = f"🔁 {page.spec.name}: {esc(page.older.label)} → {esc(page.newer.label)}"
    head = f"**{counts_line(page.counts)}**\n"
    if not page.changes:
        body = "No change to any endpoint between these versions."
    else:
        several = page.newer.number - page.older.number > 1
        lines = []
        for change in page.changes:
            line = change_line(change, limit=280)
            if several:
                line += f" · in {code(change.version_label, 30)}"
            lines.append(line)
        body = clip("\n".join(lines), EMBED_DESCRIPTION - len(head))
    colour = BREAKING_COLOUR if page.counts.get("breaking") else COLOUR
    embed = discord.Embed(title=clip(title, EMBED_TITLE), description=head + body, colour=colour)
    embed.set_footer(
        text=f"{plural(page.total, 'change')} · page {page.page}/{page.pages} · "
        "🔴 breaking · 🟡 warning · 🔵 info"
    )
    return embed


def follows_text(follows: FollowList, *, followed: bool | None) -> str:
    if followed is True:
        head = f"🔔 You now follow that in **{follows.spec.name}**."
    elif followed is False:
        head = f"🔔 You already followed that in **{follows.spec.name}**."
    else:
        head = f"🔕 Unfollowed in **{follows.spec.name}**."
    if follows.follows:
        items = ", ".join(f.describe() for f in follows.follows)
        tail = (
            f"\nYou follow: {items}. When a new version changes any of it, I mention you "
            "(and only you) under its announcement."
        )
    else:
        tail = f"\nYou follow nothing in {follows.spec.name} now."
    return clip(head + tail, MESSAGE_CONTENT)


def _contents_line(contents: SpecContents) -> str:
    return ", ".join(
        [
            plural(contents.versions, "version"),
            plural(contents.endpoints, "endpoint"),
            plural(contents.notes, "note"),
            plural(contents.follows, "follow"),
        ]
    )


def delete_prompt(contents: SpecContents) -> str:
    return (
        f"Delete the spec {code(contents.name)} and everything in it — "
        f"{_contents_line(contents)}? Members following it will no longer hear about it. "
        "Export a version first (`/spec export`) if you may need it again.\n\n"
        "This cannot be undone."
    )


def deleted_text(contents: SpecContents) -> str:
    return f"🗑️ The spec {code(contents.name)} is deleted ({_contents_line(contents)})."


def forget_prompt(data: PersonalData) -> str:
    return (
        f"You wrote **{plural(data.notes, 'note')}** on API specs and follow "
        f"**{plural(data.follows, 'thing')}**, in every server we share.\n\n"
        "**Forget me** deletes your notes and follows. Specs and endpoints you imported or "
        "typed stay for the others, with nothing linking them to you.\n\nThis cannot be undone."
    )


def forgotten_text(data: PersonalData, backups_kept: int | None = None) -> str:
    """What forget-me did; when backups are kept, how long the older ones still hold it."""
    text = f"🗑️ Done: {plural(data.notes, 'note')} and {plural(data.follows, 'follow')} deleted."
    if data.anonymised:
        text += f" Your name was removed from {plural(data.anonymised, 'other record')}."
    if backups_kept is not None and data.notes:
        text += " " + backups_note(backups_kept, "what you wrote")
    return text


def token_text(issued: IssuedToken, *, serving: bool) -> str:
    """The new push token, shown once, and how CI uses it."""
    lines = [
        f"🔑 The push token of **{issued.spec_name}**. It is shown this once: copy it now "
        "(Nexus keeps only a hash of it).",
        f"```\n{issued.token}\n```",
        "In CI, keep it as the secret `NEXUS_SPEC_TOKEN`, then push each new version with "
        f"`python -m bot spec push openapi.yaml --spec {issued.spec_name} --url <this bot's "
        "push address>`. It pushes to this spec only.",
    ]
    if issued.replaced:
        lines.append("The spec's previous token no longer works.")
    if not serving:
        lines.append(
            "⚠️ This bot does not take pushes right now: its operator turns them on with "
            "`HTTP_PORT`."
        )
    return "\n".join(lines)


def revoked_text(spec_name: str) -> str:
    """The push token is gone."""
    return (
        f"🗑️ The push token of **{spec_name}** is revoked: pushes with it are refused from now "
        "on. Make a new one with `/spec token create`."
    )
