"""What a user types, picks, fills in or uploads, converted the way the Discord client sends it.

`InputContext` turns test-side values (user keys, role and channel names, `Upload`s) into
interaction option values, select values and modal fields, collecting the `resolved` objects
Discord adds; with `strict`, it refuses what the client would not send (a missing required
option, a value outside its choices or bounds, too many selected values).
"""

from __future__ import annotations

import mimetypes
from dataclasses import dataclass
from typing import Any

from localdiscord.emulator.message_limits import SELECT_TYPES
from localdiscord.emulator.messages import attachment_payload, store_file
from localdiscord.emulator.payloads import member_payload, role_payload, user_payload
from localdiscord.emulator.state import (
    JSON,
    FakeChannel,
    FakeGuild,
    FakeMember,
    RecordedFile,
    World,
)


@dataclass
class Upload:
    """A file a user attaches to a slash command (served to the bot from a loopback URL)."""

    filename: str
    data: bytes
    content_type: str = ""

    def __post_init__(self) -> None:
        if not self.content_type:
            guessed = mimetypes.guess_type(self.filename)[0]
            self.content_type = guessed or "application/octet-stream"


@dataclass
class InputContext:
    """Converts test-side values into interaction values, filling `resolved` as it goes."""

    world: World
    guild: FakeGuild | None
    channel: FakeChannel
    member: FakeMember | None
    resolved: JSON
    strict: bool

    def _bucket(self, kind: str) -> JSON:
        bucket: JSON = self.resolved.setdefault(kind, {})
        return bucket

    def user(self, ref: Any) -> str:
        user = self.world.user(ref)
        self._bucket("users")[str(user.id)] = user_payload(user)
        member = self.guild.members.get(user.id) if self.guild else None
        if member is not None and self.guild is not None:
            perms = self.guild.permissions_in(self.channel, member)
            self._bucket("members")[str(user.id)] = member_payload(
                member, with_user=False, permissions=perms
            )
        return str(user.id)

    def role(self, ref: Any) -> str:
        if self.guild is None:
            raise AssertionError("roles only exist in guilds")
        role = self.guild.role(ref)
        self._bucket("roles")[str(role.id)] = role_payload(role)
        return str(role.id)

    def mentionable(self, ref: Any) -> str:
        """A user if `ref` names one, else a role."""
        try:
            return self.user(ref)
        except AssertionError:
            return self.role(ref)

    def channel_ref(self, ref: Any) -> tuple[str, int]:
        if self.guild is None:
            raise AssertionError("channel options only resolve in guilds")
        channel = self.guild.channel(ref)
        perms = self.guild.permissions_in(self.channel, self.member) if self.member else 0
        self._bucket("channels")[str(channel.id)] = {
            "id": str(channel.id),
            "name": channel.name,
            "type": channel.type,
            "permissions": str(perms),
            "parent_id": str(channel.parent_id) if channel.parent_id else None,
            "guild_id": str(self.guild.id),
            "flags": 0,
        }
        return str(channel.id), channel.type

    def attachment(self, value: Any) -> str:
        if isinstance(value, tuple) and len(value) == 2:
            value = Upload(str(value[0]), bytes(value[1]))
        if not isinstance(value, Upload):
            raise AssertionError(
                f"an attachment option takes Upload(...) or (filename, bytes), got {value!r}"
            )
        stored = store_file(
            self.world,
            self.channel.id,
            RecordedFile("upload", value.filename, value.content_type, value.data),
        )
        payload = attachment_payload(stored)
        payload["ephemeral"] = True
        self._bucket("attachments")[str(stored.id)] = payload
        return str(stored.id)

    def value(self, spec: JSON, value: Any, path: str, focused: bool) -> Any:
        otype, name = spec["type"], spec["name"]
        where = f"/{path} option {name!r}"
        if focused:
            return value if isinstance(value, str) else str(value)
        if otype == 3:
            if not isinstance(value, str):
                raise AssertionError(f"{where} is a STRING; got {value!r}")
            if self.strict:
                lo, hi = spec.get("min_length"), spec.get("max_length")
                if (lo is not None and len(value) < lo) or (hi is not None and len(value) > hi):
                    raise AssertionError(
                        f"{where} must be {lo}-{hi} characters; Discord would not send {value!r}"
                    )
        elif otype == 4:
            if isinstance(value, bool) or not isinstance(value, int):
                raise AssertionError(f"{where} is an INTEGER; got {value!r}")
        elif otype == 5:
            if not isinstance(value, bool):
                raise AssertionError(f"{where} is a BOOLEAN; got {value!r}")
        elif otype == 10:
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise AssertionError(f"{where} is a NUMBER; got {value!r}")
        elif otype == 6:
            return self.user(value)
        elif otype == 7:
            channel_id, channel_type = self.channel_ref(value)
            allowed = spec.get("channel_types")
            if self.strict and allowed and channel_type not in allowed:
                raise AssertionError(f"{where} only accepts channel types {allowed}")
            return channel_id
        elif otype == 8:
            return self.role(value)
        elif otype == 9:
            return self.mentionable(value)
        elif otype == 11:
            return self.attachment(value)
        if self.strict and otype in (4, 10):
            lo, hi = spec.get("min_value"), spec.get("max_value")
            if (lo is not None and value < lo) or (hi is not None and value > hi):
                raise AssertionError(
                    f"{where} must be within {lo}..{hi}; Discord would not send {value!r}"
                )
        choices = spec.get("choices")
        if self.strict and choices and value not in [c["value"] for c in choices]:
            raise AssertionError(
                f"{where} only accepts its choices {[c['value'] for c in choices]}; got {value!r}"
            )
        return value

    def build(
        self, spec: list[JSON], given: dict[str, Any], path: str, focused: str | None
    ) -> list[JSON]:
        by_name = {o["name"]: o for o in spec}
        unknown = [name for name in given if name not in by_name]
        if unknown:
            raise AssertionError(f"/{path} has no option(s) {unknown}; options: {list(by_name)}")
        if focused is not None:
            if focused not in given:
                raise AssertionError(f"the focused option {focused!r} needs a (partial) value")
            if not by_name[focused].get("autocomplete"):
                raise AssertionError(f"/{path} option {focused!r} does not have autocomplete")
        if self.strict and focused is None:
            missing = [o["name"] for o in spec if o.get("required") and o["name"] not in given]
            if missing:
                raise AssertionError(f"/{path} needs required option(s) {missing}")
        options = []
        for name, value in given.items():
            option: JSON = {
                "name": name,
                "type": by_name[name]["type"],
                "value": self.value(by_name[name], value, path, name == focused),
            }
            if name == focused:
                option["focused"] = True
            options.append(option)
        return options

    def select_data(self, component: JSON, values: list[Any]) -> JSON:
        ctype = component["type"]
        custom_id = component["custom_id"]
        lo, hi = component.get("min_values", 1), component.get("max_values", 1)
        if self.strict and not lo <= len(values) <= hi:
            raise AssertionError(f"select {custom_id!r} takes {lo}-{hi} values; got {len(values)}")
        data: JSON = {"custom_id": custom_id, "component_type": ctype}
        if ctype == 3:
            allowed = [o["value"] for o in component.get("options") or []]
            bad = [v for v in values if v not in allowed]
            if self.strict and bad:
                raise AssertionError(
                    f"select {custom_id!r} has no option(s) {bad}; values: {allowed}"
                )
            data["values"] = [str(v) for v in values]
            return data
        converted = []
        for value in values:
            if ctype == 5:
                converted.append(self.user(value))
            elif ctype == 6:
                converted.append(self.role(value))
            elif ctype == 8:
                converted.append(self.channel_ref(value)[0])
            else:
                converted.append(self.mentionable(value))
        data["values"] = converted
        data["resolved"] = self.resolved
        return data

    def _modal_input(self, component: JSON, values: dict[str, Any]) -> JSON:
        ctype = component.get("type")
        custom_id = component.get("custom_id")
        if ctype == 4:
            value = values.pop(str(custom_id), component.get("value") or "")
            if not isinstance(value, str):
                raise AssertionError(f"text input {custom_id!r} takes a string; got {value!r}")
            if self.strict:
                if component.get("required", True) and not value:
                    raise AssertionError(f"text input {custom_id!r} is required")
                lo, hi = component.get("min_length"), component.get("max_length")
                if value and (
                    (lo is not None and len(value) < lo) or (hi is not None and len(value) > hi)
                ):
                    raise AssertionError(
                        f"text input {custom_id!r} must be {lo or 0}-{hi or 4000} characters "
                        f"long; got {len(value)}"
                    )
            return {"type": 4, "id": component.get("id"), "custom_id": custom_id, "value": value}
        if ctype in SELECT_TYPES:
            chosen = values.pop(str(custom_id), [])
            chosen = [chosen] if isinstance(chosen, str | int) else list(chosen)
            data = self.select_data(component, chosen)
            data.pop("component_type", None)
            data.pop("resolved", None)
            return {"type": ctype, "id": component.get("id"), **data}
        return {"type": ctype, "id": component.get("id")}

    def modal_components(self, components: list[JSON], values: dict[str, Any]) -> list[JSON]:
        result: list[JSON] = []
        for component in components:
            ctype = component.get("type")
            if ctype == 1:
                inner = [self._modal_input(c, values) for c in component.get("components") or []]
                result.append({"type": 1, "id": component.get("id"), "components": inner})
            elif ctype == 18 and isinstance(component.get("component"), dict):
                result.append(
                    {
                        "type": 18,
                        "id": component.get("id"),
                        "component": self._modal_input(component["component"], values),
                    }
                )
        return result
