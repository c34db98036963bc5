"""OpenAPI 3.0 documents shaped like the ones ProDev teams share (DRF-style CRUD, nested
resources, actions, shared components), and a next version with realistic changes."""

from __future__ import annotations

import json
import random
import zlib
from typing import Any

DOMAINS = (
    "bookings", "payments", "listings", "accounts", "auth", "notifications", "reviews",
    "messaging", "search", "inventory", "orders", "shipping", "catalog", "billing", "invoices",
    "analytics", "reports", "media", "files", "webhooks", "admin", "support", "tickets",
    "events", "calendar", "schedules", "courses", "enrollments", "grades", "library", "loans",
    "fleet", "rides", "drivers", "restaurants", "menus", "deliveries", "clinics",
    "appointments", "prescriptions", "jobs", "applications", "campaigns", "newsletters",
    "subscriptions", "coupons", "loyalty", "partners", "payouts", "compliance",
)  # fmt: skip
NOUNS = (
    "listing", "booking", "review", "payment", "refund", "payout", "invoice", "customer",
    "host", "guest", "user", "profile", "session", "token", "device", "address", "amenity",
    "calendar", "availability", "price", "discount", "coupon", "order", "cart", "product",
    "category", "variant", "shipment", "parcel", "carrier", "warehouse", "stock", "supplier",
    "message", "thread", "attachment", "notification", "subscription", "plan", "webhook",
    "event", "ticket", "comment", "report", "export", "import", "job", "task", "schedule",
    "course", "lesson", "enrollment", "grade", "teacher", "student", "book", "loan", "member",
    "vehicle", "driver", "ride", "route", "restaurant", "menu", "dish", "delivery", "clinic",
    "appointment", "doctor", "patient", "prescription", "campaign", "donation", "pledge",
    "newsletter", "audience", "partner", "contract", "team", "role", "permission", "api-key",
    "audit-log", "document", "photo", "media-file", "tag", "region", "currency", "tax-rate",
)  # fmt: skip
ACTIONS = (
    "cancel", "confirm", "refund", "approve", "reject", "archive", "restore", "publish",
    "verify", "resend", "assign", "close", "reopen", "pay", "export",
)  # fmt: skip
FIELDS: dict[str, dict[str, Any]] = {
    "name": {"type": "string", "maxLength": 120},
    "title": {"type": "string", "maxLength": 200},
    "description": {"type": "string"},
    "amount": {"type": "integer", "description": "In minor units (cents)."},
    "currency": {"type": "string", "minLength": 3, "maxLength": 3, "example": "KES"},
    "email": {"type": "string", "format": "email"},
    "phone": {"type": "string"},
    "starts_at": {"type": "string", "format": "date-time"},
    "ends_at": {"type": "string", "format": "date-time"},
    "quantity": {"type": "integer", "minimum": 0},
    "notes": {"type": "string", "nullable": True},
    "url": {"type": "string", "format": "uri"},
    "country": {"type": "string", "example": "KE"},
    "city": {"type": "string"},
    "rating": {"type": "number", "minimum": 0, "maximum": 5},
    "is_active": {"type": "boolean"},
    "metadata": {"type": "object", "additionalProperties": {"type": "string"}},
    "tags": {"type": "array", "items": {"type": "string"}},
    "owner_id": {"type": "integer", "format": "int64"},
    "external_ref": {"type": "string"},
}


def _plural(noun: str) -> str:
    if noun.endswith(("s", "x", "ch", "sh")):
        return noun + "es"
    if noun.endswith("y") and noun[-2:-1] not in "aeiou":
        return noun[:-1] + "ies"
    return noun + "s"


def _schema_name(noun: str) -> str:
    return "".join(part.capitalize() for part in noun.split("-"))


def operations(seed: int, count: int, prose: list[str]) -> list[dict[str, Any]]:
    """`count` operations of one API: (method, path, summary, tag, resource, extras)."""
    rng = random.Random(seed)
    nouns = list(NOUNS)
    rng.shuffle(nouns)
    ops: list[dict[str, Any]] = []
    round_ = 0
    while len(ops) < count:
        for noun in nouns:
            if len(ops) >= count:
                break
            plural = _plural(noun)
            version = "v1" if round_ == 0 else f"v{round_ + 1}"
            base = f"/api/{version}/{plural}/"
            item = f"{base}{{id}}/"
            schema = _schema_name(noun)
            tag = plural if round_ == 0 else f"{plural}-{version}"
            batch = [
                ("get", base, f"List {plural}", "list"),
                ("post", base, f"Create a {noun}", "create"),
                ("get", item, f"Get a {noun}", "retrieve"),
                ("patch", item, f"Update a {noun}", "update"),
                ("delete", item, f"Delete a {noun}", "destroy"),
            ]
            if rng.random() < 0.5:
                child = rng.choice(NOUNS)
                batch.append(("get", f"{item}{_plural(child)}/", f"List the {_plural(child)} "
                              f"of a {noun}", "nested"))  # fmt: skip
            if rng.random() < 0.5:
                action = rng.choice(ACTIONS)
                batch.append(("post", f"{item}{action}/", f"{action.capitalize()} a {noun}",
                              "action"))  # fmt: skip
            for method, path, summary, kind in batch:
                if len(ops) >= count:
                    break
                ops.append(
                    {
                        "method": method,
                        "path": path,
                        "summary": summary,
                        "description": rng.choice(prose) if prose else summary,
                        "tag": tag,
                        "schema": schema,
                        "kind": kind,
                        "fields": rng.sample(sorted(FIELDS), rng.randint(4, 9)),
                        "required_query": [],
                        "deprecated": False,
                    }
                )
        round_ += 1
    return ops


def next_version(ops: list[dict[str, Any]], seed: int) -> list[dict[str, Any]]:
    """The same API a release later: some endpoints gone, new ones, new required parameters,
    changed response fields, deprecations and reworded summaries."""
    rng = random.Random(seed)
    out: list[dict[str, Any]] = []
    for op in ops:
        roll = rng.random()
        if roll < 0.03:
            continue  # removed: breaking
        op = {**op, "fields": list(op["fields"]), "required_query": list(op["required_query"])}
        if roll < 0.08 and op["method"] == "get":
            op["required_query"].append("tenant")  # new required parameter: breaking
        elif roll < 0.13 and op["fields"]:
            op["fields"].pop(rng.randrange(len(op["fields"])))  # response field removed
        elif roll < 0.16:
            op["deprecated"] = True
        elif roll < 0.21:
            op["summary"] = op["summary"] + " (paginated)"
        out.append(op)
    extra = operations(seed + 1, max(1, len(ops) // 20), [])
    for op in extra:
        op["path"] = op["path"].replace("/api/", "/api/beta/")
        op["tag"] = "beta"
    return out + extra


def document(title: str, ops: list[dict[str, Any]], version: str = "1.0.0") -> dict[str, Any]:
    paths: dict[str, Any] = {}
    schemas: dict[str, Any] = {
        "Error": {
            "type": "object",
            "required": ["detail"],
            "properties": {"detail": {"type": "string"}, "code": {"type": "string"}},
        }
    }
    for op in ops:
        name = f"{op['schema']}{zlib.crc32(','.join(op['fields']).encode()) % 10_000:04d}"
        if name not in schemas:
            schemas[name] = {
                "type": "object",
                "required": ["id", op["fields"][0]],
                "properties": {
                    "id": {"type": "integer", "format": "int64", "readOnly": True},
                    **{f: FIELDS[f] for f in op["fields"]},
                    "created_at": {"type": "string", "format": "date-time", "readOnly": True},
                },
            }
        ref = {"$ref": f"#/components/schemas/{name}"}
        params: list[dict[str, Any]] = []
        if "{id}" in op["path"]:
            params.append({"$ref": "#/components/parameters/Id"})
        if op["kind"] in ("list", "nested"):
            params += [
                {"$ref": "#/components/parameters/Page"},
                {"name": "search", "in": "query", "schema": {"type": "string"}},
                {"name": "ordering", "in": "query", "schema": {"type": "string"}},
            ]
        params += [
            {"name": q, "in": "query", "required": True, "schema": {"type": "string"}}
            for q in op["required_query"]
        ]
        body_ok: dict[str, Any] = {"application/json": {"schema": ref}}
        if op["kind"] in ("list", "nested"):
            body_ok = {"application/json": {"schema": {"type": "array", "items": ref}}}
        operation: dict[str, Any] = {
            "tags": [op["tag"]],
            "summary": op["summary"],
            "description": op["description"],
            "operationId": f"{op['method']}_{op['path'].strip('/').replace('/', '_')}".replace(
                "{id}", "by_id"
            ).replace("-", "_"),
            "parameters": params,
            "responses": {
                "200" if op["method"] != "post" or op["kind"] == "action" else "201": {
                    "description": "OK",
                    "content": body_ok,
                },
                "400": {"$ref": "#/components/responses/Invalid"},
                "401": {"$ref": "#/components/responses/Unauthorized"},
            },
        }
        if op["method"] == "delete":
            operation["responses"] = {
                "204": {"description": "Deleted"},
                "404": {"$ref": "#/components/responses/NotFound"},
            }
        if op["method"] in ("post", "patch") and op["kind"] != "action":
            operation["requestBody"] = {"required": True, "content": {"application/json": {
                "schema": ref}}}  # fmt: skip
        if op["deprecated"]:
            operation["deprecated"] = True
        paths.setdefault(op["path"], {})[op["method"]] = operation
    error = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    tags = sorted({op["tag"] for op in ops})
    return {
        "openapi": "3.0.3",
        "info": {"title": title, "version": version, "description": f"The {title}."},
        "servers": [{"url": "https://api.example.com"}],
        "tags": [{"name": t, "description": f"Everything about {t}"} for t in tags],
        "security": [{"jwt": []}],
        "paths": paths,
        "components": {
            "securitySchemes": {"jwt": {"type": "http", "scheme": "bearer"}},
            "parameters": {
                "Id": {"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}},
                "Page": {"name": "page", "in": "query", "schema": {"type": "integer"}},
            },
            "responses": {
                "NotFound": {"description": "Not found", "content": error},
                "Invalid": {"description": "Invalid input", "content": error},
                "Unauthorized": {"description": "Missing or bad token", "content": error},
            },
            "schemas": schemas,
        },
    }


def as_json(doc: dict[str, Any]) -> bytes:
    return json.dumps(doc, indent=1).encode()


def spec_names(count: int) -> list[str]:
    names = [f"{d}-api" for d in DOMAINS]
    while len(names) < count:
        names += [f"{d}-api-{len(names) // len(DOMAINS) + 1}" for d in DOMAINS]
    return names[:count]
