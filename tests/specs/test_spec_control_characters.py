"""A document whose text holds control characters (a NUL in a description, an escape in a
summary) imports on either database: PostgreSQL's text cannot hold a NUL at all, so what is
stored and shown is the text without them."""

from __future__ import annotations

import json

from localdiscord.emulator import Upload
from tests.harness import Harness
from tests.specs.test_specs import embed_text, setup_specs

DOCUMENT = {
    "openapi": "3.0.3",
    "info": {"title": "Pay\u0000ments", "version": "1.0\u0000"},
    "paths": {
        "/refunds/": {
            "post": {
                "summary": "Refund\u0000 a pay\u001bment",
                "description": "Refunds\u0000 money \u0007back.",
                "tags": ["refu\u0000nds"],
                "operationId": "createRefund",
                "responses": {
                    "201": {
                        "description": "Cre\u0000ated",
                        "content": {
                            "application/json": {
                                "schema": {"type": "string", "example": "ok\u0000"}
                            }
                        },
                    }
                },
            }
        }
    },
}


async def test_control_characters_in_a_document_are_left_out(nexus: Harness) -> None:
    fake = nexus.fake
    await setup_specs(fake)
    raw = json.dumps(DOCUMENT).encode()
    assert b"\\u0000" in raw
    done = await fake.slash(
        "spec import",
        {"name": "payments", "file": Upload("payments.json", raw)},
        user="moderator",
        timeout=30,
    )
    assert done.errors == []
    shown = await fake.slash("spec endpoint", {"spec": "payments", "endpoint": "POST /refunds/"})
    text = embed_text(shown.message or {})
    assert "Refund" in text, text
    assert "payment" in text
    assert not any(ch in text for ch in "\x00\x07\x1b")
