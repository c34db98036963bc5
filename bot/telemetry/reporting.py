"""Error reporting to Sentry, when SENTRY_DSN is set: incidents arrive with their stack, never
with the bot's token or what members wrote.

What is sent: the exception's type, message and stack (files, functions, lines: no local
variables), the log line's logger and message, the context fields of the interaction (server,
channel, interaction and command ids, the incident id), the release. Every string of an event
and of each breadcrumb first passes `scrub_text`:

- the bot's token (and anything shaped like a bot token) becomes `[redacted]`, and so does
  the secret part of an interaction's or a webhook's address (`/interactions/<id>/<token>`);
- the text the member typed in the interaction being handled (command options, form fields,
  the message a message menu is used on) becomes `[member text]`, wherever it shows;
- in messages (exception messages, log lines, breadcrumbs), a quoted passage with a space in
  it — how Python quotes a value it complains about — becomes `'[member text]'`.

Nothing about the member is attached (the SDK sends no personal data unless told to), no
request bodies, no local variables, and the SDK's automatic integrations stay off (only
logging, exceptions and the standard library's, which record no bodies).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

from bot.config import TOKEN_SHAPE
from bot.telemetry.interactions import current_span

REDACTED = "[redacted]"
MEMBER_TEXT = "[member text]"
TYPED_MIN = 4  # shorter typed values (a page number, "jwt") are left: masking them mangles
URL_SECRETS = re.compile(r"(/(?:interactions|webhooks)/\d+/)[^/\s?#\"']+")
QUOTED = re.compile(r"'[^'\n]*\s[^'\n]*'|\"[^\"\n]*\s[^\"\n]*\"")
MESSAGE_KEYS = frozenset({"message", "formatted", "value"})  # where a quoted value may hide
DROPPED_KEYS = frozenset({"vars", "request", "user", "cookies", "headers", "data_body"})

Event = dict[str, Any]
Scrubber = Callable[[Event, dict[str, Any]], Event | None]


def scrub_text(text: str, secrets: Iterable[str], typed: Iterable[str], *, message: bool) -> str:
    """`text` without secrets, interaction tokens and the member's text (see the module)."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, REDACTED)
    text = TOKEN_SHAPE.sub(REDACTED, text)
    text = URL_SECRETS.sub(lambda m: m.group(1) + REDACTED, text)
    for value in typed:
        text = text.replace(value, MEMBER_TEXT)
    if message:
        text = QUOTED.sub(lambda m: m.group(0)[0] + MEMBER_TEXT + m.group(0)[0], text)
    return text


def typed_text() -> list[str]:
    """What the member typed in the interaction being handled: each value, then each of its
    lines, longest first (a line may be quoted without the rest).
    """
    span = current_span()
    if span is None:
        return []
    pieces = {v.strip() for v in span.typed} | {
        line.strip() for v in span.typed for line in v.splitlines()
    }
    return sorted((p for p in pieces if len(p) >= TYPED_MIN), key=len, reverse=True)


def scrub(value: Any, secrets: Iterable[str], typed: list[str], *, message: bool = False) -> Any:
    """`value` (an event or a part of one) with every string scrubbed and every field that may
    carry data (local variables, requests, the user) removed.
    """
    if isinstance(value, str):
        return scrub_text(value, secrets, typed, message=message)
    if isinstance(value, dict):
        return {
            key: scrub(item, secrets, typed, message=message or key in MESSAGE_KEYS)
            for key, item in value.items()
            if key not in DROPPED_KEYS
        }
    if isinstance(value, list | tuple):
        return [scrub(item, secrets, typed, message=message) for item in value]
    return value


def scrubber(secrets: Iterable[str]) -> Scrubber:
    """A `before_send` / `before_breadcrumb` that scrubs with these secrets (the bot's token)."""
    kept = tuple(s for s in secrets if s)

    def before_send(event: Event, hint: dict[str, Any]) -> Event | None:
        scrubbed: Event = scrub(event, kept, typed_text())
        return scrubbed

    return before_send


def start_error_reporting(dsn: str, *secrets: str, release: str) -> None:
    """Send unexpected errors (ERROR log lines, uncaught exceptions) to Sentry, scrubbed."""
    import sentry_sdk  # only when reporting is on

    scrub_event = scrubber(secrets)
    sentry_sdk.init(
        dsn=dsn,
        release=release,
        before_send=scrub_event,  # type: ignore[arg-type]
        before_breadcrumb=scrub_event,
        include_local_variables=False,  # and no personal data: the SDK's default
        max_request_body_size="never",
        auto_enabling_integrations=False,
    )


def flush_error_reports(timeout: float) -> None:
    """Send what is queued (blocking, at most `timeout` seconds); nothing when reporting is off."""
    import sentry_sdk

    if sentry_sdk.get_client().is_active():
        sentry_sdk.flush(timeout=timeout)
