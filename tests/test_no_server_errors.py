"""Nothing a client sends is a 500 (issue 12): bad path ids, cursors, deep JSON, oversized bodies."""

from __future__ import annotations

import pytest

from tests.conftest import problem

ITEM = "/api/v1/inventory/SUP123/HOTSAUCE789"


@pytest.mark.parametrize("path", [
    "/api/v1/products/HOT%00SAUCE", "/api/v1/products/%00", "/api/v1/orders/ORD-%01", "/api/v1/suppliers/SUP%7F1",
    "/api/v1/inventory/SUP123/HOT%00", "/api/v1/webhooks/wh_%00", "/api/v1/products/HOTSAUCE789/batches/B%00",
])
def test_control_characters_in_path_ids_are_a_404_problem(brand_caller, path):
    # Nothing is named with a control character: 404, as for any other name nothing has (a 400
    # would call a request the schema allows malformed).
    response = brand_caller.get(path)
    assert response.status_code == 404, (response.status_code, response.content[:300])
    assert problem(response)["code"] == "not_found"


# "p=x" (the case) is cD14; then "r=1&p=\x00", "p=2024-01-01", "p=" + 30 nines, and non-base64.
@pytest.mark.parametrize("cursor", ["cD14", "x", "%00", "cD1ub3Q", "cj0xJnA9JTAw", "cD0yMDI0LTAxLTAx",
                                    "cD05OTk5OTk5OTk5OTk5OTk5OTk5OTk5OTk5OTk5OTk5OQ=="])
def test_tampered_cursors_are_a_400_problem(brand_caller, cursor):
    for path in ("/api/v1/products", "/api/v1/orders", "/api/v1/inventory/transactions"):
        response = brand_caller.get(f"{path}?cursor={cursor}")
        assert response.status_code == 400, (path, cursor, response.status_code, response.content[:300])
        problem(response)


def test_deeply_nested_json_is_a_400_problem(supplier_caller):
    body = ("[" * 100_000 + "]" * 100_000).encode()
    for key in (None, "deep-1"):
        headers = {"Idempotency-Key": key} if key else {}
        response = supplier_caller.http.post(ITEM, body, content_type="application/json", headers=headers)
        assert response.status_code == 400, (response.status_code, response.content[:300])
        problem(response)


@pytest.mark.parametrize("path,key", [(ITEM, "big-1"), (ITEM, None), ("/api/v1/webhooks", None),
                                      ("/api/v1/webhooks", "big-2")])
def test_a_body_over_the_upload_limit_is_a_413_problem(supplier_caller, settings, path, key):
    pad = b"x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 10)
    body = b'{"type": "reservation", "quantity": 1, "pad": "' + pad + b'"}'
    headers = {"Idempotency-Key": key} if key else {}
    response = supplier_caller.http.post(path, body, content_type="application/json", headers=headers)
    assert response.status_code == 413, (response.status_code, response.content[:300])
    problem(response)


def test_a_cursor_from_another_list_is_never_a_500(brand_caller):
    from urllib.parse import parse_qs, urlsplit

    next_url = brand_caller.get("/api/v1/products?limit=1").json()["next"]
    cursor = parse_qs(urlsplit(next_url).query)["cursor"][0]
    for path in ("/api/v1/orders", "/api/v1/inventory/transactions", "/api/v1/warehouses", "/api/v1/webhooks"):
        response = brand_caller.http.get(path, {"cursor": cursor})
        assert response.status_code in (200, 400), (path, response.status_code, response.content[:300])


def test_nul_in_a_json_string_or_a_query_value_is_a_400_problem(brand_caller):
    response = brand_caller.http.put("/api/v1/products/HOTSAUCE789", b'{"name": "Hot\\u0000Sauce"}',
                                     content_type="application/json")
    assert response.status_code == 400 and problem(response)["code"] == "validation_error"
    response = brand_caller.http.get("/api/v1/inventory", {"supplierId": "SUP\x00123"})
    assert response.status_code == 400 and problem(response)["errors"][0]["field"] == "supplierId"
    # An escaped backslash before "u0000" is text, not NUL.
    ok = brand_caller.http.put("/api/v1/products/HOTSAUCE789", b'{"name": "C:\\\\u0000 sauce"}',
                               content_type="application/json")
    assert ok.status_code == 200, ok.content
