"""The frontend kit on Discord: the TypeScript, fetch and curl buttons under an endpoint, each
answering privately with a code block, or with a file when the code is longer than a message.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import Any

import discord

from bot.specs import EndpointView, key_hash
from cogs._kit.interaction import server, services
from cogs._kit.limits import MESSAGE_CONTENT
from cogs._kit.persistent import Action
from cogs._kit.text import block, code
from cogs._kit.ui import SafeView, in_time, respond

Interaction = discord.Interaction[Any]
WHERE = "API specs"
# The button's kind, the code written, the code block's language, and how the button reads.
KINDS = {
    "ts": ("typescript", "ts", "TypeScript", "🟦"),
    "fetch": ("fetch", "ts", "fetch", "🌐"),
    "curl": ("curl", "bash", "curl", "⌨️"),
}
WHAT = {
    "typescript": "TypeScript types (requests without readOnly fields, responses without "
    "writeOnly ones)",
    "fetch": "a `fetch` call (types from the TypeScript button)",
    "curl": "a `curl` command",
}


async def _send_code(interaction: Interaction, state: Mapping[str, str]) -> None:
    kind, language, _, _ = KINDS[state["kind"]]
    specs = services(interaction).specs
    written = specs.endpoint_code(
        server(interaction, WHERE), int(state["spec"]), state["key"], kind
    )
    kit = await in_time(interaction, written, ephemeral=True)
    head = f"{code(kit.key, 120)} · version {code(kit.version.label, 40)}: {WHAT[kit.kind]}."
    budget = MESSAGE_CONTENT - len(head) - 1
    if len(kit.text) + len(language) + 8 <= budget:  # the whole code fits in its block
        fenced = block(kit.text, budget, language)
        await respond(interaction, content=f"{head}\n{fenced}", ephemeral=True)
        return
    attached = discord.File(io.BytesIO(kit.text.encode()), filename=kit.filename)
    await respond(
        interaction,
        content=f"{head} Too long for a message: attached.",
        file=attached,
        ephemeral=True,
    )


CODE = Action(
    "spec:kit:{kind}:{spec}:{key}",
    {"kind": "ts|fetch|curl", "spec": r"\d{1,18}", "key": "[0-9a-f]{16}"},
    _send_code,
)
CodeButton = CODE.button


def kit_buttons(view: EndpointView) -> SafeView | None:
    """TypeScript, fetch and curl under an imported endpoint (a hand-typed one has no schema)."""
    if view.operation is None:
        return None
    buttons = SafeView(timeout=None)
    state = {"spec": view.spec.id, "key": key_hash(view.key)}
    for short, (_, _, label, emoji) in KINDS.items():
        buttons.add_item(CODE.make(label, {"kind": short, **state}, emoji=emoji))
    return buttons
