"""`python -m bot spec push`: what CI runs to push a document to a bot's push endpoint.

No bot and no database: one HTTP request (the token from NEXUS_SPEC_TOKEN), and the bot's
answer printed for a person reading a CI log. Exit 0 when the version is stored, 1 when the
bot refuses it (with its reason), 2 when the push cannot be made (a missing token or file, a
bad or unreachable URL).
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import quote, urlsplit

import aiohttp

TOKEN_VARIABLE = "NEXUS_SPEC_TOKEN"  # noqa: S105 (the variable's name)
EXIT_PUSHED, EXIT_REFUSED, EXIT_UNUSABLE = 0, 1, 2
TIMEOUT = aiohttp.ClientTimeout(total=600, connect=20)  # a large document waits in a queue
YAML = "application/yaml"
CONTENT_TYPES = {".json": "application/json", ".yaml": YAML, ".yml": YAML}
CHANGES_PRINTED = 30
WARNINGS_PRINTED = 10


class Unusable(Exception):
    """The push cannot be made (exit 2); the message says why, in one line."""


def push_url(base: str, spec: str) -> str:
    """The endpoint for `spec` under the bot's push address `base` (http or https)."""
    parts = urlsplit(base.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise Unusable(
            f"--url: expected the bot's push address, e.g. https://nexus.example.com, got {base!r}"
        )
    return f"{base.strip().rstrip('/')}/specs/{quote(spec, safe='')}/versions"


def summary(answer: Mapping[str, Any]) -> str:
    """The bot's answer to a stored push, for a CI log."""
    version, previous = answer["version"], answer.get("previous")
    counts = answer.get("counts") or {}
    head = (
        f"pushed {answer['spec']} {version['label']} (#{version['number']}): "
        f"{answer['endpoints']} endpoints"
    )
    if previous is None:
        lines = [head + ", its first version"]
    else:
        tally = ", ".join(f"{counts.get(k, 0)} {k}" for k in ("breaking", "warning", "info"))
        lines = [f"{head}; since {previous['label']}: {tally}"]
    changes = answer.get("changes") or []
    for change in changes[:CHANGES_PRINTED]:
        lines.append(f"  {change['severity']:<8} {change['message']}")
    if answer.get("change_count", len(changes)) > CHANGES_PRINTED:
        lines.append(f"  … and {answer['change_count'] - CHANGES_PRINTED} more changes")
    warnings = answer.get("warnings") or []
    if answer.get("warning_count"):
        lines.append(f"{answer['warning_count']} warnings (stored anyway):")
        for warning in warnings[:WARNINGS_PRINTED]:
            where = warning.get("pointer") or "the document"
            if warning.get("line"):
                where += f" (line {warning['line']})"
            lines.append(f"  {where}: {warning['message']}")
    if answer.get("announced_in"):
        lines.append(f"announced in channel {answer['announced_in']}")
    if answer.get("announcement_problem"):
        lines.append(f"announcement: {answer['announcement_problem']}")
    return "\n".join(lines)


async def send(
    url: str, token: str, data: bytes, content_type: str, version: str | None
) -> tuple[int, Any]:
    """POST the document; the status and the JSON answer (None when it is not JSON)."""
    params = {"version": version} if version else None
    headers = {"Authorization": f"Bearer {token}", "Content-Type": content_type}
    async with (
        aiohttp.ClientSession(timeout=TIMEOUT) as session,
        session.post(url, data=data, params=params, headers=headers) as response,
    ):
        try:
            body = await response.json(content_type=None)
        except ValueError:
            body = None
        return response.status, body


def push(
    path: str,
    spec: str,
    url: str,
    version: str | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    out: TextIO = sys.stdout,
    err: TextIO = sys.stderr,
) -> int:
    """Push the document at `path` as the next version of `spec`; the exit status."""
    token = (os.environ if environ is None else environ).get(TOKEN_VARIABLE, "").strip()
    try:
        if not token:
            raise Unusable(
                f"{TOKEN_VARIABLE} is not set: give it the token `/spec token create` showed "
                "(a CI secret)"
            )
        endpoint = push_url(url, spec)
        try:
            data = Path(path).read_bytes()
        except OSError as exc:
            raise Unusable(f"cannot read {path}: {exc.strerror or exc}") from None
        content_type = CONTENT_TYPES.get(Path(path).suffix.lower(), "application/octet-stream")
        try:
            status, answer = asyncio.run(send(endpoint, token, data, content_type, version))
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            said = " ".join(str(exc).split()) or type(exc).__name__
            raise Unusable(f"cannot reach {endpoint}: {said}") from None
    except Unusable as exc:
        print(f"nexus: {exc}", file=err)
        return EXIT_UNUSABLE
    if not isinstance(answer, dict):
        print(
            f"nexus: {endpoint} answered {status} without Nexus's JSON: is --url the bot's "
            "push address?",
            file=err,
        )
        return EXIT_REFUSED
    if status != 201:
        reason = " ".join(str(answer.get("error") or "no reason given").split())
        print(f"nexus: push refused ({status}): {reason}", file=err)
        return EXIT_REFUSED
    print(summary(answer), file=out)
    return EXIT_PUSHED
