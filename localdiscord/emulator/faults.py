"""Fault injection: make the next matching REST requests fail the way Discord fails."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

DEFAULT_BODIES: dict[int, dict[str, Any]] = {
    400: {"message": "400: Bad Request", "code": 0},
    401: {"message": "401: Unauthorized", "code": 0},
    403: {"message": "Missing Permissions", "code": 50013},
    404: {"message": "404: Not Found", "code": 0},
    429: {"message": "You are being rate limited.", "retry_after": 0.05, "global": False},
    500: {"message": "500: Internal Server Error", "code": 0},
    502: {"message": "502: Bad Gateway", "code": 0},
    503: {"message": "503: Service Unavailable", "code": 0},
}


@dataclass
class FaultRule:
    """One injected failure; `hits` counts how often it fired, `remaining` how often it will."""

    method: str
    pattern: re.Pattern[str]
    status: int
    body: Any
    remaining: int
    headers: dict[str, str] = field(default_factory=dict)
    hits: int = 0

    def matches(self, method: str, path: str) -> bool:
        return (
            self.remaining > 0
            and self.method in ("*", method.upper())
            and self.pattern.search(path) is not None
        )


class Faults:
    """The queue of injected failures, consumed first-match-first."""

    def __init__(self) -> None:
        self.rules: list[FaultRule] = []
        self.fired = 0  # failures served since the emulator started

    def add(self, rule: FaultRule) -> FaultRule:
        self.rules.append(rule)
        return rule

    def fail_next(
        self,
        method: str,
        path_regex: str,
        status: int,
        body: Any = None,
        times: int = 1,
        headers: dict[str, str] | None = None,
    ) -> FaultRule:
        """Answer the next `times` matching requests with `status` (path relative to /api/v10).

        A 429 gets `retry_after: 0.05` and a `Via` header by default (discord.py treats a 429
        without `Via` as a Cloudflare ban); pass `headers={}` to simulate exactly that.
        """
        if body is None:
            body = dict(DEFAULT_BODIES.get(status, {"message": f"{status}", "code": 0}))
        if headers is None:
            headers = {}
            if status == 429:
                retry = body.get("retry_after", 0.05) if isinstance(body, dict) else 0.05
                headers = {
                    "Via": "1.1 google",
                    "Retry-After": str(retry),
                    "X-RateLimit-Scope": "user",
                }
        return self.add(
            FaultRule(
                method=method.upper(),
                pattern=re.compile(path_regex),
                status=status,
                body=body,
                remaining=times,
                headers=dict(headers),
            )
        )

    def take(self, method: str, path: str) -> FaultRule | None:
        for rule in self.rules:
            if rule.matches(method, path):
                rule.remaining -= 1
                rule.hits += 1
                self.fired += 1
                return rule
        return None

    def clear(self) -> None:
        self.rules.clear()

    @property
    def pending(self) -> list[FaultRule]:
        return [r for r in self.rules if r.remaining > 0]
