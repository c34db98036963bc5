"""Reading JSON the bot sent, the way Discord reads it: what cannot be read is invalid JSON.

Python's json raises RecursionError on deeply nested arrays or objects and ValueError on
integers of more than 4,300 digits; Discord answers both (and any other unreadable body) with
one error, so the emulator does too instead of crashing in its own middleware.
"""

from __future__ import annotations

import json
from typing import Any

# Discord's answer to a request body it cannot read (HTTP 400).
INVALID_JSON_CODE = 50109
INVALID_JSON_MESSAGE = "The request body contains invalid JSON."
# The gateway's close code for a frame it cannot read.
DECODE_ERROR_CLOSE = 4002


class InvalidJson(ValueError):
    """The text is not JSON Discord (or Python) can read."""


def read_json(raw: bytes | str) -> Any:
    """The value `raw` holds; `InvalidJson` when it is broken, too deep or has a huge number."""
    try:
        return json.loads(raw)
    except (ValueError, RecursionError) as failed:  # JSONDecodeError and UnicodeError included
        raise InvalidJson(str(failed)[:200]) from None
