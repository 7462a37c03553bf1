"""Locust scenario: suppliers, retailers and the brand working the API at the same time.

Started by ``bench/loadtest.py`` (``make loadtest``), headless, against a server on this
machine only. Each simulated user runs at a fixed pace (``constant_throughput``), so the
offered rate is bounded: users x pace requests per second at most.

- Retailers (RETAIL456, RETAIL600) read the supplier's stock, place orders (Idempotency-Key,
  sometimes retried with the same key), cancel some, and follow the changes feed.
- The supplier (SUP123) receives stock, records sales and reservations, ships allocated
  orders and marks shipments delivered.
- The brand reads the inventory list, the ledger and the feed.

A 409 the business rules give (stock ran out, another user shipped the order first) is an
expected answer, not an error: only 5xx, timeouts and unexpected codes count as failures.
"""

from __future__ import annotations

import json
import os
import random
import uuid
from datetime import UTC, datetime, timedelta
from urllib.parse import urlparse

from locust import HttpUser, between, constant_throughput, events, task

CREDENTIALS = os.environ.get("LOADTEST_CREDENTIALS", "var/loadtest/credentials.json")
PACE = float(os.environ.get("LOADTEST_PACE", "2"))  # requests per second per user, at most
SKUS = ["HOTSAUCE789", "HOTSAUCE101", "HOTSAUCE102", "HOTSAUCE103"]
EXPIRY = (datetime.now(UTC) + timedelta(days=300)).strftime("%Y-%m-%dT00:00:00Z")


@events.init.add_listener
def _loopback_only(environment, **_kwargs):
    host = urlparse(environment.host or "").hostname
    if host not in ("127.0.0.1", "localhost", "::1"):
        raise SystemExit("the load test only targets this machine (127.0.0.1)")


def _client(kind: str, partner: str | None) -> dict:
    clients = json.load(open(CREDENTIALS))["clients"]
    return next(c for c in clients if c["kind"] == kind and c["partnerId"] == partner)


class ApiUser(HttpUser):
    abstract = True
    kind, partner = "brand", None
    wait_time = constant_throughput(PACE)

    def on_start(self):
        creds = _client(self.kind, self.partner)
        response = self.client.post("/oauth/token/", data={"grant_type": "client_credentials"},
                                    auth=(creds["clientId"], creds["clientSecret"]), name="POST oauth/token")
        response.raise_for_status()
        self.client.headers["Authorization"] = f"Bearer {response.json()['access_token']}"
        self.after = 0

    def call(self, method: str, path: str, name: str, ok=(200,), expected=(), body=None, key: str | None = None):
        headers = {"Idempotency-Key": key} if key else {}
        with self.client.request(method, path, json=body, headers=headers, name=name,
                                 catch_response=True) as response:
            if response.status_code in ok or response.status_code in expected:
                response.success()
            else:
                response.failure(f"{response.status_code}: {response.text[:200]}")
            return response

    def follow_feed(self):
        response = self.call("GET", f"/api/v1/events?after={self.after}&limit=200", "GET events (feed)")
        if response.status_code == 200:
            self.after = response.json()["nextAfter"]


class Retailer(ApiUser):
    kind = "retailer"
    weight = 3

    def on_start(self):
        self.partner = random.choice(["RETAIL456", "RETAIL600"])
        super().on_start()
        self.orders: list[str] = []

    @task(4)
    def read_stock(self):
        self.call("GET", f"/api/v1/inventory/SUP123/{random.choice(SKUS)}", "GET inventory/{supplier}/{product}")

    @task(3)
    def place_order(self):
        key = f"lt-order-{uuid.uuid4()}"
        body = {"supplierId": "SUP123", "reference": key[-12:],
                "lines": [{"productId": random.choice(SKUS), "quantity": random.randint(1, 4)}]}
        response = self.call("POST", "/api/v1/orders", "POST orders", ok=(201,), body=body, key=key)
        if response.status_code == 201:
            self.orders.append(response.json()["orderId"])
            if random.random() < 0.2:  # a client retry: the same answer, nothing done twice
                self.call("POST", "/api/v1/orders", "POST orders (retry, same key)", ok=(201,), body=body, key=key)

    @task(1)
    def cancel_order(self):
        if self.orders:
            order = self.orders.pop(random.randrange(len(self.orders)))
            # Shipped in the meantime: 409 invalid_state is the right answer.
            self.call("POST", f"/api/v1/orders/{order}/cancel", "POST orders/{id}/cancel", expected=(409,),
                      body={}, key=f"lt-cancel-{order}")

    @task(2)
    def feed(self):
        self.follow_feed()


class Supplier(ApiUser):
    kind, partner = "supplier", "SUP123"
    weight = 2

    def on_start(self):
        super().on_start()
        self.shipments: list[str] = []

    @task(2)
    def receive(self):
        sku = random.choice(SKUS)
        self.call("POST", f"/api/v1/inventory/SUP123/{sku}", "POST inventory movement (receipt)", ok=(201,),
                  body={"type": "receipt", "quantity": random.randint(5, 20), "warehouseLocation": "Warehouse_A",
                        "batchNumber": f"LOAD-{sku}", "expirationDate": EXPIRY, "reason": "load test"},
                  key=f"lt-rcpt-{uuid.uuid4()}")

    @task(2)
    def sell_or_reserve(self):
        kind = random.choice(["sale", "reservation"])
        self.call("POST", f"/api/v1/inventory/SUP123/{random.choice(SKUS)}", f"POST inventory movement ({kind})",
                  ok=(201,), expected=(409,), body={"type": kind, "quantity": 1}, key=f"lt-mv-{uuid.uuid4()}")

    @task(3)
    def ship(self):
        listed = self.call("GET", "/api/v1/orders?status=allocated&limit=5", "GET orders?status=allocated")
        if listed.status_code != 200 or not listed.json()["results"]:
            return
        order = random.choice(listed.json()["results"])["orderId"]
        response = self.call("POST", "/api/v1/shipments", "POST shipments", ok=(201,), expected=(409,),
                             body={"orderId": order, "carrier": "UPS", "trackingNumber": f"1Z{uuid.uuid4().hex[:12]}"},
                             key=f"lt-ship-{uuid.uuid4()}")
        if response.status_code == 201:
            self.shipments.append(response.json()["shipmentId"])

    @task(1)
    def deliver(self):
        if self.shipments:
            shipment = self.shipments.pop(0)
            self.call("POST", f"/api/v1/shipments/{shipment}/deliver", "POST shipments/{id}/deliver", body={},
                      key=f"lt-deliver-{shipment}")

    @task(2)
    def read_stock(self):
        self.call("GET", f"/api/v1/inventory/SUP123/{random.choice(SKUS)}", "GET inventory/{supplier}/{product}")


class Brand(ApiUser):
    kind, partner = "brand", None
    weight = 1
    wait_time = between(0.5, 1.0)

    @task(2)
    def inventory_list(self):
        self.call("GET", "/api/v1/inventory?supplierId=SUP123&limit=50", "GET inventory (list)")

    @task(1)
    def ledger(self):
        self.call("GET", "/api/v1/inventory/transactions?supplierId=SUP123&limit=100", "GET inventory/transactions")

    @task(2)
    def feed(self):
        self.follow_feed()
