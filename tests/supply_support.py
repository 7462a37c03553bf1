"""Builders for the supply-side tests: a grower, a co-packer, retailers, lots through purchase orders."""

from __future__ import annotations

import itertools
from datetime import timedelta

from django.utils import timezone

from tests import factories as f

_keys = itertools.count(1)


def key() -> str:
    return f"supply-{next(_keys)}-{timezone.now().timestamp()}"


def day(days: int = 0) -> str:
    return (timezone.now() + timedelta(days=days)).date().isoformat()


def expiry(days: int) -> str:
    return (timezone.now() + timedelta(days=days)).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def ok(response, status: int = 200) -> dict:
    assert response.status_code == status, response.content[:800]
    return response.json()


def supply_world(make_caller, retailers: int = 3) -> dict:
    """A grower (SUPG), a co-packer (SUPX) trading with retailers R1..Rn, the products and their callers."""
    grower, packer = f.supplier("SUPG", kind="ingredient"), f.supplier("SUPX")
    f.warehouse(grower, "WHG")
    f.warehouse(packer, "WH1")
    codes = [f"R{i}" for i in range(1, retailers + 1)]
    for code in codes:
        f.trade(packer, f.retailer(code, shelf_days=0))
    pepper = f.product("PEPPER", kind="ingredient", name="Habanero mash")
    bottle = f.product("BOTTLE", kind="packaging", name="Woozy bottle 148 ml")
    sauce = f.product("SAUCE", name="Habanero sauce", bottle_size_ml=148)
    return {
        "grower": grower, "packer": packer, "pepper": pepper, "bottle": bottle, "sauce": sauce,
        "brand": make_caller("brand"), "sup": make_caller("supplier", "SUPX"),
        "grow": make_caller("supplier", "SUPG"),
        "retailers": {code: make_caller("retailer", code) for code in codes},
    }


def purchase_lot(world: dict, *, product: str, lot: str, quantity: int, received: int | None = None,
                 case_pack: int = 1, expires: int = 300) -> dict:
    """Brand orders from the grower for the co-packer; acknowledged, shipped with the lot, received."""
    brand, grow, sup = world["brand"], world["grow"], world["sup"]
    po = ok(brand.post("/api/v1/purchaseOrders", {
        "supplierId": "SUPG", "shipToSupplierId": "SUPX", "lines": [
            {"productId": product, "quantity": quantity, "casePack": case_pack, "requestedDate": day(7)}]},
        key=key()), 201)
    code = po["purchaseOrderId"]
    ok(grow.post(f"/api/v1/purchaseOrders/{code}/acknowledge", {
        "lines": [{"productId": product, "promisedDate": day(5)}]}, key=key()))
    shipped = ok(grow.post(f"/api/v1/purchaseOrders/{code}/ship", {
        "carrier": "Estafeta", "trackingNumber": f"T-{lot}", "expectedDate": day(5), "shipFromWarehouseLocation": "WHG",
        "lines": [{"productId": product, "batchNumber": lot, "quantity": quantity,
                   "expirationDate": expiry(expires)}]}, key=key()))
    asn = shipped["inboundShipments"][-1]["inboundShipmentId"]
    return ok(sup.post(f"/api/v1/purchaseOrders/{code}/receive", {
        "inboundShipmentId": asn, "closeShort": True,
        "lines": [{"productId": product, "batchNumber": lot,
                   "receivedQuantity": quantity if received is None else received}]}, key=key()))


def produce(world: dict, *, inputs: list[tuple[str, str, int]], batch: str, quantity: int, expires: int) -> dict:
    return ok(world["sup"].post("/api/v1/productionRuns", {
        "supplierId": "SUPX", "warehouseLocation": "WH1",
        "inputs": [{"productId": p, "batchNumber": b, "quantity": q} for p, b, q in inputs],
        "output": {"productId": "SAUCE", "batchNumber": batch, "quantity": quantity,
                   "expirationDate": expiry(expires)}}, key=key()), 201)


def order_and_ship(world: dict, retailer: str, quantity: int) -> dict:
    order = ok(world["retailers"][retailer].post("/api/v1/orders", {
        "supplierId": "SUPX", "deliveryAddress": f"{retailer} DC, 1 Market St",
        "lines": [{"productId": "SAUCE", "quantity": quantity}]}, key=key()), 201)
    return ok(world["sup"].post("/api/v1/shipments", {"orderId": order["orderId"], "carrier": "UPS",
                                                      "trackingNumber": f"1Z-{retailer}"}, key=key()), 201)
