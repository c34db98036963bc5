"""Real documents from the generators teams use, imported as members import them.

Each document in tests/fixtures/openapi/generated/manifest.json was written by a framework's
own generator from a small service in tests/fixtures/openapi/generators/ (Python: generate.py;
Node: node/generate.mjs), saved verbatim, with the generator's exact version. Discord's own
published document is the vendor's hand-written one. Each imports through the real pipeline
(service, worker function, database), with its endpoints counted, no refusal, and warnings only
for its real defects, each at its JSON pointer; the frontend kit's TypeScript of every one
compiles with `tsc --strict` in one run.
"""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path
from typing import Any

import pytest

from bot.specs import Actor, SpecsService
from bot.specs.analysis import in_thread
from bot.specs.frontend import read_source
from bot.specs.openapi import read_spec
from tests.figures import report as report_figures
from tests.specs.test_spec_typescript import compile_strictly, kit_files
from tests.specs.test_spec_typescript import tsc as tsc

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "openapi"
MANIFEST: dict[str, dict[str, Any]] = json.loads(
    (FIXTURES / "generated" / "manifest.json").read_text()
)
DISCORD = ROOT / "localdiscord" / "emulator" / "discord_api" / "openapi.json.gz"
HOSTS_PAGE = "/paths/~1hosts~1/get/responses/200/headers/X-Pagination/schema"
REVIEWS = "/paths/~1listings~1{listing_id}~1reviews"

# Per document: its version of OpenAPI, how many endpoints, and the pointers of the generator's
# real defects (flask-smorest writes an OpenAPI 3 `schema` into a Swagger 2.0 header; zod's
# coerced number makes @hono/zod-openapi mark a path parameter optional).
EXPECTED: dict[str, tuple[str, int, tuple[str, ...]]] = {
    "fastapi-bookings.json": ("3.1.0", 4, ()),
    "drf-listings.yaml": ("3.0.3", 7, ()),
    "generated/ninja-experiences.json": ("3.1.0", 6, ()),
    "generated/litestar-payments.json": ("3.1.0", 6, ()),
    "generated/smorest-hosts.json": ("2.0", 8, (HOSTS_PAGE,)),
    "generated/nest-support.json": ("3.0.0", 6, ()),
    "generated/tsoa-wishlists.json": ("3.0.0", 8, ()),
    "generated/fastify-search.json": ("3.0.3", 5, ()),
    "generated/kube-calendars.json": ("2.0", 7, ()),
    "generated/swagger-core-inventory.json": ("3.0.1", 8, ()),
    "generated/hono-reviews.json": (
        "3.1.0",
        4,
        (f"{REVIEWS}/get/parameters/0/required", f"{REVIEWS}/post/parameters/0/required"),
    ),
}
# PyPI's `name==1.2.3`, npm's `name@1.2.3`, Debian's `debian:name=version` (kube-openapi's Go
# sources and tools come from Debian, whose versions are not semver).
PINNED = re.compile(r"^(@?[\w./-]+(==|@)\d+\.\d+\.\d+|debian:[\w.+-]+=\S+)$")
# kube-openapi (as Debian ships it) writes no enums: Go has none to read.
WITHOUT_ENUMS = {"generated/kube-calendars.json"}


def test_every_generated_document_says_what_wrote_it_and_from_what() -> None:
    assert set(MANIFEST) == set(EXPECTED)
    generators = {entry["generator"] for entry in MANIFEST.values()}
    assert len(generators) == len(MANIFEST) >= 8, "eight generators or more, one document each"
    for output, entry in MANIFEST.items():
        document = FIXTURES / output
        assert document.stat().st_size < 1_000_000, output
        assert (FIXTURES / entry["source"]).is_file(), entry["source"]
        assert entry["packages"], output
        for package in entry["packages"]:
            assert PINNED.match(package), f"{output}: {package} is not an exact version"
    lock = json.loads((FIXTURES / "generators" / "node" / "package-lock.json").read_text())
    for entry in MANIFEST.values():
        for package in entry["packages"]:
            if "@" in package[1:] and not package.startswith("debian:"):
                name, version = package.rsplit("@", 1)
                assert lock["packages"][f"node_modules/{name}"]["version"] == version, package


async def test_each_generator_s_document_imports_with_its_endpoints(db: Any) -> None:
    specs = SpecsService(db, off_loop=in_thread)
    owner = Actor(1, can_manage=True)
    endpoints_read = 0
    analyse_ms: dict[str, float] = {}
    for number, (output, (openapi, endpoints, defects)) in enumerate(EXPECTED.items()):
        data = (FIXTURES / output).read_bytes()
        report = await specs.import_document(1, owner, f"generated-{number}", output, data)
        assert report.version.openapi == openapi, output
        assert report.version.endpoint_count == endpoints, output
        assert report.warning_count == len(defects), (output, [str(w) for w in report.warnings])
        assert tuple(w.pointer for w in report.warnings) == defects, output
        endpoints_read += report.version.endpoint_count
        analyse_ms[Path(output).stem] = round(report.analyse_seconds * 1000, 1)
    report_figures("generated specs", documents=len(EXPECTED), endpoints=endpoints_read)
    report_figures("generated specs analyse ms", **analyse_ms)


async def test_the_vendor_s_hand_written_document_imports(db: Any) -> None:
    specs = SpecsService(db, off_loop=in_thread)
    data = gzip.decompress(DISCORD.read_bytes())
    report = await specs.import_document(1, Actor(1, can_manage=True), "discord", "d.json", data)
    assert report.version.endpoint_count > 200
    report_figures(
        "generated specs",
        discord_endpoints=report.version.endpoint_count,
        discord_analyse_ms=round(report.analyse_seconds * 1000, 1),
    )
    assert all(w.pointer.startswith("/") for w in report.warnings)
    assert report.warning_count == len(report.warnings)


@pytest.mark.parametrize("output", sorted(EXPECTED))
def test_what_the_generators_express_is_read(output: str) -> None:
    """Auth, enums, nullable fields and unions come through to the model, whatever their
    generator's way of writing them."""
    operations = read_spec((FIXTURES / output).read_bytes(), output).operations.values()
    assert any(op["security"] for op in operations), f"{output}: no operation needs auth"
    params = [p for op in operations for p in op["parameters"]]
    fields = [
        f
        for op in operations
        for body in [op["request"], *op["responses"].values()]
        if body
        for f in body["fields"].values()
    ]
    if output not in WITHOUT_ENUMS:
        assert any(f["enum"] for f in [*params, *fields]), f"{output}: no enum read"
    assert all(f["type"] for f in fields), f"{output}: a field without a type"


def test_generated_documents_kits_compile_with_tsc_strict(tsc: Path, tmp_path: Path) -> None:
    files: dict[str, str] = {}
    for output in sorted(EXPECTED):
        stem = "gen_" + re.sub(r"\W", "_", Path(output).stem)
        files.update(kit_files(stem, read_source((FIXTURES / output).read_bytes(), output)))
    assert len(files) > sum(n for _, n, _ in EXPECTED.values())
    compile_strictly(tsc, tmp_path, files)


# -- importer defects the generators' documents showed (before: the message below) ------------


def test_a_swagger_2_header_with_a_schema_is_named_at_the_header() -> None:
    """Before: "`200` does not match any form allowed here: expected a response or a
    jsonReference", at the response, since the `$ref` alternative also failed on its fields."""
    document = {
        "swagger": "2.0",
        "info": {"title": "t", "version": "1"},
        "paths": {
            "/a": {
                "get": {
                    "responses": {
                        "200": {
                            "description": "ok",
                            "headers": {"X-Page": {"schema": {"type": "integer"}}},
                        }
                    }
                }
            }
        },
    }
    spec = read_spec(json.dumps(document).encode(), "a.json")
    [warning] = spec.warnings
    assert warning.pointer == "/paths/~1a/get/responses/200/headers/X-Page/schema"
    assert warning.message == (
        "`schema` is not a field allowed here (a Swagger 2.0 header has `type` itself; `schema` "
        "is OpenAPI 3's form); ignored."
    )


def test_an_optional_path_parameter_in_openapi_3_1_is_explained() -> None:
    """Before: "True was expected" (the validator's words, in Python)."""
    parameter = {"name": "id", "in": "path", "required": False, "schema": {"type": "integer"}}
    document = {
        "openapi": "3.1.0",
        "info": {"title": "t", "version": "1"},
        "paths": {
            "/a/{id}": {
                "get": {"parameters": [parameter], "responses": {"200": {"description": "ok"}}}
            }
        },
    }
    spec = read_spec(json.dumps(document).encode(), "a.json")
    [warning] = spec.warnings
    assert warning.pointer == "/paths/~1a~1{id}/get/parameters/0/required"
    assert warning.message == (
        "A path parameter must be `required: true` (it is false); it is read as required."
    )
    [param] = spec.operations["GET /a/{id}"]["parameters"]
    assert param["required"] is True


@pytest.mark.parametrize(("openapi", "warns"), [("3.0.3", False), ("3.1.0", True)])
def test_a_default_beside_a_ref_counts_only_where_siblings_of_ref_do(
    openapi: str, warns: bool
) -> None:
    """Before: kube-openapi's `default: {}` beside each nested object's `$ref` was checked
    against the referenced schema (10 warnings on its small document, thousands on
    Kubernetes'); before 3.1 a `$ref` replaces its object, so that `default` is no part of it."""
    meta = {"type": "object", "required": ["name"], "properties": {"name": {"type": "string"}}}
    wrapper = {
        "type": "object",
        "properties": {"metadata": {"$ref": "#/components/schemas/Meta", "default": {}}},
    }
    document = {
        "openapi": openapi,
        "info": {"title": "t", "version": "1"},
        "paths": {"/a": {"get": {"responses": {"200": {"description": "ok"}}}}},
        "components": {"schemas": {"Meta": meta, "Wrapper": wrapper}},
    }
    spec = read_spec(json.dumps(document).encode(), "a.json")
    pointers = [w.pointer for w in spec.warnings]
    expected = ["/components/schemas/Wrapper/properties/metadata/default"] if warns else []
    assert pointers == expected


def test_a_null_example_on_a_schema_that_cannot_be_null_is_no_example() -> None:
    """Before: swagger-core's (and so springdoc's) `example: null` on every schema made two
    warnings per component schema (16 on its small document, 0 now) and showed members `null`
    as the example of every body it answers."""
    item = {
        "type": "object",
        "example": None,
        "properties": {
            "name": {"type": "string", "example": None},
            "note": {"type": "string", "nullable": True, "example": None},
        },
    }
    document = {
        "openapi": "3.0.1",
        "info": {"title": "t", "version": "1"},
        "paths": {
            "/items": {
                "get": {
                    "responses": {
                        "200": {
                            "description": "ok",
                            "content": {
                                "application/json": {
                                    "schema": {"$ref": "#/components/schemas/Item"}
                                }
                            },
                        }
                    }
                }
            }
        },
        "components": {"schemas": {"Item": item}},
    }
    spec = read_spec(json.dumps(document).encode(), "a.json")
    assert spec.warnings == ()
    body = spec.operations["GET /items"]["responses"]["200"]
    assert json.loads(body["example"] or "") == {"name": "string", "note": None}
