"""Interaction routes of the fake REST API: the callback, follow-ups and the response messages.

The callback enforces what Discord enforces: the 3-second deadline, one acknowledgement per
interaction, the callback types each interaction type allows, and the payload limits. What it
refuses is also noted on the interaction (`PendingInteraction.errors`) for the test to see.
"""

from __future__ import annotations

import copy
import time
from typing import Any

from aiohttp import web

from localdiscord.emulator.limits import (
    Problem,
    autocomplete_problems,
    message_problems,
    modal_problems,
)
from localdiscord.emulator.messages import create_message, delete_message, edit_message
from localdiscord.emulator.rest_kit import (
    API_PREFIX,
    bad_request,
    body_of,
    checked_message,
    error,
    files_of,
    json_response,
    need,
    truthy,
    unknown,
)
from localdiscord.emulator.state import EPHEMERAL, JSON, LOADING, PendingInteraction, World

# Callback types each interaction type may answer with (PING, APPLICATION_COMMAND, ...).
ALLOWED_CALLBACKS = {1: {1}, 2: {4, 5, 9}, 3: {4, 5, 6, 7, 9}, 4: {8}, 5: {4, 5, 6, 7}}


class InteractionRoutes:
    """`/interactions/{iid}/{token}/callback` and `/webhooks/{app}/{token}/...` (a part of
    `RestApi`).
    """

    world: World
    interaction_deadline: float | None  # seconds the bot has to answer (None: no deadline)

    def add_interaction_routes(self, router: web.UrlDispatcher) -> None:
        router.add_post(
            API_PREFIX + "/interactions/{iid}/{token}/callback", self.interaction_callback
        )
        router.add_post(API_PREFIX + "/webhooks/{app}/{token}", self.execute_webhook)
        message = API_PREFIX + "/webhooks/{app}/{token}/messages/{message}"
        router.add_get(message, self.get_webhook_message)
        router.add_patch(message, self.edit_webhook_message)
        router.add_delete(message, self.delete_webhook_message)

    def _pending(self, request: web.Request) -> PendingInteraction | None:
        pending = self.world.interaction_by_token(request.match_info["token"])
        if pending is None:
            return None
        if "iid" in request.match_info and request.match_info["iid"] != str(pending.id):
            return None
        if "app" in request.match_info and request.match_info["app"] != str(
            self.world.application_id
        ):
            return None
        return pending

    @staticmethod
    def _reject(pending: PendingInteraction, response: web.Response, why: str) -> web.Response:
        pending.errors.append(why)
        return response

    # -- the callback ----------------------------------------------------------------------

    async def interaction_callback(self, request: web.Request) -> web.Response:
        pending = need(self._pending(request), "interaction")
        elapsed = time.monotonic() - pending.created
        deadline = self.interaction_deadline
        if deadline is not None and elapsed > deadline:
            return self._reject(
                pending,
                unknown("interaction"),
                f"callback came {elapsed:.2f}s after the interaction; Discord allows "
                f"{deadline:g}s (defer first)",
            )
        if pending.callback_type is not None:
            return self._reject(
                pending,
                error(400, 40060, "Interaction has already been acknowledged."),
                "the interaction was acknowledged twice",
            )
        body = body_of(request) or {}
        files = files_of(request)
        ctype = body.get("type")
        data = body.get("data") or {}
        problems = _callback_problems(pending, ctype, data, len(files))
        if problems:
            return self._reject(pending, bad_request(problems), "; ".join(str(p) for p in problems))
        channel = self.world.channel_by_id(pending.channel_id)
        assert channel is not None
        message: JSON | None = None
        message_type = 20 if pending.type == 2 else 0  # 20: a reply to an application command
        if ctype == 4:
            message = create_message(
                self.world, channel, data, files, interaction=pending, message_type=message_type
            )
            self.world.sent_bodies.append(copy.deepcopy(data))
        elif ctype == 5:  # "thinking": a loading message, edited or replaced by a follow-up later
            flags = LOADING | (int(data.get("flags") or 0) & EPHEMERAL)
            message = create_message(
                self.world,
                channel,
                {},
                [],
                interaction=pending,
                message_type=message_type,
                extra_flags=flags,
            )
        elif ctype == 7 and pending.source_message_id is not None:
            source = need(self.world.find_message(pending.source_message_id), "message")
            message = edit_message(self.world, source, data, files)
            self.world.sent_bodies.append(copy.deepcopy(data))
        if message is not None:
            pending.original_message_id = int(message["id"])
        elif ctype == 6:
            pending.original_message_id = pending.source_message_id
        pending.callback_type = ctype
        pending.callback_data = copy.deepcopy(data) if "data" in body else None
        if not truthy(request.query.get("with_response")):
            return web.Response(status=204)
        interaction: JSON = {"id": str(pending.id), "type": pending.type}
        if message is not None:
            interaction.update(
                response_message_id=message["id"],
                response_message_loading=bool(message["flags"] & LOADING),
                response_message_ephemeral=bool(message["flags"] & EPHEMERAL),
            )
        resource: JSON = {"type": ctype}
        if message is not None and ctype in (4, 5, 7):
            resource["message"] = copy.deepcopy(message)
        return json_response({"interaction": interaction, "resource": resource})

    # -- follow-ups and the response messages ------------------------------------------------

    async def execute_webhook(self, request: web.Request) -> web.Response:
        pending = self._pending(request)
        if pending is None or pending.callback_type is None:
            return unknown("webhook")
        body, files = checked_message(request, pending=pending, what="follow-up: ")
        self.world.sent_bodies.append(copy.deepcopy(body))
        original = self.world.find_message(pending.original_message_id or 0)
        if pending.callback_type == 5 and original is not None and original["flags"] & LOADING:
            # The first follow-up after a "thinking" defer replaces the loading message.
            message = edit_message(self.world, original, body, files)
        else:
            channel = self.world.channel_by_id(pending.channel_id)
            assert channel is not None
            message = create_message(self.world, channel, body, files, interaction=pending)
        pending.followup_ids.append(int(message["id"]))
        if not truthy(request.query.get("wait")):
            return web.Response(status=204)
        return json_response(message)

    def _webhook_message(self, request: web.Request) -> tuple[PendingInteraction, JSON]:
        """The interaction and the message (`@original` or a follow-up's id) the path names."""
        pending = need(self._pending(request), "webhook")
        ref = request.match_info["message"]
        message_id: int | None = None
        if ref == "@original":
            message_id = pending.original_message_id
        elif ref.isdigit() and int(ref) in ([*pending.followup_ids, pending.original_message_id]):
            message_id = int(ref)
        found = self.world.find_message(message_id) if message_id is not None else None
        return pending, need(found, "message")

    async def get_webhook_message(self, request: web.Request) -> web.Response:
        _, message = self._webhook_message(request)
        return json_response(message)

    async def edit_webhook_message(self, request: web.Request) -> web.Response:
        pending, message = self._webhook_message(request)
        body, files = checked_message(request, partial=True, pending=pending, what="edit: ")
        self.world.sent_bodies.append(copy.deepcopy(body))
        edit_message(self.world, message, body, files)
        if int(message["id"]) == pending.original_message_id:
            pending.original_edits += 1
        return json_response(message)

    async def delete_webhook_message(self, request: web.Request) -> web.Response:
        _, message = self._webhook_message(request)
        delete_message(self.world, int(message["id"]))
        return web.Response(status=204)


def _callback_problems(
    pending: PendingInteraction, ctype: Any, data: JSON, files: int
) -> list[Problem]:
    itype = pending.type
    allowed = ALLOWED_CALLBACKS.get(itype, set())
    if ctype not in allowed:
        return [
            Problem(
                ("type",),
                f"callback type {ctype!r} is not valid for interaction type {itype} "
                f"(allowed: {sorted(allowed)})",
                "INTERACTION_RESPONSE_TYPE_INVALID",
            )
        ]
    if ctype in (7, 6) and pending.source_message_id is None:
        return [Problem(("type",), "there is no message to update")]
    if ctype == 4:
        return message_problems(data, files=files)
    if ctype == 7:
        return message_problems(data, files=files, partial=True)
    if ctype == 8:
        return autocomplete_problems(data)
    if ctype == 9:
        return modal_problems(data)
    return []
