"""The brief's workflow with the Python SDK: a retailer and its supplier, from token to delivery.

    HOTSAUCE_BASE_URL=http://127.0.0.1:8000 HOTSAUCE_CREDENTIALS=var/sandbox-credentials.json python workflow.py
"""

import os
import sys
import time
import uuid

from hotsauce_sdk import HotSauce, InvalidState

BASE = os.environ.get("HOTSAUCE_BASE_URL", "http://127.0.0.1:8000")
CREDS = os.environ.get("HOTSAUCE_CREDENTIALS", "var/sandbox-credentials.json")
SUPPLIER, RETAILER, PRODUCT, QUANTITY = "SUP123", "RETAIL456", "HOTSAUCE789", 6


def check(ok, step, detail):
    print(f"{'ok  ' if ok else 'FAIL'} {step}: {detail}", flush=True)
    if not ok:
        sys.exit(1)


def latest_sequence(client):
    after = 0
    while True:
        page = client.get("events", after=after, limit=500)
        after = page["nextAfter"]
        if not page["hasMore"]:
            return after


retailer = HotSauce.from_credentials_file(BASE, CREDS, partner_id=RETAILER, kind="retailer")
supplier = HotSauce.from_credentials_file(BASE, CREDS, partner_id=SUPPLIER, kind="supplier")

# 1. Tokens: client credentials, fetched (and later refreshed) by the SDK.
check(bool(retailer.token()) and bool(supplier.token()), "1 token", "retailer and supplier authenticated")

# 2. The retailer checks stock of the SKU at its supplier.
item = retailer.get(f"inventory/{SUPPLIER}/{PRODUCT}")
check(item["availableQuantity"] >= QUANTITY, "2 stock",
      f"{PRODUCT} at {SUPPLIER}: level {item['inventoryLevel']}, available {item['availableQuantity']}, "
      f"batch {item['batchNumber']}, expires {item['expirationDate']}")
since = latest_sequence(retailer)

# 3. The retailer places an order (the SDK adds an Idempotency-Key; a retry cannot order twice).
order = retailer.post("orders", {
    "supplierId": SUPPLIER, "lines": [{"productId": PRODUCT, "quantity": QUANTITY}],
    "requestedDeliveryDate": time.strftime("%Y-%m-%d", time.gmtime(time.time() + 7 * 86400)),
    "deliveryAddress": "FreshMart DC, 1 Market St", "reference": f"PO-{uuid.uuid4().hex[:8]}"})
order_id = order["orderId"]
check(order["status"] in ("allocated", "partially_allocated", "backordered"), "3 order",
      f"{order_id} {order['status']}")

# 4. The supplier updates reserved stock: a `reservation` movement for the order.
try:
    movement = supplier.post(f"inventory/{SUPPLIER}/{PRODUCT}", {"type": "reservation", "orderId": order_id})
    txn = movement["transaction"]
    detail = f"reserved {txn['quantity']} more (reservation {txn['reservationId']})"
except InvalidState as problem:  # the order took its stock when placed: nothing left to reserve, nothing changed
    detail = f"already fully allocated at order time ({problem.code})"
held = sum(r["quantity"] for r in supplier.paginate("reservations", orderId=order_id, status="open"))
check(held == QUANTITY, "4 reserve", f"{detail}; {held} units held for {order_id}")

# 5. The retailer is notified: inventory.updated for the SKU in its changes feed.
events = retailer.get("events", after=since, types="inventory.updated", limit=500)["results"]
check(any(e["data"].get("productId") == PRODUCT for e in events), "5 notified",
      f"{len(events)} inventory.updated event(s) since sequence {since}")

# 6. The supplier ships with tracking.
shipment = supplier.post("shipments", {"orderId": order_id, "carrier": "UPS", "trackingNumber": "1Z999AA10123456784"})
check(shipment["trackingNumber"] == "1Z999AA10123456784", "6 shipment",
      f"{shipment['shipmentId']} via {shipment['carrier']} {shipment['trackingNumber']}")

# 7. The retailer follows the order until it is delivered (the carrier's delivery is recorded by the supplier).
seen = retailer.get(f"orders/{order_id}")
check(seen["status"] == "shipped" and seen["shipments"][0]["trackingNumber"] == shipment["trackingNumber"],
      "7 tracking", f"{order_id} {seen['status']}, tracking {seen['shipments'][0]['trackingNumber']}")
supplier.post(f"shipments/{shipment['shipmentId']}/deliver")
deadline = time.monotonic() + 30
while (seen := retailer.get(f"orders/{order_id}"))["status"] != "delivered" and time.monotonic() < deadline:
    time.sleep(1)
check(seen["status"] == "delivered", "7 delivered", f"{order_id} {seen['status']}")
print("workflow complete")
