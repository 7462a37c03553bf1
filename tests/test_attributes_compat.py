"""Compatibility by construction (issue 20): custom attributes are additive only.

``tests/compat/recorded_responses.json`` holds an answer of every list and detail GET route,
as the brand, a supplier and a retailer saw it on ``main`` before attributes existed (recorded
by ``tests/compat/record_responses.py`` and committed first). Two checks:

- every recorded answer still validates against today's OpenAPI schema (``/api/schema/``,
  with openapi-schema-validator's OpenAPI 3.0 response validator), so a client generated
  from the new schema reads old answers and vice versa;
- the same routes answered today, for the same world, have exactly the recorded shape (every
  key path of every object) plus ``attributes`` and nothing else.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from openapi_schema_validator import OAS30ReadValidator
from rest_framework.test import APIClient

from tests.compat.record_responses import fill
from tests.test_tenancy_matrix import ROUTES, world  # noqa: F401  (world is a fixture)

RECORDED = json.loads((Path(__file__).parent / "compat" / "recorded_responses.json").read_text())
NEW_KEY = "attributes"


def openapi_path(route: str) -> str:
    return "/api/v1/" + re.sub(r"<(?:\w+):(\w+)>", r"{\1}", route)


def nullable_refs(node):
    """drf-spectacular writes a nullable nested serializer as ``{"allOf": [{"$ref"}], "nullable": true}``.

    OpenAPI 3.0.3 gives ``nullable`` no effect without a ``type`` beside it, so a strict validator
    refuses ``null`` there, while generators (and drf-spectacular's intent) read it as "the object
    or null". Read it that way here; everything else is validated as written.
    """
    if isinstance(node, dict):
        node = {key: nullable_refs(value) for key, value in node.items()}
        if node.get("nullable") and "allOf" in node and "type" not in node:
            rest = {k: v for k, v in node.items() if k not in ("allOf", "nullable")}
            return {**rest, "anyOf": [{"allOf": node["allOf"]}, {"enum": [None]}]}
        return node
    if isinstance(node, list):
        return [nullable_refs(item) for item in node]
    return node


def shape(node, path: str = "$") -> set[str]:
    """Every key path in a JSON document (list items merged), leaving out ``attributes`` objects."""
    out = {path}
    if isinstance(node, dict):
        for key, value in node.items():
            if key != NEW_KEY:
                out |= shape(value, f"{path}.{key}")
    elif isinstance(node, list):
        for item in node:
            out |= shape(item, f"{path}[]")
    return out


@pytest.fixture(scope="module")
def recorded_routes() -> set[str]:
    return {record["route"] for record in RECORDED}


@pytest.fixture
def openapi(db) -> dict:
    response = APIClient().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    return nullable_refs(json.loads(response.content))


def test_the_recording_predates_attributes_and_covers_every_list_and_detail(recorded_routes):
    assert not any(f'"{NEW_KEY}"' in json.dumps(record["body"]) for record in RECORDED)
    for route in ("products", "products/<str:productId>", "products/<str:productId>/batches",
                  "products/<str:productId>/batches/<str:batchNumber>", "orders", "orders/<str:orderId>",
                  "retailPartners", "retailPartners/<str:retailPartnerId>", "events"):
        assert route in recorded_routes, route
    assert {record["caller"] for record in RECORDED} == {"brand", "owner_supplier", "trading_retailer"}


def test_every_recorded_answer_validates_against_the_new_schema(openapi):
    failures = []
    for record in RECORDED:
        operation = openapi["paths"][openapi_path(record["route"])][record["method"]]
        schema = operation["responses"][str(record["status"])]["content"]["application/json"]["schema"]
        validator = OAS30ReadValidator({**schema, "components": openapi["components"]})
        errors = sorted(validator.iter_errors(record["body"]), key=lambda e: list(e.path))
        failures += [f"{record['caller']} {record['path']}: {'/'.join(map(str, e.path))}: {e.message[:200]}"
                     for e in errors[:3]]
    assert not failures, "\n".join(failures)
    # ... and the new schema does describe the new key on the four resources.
    schemas = openapi["components"]["schemas"]
    for component in ("Product", "Batch", "Order", "RetailPartner", "ProductRequest", "OrderCreateRequest",
                      "RetailPartnerRequest"):
        attributes = schemas[component]["properties"][NEW_KEY]
        assert attributes["type"] == "object" and "attributeDefinitions" in attributes["description"], component
        assert NEW_KEY not in schemas[component].get("required", []), component


def test_todays_answers_have_the_recorded_shape_plus_attributes_only(world):  # noqa: F811
    differences = []
    for record in RECORDED:
        entry = ROUTES[record["route"]]
        url = fill(record["route"], entry.args(world) if callable(entry.args) else (entry.args or {}))
        query = record["path"].partition("?")[2]
        response = world.callers[record["caller"]].get(url + (f"?{query}" if query else ""))
        assert response.status_code == record["status"], (record["path"], response.content[:300])
        body = response.json()
        old, new = shape(record["body"]), shape(body)
        if old != new:
            differences.append(f"{record['caller']} {record['route']}: added {sorted(new - old)[:5]}, "
                               f"missing {sorted(old - new)[:5]}")
        if record["route"] in ("products", "retailPartners", "orders", "products/<str:productId>/batches"):
            assert all(item[NEW_KEY] == {} for item in body["results"]), record["route"]
    assert not differences, "\n".join(differences)
