"""Loopback only: while the playground runs, no socket reaches (or looks up) another host.

A process-wide audit hook (PEP 578) sees every connect, bind, sendto and name lookup before the
system call happens. Outside a `with LoopbackGuard():` block it does nothing; inside, it records
each address and refuses any that is not the local machine, so the playground cannot talk to
Discord or anything else on the network even by mistake.
"""

from __future__ import annotations

import ipaddress
import sys
import threading
from typing import Any

ADDRESS_EVENTS = frozenset({"socket.connect", "socket.bind", "socket.sendto", "socket.sendmsg"})
LOOKUP_EVENTS = frozenset({"socket.getaddrinfo", "socket.gethostbyname", "socket.gethostbyname_ex"})
LOCAL_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost"})

_lock = threading.Lock()
_installed = False
_active: LoopbackGuard | None = None


class LeftLoopback(PermissionError):
    """The playground tried to reach beyond this machine."""


def is_loopback(host: object) -> bool:
    """True for 127.0.0.0/8, ::1 and localhost (and None: a lookup of the local machine)."""
    if host is None:
        return True
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    if not isinstance(host, str):
        return False
    name = host.strip("[]").split("%", 1)[0].lower()
    if name in LOCAL_NAMES:
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def _host_of(address: object) -> tuple[bool, object]:
    """(is a network address, its host) for a socket address."""
    if isinstance(address, tuple) and address:
        return True, address[0]
    return False, address  # AF_UNIX paths and the like never leave the machine


def _hook(event: str, args: tuple[Any, ...]) -> None:
    guard = _active
    if guard is None:
        return
    if event in ADDRESS_EVENTS:
        if len(args) < 2:
            return
        network, host = _host_of(args[-1] if event == "socket.sendmsg" else args[1])
        if not network:
            return
    elif event in LOOKUP_EVENTS:
        host = args[0] if args else None
    else:
        return
    guard.check(event, host)


class LoopbackGuard:
    """`with LoopbackGuard() as guard:` refuses non-local sockets; `guard.seen` lists the rest."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, str]] = []
        self.blocked: list[tuple[str, str]] = []

    def check(self, event: str, host: object) -> None:
        entry = (event, str(host))
        if is_loopback(host):
            self.seen.append(entry)
            return
        self.blocked.append(entry)
        raise LeftLoopback(f"the playground stays on 127.0.0.1; refused {event} to {host}")

    def __enter__(self) -> LoopbackGuard:
        global _active, _installed
        with _lock:
            if _active is not None:
                raise RuntimeError("a LoopbackGuard is already active")
            if not _installed:
                sys.addaudithook(_hook)
                _installed = True
            _active = self
        return self

    def __exit__(self, *exc: object) -> None:
        global _active
        with _lock:
            if _active is self:
                _active = None
