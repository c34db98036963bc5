"""What to offer while a command is typed: names, options, choices and the bot's own answers.

The line typed so far is analysed against the registered command payloads; for an option with
autocomplete the bot itself is asked, through an autocomplete interaction, like Discord does.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from localdiscord.playground.command_tree import CommandTree, InputProblem, OptionSpec, OptionType
from localdiscord.playground.directory import Directory
from localdiscord.playground.parse import Partial, analyse, convert

MAX_SHOWN = 25  # Discord shows at most 25 choices too

# (command path, options typed so far, focused option name) -> the bot's choices
AskBot = Callable[[str, dict[str, Any], str], Awaitable[list[dict[str, Any]]]]


@dataclass(frozen=True, slots=True)
class Suggestion:
    text: str  # what replaces the fragment
    replace: int  # how many characters before the cursor it replaces
    display: str  # what the menu shows
    meta: str = ""  # a description beside it


def static_suggestions(
    partial: Partial, tree: CommandTree, directory: Directory, meta_words: Mapping[str, str]
) -> list[Suggestion]:
    """Everything that needs no round trip to the bot."""
    found: list[Suggestion] = []
    if partial.stage == "command":
        word = partial.word.lower()
        for name, description in tree.children([]):
            if name.startswith(word):
                found.append(Suggestion(name + " ", len(partial.word), f"/{name}", description))
        for name, description in meta_words.items():
            if name.startswith(word) and name not in tree:
                found.append(Suggestion(name + " ", len(partial.word), f"/{name}", description))
        return found
    if partial.stage == "subcommand":
        word = partial.word.lower()
        return [
            Suggestion(name + " ", len(partial.word), name, description)
            for name, description in tree.children(partial.path)
            if name.startswith(word)
        ]
    word = partial.word.lower()
    for option in partial.unused():
        if option.name.startswith(word) and (word or not partial.value.strip()):
            meta = ("required · " if option.required else "") + option.description
            found.append(Suggestion(f"{option.name}:", len(partial.word), f"{option.name}:", meta))
    focused = partial.focused
    if focused is not None and not focused.autocomplete:
        found.extend(_value_suggestions(focused, partial.value, directory))
    return found


def _value_suggestions(option: OptionSpec, typed: str, directory: Directory) -> list[Suggestion]:
    lowered = typed.strip().lower()
    pairs: list[tuple[str, str]] = []  # (inserted, shown)
    if option.choices:
        pairs = [(str(c.value), c.name) for c in option.choices]
    elif option.type is OptionType.BOOLEAN:
        pairs = [("True", "True"), ("False", "False")]
    elif option.type is OptionType.CHANNEL:
        pairs = [(f"#{c.name}", f"#{c.name}") for c in directory.channels]
    elif option.type in (OptionType.USER, OptionType.MENTIONABLE):
        pairs = [(f"@{p.username}", f"@{p.username} ({p.display})") for p in directory.people]
    if option.type in (OptionType.ROLE, OptionType.MENTIONABLE):
        pairs += [(f"@{r.name}", f"@{r.name}") for r in directory.roles]
    return [
        Suggestion(inserted, len(typed), shown, option.description)
        for inserted, shown in pairs
        if lowered in shown.lower() or lowered in inserted.lower()
    ][:MAX_SHOWN]


def typed_options(partial: Partial, directory: Directory) -> dict[str, Any]:
    """The other options typed so far, converted; ones that do not convert are left out."""
    values: dict[str, Any] = {}
    if partial.command is None:
        return values
    for name, raw in partial.given.items():
        option = partial.command.option(name)
        if option is None or option.type is OptionType.ATTACHMENT:
            continue
        try:
            values[name] = convert(option, raw, directory)
        except InputProblem:
            continue
    return values


async def bot_suggestions(partial: Partial, directory: Directory, ask: AskBot) -> list[Suggestion]:
    """The bot's own autocomplete choices for the focused option (empty when it has none)."""
    focused = partial.focused
    if partial.command is None or focused is None or not focused.autocomplete:
        return []
    options = typed_options(partial, directory)
    options[focused.name] = partial.value.strip()
    choices = await ask(partial.command.name, options, focused.name)
    found = []
    for choice in choices[:MAX_SHOWN]:
        value, name = str(choice["value"]), str(choice["name"])
        found.append(Suggestion(value, len(partial.value), name, "" if value == name else value))
    return found


async def suggestions(
    text: str,
    tree: CommandTree,
    directory: Directory,
    ask: AskBot,
    meta_words: Mapping[str, str],
) -> list[Suggestion]:
    """Every suggestion for the line typed so far (static first, then the bot's)."""
    partial = analyse(text, tree)
    if partial is None:
        return []
    found = static_suggestions(partial, tree, directory, meta_words)
    if partial.stage == "options":
        found.extend(await bot_suggestions(partial, directory, ask))
    return found
