"""The metrics endpoint: `GET /metrics` in Prometheus' text format, on the bot's event loop.

Opt-in (METRICS_PORT) and on the loopback address unless METRICS_HOST says otherwise: the
numbers name commands and servers' activity, not for the whole network. Each scrape first
refreshes the state read at scrape time (bounded: a scrape never waits long for a busy
database, it serves the last numbers instead).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from aiohttp import web
from prometheus_client.aiohttp import make_aiohttp_handler

from bot.core.site import LocalSite
from bot.telemetry.metrics import Metrics, Snapshot

log = logging.getLogger(__name__)

REFRESH_TIMEOUT = 2.0  # seconds a scrape waits for fresh state before serving the last one
PATH = "/metrics"


class MetricsServer:
    """Serves `metrics` over HTTP on `host:port` (port 0: any free port, see `port`)."""

    def __init__(
        self,
        metrics: Metrics,
        snapshot: Callable[[], Awaitable[Snapshot]],
        host: str,
        port: int,
    ) -> None:
        self.metrics = metrics
        self.snapshot = snapshot
        self._site = LocalSite("metrics", host, port)
        self._reading: asyncio.Task[None] | None = None
        self._export = make_aiohttp_handler(metrics.registry)

    async def start(self) -> None:
        """Listen; OSError (the port is taken, the address is not this machine's) propagates."""
        app = web.Application()
        app.router.add_get(PATH, self._scrape)
        await self._site.start(app, PATH)

    @property
    def port(self) -> int:
        """The port listened on (the one the system chose when 0 was asked)."""
        return self._site.port

    async def stop(self) -> None:
        """Stop listening (idempotent)."""
        await self._site.stop()
        if self._reading is not None:
            await asyncio.wait({self._reading}, timeout=REFRESH_TIMEOUT)
            self._reading.cancel()  # still reading after that: the database is closing anyway

    async def _scrape(self, request: web.Request) -> web.StreamResponse:
        # One read at a time, never cancelled half-way: a scrape that arrives while one runs
        # waits for it; one that waits too long is served the last numbers, and the read
        # updates them when it ends.
        if self._reading is None or self._reading.done():
            self._reading = asyncio.create_task(self._read(), name="metrics-state")
        done, _ = await asyncio.wait({self._reading}, timeout=REFRESH_TIMEOUT)
        if not done:
            log.warning("metrics: the state is slow to read; the last numbers were served")
        return await self._export(request)

    async def _read(self) -> None:
        try:
            self.metrics.state.snapshot = await self.snapshot()
        except Exception:
            log.warning("metrics: could not read the state; served the last", exc_info=True)
