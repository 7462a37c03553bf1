"""Orders racing for stock, with real threads on PostgreSQL."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from hotsauce.errors import ApplicationError, InvalidState
from inventory.models import Batch, Product, StockLot
from inventory.services.reconcile import reconcile
from orders import services
from orders.models import Order, OrderLine, Shipment
from tests import factories as f


def run_threads(targets) -> list:
    """Start every target at once (barrier), collect each one's result or exception."""
    barrier = threading.Barrier(len(targets))
    results: list = [None] * len(targets)

    def wrap(index, target):
        try:
            barrier.wait()
            results[index] = target()
        except Exception as exc:  # noqa: BLE001 - the test inspects what each thread raised
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=wrap, args=(i, t)) for i, t in enumerate(targets)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a thread hung (deadlock?)"
    return results


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_thirty_retailers_racing_for_the_last_hundred_units_never_reserve_more():
    sup = f.supplier("SUPC")
    prod = f.product("SAUCEC")
    f.warehouse(sup, "WH1")
    f.warehouse(sup, "WH2")
    f.receive(sup, prod, 60, batch="C1", days=100)
    f.receive(sup, prod, 40, batch="C2", days=150, warehouse_code="WH2")
    retailers = []
    for index in range(30):
        ret = f.retailer(f"RETC{index:02d}")
        f.trade(sup, ret)
        retailers.append(ret)

    def order_for(ret):
        return lambda: services.order_create(
            supplier=sup, retail_partner=ret,
            lines=[services.LineRequest(product=Product.objects.get(pk=prod.pk), quantity=7)]).code

    results = run_threads([order_for(ret) for ret in retailers])
    errors = [r for r in results if isinstance(r, Exception)]
    assert errors == []
    reserved = sum(StockLot.objects.filter(item__product=prod).values_list("reserved", flat=True))
    allocated = sum(OrderLine.objects.values_list("allocated_quantity", flat=True))
    assert reserved == allocated == 100  # 30 × 7 = 210 wanted; exactly the 100 there were
    assert Order.objects.count() == 30
    backordered = sum(line.quantity - line.allocated_quantity for line in OrderLine.objects.all())
    assert backordered == 110
    assert reconcile() == []


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_cancel_and_ship_of_the_same_order_racing_apply_exactly_one():
    sup = f.supplier("SUPD")
    ret = f.retailer("RETD")
    f.trade(sup, ret)
    prod = f.product("SAUCED")
    f.warehouse(sup, "WH1")
    f.receive(sup, prod, 100, batch="D1", days=100)
    outcomes = set()
    for _ in range(8):
        order = services.order_create(supplier=sup, retail_partner=ret,
                                      lines=[services.LineRequest(product=prod, quantity=5)])
        results = run_threads([
            lambda order=order: services.order_cancel(order=Order.objects.get(pk=order.pk), actor=None),
            lambda order=order: services.shipment_create(order=Order.objects.get(pk=order.pk), carrier="UPS"),
        ])
        cancel, ship = results
        failures = [r for r in results if isinstance(r, Exception)]
        assert len(failures) == 1, results
        assert isinstance(failures[0], (InvalidState, ApplicationError))
        order.refresh_from_db()
        if isinstance(ship, Exception):
            assert order.status == "cancelled" and not Shipment.objects.filter(order=order).exists()
            outcomes.add("cancelled")
        else:
            assert order.status == "shipped" and Shipment.objects.filter(order=order).count() == 1
            outcomes.add("shipped")
    lot = StockLot.objects.get(batch__batch_number="D1")
    shipped = 5 * Order.objects.filter(status="shipped").count()
    assert (lot.on_hand, lot.reserved) == (100 - shipped, 0)
    assert reconcile() == []


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_recall_racing_orders_shipments_and_cancels_does_not_deadlock_or_drift():
    sup = f.supplier("SUPE")
    prod = f.product("SAUCEE")
    f.warehouse(sup, "WH1")
    f.receive(sup, prod, 50, batch="E1", days=100)
    f.receive(sup, prod, 50, batch="E2", days=200)
    retailers = []
    for index in range(6):
        ret = f.retailer(f"RETE{index}")
        f.trade(sup, ret)
        retailers.append(ret)
    open_orders = [services.order_create(supplier=sup, retail_partner=ret,
                                         lines=[services.LineRequest(product=prod, quantity=6)])
                   for ret in retailers[:4]]
    services.shipment_create(order=open_orders[2])  # RETE2 holds 6 units of E1 and will send some back
    batch = Batch.objects.get(batch_number="E1")
    targets = [lambda: services.batch_recall(batch=batch, reason="race")]
    targets += [lambda ret=ret: services.order_create(supplier=sup, retail_partner=ret,
                                                      lines=[services.LineRequest(product=prod, quantity=6)])
                for ret in retailers[4:]]
    targets += [lambda o=open_orders[0]: services.shipment_create(order=o)]
    targets += [lambda o=open_orders[1]: services.order_cancel(order=o, actor=None)]
    targets += [lambda: services.return_create(supplier=sup, retail_partner=retailers[2], lines=[
        services.ReturnLineRequest(product=prod, batch_number="E1", quantity=2, reason="recall")])]
    results = run_threads(targets)
    assert [r for r in results if isinstance(r, Exception) and not isinstance(r, ApplicationError)] == []
    assert not isinstance(results[0], Exception)
    assert reconcile() == []
    assert sum(StockLot.objects.filter(batch=batch).values_list("reserved", flat=True)) == 0
    reserved = sum(StockLot.objects.filter(item__product=prod).values_list("reserved", flat=True))
    assert reserved == sum(OrderLine.objects.values_list("allocated_quantity", flat=True))
