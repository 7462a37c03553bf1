"""Stock never oversells and counts never lose updates, under real concurrency on PostgreSQL."""

import threading
from collections import Counter

import pytest
from django.db import connection

from inventory.models import InventoryTransaction
from inventory.services.reconcile import reconcile
from tests import factories

ITEM = "/api/v1/inventory/{}/{}"


def run_in_threads(count, fn):
    barrier = threading.Barrier(count)
    results = [None] * count

    def worker(index):
        try:
            barrier.wait()
            results[index] = fn(index)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results


@pytest.fixture
def stocked(make_caller):
    sup = factories.supplier("SUPC1")
    factories.warehouse(sup, "WH1")
    prod = factories.product("SAUCEC1")
    factories.receive(sup, prod, 25, batch="LOT-A")
    return sup, prod, make_caller("supplier", "SUPC1")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_40_concurrent_single_unit_reservations_against_25_available_reserve_exactly_25(stocked):
    sup, prod, caller = stocked
    path = ITEM.format(sup.code, prod.sku)

    def reserve(index):
        response = caller.post(path, {"type": "reservation", "quantity": 1}, key=f"res-{index}")
        return response.status_code, response.json().get("code")

    results = run_in_threads(40, reserve)
    statuses = Counter(status for status, _ in results)
    assert statuses == {201: 25, 409: 15}
    assert {code for status, code in results if status == 409} == {"insufficient_stock"}
    item = caller.get(path).json()
    assert (item["reservedQuantity"], item["availableQuantity"], item["inventoryLevel"]) == (25, 0, 25)
    assert InventoryTransaction.objects.filter(type="reservation", supplier=sup).count() == 25
    assert reconcile() == []


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_counts_against_the_same_version_let_exactly_one_win(stocked):
    sup, prod, caller = stocked
    path = ITEM.format(sup.code, prod.sku)
    version = caller.get(path).json()["version"]

    def count(index):
        body = {"reason": "cycle count", "lots": [{"warehouseLocation": "WH1", "batchNumber": "LOT-A",
                                                   "inventoryLevel": 10 + index}]}
        if index % 2:
            return caller.patch(path, body, headers={"If-Match": f'"{version}"'}).status_code
        return caller.patch(path, {**body, "version": version}).status_code

    statuses = Counter(run_in_threads(12, count))
    assert statuses[200] == 1
    assert statuses[200] + statuses[409] + statuses[412] == 12
    assert InventoryTransaction.objects.filter(type="count", supplier=sup).count() == 1
    assert caller.get(path).json()["version"] == version + 1
    assert reconcile() == []


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_same_idempotency_key_sent_20_times_concurrently_executes_once(stocked):
    sup, prod, caller = stocked
    path = ITEM.format(sup.code, prod.sku)
    body = {"type": "reservation", "quantity": 2, "reference": "PO-1"}

    def send(index):
        response = caller.post(path, body, key="same-key-20")
        return response.status_code, response.content, response.headers.get("Idempotent-Replayed")

    results = run_in_threads(20, send)
    assert {status for status, _, _ in results} == {201}
    assert len({content for _, content, _ in results}) == 1
    assert sum(1 for _, _, replayed in results if replayed == "true") == 19
    assert InventoryTransaction.objects.filter(type="reservation", supplier=sup).count() == 1
    assert caller.get(path).json()["reservedQuantity"] == 2

    different = caller.post(path, {**body, "quantity": 3}, key="same-key-20")
    assert different.status_code == 422
    assert different.json()["code"] == "idempotency_key_reused"
    assert caller.get(path).json()["reservedQuantity"] == 2
