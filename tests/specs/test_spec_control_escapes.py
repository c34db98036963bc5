"""Control characters are looked for only in documents whose bytes can hold one: every way a
document can write one (a JSON or YAML escape; raw ones are refused by both parsers) still has
it left out."""

from __future__ import annotations

import json

import pytest

from bot.specs.analysis import CONTROL_SOURCE_RE, analyse, load_model

YAML = """openapi: 3.0.3
info: {{title: "Pay{escape}ments", version: '1'}}
paths:
  /a:
    get:
      summary: "Re{escape}fund"
      responses: {{'200': {{description: ok}}}}
"""


@pytest.mark.parametrize("escape", ["\\e", "\\x1b", "\\u001B", "\\U0000001b", "\\0", "\\a"])
def test_every_yaml_escape_of_a_control_character_is_left_out(escape: str) -> None:
    data = YAML.format(escape=escape).encode()
    assert CONTROL_SOURCE_RE.search(data)
    result = analyse(data, "api.yaml", None, None)
    assert result.summary.title == "Payments"
    assert load_model(result.model)["GET /a"]["summary"] == "Refund"


def test_a_json_escape_is_left_out() -> None:
    escaped = json.dumps(
        {
            "openapi": "3.0.3",
            "info": {"title": "Pay\u0007ments", "version": "1"},
            "paths": {"/a": {"get": {"responses": {"200": {"description": "o\u001bk"}}}}},
        }
    ).encode()
    assert b"\\u0007" in escaped
    assert analyse(escaped, "api.json", None, None).summary.title == "Payments"


def test_a_document_without_any_is_not_walked_for_them() -> None:
    plain = YAML.format(escape="").encode()
    assert CONTROL_SOURCE_RE.search(plain) is None
    assert analyse(plain, "api.yaml", None, None).summary.title == "Payments"
