"""Seeds an older commit's database for ``bench/bench.py --code`` (issue 19's "before" run).

Run with that commit's worktree as the current directory: it imports *that* code (its models,
``seed_demo`` and ``stock_move``), not this tree's. Migrates; loads the sandbox; stocks 50
``BENCH…`` items for SUP123 through the old ``inventory.services.stock_move`` (receipts); then
writes 10,000 copies of the newest ``inventory.updated`` event for SUP123 through the old models
(``Event``, ``EventAudience`` with its sequence, the ``EventCounter`` row advanced past them).
Written for round 1 (``ca1f5e8``); a commit with other models needs its own seeding.

Prints one JSON line, as ``bench/prepare.py`` does: skus, events_after, events, credentials.
"""

from __future__ import annotations

import json
import os
import sys
import uuid
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, os.getcwd())  # the old tree, ahead of anything else on the path
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hotsauce.settings")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from inventory import services  # noqa: E402
from inventory.models import InventoryItem, Product  # noqa: E402
from partners.models import Supplier  # noqa: E402
from webhooks.models import Event, EventAudience, EventCounter  # noqa: E402

ITEMS = 50
EVENTS = 10_000


def items_stock(supplier: Supplier) -> list[str]:
    skus = []
    expiry = timezone.now() + timedelta(days=400)
    for n in range(1, ITEMS + 1):
        sku = f"BENCH{n:03d}"
        product, _ = Product.objects.get_or_create(sku=sku, defaults={"name": f"Bench sauce {n}"})
        if not InventoryItem.objects.filter(supplier=supplier, product=product).exists():
            services.stock_move(supplier=supplier, product=product, type="receipt", quantity=1_000_000, actor=None,
                                warehouse_code="Warehouse_A", batch_number=f"BENCH-{n:03d}", expiration_date=expiry,
                                reason="bench stock")
        skus.append(sku)
    return skus


@transaction.atomic
def events_bulk(supplier: Supplier) -> int:
    """EVENTS copies of a real inventory.updated, each visible to the supplier; returns the sequence before."""
    counter = EventCounter.objects.select_for_update().get(pk=1)
    start = counter.value
    template = Event.objects.filter(type="inventory.updated").order_by("-sequence").first()
    now = timezone.now()
    events = Event.objects.bulk_create(
        [Event(sequence=start + g, event_id=f"evt_{uuid.uuid4().hex}", type=template.type, timestamp=now,
               data=template.data) for g in range(1, EVENTS + 1)], batch_size=1000)
    EventAudience.objects.bulk_create(
        [EventAudience(event=event, partner_kind="supplier", partner_id=supplier.pk, sequence=event.sequence)
         for event in events], batch_size=1000)
    counter.value = start + EVENTS
    counter.save(update_fields=["value"])
    return start


def main() -> None:
    call_command("migrate", interactive=False, verbosity=0)
    out = Path(os.environ["HOTSAUCE_VAR_DIR"])
    out.mkdir(parents=True, exist_ok=True)
    credentials = out / "credentials.json"
    call_command("seed_demo", credentials_out=str(credentials), stdout=open(os.devnull, "w"))
    supplier = Supplier.objects.get(code="SUP123")
    skus = items_stock(supplier)
    start = events_bulk(supplier)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(json.dumps({"skus": skus, "events_after": start, "events": EVENTS, "credentials": str(credentials)}))


if __name__ == "__main__":
    main()
