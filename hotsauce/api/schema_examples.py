"""An example for every request body and success response the schema describes.

Operations with hand-written examples (``OpenApiExample`` in their ``extend_schema``) keep
them; for the rest this hook derives one from the schema itself, so it always matches it:
a field's own ``example``, else its first enum value, else a value for its name taken from
the sandbox (``SUP123``, ``RETAIL456``, ``HOTSAUCE789``, ``Warehouse_A``, ``BATCH202406``;
API-CONTRACT.md), else one for its format or type.
"""

from __future__ import annotations

import copy

# The sandbox's identifiers (seed_demo), so examples read like the brief and run against it.
NAMED = {
    "supplierId": "SUP123", "retailPartnerId": "RETAIL456", "productId": "HOTSAUCE789",
    "warehouseLocation": "Warehouse_A", "toWarehouseLocation": "Warehouse_B",
    "shipFromWarehouseLocation": "Warehouse_A", "batchNumber": "BATCH202406", "orderId": "ORD-000042",
    "shipmentId": "SHP-000007", "returnId": "RET-000003", "reservationId": "RSV-000001",
    "purchaseOrderId": "PO-000012", "productionRunId": "RUN-000004", "promotionId": "PRM-000002",
    "discrepancyId": "DSC-000005", "documentId": "EDI-000009", "alertId": 17, "lineId": 1,
    "gtin": "00012345678905", "name": "Habanero Gold 150 ml", "flavor": "habanero", "carrier": "UPS",
    "trackingNumber": "1Z999AA10123456784", "reason": "inbound PO-881", "reference": "PO-881",
    "note": "checked on arrival", "body": "Two cases arrived crushed.", "description": "ERP sync",
    "url": "https://erp.example.com/hooks/hotsauce", "contactEmail": "ops@example.com",
    "country": "US", "creditCurrency": "USD", "unitOfMeasure": "bottle", "key": "limitedEdition",
    "label": "Limited edition", "sscc": "003456789012345675", "scan": "(01)00012345678905(10)BATCH202406",
    "deliveryAddress": "1200 Capsaicin Way, Austin TX", "actor": "SUP123 ERP client",
    "secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "requestId": "6c80ee306e9443e5b5d5a04fe510d6a5",
}
FORMATS = {
    "date": "2026-11-01", "date-time": "2026-11-20T10:15:30Z", "uri": "https://hotsauce.example/api/v1/",
    "uuid": "13de8732-df94-4c40-a446-89236b1f6827", "email": "ops@example.com", "decimal": "12.50",
    "ipv4": "203.0.113.7",
}
MAX_DEPTH = 24  # deep enough for every shape we have; a guard against recursive schemas


class _Sampler:
    def __init__(self, components: dict):
        self.components = components

    def resolve(self, schema: dict) -> dict:
        while isinstance(schema, dict) and "$ref" in schema:
            schema = self.components.get(schema["$ref"].rsplit("/", 1)[-1], {})
        return schema if isinstance(schema, dict) else {}

    def sample(self, schema: dict, name: str | None = None, depth: int = 0):
        schema = self.resolve(schema)
        if "example" in schema:
            return copy.deepcopy(schema["example"])
        if schema.get("enum"):
            return next((value for value in schema["enum"] if value not in ("", None)), schema["enum"][0])
        for keyword in ("oneOf", "anyOf"):
            if schema.get(keyword):
                return self.sample(schema[keyword][0], name, depth + 1)
        if schema.get("allOf"):
            merged: dict = {}
            for part in schema["allOf"]:
                value = self.sample(part, name, depth + 1)
                if isinstance(value, dict):
                    merged.update(value)
                else:
                    return value
            return merged
        return self._typed(schema, name, depth)

    def _typed(self, schema: dict, name: str | None, depth: int):
        kind = schema.get("type") or ("object" if "properties" in schema else "string")
        if kind == "object":
            if depth >= MAX_DEPTH:
                return {}
            return {prop: self.sample(sub, prop, depth + 1) for prop, sub in (schema.get("properties") or {}).items()}
        if kind == "array":
            return [] if depth >= MAX_DEPTH else [self.sample(schema.get("items", {}), None, depth + 1)]
        if kind == "integer":
            return NAMED[name] if isinstance(NAMED.get(name), int) else max(schema.get("minimum", 1), 1)
        if kind == "number":
            return float(max(schema.get("minimum", 1), 1))
        if kind == "boolean":
            return True
        if isinstance(NAMED.get(name), str):
            return NAMED[name]
        if schema.get("format") in FORMATS:
            return FORMATS[schema["format"]]
        if name and (name.endswith("At") or name == "expirationDate"):
            return FORMATS["date-time"]
        if name and name.endswith("Date"):
            return FORMATS["date"]
        return "string"


def _binary(media: dict) -> bool:
    schema = media.get("schema") or {}
    return schema.get("format") == "binary"


def _fill(content: dict, sampler: _Sampler) -> None:
    for media in content.values():
        if "example" in media or "examples" in media or _binary(media) or "schema" not in media:
            continue
        media["example"] = sampler.sample(media["schema"])


def add_examples(result, generator, request, public):
    sampler = _Sampler(result.get("components", {}).get("schemas", {}))
    for methods in result.get("paths", {}).values():
        for operation in methods.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            _fill((operation.get("requestBody") or {}).get("content") or {}, sampler)
            for code, response in operation["responses"].items():
                if code.startswith("2"):
                    _fill(response.get("content") or {}, sampler)
    return result
