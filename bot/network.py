"""Reaching Discord: each way a start fails on the network said in one line with what to do,
and the failures that pass on their own tried again, with backoff and jitter, for a bounded time.

A check is one `GET /users/@me` with the token, the request discord.py's login makes first: it
proves at once that Discord's address resolves, that a TLS connection to it is trusted, that
Discord answers and that it accepts the token. The address and the user agent are the caller's
(discord.py's), so this module needs no discord.py and tests point it at the local Discord.

Exit statuses: `EXIT_SETTINGS` (2) when the settings must change (Discord refused the token),
`EXIT_NETWORK` (3) when Discord could not be reached or answered with an error; a restart of
the process tries again.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import ssl
import time
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_before_delay,
    wait_exponential_jitter,
)

log = logging.getLogger(__name__)

EXIT_SETTINGS = 2
EXIT_NETWORK = 3
CHECK_TIMEOUT = 15.0  # seconds one check may take, connection and answer
FIRST_WAIT = 1.0  # seconds before the second attempt; doubled each time, plus up to JITTER
LONGEST_WAIT = 30.0
JITTER = 1.0


@dataclass(frozen=True, slots=True)
class Endpoint:
    """Where Discord's HTTP API is (`https://discord.com/api/v10`) and who asks."""

    api: str
    user_agent: str

    @property
    def host(self) -> str:
        """The API's host name, as messages name it."""
        return urlsplit(self.api).hostname or self.api


class StartFailure(Exception):
    """Why Discord could not be reached or refused the bot: what happened, what to do.

    `transient` failures (no route, DNS, a Discord outage) may pass by themselves and are tried
    again; the others (an untrusted certificate, a refused token) need someone to act.
    """

    def __init__(self, what: str, todo: str, *, transient: bool, status: int = EXIT_NETWORK):
        super().__init__(what)
        self.what = what
        self.todo = todo
        self.transient = transient
        self.status = status

    def __str__(self) -> str:
        return f"{self.what}: {self.todo}"

    def after(self, attempts: int, seconds: float) -> StartFailure:
        """The same failure, saying how long it was tried."""
        return StartFailure(
            self.what,
            f"{self.todo} (tried {attempts} times in {seconds:.0f} s)",
            transient=self.transient,
            status=self.status,
        )


def _reason(error: BaseException | None) -> str:
    """An OS or TLS error in a few words ('Connection refused')."""
    if isinstance(error, ssl.SSLCertVerificationError):
        return error.verify_message or error.reason or "certificate verify failed"
    if isinstance(error, OSError) and not isinstance(error, socket.gaierror) and error.errno:
        return os.strerror(error.errno)  # asyncio's own text is "Connect call failed (...)"
    if isinstance(error, OSError) and error.strerror:
        return error.strerror
    return str(error) or type(error).__name__


def network_failure(exc: BaseException, host: str) -> StartFailure | None:
    """`exc`, raised while talking to `host`, as a StartFailure (None: not a network failure)."""
    if isinstance(exc, aiohttp.ClientConnectorCertificateError):
        return StartFailure(
            f"the TLS certificate presented for {host} is not trusted "
            f"({_reason(exc.certificate_error)})",
            "something between this machine and Discord intercepts HTTPS (a proxy, a firewall "
            f"or an antivirus): let Nexus reach {host} directly, or add that proxy's CA "
            "certificate to this machine's trust store",
            transient=False,
        )
    if isinstance(exc, aiohttp.ClientSSLError):
        return StartFailure(
            f"the TLS handshake with {host} failed ({_reason(exc.os_error)})",
            f"something on this network alters HTTPS traffic to {host}; let Nexus reach it "
            "directly",
            transient=False,
        )
    if isinstance(exc, aiohttp.ClientConnectorError):
        if isinstance(exc.os_error, socket.gaierror):
            return StartFailure(
                f"the name {host} could not be resolved ({_reason(exc.os_error)})",
                "check that this machine is online and its DNS settings (/etc/resolv.conf, "
                "or the container's network)",
                transient=True,
            )
        return StartFailure(
            f"cannot connect to {host} port {exc.port} ({_reason(exc.os_error)})",
            "check that this machine is online and that no firewall blocks outgoing HTTPS",
            transient=True,
        )
    if isinstance(exc, TimeoutError):
        return StartFailure(
            f"{host} did not answer within {CHECK_TIMEOUT:.0f} s",
            "the network is slow or drops packets; check this machine's connection",
            transient=True,
        )
    if isinstance(exc, aiohttp.ClientError):
        return StartFailure(
            f"the connection to {host} broke ({_reason(exc)})",
            "check this machine's connection",
            transient=True,
        )
    return None


def gateway_failure(exc: BaseException, gateway: str) -> StartFailure:
    """The first connection to Discord's gateway (a WebSocket at `gateway`) failed with `exc`
    although Discord's HTTP API answered.
    """
    host = urlsplit(gateway).hostname or gateway
    return StartFailure(
        f"Discord's gateway {host} not reached ({in_a_few_words(exc)})",
        f"Discord's HTTP API answers but its gateway does not: let this machine open a "
        f"WebSocket to {host} (a proxy or a firewall may block WebSockets), then start again",
        transient=True,
    )


def in_a_few_words(exc: BaseException) -> str:
    """What `exc` says happened on the network, in one line ('cannot connect to gateway.discord.gg
    port 443 (Connection refused)'); the exception's type and message for anything else.
    """
    host = getattr(exc, "host", None)
    failure = network_failure(exc, host if isinstance(host, str) else "Discord")
    if failure is not None:
        return failure.what
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def http_failure(status: int, host: str) -> StartFailure:
    """Discord's answer `status` to the bot's login as a StartFailure."""
    try:
        said = f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        said = str(status)
    if status == HTTPStatus.UNAUTHORIZED:
        return StartFailure(
            f"Discord refused DISCORD_TOKEN ({said})",
            "the token was reset or revoked: copy a new one (Discord Developer Portal > your "
            "app > Bot > Reset Token) into DISCORD_TOKEN and start again",
            transient=False,
            status=EXIT_SETTINGS,
        )
    if status == HTTPStatus.TOO_MANY_REQUESTS:
        return StartFailure(
            f"Discord is limiting this machine's requests ({said})",
            "wait: too many refused requests from one address get it blocked for a while",
            transient=True,
        )
    if status >= HTTPStatus.INTERNAL_SERVER_ERROR:
        return StartFailure(
            f"{host} answered {said}",
            "Discord is having trouble (https://discordstatus.com); wait and start again",
            transient=True,
        )
    return StartFailure(
        f"{host} answered {said} to the bot's login",
        "a proxy may be answering in Discord's place; let Nexus reach Discord directly",
        transient=False,
    )


async def check_login(endpoint: Endpoint, token: str) -> dict[str, Any]:
    """Ask Discord who `token` belongs to: the bot user's JSON, or a StartFailure saying why
    not.
    """
    headers = {"Authorization": f"Bot {token}", "User-Agent": endpoint.user_agent}
    timeout = aiohttp.ClientTimeout(total=CHECK_TIMEOUT)
    try:
        async with (
            aiohttp.ClientSession(timeout=timeout) as session,
            session.get(f"{endpoint.api}/users/@me", headers=headers) as response,
        ):
            if response.status != HTTPStatus.OK:
                raise http_failure(response.status, endpoint.host)
            user: dict[str, Any] = await response.json()
            return user
    except (aiohttp.ClientError, TimeoutError) as exc:
        failure = network_failure(exc, endpoint.host)
        if failure is None:  # pragma: no cover - every ClientError is described
            raise
        raise failure from None


def _say_attempt(state: RetryCallState) -> None:
    """One line per failed attempt, with the wait before the next."""
    failure = state.outcome.exception() if state.outcome else None
    wait = state.upcoming_sleep
    log.warning(
        "Discord not reached, attempt %d: %s; next in %.1f s",
        state.attempt_number,
        getattr(failure, "what", failure),
        wait,
    )


async def wait_for_discord(endpoint: Endpoint, token: str, *, within: float) -> dict[str, Any]:
    """`check_login`, tried again while its failure is transient, for at most `within` seconds
    (a wait that would end later is not started); the last failure says how long it was tried.
    """
    started = time.monotonic()
    attempts = 0

    async def attempt() -> dict[str, Any]:
        nonlocal attempts
        attempts += 1
        return await check_login(endpoint, token)

    retrying = AsyncRetrying(
        retry=retry_if_exception(lambda exc: isinstance(exc, StartFailure) and exc.transient),
        wait=wait_exponential_jitter(initial=FIRST_WAIT, max=LONGEST_WAIT, jitter=JITTER),
        stop=stop_before_delay(within),
        before_sleep=_say_attempt,
        sleep=asyncio.sleep,
        reraise=True,
    )
    try:
        return await retrying(attempt)
    except StartFailure as failure:
        if not failure.transient:
            raise
        raise failure.after(attempts, time.monotonic() - started) from None
