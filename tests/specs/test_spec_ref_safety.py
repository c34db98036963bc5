"""Proof that a `$ref` outside the document is refused before anything follows it.

Python's audit hooks report every file opened and every socket connected, so these tests see
what the code really does. The first two show the detector works: openapi-spec-validator on its
own *does* open a `file://` reference and *does* connect for an `https://` one. The rest show
that Nexus refuses such documents with no file read and no network attempt at all.
"""

from __future__ import annotations

import json
import socket
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from openapi_spec_validator import validate

from bot.specs.analysis import analyse
from bot.specs.openapi import DocumentRejected, read_spec

NETWORK_EVENTS = {"socket.connect", "socket.getaddrinfo", "urllib.Request", "http.client.connect"}
_recording: list[list[tuple[str, str]]] = []


def _hook(event: str, args: tuple[Any, ...]) -> None:
    if _recording and (event == "open" or event in NETWORK_EVENTS):
        _recording[-1].append((event, str(args[0]) if args else ""))


sys.addaudithook(_hook)  # audit hooks cannot be removed; it records only inside `recorded()`


class Recorded:
    def __init__(self) -> None:
        self.events: list[tuple[str, str]] = []

    def opened(self, path: Path) -> bool:
        return any(event == "open" and str(path) in what for event, what in self.events)

    def network(self) -> list[tuple[str, str]]:
        return [(event, what) for event, what in self.events if event in NETWORK_EVENTS]


@pytest.fixture
def recorded(secret: Path, closed_port: int) -> Iterator[Recorded]:
    """Records from after the test's files exist until the test ends."""
    record = Recorded()
    _recording.append(record.events)
    try:
        yield record
    finally:
        _recording.remove(record.events)


@pytest.fixture
def secret(tmp_path: Path) -> Path:
    """A schema file on disk that a validator following `file://` would read."""
    path = tmp_path / "earnings-schema.json"
    path.write_text(json.dumps({"type": "array", "items": {"type": "integer"}}))
    return path


@pytest.fixture
def closed_port() -> int:
    """A loopback port nobody listens on: a connection attempt is refused at once."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def document(ref: str) -> dict[str, Any]:
    """The host-dashboard fixture with its schema reference pointing at `ref`."""
    fixture = Path(__file__).resolve().parent.parent / "fixtures" / "openapi"
    doc = json.loads((fixture / "remote-ref-file.json").read_text())
    media = doc["paths"]["/dashboard/earnings"]["get"]["responses"]["200"]["content"]
    media["application/json"]["schema"] = {"$ref": ref}
    return doc


def test_the_detector_sees_the_validator_open_a_file_reference(
    recorded: Recorded, secret: Path
) -> None:
    validate(document(secret.as_uri()))
    assert recorded.opened(secret)


def test_the_detector_sees_the_validator_try_the_network(
    recorded: Recorded, closed_port: int
) -> None:
    with pytest.raises(Exception, match=r"money\.json"):  # the resolver wraps the refusal
        validate(document(f"https://127.0.0.1:{closed_port}/common/money.json"))
    assert recorded.network()


def test_a_file_reference_is_refused_without_reading_the_file(
    recorded: Recorded, secret: Path
) -> None:
    data = json.dumps(document(secret.as_uri())).encode()
    with pytest.raises(DocumentRejected, match="points to a file on disk"):
        read_spec(data, "dashboard.json")
    with pytest.raises(DocumentRejected, match="points to a file on disk"):
        analyse(data, "dashboard.json", None, None)
    assert not recorded.opened(secret)
    assert recorded.network() == []


def test_an_https_reference_is_refused_without_any_network_attempt(
    recorded: Recorded, closed_port: int
) -> None:
    data = json.dumps(document(f"https://127.0.0.1:{closed_port}/common/money.json")).encode()
    with pytest.raises(DocumentRejected, match="points to a remote URL"):
        read_spec(data, "dashboard.json")
    with pytest.raises(DocumentRejected, match="points to a remote URL"):
        analyse(data, "dashboard.json", None, None)
    assert recorded.network() == []


def test_references_inside_extensions_are_kept_but_never_followed(
    recorded: Recorded, secret: Path, closed_port: int
) -> None:
    doc = document("#/components/schemas/Earnings")
    doc["components"] = {
        "schemas": {
            "Earnings": {
                "type": "array",
                "items": {"type": "integer"},
                "x-source": {"$ref": secret.as_uri()},
                "x-mirror": {"$ref": f"https://127.0.0.1:{closed_port}/earnings.json"},
            }
        }
    }
    spec = read_spec(json.dumps(doc).encode(), "dashboard.json")
    assert list(spec.operations) == ["GET /dashboard/earnings"]
    assert not recorded.opened(secret)
    assert recorded.network() == []
