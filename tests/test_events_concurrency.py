"""Ordering and completeness of events under real concurrency (PostgreSQL, real threads)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection

from inventory import services
from inventory.models import Product
from partners.models import Supplier
from tests.test_events_feed import parse, read_stream
from webhooks.models import Event

MOVEMENTS = 200


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_200_concurrent_movements_give_200_ordered_events_the_feed_and_stream_replay(supplier_caller):
    supplier = Supplier.objects.get(code="SUP123")
    product = Product.objects.get(sku="HOTSAUCE789")
    start = Event.objects.order_by("-sequence").values_list("sequence", flat=True).first() or 0

    def reserve(i):
        try:
            services.movement_record(supplier=supplier, product=product, type="reservation", quantity=1, actor=None,
                                reference=f"conc-{i}")
        finally:
            connection.close()

    # Few threads, many movements: the shared PostgreSQL has a small connection budget.
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(reserve, range(MOVEMENTS)))

    events = list(Event.objects.filter(sequence__gt=start, type="inventory.updated").order_by("sequence"))
    assert len(events) == MOVEMENTS
    sequences = [e.sequence for e in events]
    assert len(set(sequences)) == MOVEMENTS and sequences == sorted(sequences)
    versions = [e.data["version"] for e in events]
    # The item lock is taken before the sequence lock and both are held to commit, so the
    # item's versions follow sequence (commit) order exactly.
    assert len(set(versions)) == MOVEMENTS and versions == sorted(versions)
    assert [e.data["reservedQuantity"] for e in events] == list(range(51, 51 + MOVEMENTS))

    # The changes feed from after=0, page by page, returns all of them in order.
    seen, after = [], 0
    while True:
        body = supplier_caller.get(f"/api/v1/events?after={after}&limit=37&types=inventory.updated").json()
        seen += [e["sequence"] for e in body["results"]]
        after = body["nextAfter"]
        if not body["hasMore"]:
            break
    assert [s for s in seen if s > start] == sequences

    # A stream client reconnecting with Last-Event-ID gets exactly what follows it.
    resume = sequences[149]
    _, frames = read_stream(supplier_caller.token, events=50, headers={"Last-Event-ID": str(resume)})
    got = [parse(f) for f in frames]
    assert [g["id"] for g in got] == sequences[150:]
    assert [g["data"]["data"]["version"] for g in got] == versions[150:]
