"""Discord messages as terminal text (rich): embeds as boxed panels, controls numbered."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, ClassVar

from markdown_it import MarkdownIt
from rich import box
from rich.console import Console, ConsoleOptions, Group, RenderableType, RenderResult
from rich.constrain import Constrain
from rich.markdown import CodeBlock, Heading, Markdown, MarkdownElement
from rich.panel import Panel
from rich.syntax import Syntax
from rich.table import Table
from rich.text import Text

from localdiscord.emulator.message_limits import SELECT_TYPES
from localdiscord.emulator.state import EPHEMERAL, JSON
from localdiscord.playground.directory import Directory

EMBED_WIDTH = 88  # about as wide as an embed in the Discord client, in terminal cells
BUTTON_STYLES = {1: "bold blue", 2: "bold", 3: "bold green", 4: "bold red", 5: "underline"}
ENTITY_WORDS = {5: "a member", 6: "a role", 7: "a member or role", 8: "a channel"}
TIMESTAMP = re.compile(r"<t:(-?\d+)(?::([tTdDfFR]))?>")
USER_MENTION = re.compile(r"<@!?(\d+)>")
ROLE_MENTION = re.compile(r"<@&(\d+)>")
CHANNEL_MENTION = re.compile(r"<#(\d+)>")
CUSTOM_EMOJI = re.compile(r"<a?:(\w+):\d+>")
SLASH_MENTION = re.compile(r"</([\w\- ]+):\d+>")
JUMP_LINK = re.compile(
    r"https://(?:\w+\.)?discord(?:app)?\.com/channels/(\d+|@me)/(\d+)(?:/(\d+))?"
)
SUBTEXT = re.compile(r"^-# (.+)$", re.MULTILINE)
FENCE = re.compile(r"(```.*?(?:```|$))", re.DOTALL)


# -- Discord's markup ------------------------------------------------------------------------


def _relative(moment: datetime, now: datetime) -> str:
    seconds = int((moment - now).total_seconds())
    future = seconds >= 0
    seconds = abs(seconds)
    for size, unit in ((86_400 * 365, "year"), (86_400 * 30, "month"), (86_400, "day"),
                       (3_600, "hour"), (60, "minute")):  # fmt: skip
        if seconds >= size:
            count = seconds // size
            words = f"{count} {unit}{'s' if count != 1 else ''}"
            return f"in {words}" if future else f"{words} ago"
    return "in a few seconds" if future else "a few seconds ago"


def format_timestamp(unix: int, style: str | None, now: datetime | None = None) -> str:
    """`<t:unix:style>` as the Discord client shows it (in UTC: a transcript has one zone)."""
    moment = datetime.fromtimestamp(unix, UTC)
    if style == "R":
        return _relative(moment, now or datetime.now(UTC))
    formats = {
        "t": "%H:%M",
        "T": "%H:%M:%S",
        "d": "%Y-%m-%d",
        "D": "%d %B %Y",
        "f": "%d %B %Y %H:%M",
        "F": "%A, %d %B %Y %H:%M",
    }
    text = moment.strftime(formats.get(style or "f", formats["f"]))
    return text if style in ("d", "D") else f"{text} UTC"


def discord_text(text: str, directory: Directory, now: datetime | None = None) -> str:
    """Mentions, timestamps, custom emoji and jump links made readable (code left alone)."""
    people = {str(p.id): p.display for p in directory.people}
    channels = {str(c.id): c.name for c in directory.channels}
    roles = {str(r.id): r.name for r in directory.roles}

    def plain(part: str) -> str:
        part = USER_MENTION.sub(lambda m: f"@{people.get(m.group(1), 'unknown-user')}", part)
        part = ROLE_MENTION.sub(lambda m: f"@{roles.get(m.group(1), 'unknown-role')}", part)
        part = CHANNEL_MENTION.sub(lambda m: f"#{channels.get(m.group(1), 'unknown')}", part)
        part = TIMESTAMP.sub(lambda m: format_timestamp(int(m.group(1)), m.group(2), now), part)
        part = CUSTOM_EMOJI.sub(r":\1:", part)
        part = SLASH_MENTION.sub(r"/\1", part)
        part = JUMP_LINK.sub(
            lambda m: (
                f"#{channels.get(m.group(2), 'unknown')}" + (" message" if m.group(3) else "")
            ),
            part,
        )
        return SUBTEXT.sub(r"*\1*", part)

    return "".join(p if p.startswith("```") else plain(p) for p in FENCE.split(text))


class _LeftHeading(Heading):
    """Headings flush left, as Discord shows them."""

    LEVEL_ALIGN: ClassVar[dict[str, Any]] = dict.fromkeys(
        ("h1", "h2", "h3", "h4", "h5", "h6"), "left"
    )


class _QuietCodeBlock(CodeBlock):
    """A code block without a background, so it reads well on any terminal and in plain text."""

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        code = str(self.text).rstrip()
        yield Syntax(
            code,
            self.lexer_name,
            theme="ansi_dark",
            word_wrap=True,
            padding=(0, 2),
            background_color="default",
        )


class DiscordMarkdown(Markdown):
    """Markdown as Discord reads it: every newline is a line break; links show their target."""

    elements: ClassVar[dict[str, type[MarkdownElement]]] = {
        **Markdown.elements,
        "heading_open": _LeftHeading,
        "fence": _QuietCodeBlock,
        "code_block": _QuietCodeBlock,
    }

    def __init__(self, markup: str) -> None:
        super().__init__(markup, hyperlinks=False)
        self.parsed = MarkdownIt("commonmark").enable("strikethrough").parse(markup)
        for token in self.parsed:
            for child in token.children or []:
                if child.type == "softbreak":
                    child.type = "hardbreak"


# -- messages ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Control:
    """A numbered button or select the user can press with `click N` / `select N value`."""

    number: int
    message_id: int
    component: JSON

    @property
    def custom_id(self) -> str:
        return str(self.component.get("custom_id") or "")

    @property
    def is_select(self) -> bool:
        return int(self.component.get("type", 0)) in SELECT_TYPES

    @property
    def label(self) -> str:
        return component_label(self.component)


Numberer = Callable[[int, JSON], int | None]


def component_label(component: Mapping[str, Any]) -> str:
    emoji = component.get("emoji") or {}
    mark = ""
    if emoji.get("id"):
        mark = f":{emoji.get('name') or 'emoji'}:"
    elif emoji.get("name"):
        mark = str(emoji["name"])
    label = str(component.get("label") or component.get("placeholder") or "")
    return " ".join(part for part in (mark, label) if part) or "(no label)"


def _control_text(component: JSON, number: int | None) -> Text:
    ctype = int(component.get("type", 0))
    disabled = bool(component.get("disabled"))
    label = component_label(component)
    tag = f"[{number}]" if number is not None else "[-]"
    if ctype == 2:
        style = BUTTON_STYLES.get(int(component.get("style", 2)), "bold")
        if int(component.get("style", 2)) == 5:
            return Text.assemble(
                ("[↗] ", "dim"), (label, style), (f" {component.get('url')}", "dim")
            )
        text = Text.assemble((f"{tag} ", "cyan"), (label, "dim strike" if disabled else style))
        if disabled:
            text.append(" (disabled)", style="dim")
        return text
    text = Text.assemble((f"{tag} ", "cyan"), ("▾ ", "bold"), (label, "bold"))
    low, high = int(component.get("min_values", 1)), int(component.get("max_values", 1))
    if high > 1:
        text.append(f" (pick {low}-{high})", style="dim")
    if disabled:
        text.append(" (disabled)", style="dim")
    return text


def _select_options(component: JSON) -> Text | None:
    ctype = int(component.get("type", 0))
    if ctype != 3:
        return Text(f"    choose {ENTITY_WORDS.get(ctype, 'something')} by name", style="dim")
    parts: list[str] = []
    for option in component.get("options") or []:
        label, value = str(option.get("label", "")), str(option.get("value", ""))
        shown = label if value.lower() == label.lower() else f"{label} ({value})"
        if option.get("default"):
            shown += " ✓"
        parts.append(shown)
    return Text("    " + " · ".join(parts), style="dim") if parts else None


def components_view(
    components: Sequence[JSON], message_id: int, numberer: Numberer
) -> list[RenderableType]:
    """Each row of controls as a line; selects get a second line listing their options."""
    lines: list[RenderableType] = []
    for row in components:
        if int(row.get("type", 0)) != 1:
            lines.extend(_layout_lines(row, message_id, numberer))
            continue
        buttons: list[Text] = []
        for component in row.get("components") or []:
            clickable = component.get("custom_id") and not component.get("disabled")
            number = numberer(message_id, component) if clickable else None
            if int(component.get("type", 0)) in SELECT_TYPES:
                lines.append(_control_text(component, number))
                options = _select_options(component)
                if options is not None:
                    lines.append(options)
            else:
                buttons.append(_control_text(component, number))
        if buttons:
            lines.append(ButtonRow(buttons))
    return lines


class ButtonRow:
    """Buttons side by side, wrapping between buttons rather than inside a label."""

    def __init__(self, buttons: list[Text]) -> None:
        self.buttons = buttons

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        line = Text()
        for button in self.buttons:
            if line and line.cell_len + 2 + button.cell_len > options.max_width:
                yield line
                line = Text()
            if line:
                line.append("  ")
            line.append_text(button)
        if line:
            yield line


def _layout_lines(component: JSON, message_id: int, numberer: Numberer) -> list[RenderableType]:
    """Components v2 layout pieces, flattened to lines (text displays, sections, separators)."""
    ctype = int(component.get("type", 0))
    if ctype == 10:
        return [Text(str(component.get("content") or ""))]
    if ctype == 14:
        return [Text("─" * 20, style="dim")]
    lines: list[RenderableType] = []
    inner = list(component.get("components") or [])
    if isinstance(component.get("accessory"), dict):
        inner.append({"type": 1, "components": [component["accessory"]]})
    for child in inner:
        if int(child.get("type", 0)) in (2, *SELECT_TYPES):
            child = {"type": 1, "components": [child]}
        lines.extend(components_view([child], message_id, numberer))
    return lines


def _size(size: int) -> str:
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KB"
    return f"{size / 1024 / 1024:.1f} MB"


def embed_view(embed: Mapping[str, Any], directory: Directory) -> RenderableType:
    """One embed as a boxed panel: author, title, description, fields, image, footer."""

    def md(text: str) -> DiscordMarkdown:
        return DiscordMarkdown(discord_text(text, directory))

    parts: list[RenderableType] = []
    author = (embed.get("author") or {}).get("name")
    if author:
        parts.append(Text(discord_text(str(author), directory), style="bold dim"))
    if embed.get("title"):
        title = Text(discord_text(str(embed["title"]), directory), style="bold")
        if embed.get("url"):
            title.append(f"  {embed['url']}", style="dim")
        parts.append(title)
    if embed.get("description"):
        parts.append(md(str(embed["description"])))
    fields = list(embed.get("fields") or [])
    index = 0
    while index < len(fields):
        if fields[index].get("inline"):
            run: list[Mapping[str, Any]] = []
            while index < len(fields) and fields[index].get("inline") and len(run) < 3:
                run.append(fields[index])
                index += 1
            grid = Table.grid(padding=(0, 3), expand=False)
            for _ in run:
                grid.add_column(ratio=1)
            grid.add_row(*(_field(f, directory) for f in run))
            parts.append(grid)
        else:
            parts.append(_field(fields[index], directory))
            index += 1
    for key, word in (("image", "image"), ("thumbnail", "thumbnail")):
        url = (embed.get(key) or {}).get("url")
        if url:
            parts.append(Text(f"🖼 {word}: {url}", style="dim"))
    footer = (embed.get("footer") or {}).get("text")
    stamp = embed.get("timestamp")
    bottom = [discord_text(str(footer), directory)] if footer else []
    if stamp:
        try:
            moment = datetime.fromisoformat(str(stamp))
            bottom.append(moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC"))
        except ValueError:
            bottom.append(str(stamp))
    if bottom:
        parts.append(Text(" · ".join(bottom), style="dim"))
    color = embed.get("color")
    border = f"#{int(color):06x}" if isinstance(color, int) and color else "grey50"
    panel = Panel(Group(*_spaced(parts)), box=box.ROUNDED, border_style=border, expand=True)
    return Constrain(panel, EMBED_WIDTH)


def _field(field: Mapping[str, Any], directory: Directory) -> RenderableType:
    name = Text(discord_text(str(field.get("name", "")), directory), style="bold")
    value = DiscordMarkdown(discord_text(str(field.get("value", "")), directory))
    return Group(name, value)


def _spaced(parts: list[RenderableType]) -> list[RenderableType]:
    spaced: list[RenderableType] = []
    for index, part in enumerate(parts):
        # Title and author sit together; other blocks get a blank line between them.
        if index and not (isinstance(part, Text) and index == 1 and isinstance(parts[0], Text)):
            spaced.append(Text(""))
        spaced.append(part)
    return spaced


def channel_label(channel_id: int, directory: Directory, dm_names: Mapping[int, str]) -> str:
    for place in directory.channels:
        if place.id == channel_id:
            return f"#{place.name}"
    if channel_id in dm_names:
        return f"✉ DM with {dm_names[channel_id]}"
    return f"#{channel_id}"


def message_header(
    message: Mapping[str, Any],
    directory: Directory,
    *,
    current_channel_id: int,
    edited: bool = False,
    dm_names: Mapping[int, str] | None = None,
) -> Text:
    channel_id = int(message["channel_id"])
    where = channel_label(channel_id, directory, dm_names or {})
    elsewhere = channel_id != current_channel_id
    author = message.get("author") or {}
    name = author.get("global_name") or author.get("username") or "someone"
    header = Text()
    header.append(
        f"{'→ ' if elsewhere else ''}{where}", style="bold magenta" if elsewhere else "bold"
    )
    header.append(f"  {name}", style="bold cyan")
    meta = message.get("interaction_metadata") or {}
    user = meta.get("user") or {}
    who = user.get("global_name") or user.get("username")
    done = {3: "clicked", 5: "sent a form"}.get(int(meta.get("type") or 0), "")
    if who and meta.get("name"):
        header.append(f" ↩ {who} used /{meta['name']}", style="dim")
    elif who:
        header.append(f" ↩ {who} {done}".rstrip(), style="dim")
    if int(message.get("flags") or 0) & EPHEMERAL:
        header.append("  👁 only you can see this", style="italic yellow")
    if edited:
        header.append("  (edited)", style="dim")
    return header


def message_view(
    message: Mapping[str, Any],
    directory: Directory,
    numberer: Numberer,
    *,
    current_channel_id: int,
    edited: bool = False,
    dm_names: Mapping[int, str] | None = None,
) -> RenderableType:
    """A whole message: header line, text, embeds, attachments, then its controls."""
    parts: list[RenderableType] = [
        message_header(
            message,
            directory,
            current_channel_id=current_channel_id,
            edited=edited,
            dm_names=dm_names,
        )
    ]
    content = str(message.get("content") or "")
    if content:
        parts.append(DiscordMarkdown(discord_text(content, directory)))
    for embed in message.get("embeds") or []:
        parts.append(embed_view(embed, directory))
    for attachment in message.get("attachments") or []:
        size = _size(int(attachment.get("size") or 0))
        parts.append(Text(f"📎 {attachment.get('filename')} ({size})", style="dim"))
    parts.extend(components_view(message.get("components") or [], int(message["id"]), numberer))
    return Group(*parts)


def deleted_view(message: Mapping[str, Any], directory: Directory) -> Text:
    where = channel_label(int(message["channel_id"]), directory, {})
    return Text(f"🗑 Nexus deleted a message in {where}", style="dim")


def problem_view(text: str) -> Text:
    """Input the Discord client would refuse, said the way it would say it."""
    return Text.assemble(("✖ ", "bold red"), (text.replace("`", ""), "red"))


def note_view(text: str) -> Text:
    return Text(text, style="dim italic")


def echo_view(line: str, prompt: str = "> ") -> Text:
    return Text.assemble((prompt, "dim"), (line, "bold"))


def blank() -> Text:
    return Text("")
