"""Problems with a document: where they are (JSON pointers), and the rejection that names them;
the checks an upload meets before it is read (its name and size).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import unquote

from bot.core.text import code_text
from bot.errors import BadInput
from bot.specs.keys import MAX_PATH_CHARS as MAX_PATH_CHARS  # with the endpoint keys

MAX_DOCUMENT_BYTES = 5 * 1024 * 1024
# What the worker can read in seconds. Measured on this 2-core machine (CPU seconds of the
# spec worker, the machine shared with other work): plain values cost ~0.6 us each to read and
# copy (1,000,000 values of example data: 0.6 s), while every object the validators walk costs
# 100-250 us (two meta-schema passes and the semantic pass): 59,900 empty schemas 5.2 s, 75,000
# schemas of an alias bomb 14 s, 59,900 schemas nested 140 deep 10.8 s, and a real 4.6 MB
# document (59,000 objects) 9.4 s. So values are capped for memory and the cheap passes,
# objects for the validators: the worst document the caps allow takes 11-15 s, about what the
# largest real documents take (before, a 1.5 KB YAML of 1.37 million values took over 120 s).
MAX_NODES = 1_000_000  # values in the document once YAML aliases are expanded
MAX_OBJECTS = 60_000  # objects outside examples and defaults: what the validators walk
MAX_NESTING = 150
MAX_ERRORS_SHOWN = 5
MAX_MESSAGE_CHARS = 1900  # the rejection is one Discord message (2,000 at most)
MAX_WARNINGS_KEPT = 50
MAX_FIELDS = 80  # flattened schema fields kept per request or response body
MAX_FIELD_DEPTH = 6
MAX_ENUM_VALUES = 50
MAX_EXAMPLE_CHARS = 700
MAX_TEXT_CHARS = 600
MAX_EXAMPLES_CHECKED = 2000

JsonPointer = str
Family = Literal["2.0", "3.0", "3.1"]
SUFFIXES = {".json": "json", ".yaml": "yaml", ".yml": "yaml"}


def pointer_of(parts: Iterator[str | int] | tuple[str | int, ...] | list[str | int]) -> str:
    """("paths", "/a/{id}", "get") -> "/paths/~1a~1{id}/get" (RFC 6901)."""
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in parts)


def pointer_parts(pointer: str) -> list[str]:
    """The inverse of `pointer_of`, for the fragment of a `#/...` reference (percent-decoded)."""
    if not pointer:
        return []
    return [unquote(p).replace("~1", "/").replace("~0", "~") for p in pointer[1:].split("/")]


@dataclass(frozen=True, slots=True)
class Problem:
    """Something wrong with a document, and where: a JSON pointer and, for YAML, a line."""

    message: str
    pointer: str | None = None
    line: int | None = None

    def where(self) -> str:
        """Where the problem is (a JSON pointer, a line), or empty when unknown."""
        parts = []
        if self.pointer is not None:
            parts.append(f"`{self.pointer or '/'}`")
        if self.line is not None:
            parts.append(f"line {self.line}")
        return ", ".join(parts)

    def __str__(self) -> str:
        where = self.where()
        return f"{where}: {self.message}" if where else self.message

    def as_dict(self) -> dict[str, Any]:
        """The problem as plain JSON values (stored with the version it warns about)."""
        return {"message": self.message, "pointer": self.pointer, "line": self.line}


class DocumentRejected(BadInput):
    """The document cannot be imported; nothing was stored. The message names the problem(s),
    each with its JSON pointer and (for YAML) its line, and what to do about it.
    """

    def __init__(self, problems: list[Problem], *, hint: str | None = None) -> None:
        self.problems = problems
        self.hint = hint
        head = "This document cannot be imported, and nothing was stored:"
        tail = f"\n{hint}" if hint else ""
        budget = MAX_MESSAGE_CHARS - len(head) - len(tail) - 40
        lines: list[str] = []
        for problem in problems[:MAX_ERRORS_SHOWN]:
            where = clip(problem.where(), 160)
            text = clip(problem.message, 350)
            line = f"• {where}: {text}" if where else f"• {text}"
            if sum(len(x) + 1 for x in lines) + len(line) > budget:
                break
            lines.append(line)
        if len(problems) > len(lines):
            lines.append(f"• …and {len(problems) - len(lines)} more.")
        super().__init__(head + "\n" + "\n".join(lines) + tail)

    def __reduce__(self) -> tuple[Any, ...]:
        # Raised in the analysis process and re-raised in the bot: pickled by its parts.
        return _rebuild_rejection, (self.problems, self.hint)


def _rebuild_rejection(problems: list[Problem], hint: str | None) -> DocumentRejected:
    return DocumentRejected(problems, hint=hint)


BUNDLE_HINT = (
    "Nexus only follows references inside the document (`#/...`) and never opens other files "
    "or URLs: bundle it into one file (e.g. `redocly bundle` or `swagger-cli bundle`) and "
    "import that."
)


def reject(
    message: str, pointer: str | None = None, line: int | None = None, hint: str | None = None
) -> DocumentRejected:
    """A rejection naming one problem (raise it)."""
    return DocumentRejected([Problem(message, pointer, line)], hint=hint)


def clip(text: str, limit: int) -> str:
    """`text` cut to `limit` characters, with an ellipsis when cut."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def code(text: str, limit: int = 120) -> str:
    """Text from the document shown inside an inline code span."""
    return code_text(text, limit)


def document_format(filename: str) -> Literal["json", "yaml"]:
    """The format named by the file's extension; anything else is refused."""
    lowered = filename.lower()
    for suffix, kind in SUFFIXES.items():
        if lowered.endswith(suffix):
            return kind  # type: ignore[return-value]
    shown = code(filename, 60)
    raise reject(
        f"`{shown}` is not a JSON or YAML file. Attach the OpenAPI document itself, "
        "named `.json`, `.yaml` or `.yml`."
    )


def check_size(size: int) -> None:
    """Refuse a document over the size limit (called before the bytes are even downloaded)."""
    if size > MAX_DOCUMENT_BYTES:
        raise reject(
            f"The file is {size / 1024 / 1024:.1f} MB; the limit is "
            f"{MAX_DOCUMENT_BYTES // 1024 // 1024} MB. Split the API into several specs, or "
            "drop the bundled examples."
        )
    if size == 0:
        raise reject("The file is empty.")
