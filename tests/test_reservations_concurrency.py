"""A concurrent mix of everything that moves reserved units, with real threads on PostgreSQL.

Eight threads run 320 operations between them — orders, cancels, shipments, standalone holds,
releases, sales (with and without a hold), receipts, backorder allocation and one recall —
then the books must balance: every lot equals its ledger, every reserved unit has a holder,
and every order line's allocation is exactly what its reservation holds.
"""

from __future__ import annotations

import random
import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.db.models import Sum
from django.utils import timezone

from hotsauce.errors import ApplicationError
from inventory import services as stock
from inventory.models import Batch, InventoryItem, Product, Reservation, ReservationLot, StockLot
from orders import services
from orders.models import Order, OrderLine
from partners.models import RetailPartner, Supplier
from tests import factories as f

THREADS = 8
OPERATIONS_PER_THREAD = 40


class Mix:
    """Shared state of the run: what exists, what was done, what went wrong."""

    def __init__(self, sup: Supplier, products: list[Product], retailers: list[RetailPartner]):
        self.sup, self.products, self.retailers = sup, products, retailers
        self.lock = threading.Lock()
        self.orders: list[str] = []
        self.holds: list[tuple[int, str]] = []  # (product pk, reservation code)
        self.done: dict[str, int] = {}
        self.refused: dict[str, int] = {}
        self.crashes: list[str] = []

    def pick(self, rng: random.Random, things: list):
        with self.lock:
            return rng.choice(things) if things else None

    def remember(self, things: list, value) -> None:
        with self.lock:
            things.append(value)

    def count(self, what: dict, name: str) -> None:
        with self.lock:
            what[name] = what.get(name, 0) + 1


def _order(mix: Mix, rng: random.Random) -> None:
    lines = [services.LineRequest(product=p, quantity=rng.randint(1, 8))
             for p in rng.sample(mix.products, rng.randint(1, 2))]
    order = services.order_create(supplier=mix.sup, retail_partner=rng.choice(mix.retailers), lines=lines)
    mix.remember(mix.orders, order.code)


def _cancel(mix: Mix, rng: random.Random) -> None:
    code = mix.pick(rng, mix.orders)
    if code:
        services.order_cancel(order=Order.objects.get(code=code), actor=None)


def _ship(mix: Mix, rng: random.Random) -> None:
    code = mix.pick(rng, mix.orders)
    if code:
        services.shipment_create(order=Order.objects.get(code=code), carrier="UPS", tracking_number="1Z")


def _hold(mix: Mix, rng: random.Random) -> None:
    product = rng.choice(mix.products)
    retailer = rng.choice([None, *mix.retailers])
    result = stock.stock_reserve(supplier=mix.sup, product=product, quantity=rng.randint(1, 5), actor=None,
                                 retail_partner=retailer)
    mix.remember(mix.holds, (product.pk, result.reservation.code))


def _release(mix: Mix, rng: random.Random) -> None:
    picked = mix.pick(rng, mix.holds)
    if picked:
        product = next(p for p in mix.products if p.pk == picked[0])
        stock.stock_release(supplier=mix.sup, product=product, quantity=rng.randint(1, 3), actor=None,
                            reservation_code=picked[1])


def _sell(mix: Mix, rng: random.Random) -> None:
    picked = mix.pick(rng, mix.holds) if rng.random() < 0.5 else None
    product = next(p for p in mix.products if p.pk == picked[0]) if picked else rng.choice(mix.products)
    stock.stock_sell(supplier=mix.sup, product=product, quantity=rng.randint(1, 3), actor=None,
                     reservation_code=picked[1] if picked else None)


def _receive(mix: Mix, rng: random.Random) -> None:
    product = rng.choice(mix.products)
    stock.stock_receive(supplier=mix.sup, product=product, quantity=rng.randint(5, 20), actor=None,
                        warehouse_code=rng.choice(["WH1", "WH2"]), batch_number=f"{product.sku}-{rng.choice('AB')}")


def _backorders(mix: Mix, rng: random.Random) -> None:
    product = rng.choice(mix.products)
    services.backorders_allocate(item_id=InventoryItem.objects.get(supplier=mix.sup, product=product).pk)


def _recall(mix: Mix, rng: random.Random) -> None:
    services.batch_recall(batch=Batch.objects.get(batch_number="MIXP0-R"), reason="lab found a foreign body")


OPERATIONS = [(_order, 6), (_cancel, 2), (_ship, 3), (_hold, 3), (_release, 3), (_sell, 2), (_receive, 2),
              (_backorders, 1)]


def _worker(mix: Mix, seed: int) -> None:
    rng = random.Random(seed)
    ops, weights = zip(*OPERATIONS, strict=True)
    try:
        for index in range(OPERATIONS_PER_THREAD):
            operation = _recall if (seed == 0 and index == OPERATIONS_PER_THREAD // 2) else \
                rng.choices(ops, weights)[0]
            try:
                operation(mix, rng)
                mix.count(mix.done, operation.__name__)
            except ApplicationError as exc:  # a refusal on the merits (409/400) is part of the mix
                mix.count(mix.refused, f"{operation.__name__}:{exc.code}")
            except Exception as exc:  # noqa: BLE001 - deadlocks, constraint violations: the test fails
                with mix.lock:
                    mix.crashes.append(f"{operation.__name__}: {type(exc).__name__}: {exc}")
    finally:
        connection.close()


@pytest.mark.postgres
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_concurrent_mix_leaves_every_lot_and_every_holder_balanced():
    sup = f.supplier("MIXSUP")
    f.warehouse(sup, "WH1")
    f.warehouse(sup, "WH2")
    products = [f.product(f"MIXP{i}") for i in range(2)]
    now = timezone.now()
    for product in products:
        for suffix, days in (("A", 100), ("B", 240)):
            stock.stock_receive(supplier=sup, product=product, quantity=60, actor=None, warehouse_code="WH1",
                                batch_number=f"{product.sku}-{suffix}", expiration_date=now + timedelta(days=days))
    stock.stock_receive(supplier=sup, product=products[0], quantity=40, actor=None, warehouse_code="WH2",
                        batch_number="MIXP0-R", expiration_date=now + timedelta(days=180))
    retailers = [f.retailer(f"MIXR{i}", shelf_days=120 if i == 0 else 0) for i in range(4)]
    for retailer in retailers:
        f.trade(sup, retailer)
    mix = Mix(sup, products, retailers)

    threads = [threading.Thread(target=_worker, args=(mix, seed)) for seed in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not any(thread.is_alive() for thread in threads), "a thread hung (deadlock?)"

    assert mix.crashes == []
    assert sum(mix.done.values()) + sum(mix.refused.values()) == THREADS * OPERATIONS_PER_THREAD
    done = set(mix.done)
    assert {"_order", "_cancel", "_ship", "_hold", "_release", "_sell", "_receive", "_recall"} <= done, mix.done
    assert stock.reconcile() == []
    for line in OrderLine.objects.select_related("reservation"):
        held = ReservationLot.objects.filter(reservation_id=line.reservation_id).aggregate(n=Sum("quantity"))["n"]
        assert line.allocated_quantity == (held or 0), line
    assert Batch.objects.get(batch_number="MIXP0-R").status == "recalled"
    assert not ReservationLot.objects.filter(lot__batch__batch_number="MIXP0-R").exists()
    reserved = StockLot.objects.aggregate(n=Sum("reserved"))["n"]
    open_holds = Reservation.objects.filter(status="open").count()
    assert reserved == ReservationLot.objects.aggregate(n=Sum("quantity"))["n"] and open_holds > 0
