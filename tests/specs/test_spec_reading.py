"""Reading OpenAPI documents: real fixtures in, operations out; bad documents refused clearly."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.specs.openapi import (
    MAX_DOCUMENT_BYTES,
    DocumentRejected,
    ParsedSpec,
    check_size,
    read_spec,
)

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "openapi"


def load(name: str) -> ParsedSpec:
    return read_spec((FIXTURES / name).read_bytes(), name)


def rejected(data: bytes | str, filename: str = "api.yaml") -> str:
    raw = data.encode() if isinstance(data, str) else data
    with pytest.raises(DocumentRejected) as caught:
        read_spec(raw, filename)
    return caught.value.message


def doc(**extra: Any) -> dict[str, Any]:
    """A minimal valid OpenAPI 3.0 document, with `extra` merged in at the top."""
    base: dict[str, Any] = {
        "openapi": "3.0.3",
        "info": {"title": "t", "version": "1"},
        "paths": {"/ping": {"get": {"responses": {"200": {"description": "pong"}}}}},
    }
    base.update(extra)
    return base


def as_json(document: dict[str, Any]) -> bytes:
    return json.dumps(document).encode()


# -- real documents -------------------------------------------------------------------------


def test_bookings_v1_is_read_into_its_operations() -> None:
    spec = load("bookings-v1.yaml")
    assert (spec.family, spec.openapi, spec.source_format) == ("3.0", "3.0.3", "yaml")
    assert (spec.title, spec.api_version) == ("Nestly Bookings API", "1.0.0")
    assert len(spec.operations) == 13
    assert [name for name, _ in spec.tags] == ["listings", "bookings", "reviews", "auth"]
    assert spec.warnings == ()

    booking = spec.operations["GET /api/v1/bookings/{id}/"]
    assert booking["tags"] == ["bookings"]
    # The path-level parameter (a $ref to components) is merged into the operation.
    assert [(p["name"], p["location"], p["required"]) for p in booking["parameters"]] == [
        ("id", "path", True)
    ]
    assert booking["security"] == [["jwtAuth"]]
    assert booking["security_schemes"] == {"jwtAuth": "HTTP bearer (JWT)"}
    body = booking["responses"]["200"]
    assert body["schema_name"] == "Booking"
    assert body["fields"]["guest.email"]["format"] == "email"
    assert body["fields"]["status"]["enum"] == [
        '"pending"',
        '"confirmed"',
        '"declined"',
        '"cancelled"',
        '"completed"',
    ]
    assert body["fields"]["total_price.amount"]["required"] is True
    # The schema's own example is used when the media type gives none.
    assert body["example"] is not None
    assert '"first_name": "Ada"' in body["example"]

    token = spec.operations["POST /api/v1/auth/token/"]
    assert token["security"] == []  # `security: []` makes it public


def test_read_only_fields_are_not_in_requests_and_write_only_not_in_responses() -> None:
    spec = load("bookings-v1.yaml")
    create = spec.operations["POST /api/v1/listings/"]
    assert create["request"] is not None
    assert "id" not in create["request"]["fields"]
    assert "host" not in create["request"]["fields"]
    assert "id" in create["responses"]["201"]["fields"]
    token = spec.operations["POST /api/v1/auth/token/"]
    assert token["request"] is not None
    assert "password" in token["request"]["fields"]


def test_an_example_is_built_from_the_schema_when_none_is_given() -> None:
    spec = load("bookings-v1.yaml")
    listing = spec.operations["GET /api/v1/listings/{id}/"]["responses"]["200"]
    example = json.loads(listing["example"] or "")
    assert example["nightly_price"] == {"amount": 12500, "currency": "KES"}
    assert example["photos"] == [{"url": "https://example.com/", "caption": "string"}]


def test_swagger_2_documents_are_read() -> None:
    spec = load("payments-swagger2.json")
    assert (spec.family, spec.openapi, spec.source_format) == ("2.0", "2.0", "json")
    assert spec.servers == ("payments.nestly.example/payments/v1",)
    charge = spec.operations["POST /charges"]
    assert charge["request"] is not None
    assert charge["request"]["schema_name"] == "ChargeRequest"
    assert charge["request"]["fields"]["method"]["enum"] == ['"card"', '"mpesa"', '"chapa"']
    assert [p["name"] for p in charge["parameters"]] == ["Idempotency-Key"]
    assert charge["security"] == [["oauth[payments:write]"]]
    assert charge["responses"]["201"]["example"] is not None
    assert '"ch_9Fq2"' in charge["responses"]["201"]["example"]
    receipt = spec.operations["PUT /payouts/{payoutId}/receipt"]
    assert receipt["deprecated"] is True
    assert receipt["request"] is not None
    assert receipt["request"]["media_types"] == ["multipart/form-data"]
    assert receipt["request"]["fields"]["file"]["required"] is True
    assert spec.operations["GET /charges"]["security_schemes"] == {
        "apiKey": "API key in header `X-Api-Key`"
    }


def test_openapi_3_1_documents_are_read() -> None:
    spec = load("messaging-3.1.json")
    assert (spec.family, spec.openapi) == ("3.1", "3.1.0")
    # A path item defined in components.pathItems is followed.
    send = spec.operations["POST /conversations/{conversationId}/messages"]
    assert send["request"] is not None
    assert send["request"]["fields"][""]["type"] == "one of: TextMessage | OfferMessage"
    assert "Is early check-in possible?" in (send["request"]["example"] or "")
    conversations = spec.operations["GET /conversations"]["responses"]["200"]["fields"]
    # `type: [string, null]` and `anyOf: [$ref, null]` are nullable values of one type.
    assert conversations["next_cursor"]["type"] == "string"
    assert conversations["items[].last_message"]["type"] == "object"
    assert conversations["items[].last_message.sender"]["required"] is True
    assert "webhooks" not in json.dumps(list(spec.operations))


def test_schema_defects_are_warnings_and_the_import_proceeds() -> None:
    spec = load("schema-defects.yaml")
    assert len(spec.operations) == 3
    text = "\n".join(str(w) for w in spec.warnings)
    # An example that breaks its schema, with the pointer to it and its line.
    assert "/paths/~1promotions~1/get/parameters/0/example" in text
    assert "'Kenya' is too long" in text
    assert "discount_percent`, line 32: The example does not match its schema" in text
    # A `required` name with no property.
    assert "`/components/schemas/Promotion/required`" in text
    assert "`ends_on`" in text
    # `required: true` on a property (a meta-schema error inside a schema).
    assert "properties/code/required`" in text
    assert "`required` should be of type array; it is true." in text
    # A default outside its range, and an undeclared path parameter.
    assert "120 is greater than the maximum of 90" in text
    assert "Path parameter 'code'" in text
    assert spec.warning_count == len(spec.warnings) == 7


def test_yaml_keeps_the_json_data_model() -> None:
    text = """
openapi: 3.0.3
info: {title: t, version: '1.0'}
paths:
  /days:
    get:
      responses:
        200:
          description: ok
          content:
            application/json:
              schema:
                type: string
                format: date
              example: 2026-07-10
x-defaults: &defaults
  description: shared
components:
  responses:
    Gone:
      <<: *defaults
"""
    spec = read_spec(text.encode(), "days.yml")
    response = spec.operations["GET /days"]["responses"]["200"]  # an int key became "200"
    assert response["example"] == '"2026-07-10"'  # a date stays a string
    assert spec.api_version == "1.0"
    assert spec.warnings == ()


# -- refused documents ----------------------------------------------------------------------


def test_a_broken_structure_imports_with_warnings_at_its_pointers_and_lines() -> None:
    # Before, each of these defects refused the whole document; Swagger UI shows it anyway.
    spec = load("broken-structure.yaml")
    text = "\n".join(str(w) for w in spec.warnings)
    assert spec.title == "Untitled API"
    assert "`/`, line 2: 'info' is a required property (missing here)." in text
    assert "`/paths/~1api~1v1~1listings~1/get/parameters/0/in`, line 9" in text
    assert '`in` cannot be "querry" here' in text
    assert "/get/responses/200`, line 14: 'description' is a required property" in text
    listing = spec.operations["GET /api/v1/listings/"]
    assert listing["parameters"] == []  # the parameter with a misspelt `in` is skipped
    assert listing["responses"]["200"]["fields"][""]["type"] == "array"


@pytest.mark.parametrize(
    ("fixture", "expected"),
    [
        (
            "remote-ref-https.yaml",
            "`$ref: https://schemas.nestly.example/common/v1/money.json` points to a remote URL",
        ),
        (
            "remote-ref-file.json",
            "`$ref: file:///srv/nestly/schemas/earnings.json` points to a file on disk",
        ),
        ("relative-ref.yaml", "`$ref: ./schemas/listing-page.yaml#/ListingPage` points to"),
    ],
)
def test_references_outside_the_document_are_refused(fixture: str, expected: str) -> None:
    message = rejected((FIXTURES / fixture).read_bytes(), fixture)
    assert expected in message
    assert "bundle it into one file" in message


def test_a_remote_reference_is_refused_with_its_pointer_and_line() -> None:
    message = rejected((FIXTURES / "remote-ref-https.yaml").read_bytes())
    assert "`/paths/~1reviews~1{id}/get/responses/200/content/application~1json/schema/" in message
    assert "properties/price_paid/$ref`, line 29" in message


def test_a_reference_cycle_is_refused() -> None:
    message = rejected((FIXTURES / "ref-cycle.yaml").read_bytes())
    assert "point at each other without ever reaching a schema" in message
    assert "`#/components/schemas/WishlistPage` → `#/components/schemas/WishlistList`" in message


def test_a_yaml_alias_bomb_is_refused_before_it_is_expanded() -> None:
    message = rejected((FIXTURES / "alias-bomb.yaml").read_bytes())
    assert "alias bomb" in message
    assert "line 11" in message


def test_a_recursive_yaml_anchor_is_refused() -> None:
    message = rejected("openapi: 3.0.3\ninfo: &a {title: t, version: '1', self: *a}\npaths: {}\n")
    assert "recursive anchor" in message


def test_recursive_schemas_through_properties_are_fine() -> None:
    tree = {
        "type": "object",
        "properties": {
            "name": {"type": "string"},
            "children": {"type": "array", "items": {"$ref": "#/components/schemas/Category"}},
        },
    }
    document = doc(
        paths={
            "/categories": {
                "get": {
                    "responses": {
                        "200": {
                            "description": "ok",
                            "content": {
                                "application/json": {
                                    "schema": {"$ref": "#/components/schemas/Category"}
                                }
                            },
                        }
                    }
                }
            }
        },
        components={"schemas": {"Category": tree}},
    )
    fields = read_spec(as_json(document), "c.json").operations["GET /categories"]["responses"][
        "200"
    ]["fields"]
    assert fields["children[]"]["type"] == "object (recursive Category)"
    assert "children[].name" not in fields


@pytest.mark.parametrize(
    ("data", "filename", "expected"),
    [
        (b"\x89PNG\r\n\x1a\n....", "spec.json", "a PNG image, not an OpenAPI document"),
        (b"%PDF-1.7 ...", "spec.yaml", "a PDF document"),
        (b"openapi: 3.0.3", "spec.txt", "`spec.txt` is not a JSON or YAML file"),
        ("openapi: 3.0.3\ninfo: caf\u00e9".encode("utf-16"), "spec.yaml", "not UTF-8 text"),
        (b"", "spec.yaml", "The file is empty"),
        (b"[1, 2]", "spec.json", "must be an object at the top level; this one is a list"),
        (b"title: My API\n", "spec.yaml", "no `openapi` (3.x) or `swagger` (2.0) field"),
        (b"openapi: 3.0\n", "spec.yaml", 'a version string such as "3.0.3"'),
        (b"openapi: 3.2.0\n", "spec.yaml", "OpenAPI 3.2.0 is not supported"),
        (b"swagger: '1.2'\n", "spec.yaml", "`swagger: 1.2` is not supported"),
        (b'{"openapi": "3.0.3",\n "info": }', "spec.json", "The JSON cannot be read"),
        (b"openapi: 3.0.3\ninfo: [unclosed\n", "spec.yaml", "The YAML cannot be read"),
        (b"openapi: 3.0.3\n? [a, b]\n: c\n", "spec.yaml", "A mapping key is a list or a mapping"),
    ],
)
def test_bad_files_are_refused_clearly(data: bytes, filename: str, expected: str) -> None:
    assert expected in rejected(data, filename)


def test_non_utf8_bytes_are_refused_with_the_line() -> None:
    text = "openapi: 3.0.3\ninfo:\n  title: Caf\u00e9 API\n  version: '1'\npaths: {}\n"
    message = rejected(text.encode("latin-1"))
    assert "not UTF-8 text: byte 33 (0xe9)" in message
    assert "line 3" in message


def test_a_byte_order_mark_is_accepted() -> None:
    spec = read_spec(b"\xef\xbb\xbf" + as_json(doc()), "bom.json")
    assert list(spec.operations) == ["GET /ping"]


def test_the_size_limit_is_checked_before_anything_is_read() -> None:
    with pytest.raises(DocumentRejected, match=r"5\.0 MB; the limit is 5 MB"):
        check_size(MAX_DOCUMENT_BYTES + 1)
    check_size(MAX_DOCUMENT_BYTES)
    assert "the limit is 5 MB" in rejected(b"#" * (MAX_DOCUMENT_BYTES + 1))


def test_a_document_without_operations_is_refused() -> None:
    assert "describes no operations" in rejected(as_json(doc(paths={})), "a.json")


def test_deep_nesting_is_refused() -> None:
    deep: Any = "leaf"
    for _ in range(200):
        deep = {"nested": deep}
    assert "nests deeper than" in rejected(
        as_json(doc(info={"title": "t", "version": "1", "x": deep})), "a.json"
    )


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        (
            {"components": {"schemas": {"A": {"$schema": "https://evil.example/meta"}}}},
            "`$schema: https://evil.example/meta` names a dialect Nexus does not know",
        ),
        (
            {
                "components": {
                    "schemas": {
                        "Pet": {
                            "oneOf": [{"$ref": "#/components/schemas/Cat"}],
                            "discriminator": {
                                "propertyName": "kind",
                                "mapping": {"cat": "https://evil.example/cat.json"},
                            },
                        },
                        "Cat": {"type": "object"},
                    }
                }
            },
            "`discriminator mapping: https://evil.example/cat.json` points to a remote URL",
        ),
        (
            {
                "components": {
                    "links": {"Next": {"operationRef": "https://evil.example/openapi.json#/x"}}
                }
            },
            "`operationRef: https://evil.example/openapi.json#/x` points to a remote URL",
        ),
        (
            {
                "components": {
                    "schemas": {
                        "A": {
                            "type": "object",
                            "properties": {"x-trace": {"$ref": "https://evil.example/trace.json"}},
                        }
                    }
                }
            },
            # A property *named* x-trace is a name, not an extension: it is checked.
            "`$ref: https://evil.example/trace.json` points to a remote URL",
        ),
    ],
)
def test_reference_rules(extra: dict[str, Any], expected: str) -> None:
    assert expected in rejected(as_json(doc(**extra)), "a.json")


def test_extension_content_is_opaque_and_never_resolved() -> None:
    document = doc(
        **{
            "x-codegen": {"$ref": "https://templates.example/client.json"},
            "components": {
                "schemas": {
                    "A": {
                        "type": "string",
                        "x-source": {"$ref": "file:///etc/passwd"},
                    }
                },
                "x-other": {"$ref": "./elsewhere.yaml"},
            },
        }
    )
    document["paths"]["/ping"]["get"]["x-examples"] = {"$ref": "#/does/not/exist"}
    document["paths"]["/ping"]["x-owner"] = "payments"
    spec = read_spec(as_json(document), "a.json")
    assert list(spec.operations) == ["GET /ping"]
    assert "x-" not in json.dumps(spec.operations)


def test_a_local_reference_to_the_document_root_is_local() -> None:
    document = doc(components={"schemas": {"Root": {"$ref": "#"}}})
    assert list(read_spec(as_json(document), "a.json").operations) == ["GET /ping"]


def test_json_and_yaml_of_one_document_read_the_same() -> None:
    source = yaml.safe_load((FIXTURES / "bookings-v2.yaml").read_text())
    from_yaml = load("bookings-v2.yaml")
    from_json = read_spec(json.dumps(source).encode(), "bookings-v2.json")
    assert from_json.operations == from_yaml.operations


# -- documents written by real generators (see fixtures/openapi/generators/) -----------------


def test_a_fastapi_generated_document() -> None:
    spec = load("fastapi-bookings.json")
    assert (spec.family, spec.openapi) == ("3.1", "3.1.0")
    assert spec.warnings == ()
    listing = spec.operations["GET /api/v1/bookings/"]
    assert listing["security"] == [["HTTPBearer"]]
    assert list(listing["responses"]) == ["200", "422"]
    status = next(p for p in listing["parameters"] if p["name"] == "status")
    assert status["enum"] == ['"pending"', '"confirmed"', '"declined"', '"cancelled"']
    fields = listing["responses"]["200"]["fields"]
    assert fields["results[].guest.email"]["format"] == "email"  # anyOf [string, null]
    assert fields["results[].total_price.amount"]["required"] is True
    assert spec.operations["DELETE /api/v1/bookings/{booking_id}/"]["deprecated"] is True


def test_a_drf_spectacular_generated_document() -> None:
    spec = load("drf-listings.yaml")
    assert (spec.family, spec.openapi) == ("3.0", "3.0.3")
    assert len(spec.operations) == 7
    search = spec.operations["GET /api/v1/listings/"]
    assert [p["name"] for p in search["parameters"]] == ["city", "guests", "page"]
    assert search["security"] == [["cookieAuth"], ["tokenAuth"], []]  # sign-in optional
    assert "results[].nightly_price.currency" in search["responses"]["200"]["fields"]
    create = spec.operations["POST /api/v1/listings/"]
    assert create["request"] is not None
    assert "id" not in create["request"]["fields"]  # read-only fields are not sent
    assert "rating" not in create["request"]["fields"]
    assert "rating" in create["responses"]["201"]["fields"]


def test_a_rejection_always_fits_in_one_discord_message() -> None:
    long_name = "k" * 300
    schemas = {
        f"{long_name}{i}": {"$ref": f"#/components/schemas/{long_name}{i}"} for i in range(40)
    }
    message = rejected(as_json(doc(components={"schemas": schemas})), "a.json")
    assert len(message) <= 2000
    assert "more." in message


ODD_BASE = (
    '{"openapi": "3.0.3", "info": {"title": "T", "version": "1"%s}, "paths": {"/a": {"get": '
    '{"summary": "%s", "responses": {"200": {"description": "ok"}}}}}}'
)
ODD_YAML = (
    "openapi: 3.0.3\ninfo: {title: T, version: '1'%s}\npaths:\n  /a:\n    get:\n"
    "      summary: \"%s\"\n      responses: {'200': {description: ok}}\n"
)


@pytest.mark.parametrize(
    ("text", "filename", "words"),
    [
        (ODD_BASE % (', "x-big": ' + "9" * 5000, "S"), "api.json", "number"),
        (ODD_YAML % (", x-big: " + "9" * 5000, "S"), "api.yaml", "number"),
        (ODD_BASE % ("", "bad \\ud800 half"), "api.json", "surrogate"),
        (ODD_YAML % ("", "bad \\ud800 half"), "api.yaml", "cannot be read"),
    ],
    ids=["json-long-integer", "yaml-long-integer", "json-lone-surrogate", "yaml-lone-surrogate"],
)
@pytest.mark.finding("10 unexpected errors on odd documents")
def test_odd_values_are_refused_plainly(text: str, filename: str, words: str) -> None:
    message = rejected(text, filename)
    assert words in message
    assert "Traceback" not in message
