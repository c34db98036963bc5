"""The frontend kit: TypeScript types, fetch calls and curl commands written from documents.

The TypeScript written for the fixtures, for Discord's own API document and for a hostile one
is compiled with `tsc --strict --noEmit` (TypeScript pinned in tests/specs/typescript/, installed
with `npm ci` there; the test installs it when Node is present). Without Node the compile test
is skipped, except in CI (`CI` set), where it fails.
"""

from __future__ import annotations

import gzip
import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from bot.specs import Actor, SpecsService
from bot.specs.analysis import in_thread
from bot.specs.frontend import (
    Source,
    curl_snippet,
    fetch_snippet,
    plan,
    read_source,
    typescript_for,
    typescript_module,
)
from bot.specs.validation import key_hash

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "openapi"
TOOLS = Path(__file__).resolve().parent / "typescript"
TSC = TOOLS / "node_modules" / ".bin" / "tsc"
DISCORD = ROOT / "localdiscord" / "emulator" / "discord_api" / "openapi.json.gz"
READABLE = [
    p
    for p in sorted(FIXTURES.iterdir())
    if p.suffix in (".json", ".yaml")
    and p.name
    not in {
        "alias-bomb.yaml",
        "ref-cycle.yaml",
        "relative-ref.yaml",
        "remote-ref-https.yaml",
        "remote-ref-file.json",
    }
]


def doc(**extra: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"openapi": "3.0.3", "info": {"title": "T", "version": "1"}}
    base.update(extra)
    return base


def source_of(document: dict[str, Any]) -> Source:
    return read_source(json.dumps(document).encode(), "api.json")


def fixture(name: str) -> Source:
    return read_source((FIXTURES / name).read_bytes(), name)


# A document that tries everything a name, a text or a schema can do to generated code.
HOSTILE = doc(
    info={"title": "Hostile */ API\u2028alert(1)", "version": "1`${x}`"},
    servers=[
        {"url": "https://{region}.api.example/v1", "variables": {"region": {"default": "eu"}}}
    ],
    paths={
        "/items/{item-id}/`${boom}`": {
            "delete": {
                "operationId": "delete",
                "summary": "Remove */ it\u2029now",
                "parameters": [
                    {
                        "name": "item-id",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "string"},
                    },
                    {"name": "q'\"", "in": "query", "example": 'it\'s "quoted"', "schema": {}},
                ],
                "requestBody": {
                    "content": {
                        "application/json": {
                            "schema": {"$ref": "#/components/schemas/Promise"},
                            "example": {"text": "'; rm -rf / #", "\u2028": "`${x}`"},
                        }
                    }
                },
                "responses": {
                    "200": {
                        "description": "ok",
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/Node"}}
                        },
                    }
                },
            }
        },
        "/fetch": {"get": {"operationId": "fetch", "responses": {"204": {"description": "none"}}}},
    },
    components={
        "schemas": {
            "Promise": {
                "type": "object",
                "description": "Ends a comment */ and a line\u2028here",
                "properties": {
                    "text": {"type": "string"},
                    'with "quotes"\nand lines': {"type": "integer"},
                    "\u2028": {"type": "string"},
                },
            },
            "Node": {
                "type": "object",
                "properties": {
                    "children": {"type": "array", "items": {"$ref": "#/components/schemas/Node"}},
                    "parent": {"$ref": "#/components/schemas/Node"},
                },
            },
            "Self": {"oneOf": [{"$ref": "#/components/schemas/Self"}, {"type": "string"}]},
            "Loop1": {"allOf": [{"$ref": "#/components/schemas/Loop2"}]},
            "Loop2": {"anyOf": [{"$ref": "#/components/schemas/Loop1"}, {"type": "integer"}]},
            "class": {"type": "string", "enum": ['a"b', "c\u2028d", 1, None, True]},
            "Odd.Name-v2": {"type": "number", "enum": [1e400, 2**80]},
        }
    },
)


# -- tsc ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tsc() -> Path:
    """The pinned TypeScript compiler: installed with `npm ci` when missing and Node is here."""
    npm = shutil.which("npm")
    if not TSC.exists() and npm is not None:
        subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund", "--prefix", str(TOOLS)],
            capture_output=True,
            timeout=600,
            check=False,
        )
    if TSC.exists() and shutil.which("node") is not None:
        return TSC
    reason = (
        "TypeScript is not installed and could not be: run `npm ci --prefix tests/specs/typescript`"
        " (Node.js and npm needed)"
    )
    if os.environ.get("CI"):
        pytest.fail(f"{reason}; CI must compile the generated TypeScript")
    pytest.skip(reason)


def compile_strictly(tsc: Path, folder: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    config = {"extends": str(TOOLS / "tsconfig.json"), "files": sorted(files)}
    (folder / "tsconfig.json").write_text(json.dumps(config), encoding="utf-8")
    done = subprocess.run(
        [str(tsc), "-p", str(folder / "tsconfig.json")],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]


def kit_files(stem: str, source: Source) -> dict[str, str]:
    """The module of a document, and each operation's types with its fetch call."""
    files = {f"{stem}.ts": typescript_module(source)}
    for index, (method, path, _, _) in enumerate(source.operations()):
        call = plan(source, method, path)
        assert call is not None
        types = typescript_for(source, method, path)
        assert types is not None
        files[f"{stem}_{index}.ts"] = types + "\n" + fetch_snippet(call)
    return files


@pytest.mark.timeout(600)
def test_generated_typescript_compiles_with_tsc_strict(tsc: Path, tmp_path: Path) -> None:
    files: dict[str, str] = {}
    for path in READABLE:
        files.update(kit_files(path.stem.replace(".", "_"), fixture(path.name)))
    for path in sorted((ROOT / "examples" / "openapi").glob("*.yaml")):
        files.update(kit_files("example_" + path.stem, fixture_path(path)))
    discord_api = read_source(gzip.decompress(DISCORD.read_bytes()), "discord.json")
    files.update(kit_files("discord", discord_api))
    files.update(kit_files("hostile", source_of(HOSTILE)))
    assert len(files) > 300
    compile_strictly(tsc, tmp_path, files)


def fixture_path(path: Path) -> Source:
    return read_source(path.read_bytes(), path.name)


# -- the shapes of the types -------------------------------------------------------------------


def test_types_follow_the_schemas() -> None:
    module = typescript_module(fixture("bookings-v1.yaml"))
    # An enum is a union of literals; named schemas are named types.
    assert 'export type BookingStatus = "pending" | "confirmed" | "declined"' in module
    assert "  status: BookingStatus;" in module
    # readOnly fields are left out of what is sent: Listing as sent is ListingRequest.
    listing = module.split("export type Listing = ")[1].split("\n};")[0]
    sent = module.split("export type ListingRequest = ")[1].split("\n};")[0]
    assert "  id?: number;" in listing
    assert "id?" not in sent
    assert "  rating?: number | null;" in listing  # nullable
    assert "export type ListingsCreateRequest = ListingRequest;" in module
    assert "export type ListingsCreateResponse = Listing;" in module
    # writeOnly fields are left out of what is received.
    token = fixture("bookings-v1.yaml")
    assert "password" in (typescript_for(token, "post", "/api/v1/auth/token/") or "")
    swagger = typescript_module(fixture("payments-swagger2.json"))
    assert 'method: "card" | "mpesa" | "chapa";' in swagger


def test_unions_intersections_recursion_and_3_1_nullables() -> None:
    module = typescript_module(fixture("messaging-3.1.json"))
    assert "TextMessage | OfferMessage" in module  # oneOf
    assert "next_cursor?: string | null;" in module  # type: [string, "null"]
    hostile = typescript_module(source_of(HOSTILE))
    assert "  children?: Node[];\n  parent?: Node;" in hostile  # recursion through properties
    assert "export type Self = string;" in hostile  # a type cannot be itself: that branch goes
    assert "export type Loop1 = unknown;" in hostile  # Loop1 and Loop2 would be each other
    assert "export type Loop2 = number;" in hostile
    inventory = typescript_module(fixture("springdoc-inventory.yaml"))
    assert "export type Sale = StockEvent & {" in inventory  # allOf
    assert "supplier?: unknown /* unresolved: #/components/schemas/Supplier */;" in inventory


def test_names_and_texts_from_the_document_cannot_break_the_code() -> None:
    hostile = typescript_module(source_of(HOSTILE))
    assert "\u2028" not in hostile
    assert "\u2029" not in hostile
    assert "Ends a comment * / and a line here" in hostile
    assert "export type Promise2 = {" in hostile  # the global Promise stays usable
    assert '  "with \\"quotes\\"\\nand lines"?: number;' in hostile
    assert 'export type Class = "a\\"b" | "c\\u2028d" | 1 | null | true;' in hostile
    assert "export type OddNameV2 = number;" in hostile  # 1e400 and 2**80 are not literals
    call = plan(source_of(HOSTILE), "delete", "/items/{item-id}/`${boom}`")
    assert call is not None
    fetch = fetch_snippet(call)
    assert "export async function deleteCall(): Promise<DeleteResponse> {" in fetch
    # No template literal: `${boom}` stays text inside string literals.
    assert '"/items/" + encodeURIComponent(String(params["item-id"])) + "/`$" + "{boom}"' in fetch
    assert "export async function fetchCall()" in fetch_snippet(
        plan(source_of(HOSTILE), "get", "/fetch")  # type: ignore[arg-type]
    )


def test_curl_commands_are_one_shell_command_each(tmp_path: Path) -> None:
    call = plan(source_of(HOSTILE), "delete", "/items/{item-id}/`${boom}`")
    assert call is not None
    curl = curl_snippet(call)
    assert curl.startswith("# DELETE /items/{item-id}/`${boom}`: Remove * / it now\n")
    assert "https://eu.api.example/v1/items/string/%60$%7Bboom%7D%60?q%27%22=" in curl
    script = tmp_path / "call.sh"
    script.write_text(curl.replace("curl ", "printf '%s\\n' curl ", 1), encoding="utf-8")
    printed = subprocess.run(["bash", str(script)], capture_output=True, text=True, check=True)
    arguments = printed.stdout.split("\n")
    assert "'; rm -rf / #" in printed.stdout  # the body is one argument, never run
    assert arguments[arguments.index("--data-raw") + 1].startswith("{")
    for path in READABLE:
        source = fixture(path.name)
        for method, found, _, _ in source.operations():
            command = curl_snippet(plan(source, method, found))  # type: ignore[arg-type]
            checked = subprocess.run(["bash", "-n"], input=command, text=True, check=False)
            assert checked.returncode == 0, command


def test_calls_fill_parameters_bodies_and_credentials() -> None:
    source = fixture("payments-swagger2.json")
    call = plan(source, "post", "/charges")
    assert call is not None
    fetch = fetch_snippet(call)
    assert 'const baseUrl = "https://payments.nestly.example/payments/v1";' in fetch
    assert '"Authorization": "Bearer <token>",' in fetch  # OAuth 2
    assert '"Idempotency-Key": "' in fetch  # a required header
    assert "body: JSON.stringify({" in fetch
    assert "return (await response.json()) as CreateChargeResponse;" in fetch
    listing = plan(source, "get", "/charges")
    assert listing is not None
    assert "-H 'X-Api-Key: <api key>'" in curl_snippet(listing)
    bookings = fixture("bookings-v1.yaml")
    created = plan(bookings, "post", "/api/v1/listings/")
    assert created is not None
    assert "id" not in created.body  # built from the schema: readOnly fields are not sent
    public = plan(bookings, "post", "/api/v1/auth/token/")
    assert public is not None
    assert public.headers == []
    assert "Authorization" not in fetch_snippet(public)


def test_an_operation_that_is_not_there_gives_nothing() -> None:
    source = fixture("bookings-v1.yaml")
    assert typescript_for(source, "get", "/nowhere") is None
    assert plan(source, "get", "/nowhere") is None


# -- through the service -----------------------------------------------------------------------


async def test_the_service_writes_an_endpoints_code_and_a_specs_module(db: Any) -> None:
    specs = SpecsService(db, off_loop=in_thread)
    admin = Actor(1, can_manage=True)
    data = (FIXTURES / "bookings-v1.yaml").read_bytes()
    report = await specs.import_document(1, admin, "bookings", "v1.yaml", data)
    spec_id = report.spec.id
    key = "GET /api/v1/bookings/{id}/"
    types = await specs.endpoint_code(1, spec_id, key_hash(key), "typescript")
    assert (types.key, types.filename) == (key, "get-api-v1-bookings-id.ts")
    assert "export type Booking = {" in types.text
    curl = await specs.endpoint_code(1, spec_id, key_hash(key), "curl")
    assert curl.filename.endswith(".sh")
    assert curl.text.startswith("# GET /api/v1/bookings/{id}/")
    module = await specs.export_typescript(1, "bookings", None)
    assert module.filename == "bookings-1.0.0.ts"
    assert b"export type ListingsCreateRequest" in module.data
    with pytest.raises(Exception, match="no longer in"):
        await specs.endpoint_code(1, spec_id, key_hash("GET /gone"), "fetch")
    with pytest.raises(Exception, match="TypeScript, fetch or curl"):
        await specs.endpoint_code(1, spec_id, key_hash(key), "python")
