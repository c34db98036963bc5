"""The frontend kit: code a frontend peer takes away from an imported document.

For one endpoint, its TypeScript types (with the named schemas they use), a `fetch` call and a
`curl` command; for a whole spec, one TypeScript module. Everything is written from the stored
upload, read again the safe way (`source`), in the analysis process (CPU-bound, like an import):
`kit_text` and `module_text` take the stored (compressed) bytes and return plain text.

- `names`: identifiers and literals that are valid and safe whatever the document says;
- `source`: the document read again, and its operations' parameters and bodies;
- `typescript`: schemas -> TypeScript types (named, recursive, request and response views);
- `declarations`: one operation's types, and the module of a whole spec;
- `calls`: a ready call as `fetch` or `curl`.
"""

from __future__ import annotations

import zlib
from typing import Literal

from bot.specs.frontend.calls import curl_snippet, fetch_snippet, plan
from bot.specs.frontend.declarations import typescript_for, typescript_module
from bot.specs.frontend.source import Source, read_source

Kind = Literal["typescript", "fetch", "curl"]
KINDS: tuple[Kind, ...] = ("typescript", "fetch", "curl")

__all__ = [
    "KINDS",
    "Kind",
    "Source",
    "curl_snippet",
    "fetch_snippet",
    "kit_text",
    "module_text",
    "plan",
    "read_source",
    "typescript_for",
    "typescript_module",
]


def _source(compressed: bytes, source_format: str) -> Source:
    filename = "document.json" if source_format == "json" else "document.yaml"
    return read_source(zlib.decompress(compressed), filename)


def kit_text(compressed: bytes, source_format: str, key: str, kind: Kind) -> str | None:
    """The code of one endpoint (`GET /a/{id}`) of a stored document; None if it has none."""
    method, _, path = key.partition(" ")
    source = _source(compressed, source_format)
    if kind == "typescript":
        return typescript_for(source, method, path)
    call = plan(source, method, path)
    if call is None:
        return None
    return fetch_snippet(call) if kind == "fetch" else curl_snippet(call)


def module_text(compressed: bytes, source_format: str) -> str:
    """The TypeScript module of a whole stored document."""
    return typescript_module(_source(compressed, source_format))
