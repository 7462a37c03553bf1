import pytest

from inventory.models import Product
from tests.conftest import problem


def test_retailer_lists_only_the_suppliers_it_trades_with(retailer_caller):
    response = retailer_caller.get("/api/v1/suppliers")
    assert response.status_code == 200
    assert [s["supplierId"] for s in response.json()["results"]] == ["SUP123"]


def test_supplier_lists_only_the_retail_partners_it_trades_with(other_supplier_caller):
    response = other_supplier_caller.get("/api/v1/retailPartners")
    assert sorted(r["retailPartnerId"] for r in response.json()["results"]) == ["RETAIL600", "RETAIL700"]


def test_brand_lists_every_supplier_with_cursor_pagination(brand_caller):
    first = brand_caller.get("/api/v1/suppliers?limit=2").json()
    assert len(first["results"]) == 2 and first["next"].startswith("http")
    second = brand_caller.get(first["next"]).json()
    codes = [s["supplierId"] for s in first["results"] + second["results"]]
    assert codes == ["SUP123", "SUP200", "SUP300", "SUP400"]


def test_a_retailer_asking_for_a_supplier_it_does_not_trade_with_gets_404(retailer_caller):
    response = retailer_caller.get("/api/v1/suppliers/SUP400")
    assert response.status_code == 404
    assert problem(response)["code"] == "not_found"


def test_only_brand_clients_create_suppliers(brand_caller, supplier_caller):
    body = {"supplierId": "SUP900", "name": "Smokehouse Partners"}
    denied = supplier_caller.post("/api/v1/suppliers", body)
    assert denied.status_code == 403
    created = brand_caller.post("/api/v1/suppliers", body)
    assert created.status_code == 201
    assert created.json()["supplierId"] == "SUP900"


def test_creating_a_product_validates_the_gtin_check_digit(brand_caller):
    response = brand_caller.post("/api/v1/products", {"productId": "NEWSAUCE1", "name": "New", "gtin": "0860001000019"})
    body = problem(response)
    assert response.status_code == 400
    assert body["code"] == "validation_error"
    assert body["errors"][0]["field"] == "gtin"
    assert not Product.objects.filter(sku="NEWSAUCE1").exists()


def test_a_valid_product_is_created_with_camel_case_fields(brand_caller):
    payload = {"productId": "NEWSAUCE2", "name": "Chipotle Honey", "gtin": "0860001999983", "flavor": "chipotle",
               "heatLevelShu": 9000, "bottleSizeMl": 148, "ingredients": ["chipotle", "honey"],
               "kind": "finished_sauce"}
    # 086000199998 + check digit 3 is a valid GTIN-13 (not used by the sandbox)
    response = brand_caller.post("/api/v1/products", payload)
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["heatLevelShu"] == 9000 and body["bottleSizeMl"] == 148
    assert brand_caller.get("/api/v1/products/NEWSAUCE2").json()["gtin"] == "0860001999983"


def test_unknown_product_is_a_404_problem(brand_caller):
    response = brand_caller.get("/api/v1/products/NOPE")
    assert response.status_code == 404
    assert problem(response)["code"] == "not_found"


def test_put_replaces_product_details(brand_caller):
    response = brand_caller.put("/api/v1/products/HOTSAUCE789", {"name": "Ghost Pepper Inferno v2",
                                                                 "heatLevelShu": 900000})
    assert response.status_code == 200, response.json()
    assert response.json()["name"] == "Ghost Pepper Inferno v2"


def test_unknown_body_fields_and_query_params_are_rejected(brand_caller):
    response = brand_caller.post("/api/v1/products", {"productId": "X1", "name": "x", "heat": 3})
    assert problem(response)["errors"][0]["field"] == "heat"
    response = brand_caller.get("/api/v1/suppliers?suplierId=SUP123")
    assert response.status_code == 400
    assert problem(response)["errors"][0]["field"] == "suplierId"


def test_supplier_creates_its_own_warehouse_but_not_another_suppliers(supplier_caller):
    ok = supplier_caller.post("/api/v1/warehouses", {"warehouseLocation": "Warehouse_C", "name": "Dallas"})
    assert ok.status_code == 201 and ok.json()["supplierId"] == "SUP123"
    foreign = supplier_caller.post("/api/v1/warehouses", {"warehouseLocation": "W9", "name": "x",
                                                          "supplierId": "SUP400"})
    assert foreign.status_code == 404


def test_warehouse_list_is_tenant_scoped(supplier_caller):
    codes = {w["warehouseLocation"] for w in supplier_caller.get("/api/v1/warehouses").json()["results"]}
    assert codes == {"Warehouse_A", "Warehouse_B"}


def test_trading_relationships_are_managed_by_brand(brand_caller, retailer_caller):
    created = brand_caller.post("/api/v1/tradingRelationships", {"supplierId": "SUP400",
                                                                 "retailPartnerId": "RETAIL456"})
    assert created.status_code == 201
    rel_id = created.json()["id"]
    assert "SUP400" in {s["supplierId"] for s in retailer_caller.get("/api/v1/suppliers").json()["results"]}
    patched = brand_caller.patch(f"/api/v1/tradingRelationships/{rel_id}", {"active": False})
    assert patched.status_code == 200 and patched.json()["active"] is False
    assert "SUP400" not in {s["supplierId"] for s in retailer_caller.get("/api/v1/suppliers").json()["results"]}


@pytest.mark.parametrize("path", ["/api/v1/suppliers", "/api/v1/does-not-exist"])
def test_every_response_carries_a_request_id_echoed_when_sent(brand_caller, path):
    response = brand_caller.get(path, headers={"X-Request-Id": "abc-123"})
    assert response["X-Request-Id"] == "abc-123"
    assert brand_caller.get(path)["X-Request-Id"]


def test_unknown_api_path_is_a_problem_404_even_in_debug(brand_caller, settings):
    settings.DEBUG = True
    response = brand_caller.get("/api/v1/nothing/here")
    assert response.status_code == 404
    assert problem(response)["code"] == "not_found"
