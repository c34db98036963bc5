"""Defects of real published documents: each imports with a warning naming its JSON pointer
(before, each refused the whole document), and what is truly unusable is still refused.

The fixtures are shaped like what generators and hand edits publish (springdoc with
hand-written annotations, go-swagger edited afterwards, a 3.1 document built from JSON Schema
files); each defect is marked "Defect:" in its fixture.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.specs import Actor, SpecsService
from bot.specs.analysis import in_thread
from bot.specs.openapi import DocumentRejected, ParsedSpec, read_spec

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "openapi"


def load(name: str) -> ParsedSpec:
    return read_spec((FIXTURES / name).read_bytes(), name)


def warned(spec: ParsedSpec, pointer: str) -> str:
    """The message of the warning at `pointer` (fails when there is none)."""
    found = [w.message for w in spec.warnings if w.pointer == pointer]
    assert found, f"no warning at {pointer}: {[str(w) for w in spec.warnings]}"
    return found[0]


def rejected(document: dict[str, Any]) -> str:
    with pytest.raises(DocumentRejected) as caught:
        read_spec(json.dumps(document).encode(), "api.json")
    return caught.value.message


def minimal(**extra: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "openapi": "3.0.3",
        "info": {"title": "t", "version": "1"},
        "paths": {"/ping": {"get": {"responses": {"200": {"description": "pong"}}}}},
    }
    base.update(extra)
    return base


@pytest.fixture(scope="module")
def inventory() -> ParsedSpec:
    return load("springdoc-inventory.yaml")


@pytest.fixture(scope="module")
def fleet() -> ParsedSpec:
    return load("goswagger-fleet.yaml")


def test_every_operation_of_a_defective_springdoc_document_imports(inventory: ParsedSpec) -> None:
    assert list(inventory.operations) == [
        "GET /api/items/{id}",
        "PUT /api/items/{id}",
        "DELETE /api/items/{id}",
        "GET /api/items/{id}/events",
        "GET /api/schemas/item",
    ]
    assert inventory.warning_count == len(inventory.warnings) == 9
    assert all(w.pointer and w.line for w in inventory.warnings)


def test_a_discriminator_mapping_to_nothing_or_through_a_ref_is_a_warning(
    inventory: ParsedSpec,
) -> None:
    base = "/components/schemas/StockEvent/discriminator/mapping"
    assert "points at nothing (`#/components/schemas/Restock`)" in warned(
        inventory, f"{base}/restock"
    )
    assert "resolves through another `$ref`" in warned(inventory, f"{base}/sale")
    assert "`#/components/schemas/SaleEvent` → `#/components/schemas/Sale`" in warned(
        inventory, f"{base}/sale"
    )
    events = inventory.operations["GET /api/items/{id}/events"]["responses"]["200"]["fields"]
    assert events["[].kind"]["required"] is True


def test_a_schema_ref_to_nothing_is_a_warning_and_reads_as_unresolved(
    inventory: ParsedSpec,
) -> None:
    message = warned(inventory, "/components/schemas/Item/properties/supplier")
    assert "`$ref: #/components/schemas/Supplier` points at nothing" in message
    for key in ("GET /api/items/{id}", "PUT /api/items/{id}"):
        fields = inventory.operations[key]["responses"]["200"]["fields"]
        assert fields["supplier"]["type"] == "unresolved #/components/schemas/Supplier"
        assert fields["sku"]["required"] is True  # the rest of the schema is read


def test_a_response_key_that_is_not_a_status_code_is_a_warning(inventory: ParsedSpec) -> None:
    message = warned(inventory, "/paths/~1api~1items~1{id}/delete/responses/204 NO_CONTENT")
    assert "`204 NO_CONTENT` is not a status code" in message
    assert list(inventory.operations["DELETE /api/items/{id}"]["responses"]) == ["204 NO_CONTENT"]


def test_unknown_fields_are_warnings_and_ignored(inventory: ParsedSpec) -> None:
    stray = warned(
        inventory, "/paths/~1api~1items~1{id}/put/requestBody/content/application~1json/description"
    )
    assert "`description`, `required` are not fields allowed here" in stray
    assert "`required` belongs on the request body" in stray
    leftover = warned(inventory, "/paths/~1api~1items~1{id}/get/produces")
    assert "`produces` is a Swagger 2.0 field" in leftover
    request = inventory.operations["PUT /api/items/{id}"]["request"]
    assert request is not None
    assert request["required"] is False  # the misplaced `required` is not guessed at
    assert "id" not in request["fields"]  # readOnly


def test_a_path_parameter_marked_optional_is_a_warning_and_read_as_required(
    inventory: ParsedSpec, fleet: ParsedSpec
) -> None:
    for spec, pointer, key in (
        (inventory, "/paths/~1api~1items~1{id}/get/parameters/0/required", "GET /api/items/{id}"),
        (
            fleet,
            "/paths/~1vehicles~1{vehicleId}/get/parameters/0/required",
            "GET /vehicles/{vehicleId}",
        ),
    ):
        assert "A path parameter must be `required: true` (it is false)" in warned(spec, pointer)
        assert [(p["location"], p["required"]) for p in spec.operations[key]["parameters"]] == [
            ("path", True)
        ]


def test_duplicate_operation_ids_name_both_operations(inventory: ParsedSpec) -> None:
    message = warned(inventory, "/paths/~1api~1items~1{id}/put/operationId")
    assert message.startswith("`operationId` `getItem` is also the id of `GET /api/items/{id}`")


def test_an_example_that_breaks_its_schema_is_a_warning(inventory: ParsedSpec) -> None:
    pointer = "/paths/~1api~1items~1{id}/get/responses/200/content/*~1*/example/quantity"
    assert "'12' is not of type 'integer'" in warned(inventory, pointer)


def test_a_ref_inside_an_example_is_literal_data(inventory: ParsedSpec) -> None:
    # Before, this remote `$ref` inside an example refused the document.
    example = inventory.operations["GET /api/schemas/item"]["responses"]["200"]["example"] or ""
    assert "https://schemas.nestly.example/supplier.json" in example
    assert not any("supplier.json" in str(w) for w in inventory.warnings)
    for field in ("default", "enum"):
        schema: dict[str, Any] = {"type": "object"}
        schema[field] = (
            [{"$ref": "https://elsewhere.example/x.json"}]
            if field == "enum"
            else {"$ref": "./x.yaml"}
        )
        document = minimal(components={"schemas": {"Config": schema}})
        assert list(read_spec(json.dumps(document).encode(), "a.json").operations) == ["GET /ping"]


def test_properties_named_mapping_or_discriminator_are_not_keywords(inventory: ParsedSpec) -> None:
    fields = inventory.operations["GET /api/items/{id}"]["responses"]["200"]["fields"]
    assert fields["mapping"]["type"] == "object"  # its description has spaces: not a schema name
    assert fields["discriminator"]["type"] == "string"
    # A remote `$ref` under a property named `mapping` is still a reference, and refused.
    schema = {"type": "object", "properties": {"mapping": {"$ref": "https://evil.example/x"}}}
    message = rejected(minimal(components={"schemas": {"A": schema}}))
    assert "`$ref: https://evil.example/x` points to a remote URL" in message
    nested = {"type": "object", "properties": {"properties": {"$ref": "https://evil.example/y"}}}
    assert "points to a remote URL" in rejected(minimal(components={"schemas": {"B": nested}}))


def test_swagger_2_security_written_as_objects_is_a_warning(fleet: ParsedSpec) -> None:
    scopes = warned(fleet, "/security/0/api_key")
    assert "The scopes of `api_key` should be a list (`[]`)" in scopes
    single = warned(fleet, "/paths/~1vehicles~1{vehicleId}/get/security")
    assert "`security` should be a list of requirements" in single
    assert fleet.operations["GET /vehicles"]["security"] == [["api_key"]]
    assert fleet.operations["GET /vehicles/{vehicleId}"]["security"] == [["oauth[fleet:read]"]]


def test_a_numeric_info_version_keeps_the_text_as_written(fleet: ParsedSpec) -> None:
    assert fleet.api_version == "0.10"  # not 0.1
    assert "read as `0.10` as written" in warned(fleet, "/info/version")
    as_json = minimal(info={"title": "t", "version": 2})
    spec = read_spec(json.dumps(as_json).encode(), "a.json")
    assert spec.api_version == "2"
    assert [w.pointer for w in spec.warnings] == ["/info/version"]


async def test_a_missing_info_version_is_a_warning_when_the_import_gives_one(db: Any) -> None:
    specs = SpecsService(db, off_loop=in_thread)
    document = minimal(info={"title": "No version"})
    report = await specs.import_document(
        1, Actor(1, can_manage=True), "ping", "ping.json", json.dumps(document).encode(), "2.1.0"
    )
    assert report.version.label == "2.1.0"
    assert report.warnings[0].pointer == "/info/version"
    assert "has no `info.version`; this version is labelled `2.1.0`" in report.warnings[0].message
    unlabelled = await specs.import_document(
        1, Actor(1, can_manage=True), "pong", "pong.json", json.dumps(document).encode()
    )
    assert unlabelled.version.label == "v1"
    assert not any("labelled" in w.message for w in unlabelled.warnings)


def test_id_relative_references_inside_the_document_are_local() -> None:
    spec = load("orders-ids-3.1.yaml")
    assert spec.warnings == ()
    fields = spec.operations["GET /orders/{orderId}"]["responses"]["200"]["fields"]
    assert fields["total.currency"]["enum"] == ['"KES"', '"NGN"', '"USD"']  # `$ref: money`
    assert fields["lines[].sku"]["type"] == "string"  # by absolute address
    assert fields["lines[].price"]["type"] == "integer"  # address and pointer
    # An address no `$id` of the document has is still outside it.
    order = {"$id": "https://schemas.shop.example/order", "$ref": "customer"}
    message = rejected(minimal(openapi="3.1.0", components={"schemas": {"Order": order}}))
    assert "`$ref: customer` points to another file" in message
    assert "bundle it into one file" in message


def test_a_3_1_document_with_only_webhooks_says_so() -> None:
    webhook = {"post": {"responses": {"200": {"description": "ok"}}}}
    message = rejected(minimal(openapi="3.1.0", paths={}, webhooks={"paid": webhook}))
    assert "describes only webhooks (1)" in message
    assert "`/webhooks`" in message


def test_does_not_match_any_form_names_the_field_and_the_forms() -> None:
    document = minimal()
    document["paths"]["/ping"]["post"] = {
        "requestBody": {"content": {"application/json": {"schema": 5}}},
        "responses": {"200": {"description": "ok"}},
    }
    spec = read_spec(json.dumps(document).encode(), "a.json")
    message = warned(spec, "/paths/~1ping/post/requestBody/content/application~1json/schema")
    assert message == (
        "`schema` does not match any form allowed here: expected a Schema or a Reference."
    )


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        (minimal(paths={}), "describes no operations"),
        (minimal(paths=[]), "describes no operations"),
        (
            minimal(paths={"/a": {"get": "not an operation"}, "b": {"get": {}}}),
            "describes no operations",
        ),
        ({"info": {"title": "t"}}, "no `openapi` (3.x) or `swagger` (2.0) field"),
    ],
)
def test_what_is_truly_unusable_is_still_refused(document: dict[str, Any], expected: str) -> None:
    message = rejected(document)
    assert message.startswith("This document cannot be imported, and nothing was stored:")
    assert expected in message


# -- any malformed piece: imported with warnings, or refused plainly, never an incident ------

REAL = ("bookings-v1.yaml", "payments-swagger2.json", "messaging-3.1.json", "goswagger-fleet.yaml")
JUNK: tuple[Any, ...] = (None, 5, 1.5, True, "x", [], {}, [1, "a"], {"a": 1}, {"$ref": "#/nope"})


def _places(value: Any, here: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [here]
    if isinstance(value, dict):
        for key, item in value.items():
            out += _places(item, (*here, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            out += _places(item, (*here, index))
    return out


@pytest.fixture(scope="module")
def real_documents() -> list[dict[str, Any]]:
    import yaml

    return [yaml.safe_load((FIXTURES / name).read_text()) for name in REAL]


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_malformed_pieces_are_warned_or_refused_never_an_error(
    real_documents: list[dict[str, Any]], data: st.DataObject
) -> None:
    document = json.loads(json.dumps(data.draw(st.sampled_from(real_documents)), default=str))
    places = _places(document)[1:]
    for _ in range(data.draw(st.integers(1, 4))):
        place = data.draw(st.sampled_from(places))
        holder = document
        try:
            for key in place[:-1]:
                holder = holder[key]
            holder[place[-1]] = json.loads(json.dumps(data.draw(st.sampled_from(JUNK))))
        except (KeyError, IndexError, TypeError):
            continue  # an earlier change removed this place
    refused: str | None = None
    try:
        spec = read_spec(json.dumps(document).encode(), "api.json")
    except DocumentRejected as rejection:
        refused = rejection.message
    else:
        assert spec.operations
        assert all(isinstance(w.message, str) and w.message for w in spec.warnings)
    if refused is not None:
        assert refused.startswith("This document cannot be imported")
