"""Reading OpenAPI 3.0/3.1 and Swagger 2.0 documents safely, and reducing them to operations.

Everything here is plain, synchronous and CPU-bound: callers run it off the event loop.

The order matters for safety. A document is decoded, parsed (YAML aliases counted before they
are expanded), and then every `$ref` is checked *before* any validator or resolver sees it:
only references inside the document (`#/...`) are allowed, because validators follow the rest
(openapi-spec-validator opens `file://` paths and fetches `https://` URLs). Content under `x-`
extension fields is opaque data: it is never checked, resolved or handed to the validator.

`read_spec` (`reading`) runs the whole pipeline; each step lives in its own module, and each
module imports only from the ones before it:

- `problems`: the limits, JSON pointers, `Problem` and `DocumentRejected`;
- `yaml_values`: YAML -> Python values from libyaml's events, aliases measured on the way;
- `loading`: bytes -> Python values (size, encoding, JSON, safe YAML with its budgets);
- `safety`: the OpenAPI family, and the `$ref` checks on a sanitized copy;
- `bounded`: values checked against the document's schemas with bounded work (RE2 patterns);
- `explain`: meta-schema errors in plain words (the field, the form expected);
- `validation`: the meta-schema check run offline, and examples and defaults checked;
- `semantics`: what the meta-schema cannot see (path parameters, duplicates, `allOf` names);
- `model`: `ParsedSpec` and the shapes of the operations, bodies and fields kept;
- `schemas`: body schemas read into fields and examples (`$ref`s followed, `allOf` merged);
- `operations`: the operations read from the document, with their parameters and bodies;
- `reading`: `read_spec`, every step in order.

The names below load their module on first use: the bot's own process uses the light ones
(the limits, `Problem`, the operations' shapes) and never loads the validators, YAML or RE2,
which only the analysis process (bot/specs/analysis.py) runs.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.specs.openapi.model import (
        METHODS,
        BodyInfo,
        FieldInfo,
        OperationInfo,
        ParamInfo,
        ParsedSpec,
        endpoint_key,
        template_key,
    )
    from bot.specs.openapi.problems import (
        MAX_DOCUMENT_BYTES,
        MAX_PATH_CHARS,
        DocumentRejected,
        Problem,
        check_size,
        document_format,
    )
    from bot.specs.openapi.reading import read_spec

# Each name, and the module of this package that holds it.
_WHERE = {
    "METHODS": "model",
    "BodyInfo": "model",
    "FieldInfo": "model",
    "OperationInfo": "model",
    "ParamInfo": "model",
    "ParsedSpec": "model",
    "endpoint_key": "model",
    "template_key": "model",
    "MAX_DOCUMENT_BYTES": "problems",
    "MAX_PATH_CHARS": "problems",
    "DocumentRejected": "problems",
    "Problem": "problems",
    "check_size": "problems",
    "document_format": "problems",
    "read_spec": "reading",
}

__all__ = [
    "MAX_DOCUMENT_BYTES",
    "MAX_PATH_CHARS",
    "METHODS",
    "BodyInfo",
    "DocumentRejected",
    "FieldInfo",
    "OperationInfo",
    "ParamInfo",
    "ParsedSpec",
    "Problem",
    "check_size",
    "document_format",
    "endpoint_key",
    "read_spec",
    "template_key",
]


def __getattr__(name: str) -> Any:
    """A name of `__all__`, its module imported on first use."""
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value
