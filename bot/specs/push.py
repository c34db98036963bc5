"""The push endpoint: CI posts a spec's next version over HTTP, with the spec's token.

`POST /specs/<name>/versions` with `Authorization: Bearer <token>` and the document as the
body (`?version=` labels it; `?format=json|yaml`, else the Content-Type, else the first
character tells JSON from YAML). The document goes through the import of `/spec import`: the
same size limit, per-server queue, checks, store and announcement. The answer is JSON: the
version, its counts and changes, its warnings; a refusal is `{"error": "..."}` with 401 (the
token), 403 (another spec's token), 404 (no such spec), 409 (a label taken), 413 (over the size
limit, answered before the body is read), 422 (a document that cannot be imported, with the
reason `/spec import` gives) or 429 (too many pushes, with Retry-After).

Opt-in (HTTP_PORT) and on the loopback address unless HTTP_HOST says otherwise; separate from
the metrics endpoint, which answers anyone who can reach it.
"""

from __future__ import annotations

import logging
import math
import time
from collections import deque
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from aiohttp import web

from bot.core.site import LocalSite
from bot.errors import AlreadyExists, BadInput, NotAllowed, NotFound
from bot.specs.model import ImportReport
from bot.specs.openapi import MAX_DOCUMENT_BYTES, DocumentRejected, check_size
from bot.specs.scheduling import QueueFull
from bot.specs.tokens import BadToken, PushGrant

if TYPE_CHECKING:
    from bot.specs.service import SpecsService

log = logging.getLogger(__name__)

PATH = "/specs/{name}/versions"
PUSHES_PER_WINDOW = 6  # per token: a pipeline pushes once per merge, not in a loop
WINDOW_SECONDS = 60.0
QUEUE_FULL_RETRY_SECONDS = 30
CHANGES_LISTED = 200  # changes listed in an answer (all of them are counted)
READ_CHUNK = 64 * 1024
FORMATS = ("json", "yaml")
YAML_TYPES = ("yaml", "yml")  # any Content-Type naming YAML: application/yaml, text/x-yaml, ...
TOO_LARGE = (
    f"The document is over the {MAX_DOCUMENT_BYTES // 1024 // 1024} MB limit. Split the API "
    "into several specs, or drop the bundled examples."
)

# Where a pushed version was announced (a channel id) or why it could not be (a note).
Announce = Callable[[ImportReport, PushGrant], Awaitable[tuple[int | None, str | None]]]


class PushLimiter:
    """At most `limit` pushes per token in any `window` seconds."""

    def __init__(
        self,
        limit: int = PUSHES_PER_WINDOW,
        window: float = WINDOW_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limit, self.window, self._clock = limit, window, clock
        self._seen: dict[int, deque[float]] = {}

    def retry_after(self, key: int) -> float | None:
        """Seconds until `key` may push again; None (and the push counted) when it may now."""
        now = self._clock()
        times = self._seen.setdefault(key, deque())
        while times and times[0] <= now - self.window:
            times.popleft()
        if len(times) >= self.limit:
            return times[0] + self.window - now
        times.append(now)
        return None

    def forget_idle(self) -> None:
        """Drop the tokens that pushed nothing within the window (keeps the map small)."""
        horizon = self._clock() - self.window
        for key in [k for k, t in self._seen.items() if not t or t[-1] <= horizon]:
            del self._seen[key]


def refusal(status: int, message: str, **headers: str) -> web.Response:
    """A JSON refusal: `{"error": message}`."""
    return web.json_response({"error": message}, status=status, headers=headers or None)


def bearer(header: str) -> str:
    """The token of an `Authorization: Bearer <token>` header ("" when there is none)."""
    scheme, _, token = header.strip().partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def pushed_format(request: web.Request, data: bytes) -> str:
    """Json or yaml: `?format=`, else the Content-Type, else the document's first character."""
    asked = request.query.get("format")
    if asked is not None:
        if asked.lower() not in FORMATS:
            raise BadInput("`format` is json or yaml.")
        return asked.lower()
    content_type = request.content_type.lower()
    if content_type.endswith("json"):
        return "json"
    if any(kind in content_type for kind in YAML_TYPES):
        return "yaml"
    return "json" if data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] == b"{" else "yaml"


async def read_capped(request: web.Request, limit: int) -> bytes | None:
    """The body, or None as soon as it is longer than `limit` (the rest is never read)."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.content.iter_chunked(READ_CHUNK):
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def answer(report: ImportReport, announced_in: int | None, problem: str | None) -> dict[str, Any]:
    """What a push answers: the version stored, what changed, the warnings, the announcement."""
    version, previous = report.version, report.previous
    return {
        "spec": report.spec.name,
        "title": report.spec.title,
        "version": {"number": version.number, "label": version.label, "openapi": version.openapi},
        "previous": (
            None if previous is None else {"number": previous.number, "label": previous.label}
        ),
        "format": report.source_format,
        "endpoints": version.endpoint_count,
        "counts": report.counts,
        "changes": [
            {"severity": c.severity, "rule": c.rule, "endpoint": c.endpoint, "message": c.message}
            for c in report.changes[:CHANGES_LISTED]
        ],
        "change_count": len(report.changes),
        "warnings": [w.as_dict() for w in report.warnings],
        "warning_count": report.warning_count,
        "announced_in": str(announced_in) if announced_in is not None else None,
        "announcement_problem": problem,
    }


@web.middleware
async def _no_traceback(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """A failure of Nexus's own is logged once and answered in JSON, never as a traceback."""
    try:
        return await handler(request)
    except web.HTTPException as http:  # aiohttp's own answers: no route, wrong method
        allow = {"Allow": http.headers["Allow"]} if "Allow" in http.headers else {}
        return refusal(http.status, http.reason, **allow)
    except Exception:
        log.exception("a spec push failed")
        return refusal(500, "Nexus could not take the push; try again later.")


class SpecPushServer:
    """Serves the push endpoint on `host:port` (port 0: any free port, see `port`)."""

    def __init__(
        self,
        specs: SpecsService,
        announce: Announce,
        host: str,
        port: int,
        *,
        limiter: PushLimiter | None = None,
        imported: Callable[[ImportReport], None] | None = None,
    ) -> None:
        """`announce` posts a pushed version where `/spec import` would; `imported` is told
        of each version stored (the metrics).
        """
        self.specs, self.announce = specs, announce
        self.limiter = limiter or PushLimiter()
        self.imported = imported
        self._site = LocalSite("spec pushes", host, port)

    async def start(self) -> None:
        """Listen; OSError (the port is taken, the address is not this machine's) propagates."""
        app = web.Application(client_max_size=MAX_DOCUMENT_BYTES, middlewares=[_no_traceback])
        app.router.add_post(PATH, self._push)
        await self._site.start(app, PATH)

    @property
    def port(self) -> int:
        """The port listened on (the one the system chose when 0 was asked)."""
        return self._site.port

    async def stop(self) -> None:
        """Stop listening (idempotent)."""
        await self._site.stop()

    async def _push(self, request: web.Request) -> web.Response:
        try:
            grant = await self.specs.authorize_push(
                bearer(request.headers.get("Authorization", "")), request.match_info["name"]
            )
        except BadToken as refused:
            return refusal(401, refused.message, **{"WWW-Authenticate": 'Bearer realm="nexus"'})
        except NotFound as refused:
            return refusal(404, refused.message)
        except NotAllowed as refused:
            return refusal(403, refused.message)
        self.limiter.forget_idle()
        wait = self.limiter.retry_after(grant.token_id)
        if wait is not None:
            return refusal(
                429,
                f"Too many pushes: a token may push {self.limiter.limit} times in "
                f"{self.limiter.window:.0f} s. Try again in {math.ceil(wait)} s.",
                **{"Retry-After": str(math.ceil(wait))},
            )
        if request.content_length is not None:
            try:
                check_size(request.content_length)
            except DocumentRejected as refused:
                status = 413 if request.content_length else 422
                return refusal(status, refused.message)
        data = await read_capped(request, MAX_DOCUMENT_BYTES)
        if data is None:
            return refusal(413, TOO_LARGE)
        try:
            kind = pushed_format(request, data)
            report = await self.specs.push_document(
                grant, f"{grant.spec_name}.{kind}", data, request.query.get("version")
            )
        except BadToken as refused:  # revoked, or its spec deleted, while the document was read
            return refusal(401, refused.message)
        except QueueFull as refused:
            retry = str(QUEUE_FULL_RETRY_SECONDS)
            return refusal(429, refused.message, **{"Retry-After": retry})
        except AlreadyExists as refused:
            return refusal(409, refused.message)
        except BadInput as refused:  # the document (DocumentRejected), the label, the same again
            return refusal(422, refused.message)
        if self.imported is not None:
            self.imported(report)
        log.info(
            "spec %s version %s pushed (server %s)",
            report.spec.name,
            report.version.label,
            grant.guild_id,
        )
        try:
            announced_in, problem = await self.announce(report, grant)
        except Exception:  # stored all the same: the answer says so
            log.exception("could not announce a pushed spec version")
            announced_in, problem = None, "the announcement failed; the version is stored"
        return web.json_response(answer(report, announced_in, problem), status=201)
