"""The frontend kit through the real bot and the local Discord: an endpoint's TypeScript, fetch
and curl buttons answer privately, and /spec export format:typescript attaches a module.
"""

from __future__ import annotations

import json

from bot.specs import EndpointView
from bot.specs.model import SpecRef
from cogs.specs.kit import kit_buttons
from localdiscord.emulator import Upload
from tests.harness import Harness
from tests.specs.test_specs import import_spec


async def test_an_endpoints_code_buttons_and_the_typescript_export(nexus: Harness) -> None:
    fake = nexus.fake
    await import_spec(fake, "bookings-api", "bookings-v1.yaml", user="owner")
    shown = await fake.slash(
        "spec endpoint", {"spec": "bookings-api", "endpoint": "POST /api/v1/bookings/"}
    )
    buttons = [c for c in shown.custom_ids() if c.startswith("spec:kit:")]
    assert [b.split(":")[2] for b in buttons] == ["ts", "fetch", "curl"]

    types = await fake.click(shown, buttons[0], user="member2")
    assert types.ephemeral
    content = types.content or ""
    assert content.startswith("`POST /api/v1/bookings/` · version `1.0.0`: TypeScript types")
    assert "```ts\n// POST /api/v1/bookings/" in content
    assert "export type BookingsCreateRequest = BookingCreate;" in content
    assert len(content) <= 2000

    call = await fake.click(shown, buttons[1], user="member2")
    assert "export async function bookingsCreate(): Promise<BookingsCreateResponse>" in (
        call.content or ""
    )
    curl = await fake.click(shown, buttons[2], user="member2")
    assert "```bash\n# POST /api/v1/bookings/" in (curl.content or "")
    assert "-H 'Authorization: Bearer <token>'" in (curl.content or "")

    exported = await fake.slash(
        "spec export", {"spec": "bookings-api", "format": "typescript"}, user="member2"
    )
    assert exported.ephemeral
    [module] = (exported.message or {})["attachments"]
    assert module["filename"] == "bookings-api-1.0.0.ts"
    assert b"export type Listing = {" in fake.file_bytes(module)


async def test_code_longer_than_a_message_comes_as_a_file(nexus: Harness) -> None:
    fake = nexus.fake
    wide = {f"field_{i:03}": {"type": "string", "description": "x" * 20} for i in range(120)}
    document = {
        "openapi": "3.0.3",
        "info": {"title": "Wide", "version": "1"},
        "paths": {
            "/records": {
                "get": {
                    "responses": {
                        "200": {
                            "description": "ok",
                            "content": {
                                "application/json": {
                                    "schema": {"type": "object", "properties": wide}
                                }
                            },
                        }
                    }
                }
            }
        },
    }
    upload = Upload("wide.json", json.dumps(document).encode())
    await fake.slash("spec import", {"name": "wide", "file": upload}, user="owner", timeout=30)
    shown = await fake.slash("spec endpoint", {"spec": "wide", "endpoint": "GET /records"})
    button = next(c for c in shown.custom_ids() if c.startswith("spec:kit:ts:"))
    attached = await fake.click(shown, button, user="member2")
    assert attached.ephemeral
    assert "Too long for a message: attached." in (attached.content or "")
    [attachment] = (attached.message or {})["attachments"]
    assert attachment["filename"] == "get-records.ts"
    assert b"  field_119?: string;" in fake.file_bytes(attachment)
    missing = await fake.slash("spec export", {"spec": "nothing", "format": "typescript"})
    assert missing.ephemeral


def test_a_hand_typed_endpoint_has_no_code_buttons() -> None:
    spec = SpecRef(1, "bookings-api", "Bookings")
    typed = EndpointView(spec, None, "GET /a", None, None, (), 0)
    assert kit_buttons(typed) is None
