"""An aiohttp application listening on one address of this machine, on the bot's event loop:
what the metrics endpoint and the spec push endpoint are served from.
"""

from __future__ import annotations

import logging

from aiohttp import web

log = logging.getLogger(__name__)


class LocalSite:
    """Serves an application on `host:port` (port 0: any free port, see `port`)."""

    def __init__(self, what: str, host: str, port: int) -> None:
        self.what, self.host, self.requested_port = what, host, port
        self._runner: web.AppRunner | None = None

    async def start(self, app: web.Application, path: str) -> None:
        """Listen; OSError (the port is taken, the address is not this machine's) propagates."""
        runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await runner.setup()
        try:
            await web.TCPSite(runner, self.host, self.requested_port).start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        log.info("%s: serving http://%s:%d%s", self.what, self.host, self.port, path)

    @property
    def port(self) -> int:
        """The port listened on (the one the system chose when 0 was asked)."""
        if self._runner is None or not self._runner.addresses:
            raise RuntimeError(f"{self.what}: not listening")
        return int(self._runner.addresses[0][1])

    async def stop(self) -> None:
        """Stop listening (idempotent)."""
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()
