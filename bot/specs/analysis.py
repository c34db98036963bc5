"""Turning an uploaded document into what the database stores, in a separate process.

Reading, validating and diffing a 3 MB document takes seconds of CPU, and a worker *thread* is
not enough to keep the bot responsive: the garbage collector and long C calls (libyaml, big
`json` calls) hold the GIL for hundreds of milliseconds at a time. So `analyse` runs in a child
process (spawned, never forked from the running bot), returns only small, prepared results
(endpoint rows as JSON text, compressed blobs), can be stopped when it runs too long, and a
crash while reading a hostile document costs the bot nothing but that import.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import multiprocessing
import re
import time
import zlib
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from bot.core.text import without_controls
from bot.errors import BadInput
from bot.specs.validation import SUMMARY_MAX, key_hash

if TYPE_CHECKING:  # the reader and the diff run in the worker process (`analyse`) only
    from bot.specs.diff import Change
    from bot.specs.openapi import OperationInfo, Problem

log = logging.getLogger(__name__)

DOCUMENT_LEVEL = 6  # zlib level of stored documents
MODEL_READ = 64 * 1024  # decompressed bytes at a time when a model is read line by line

T = TypeVar("T")
# A control character in the bytes (UTF-8 never uses these bytes inside another character), or
# a JSON or YAML escape that writes one (`\u0000`, `\x1b`, `\e`, `\r`...). An escaped
# backslash before such letters matches too: that only costs the walk, never skips it.
CONTROL_SOURCE_RE = re.compile(
    rb"[\x00-\x08\x0b-\x1f\x7f]"
    rb"|\\(?:u00[01][0-9a-fA-F]|u007[fF]|x[01][0-9a-fA-F]|x7[fF]"
    rb"|U0000(?:00[01][0-9a-fA-F]|007[fF])|[bfr0aev])"
)
# A backstop: the budgets of bot/specs/openapi (values, objects, check steps) keep the worst
# document they allow to ~15 CPU seconds, which a loaded machine may stretch to twice that.
ANALYSIS_TIMEOUT = 60.0
TASKS_PER_PROCESS = 20  # a fresh process now and then returns the libraries' caches to the OS
# The model's first line: the document's version, which the next import's diff compares with.
_VERSION_LINE = '{"api_version":'


@dataclass(frozen=True, slots=True)
class SpecSummary:
    """The document-level facts of a parsed spec."""

    family: str
    openapi: str
    source_format: str
    title: str
    api_version: str
    warnings: tuple[Problem, ...]
    warning_count: int


@dataclass(frozen=True, slots=True)
class Analysis:
    """What one upload becomes: everything the store step needs, nothing it must compute."""

    summary: SpecSummary
    sha256: str
    document: bytes  # the upload, zlib
    model: bytes  # zlib of JSON lines: the version, then one operation a line (`read_model`)
    # The endpoints' columns but their details, which are the model's lines (`model_details`).
    endpoint_rows: tuple[dict[str, Any], ...]
    changes: tuple[Change, ...]
    info: dict[str, Any]
    seconds: float


def load_model(blob: bytes) -> dict[str, OperationInfo]:
    """A stored model, one small `json.loads` per operation (never one huge C call)."""
    return read_model(blob)[1]


def model_details(blob: bytes) -> Iterator[str]:
    """The details of the operations a model holds (one JSON text each, in the order of the
    analysis' `endpoint_rows`), decompressed a little at a time: storing a version of a large
    document never holds every endpoint's details at once, nor sends them twice between the
    processes.
    """
    stream = zlib.decompressobj()
    pending, data = b"", blob
    while True:
        out = stream.decompress(data, MODEL_READ)
        data = stream.unconsumed_tail
        if not out and not data:
            break
        lines = (pending + out).split(b"\n")
        pending = lines.pop()
        yield from _details(lines)
    yield from _details([pending + stream.flush()])


def _details(lines: list[bytes]) -> Iterator[str]:
    for line in lines:
        if line and not line.startswith(_VERSION_LINE.encode()):
            yield line.decode()


def read_model(blob: bytes) -> tuple[str | None, dict[str, OperationInfo]]:
    """A stored model: the document's `info.version` (None in models stored before it was
    kept) and its operations by key.
    """
    version: str | None = None
    out: dict[str, OperationInfo] = {}
    for line in zlib.decompress(blob).decode().split("\n"):
        if line.startswith(_VERSION_LINE):
            version = json.loads(line)["api_version"]
        elif line:
            op: OperationInfo = json.loads(line)
            out[op["key"]] = op
    return version, out


def analyse(
    data: bytes,
    filename: str,
    previous_model: bytes | None,
    previous: tuple[str, str] | None,
    *,
    packed: bytes | None = None,
) -> Analysis:
    """Read, validate, reduce and diff a document (CPU-bound: run it off the event loop).

    `previous` is (sha256, label) of the current version: the same bytes again are refused.
    `packed`: the document already compressed as it is stored (zlib), if it is.
    """
    from bot.specs.openapi.loading import gc_paused

    # The document's objects live until the answer is built: a collection would find none (the
    # collector's full passes cost a 3 MB document 0.2 s of CPU here).
    with gc_paused():
        return _analyse(data, filename, previous_model, previous, packed)


def analyse_packed(
    packed: bytes, filename: str, previous_model: bytes | None, previous: tuple[str, str] | None
) -> Analysis:
    """`analyse` of a document sent compressed as it is stored (zlib, made by the bot from an
    upload whose size it checked): a fifth of the bytes cross to the worker process, and the
    bot holds no pickled copy of the whole upload while the worker reads it.
    """
    return analyse(zlib.decompress(packed), filename, previous_model, previous, packed=packed)


def _analyse(
    data: bytes,
    filename: str,
    previous_model: bytes | None,
    previous: tuple[str, str] | None,
    packed: bytes | None,
) -> Analysis:
    from bot.specs.diff import diff
    from bot.specs.openapi import read_spec

    started = time.perf_counter()
    digest = hashlib.sha256(data).hexdigest()
    if previous is not None and previous[0] == digest:
        raise BadInput(
            f"This is exactly the document of version `{previous[1]}`: nothing changed, so "
            "nothing was imported."
        )
    # Control characters in a document's text (a NUL, an escape) are nobody's meaning: gone
    # before anything is stored or shown. Looking for them costs a walk of every value, so it
    # is done only when the bytes hold one, or an escape that writes one.
    parsed = read_spec(data, filename)
    if CONTROL_SOURCE_RE.search(data):
        parsed = without_controls(parsed)
    operations = parsed.operations
    changes: tuple[Change, ...] = ()
    if previous_model is not None:
        previous_version, previous_operations = read_model(previous_model)
        versions = None if previous_version is None else (previous_version, parsed.api_version)
        changes = tuple(diff(previous_operations, operations, versions))
    details = {
        key: json.dumps(op, ensure_ascii=False, separators=(",", ":"))
        for key, op in operations.items()
    }
    rows = tuple(
        {
            "method": op["method"],
            "path": op["path"],
            "key": key,
            "key_hash": key_hash(key),
            "summary": op["summary"][:SUMMARY_MAX],
            "tags": op["tags"],
            "deprecated": op["deprecated"],
        }
        for key, op in operations.items()
    )
    declared = [name for name, _ in parsed.tags]
    used = [t for op in operations.values() for t in op["tags"] if t not in declared]
    info = {
        "title": parsed.title,
        "api_version": parsed.api_version,
        "description": parsed.description,
        "servers": list(parsed.servers),
        "tags": [*declared, *dict.fromkeys(used)],
        "family": parsed.family,
    }
    return Analysis(
        summary=SpecSummary(
            parsed.family,
            parsed.openapi,
            parsed.source_format,
            parsed.title,
            parsed.api_version,
            parsed.warnings,
            parsed.warning_count,
        ),
        sha256=digest,
        document=packed if packed is not None else zlib.compress(data, DOCUMENT_LEVEL),
        model=zlib.compress(
            "\n".join([_version_line(parsed.api_version), *details.values()]).encode(), 6
        ),
        endpoint_rows=rows,
        changes=changes,
        info=info,
        seconds=time.perf_counter() - started,
    )


def _version_line(api_version: str) -> str:
    return json.dumps({"api_version": api_version}, ensure_ascii=False, separators=(",", ":"))


class AnalysisPool:
    """One spawned worker process for document analysis, started on first use.

    A job that runs past `timeout` seconds has its process stopped (the next job gets a new
    one); a process that dies mid-job is replaced too. Either way the user hears why.
    """

    def __init__(
        self, *, timeout: float = ANALYSIS_TIMEOUT, tasks_per_process: int = TASKS_PER_PROCESS
    ) -> None:
        self.timeout = timeout
        self.tasks_per_process = tasks_per_process
        self._executor: ProcessPoolExecutor | None = None

    def _pool(self) -> ProcessPoolExecutor:
        if self._executor is None:
            self._executor = ProcessPoolExecutor(
                max_workers=1,
                mp_context=multiprocessing.get_context("spawn"),
                max_tasks_per_child=self.tasks_per_process,
            )
        return self._executor

    async def __call__(self, function: Callable[..., T], *args: Any) -> T:
        """`function(*args)` in the worker process; BadInput if it runs too long or dies."""
        loop = asyncio.get_running_loop()
        future = loop.run_in_executor(self._pool(), function, *args)
        try:
            async with asyncio.timeout(self.timeout):
                return await future
        except TimeoutError:
            log.warning("document analysis ran past %.0f s; stopping its process", self.timeout)
            self._discard(kill=True)
            raise BadInput(
                f"Reading this document took longer than {self.timeout:.0f} s, so I stopped. "
                "Split it into smaller specs and import them one by one."
            ) from None
        except BrokenProcessPool:
            log.exception("the document analysis process died")
            self._discard(kill=True)
            raise BadInput(
                "The document could not be read (the reader stopped unexpectedly). Check that "
                "it is a valid OpenAPI file, or split it into smaller specs."
            ) from None

    def _discard(self, *, kill: bool) -> None:
        executor, self._executor = self._executor, None
        if executor is None:
            return
        if kill:
            for process in list(getattr(executor, "_processes", {}).values()):
                process.kill()
        executor.shutdown(wait=False, cancel_futures=True)

    def close(self) -> None:
        """Stop the worker process (waiting for nothing)."""
        self._discard(kill=True)


async def in_thread(function: Callable[..., T], *args: Any) -> T:
    """Run `function` in a worker thread (for tests and tools that do not want a process)."""
    return await asyncio.to_thread(function, *args)
