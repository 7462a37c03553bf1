"""Bench data (run by bench/bench.py in its own database): 50 stocked items, 10,000 feed events,
and the pgbench scripts that do a reservation's SQL without the application.

Prints one JSON line: what bench.py needs (first sequence of the bulk events, item paths).
"""

from __future__ import annotations

import json
import os
import sys
from datetime import timedelta
from pathlib import Path

import django

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hotsauce.settings")
django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

from inventory import services  # noqa: E402
from inventory.models import InventoryItem, Product, Reservation  # noqa: E402
from partners.models import Supplier  # noqa: E402

ITEMS = 50
EVENTS = 10_000
OUT = Path(os.environ.get("HOTSAUCE_VAR_DIR", "var/bench"))


def items_stock(supplier: Supplier) -> list[str]:
    skus = []
    expiry = timezone.now() + timedelta(days=400)
    for n in range(1, ITEMS + 1):
        sku = f"BENCH{n:03d}"
        product, _ = Product.objects.get_or_create(sku=sku, defaults={"name": f"Bench sauce {n}"})
        if not InventoryItem.objects.filter(supplier=supplier, product=product).exists():
            services.stock_receive(supplier=supplier, product=product, quantity=1_000_000, actor=None,
                                   batch_number=f"BENCH-{n:03d}", warehouse_code="Warehouse_A",
                                   expiration_date=expiry)
        skus.append(sku)
    return skus


def columns(table: str) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT column_name FROM information_schema.columns WHERE table_name = %s"
                       " AND column_name <> 'id' ORDER BY ordinal_position", [table])
        return [row[0] for row in cursor.fetchall()]


def copy_row(table: str, template: int, overrides: dict[str, str], returning: str = "") -> str:
    """INSERT copying a template row, with SQL expressions for the columns that must differ."""
    cols = columns(table)
    values = ", ".join(overrides.get(c, c) for c in cols)
    tail = f" RETURNING id \\gset {returning}" if returning else ";"
    return f"INSERT INTO {table} ({', '.join(cols)}) SELECT {values} FROM {table} WHERE id = {template}{tail}"


def floor_script(supplier: Supplier) -> str:
    """A reservation's writes in plain SQL, on the same tables and indexes (the database floor)."""
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_items")
        cursor.execute("CREATE TABLE bench_items AS SELECT row_number() OVER (ORDER BY i.id) AS n, i.id AS item,"
                       " (SELECT MIN(l.id) FROM inventory_stocklot l WHERE l.item_id = i.id) AS lot"
                       " FROM inventory_inventoryitem i JOIN inventory_product p ON p.id = i.product_id"
                       " WHERE p.sku LIKE 'BENCH%%' AND i.supplier_id = %s", [supplier.pk])
    template = Reservation.objects.filter(item__product__sku="BENCH001").order_by("-pk").first()
    from inventory.models import InventoryTransaction, ReservationLot
    from webhooks.models import Event, EventAudience

    row = InventoryTransaction.objects.filter(reservation=template).order_by("-pk").first()
    hold = ReservationLot.objects.filter(reservation=template).first()
    event = Event.objects.order_by("-sequence").filter(type="inventory.updated").first()
    audience = EventAudience.objects.filter(event=event).order_by("pk").first()
    sequenced = "horizon" in columns("webhooks_event")
    sequence = ("nextval('webhooks_event_sequence_seq')" if sequenced else
                "(SELECT value FROM webhooks_eventcounter WHERE id = 1)")
    lines = [
        "\\set n random(1, :items)",
        "BEGIN;",
        "SELECT item, lot FROM bench_items WHERE n = :n \\gset",
        "SELECT id FROM inventory_inventoryitem WHERE id = :item FOR UPDATE;",
        "SELECT id FROM inventory_stocklot WHERE item_id = :item FOR UPDATE;",
        copy_row("inventory_reservation", template.pk, {"item_id": ":item", "code": "NULL"}, "r_"),
        "UPDATE inventory_reservation SET code = 'RSV-B' || :r_id WHERE id = :r_id;",
        "UPDATE inventory_stocklot SET reserved = reserved + 1, updated_at = now() WHERE id = :lot;",
        copy_row("inventory_reservationlot", hold.pk, {"reservation_id": ":r_id", "lot_id": ":lot"}),
        "UPDATE inventory_reservation SET quantity = quantity + 1, updated_at = now() WHERE id = :r_id;",
        "UPDATE inventory_inventoryitem SET version = version + 1, last_updated = now() WHERE id = :item;",
        copy_row("inventory_inventorytransaction", row.pk, {
            "movement_id": "gen_random_uuid()", "item_id": ":item", "lot_id": ":lot", "reservation_id": ":r_id",
            "created_at": "now()"}),
    ]
    if not sequenced:
        lines.append("UPDATE webhooks_eventcounter SET value = value + 1 WHERE id = 1;")
    event_overrides = {"sequence": sequence, "event_id": "'evt_' || md5(random()::text)", "timestamp": "now()"}
    if sequenced:
        event_overrides["horizon"] = "pg_current_xact_id()::text::bigint + 1"
    lines += [
        copy_row("webhooks_event", event.pk, event_overrides, "e_"),
        copy_row("webhooks_eventaudience", audience.pk, {"event_id": ":e_id", "sequence": "NULL"}),
        "INSERT INTO api_idempotencyrecord (client_key, key, fingerprint, method, path, state, locked_until,"
        " status_code, response_body, response_headers, created_at, completed_at) VALUES ('bench',"
        " md5(random()::text), md5(random()::text), 'POST', '/api/v1/inventory/SUP123/BENCH', 'completed', now(),"
        " 201, repeat('x', 1500), '{}', now(), now());",
        "COMMIT;",
    ]
    return "\n".join(lines) + "\n"


def fast_script(supplier: Supplier) -> str:
    """The reservation fast path's two statements (issue 19, ``inventory.services.fast``) as the server
    sends them, with the event of a real reservation as data: its database-only ceiling."""
    from webhooks.models import Event

    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_skus")
        cursor.execute("CREATE TABLE bench_skus AS SELECT row_number() OVER (ORDER BY p.sku) AS n, p.sku"
                       " FROM inventory_product p WHERE p.sku LIKE 'BENCH%%'")
    event = Event.objects.filter(type="inventory.updated").order_by("-sequence").first()
    reserve = (
        "SELECT inventory_reserve_fast(jsonb_build_object('client_key', 'bench', 'key', :k::text, 'lock_class',"
        " 6906987, 'supplier_code', 'SUP123', 'supplier_only', NULL, 'sku', (SELECT sku FROM bench_skus WHERE n = :n),"
        " 'quantity', 1, 'now', now(), 'reason', '', 'reference', '', 'idempotency_key', :k::text, 'movement_id',"
        " gen_random_uuid(), 'actor_client_id', NULL, 'actor_user_id', NULL, 'actor_label', 'bench'));")
    finish = (
        "SELECT inventory_write_finish(jsonb_build_object("
        "'event', (SELECT jsonb_build_object('event_id', 'evt_' || :k, 'type', type, 'timestamp', now(), 'data', data)"
        f" FROM webhooks_event WHERE id = {event.pk}),"
        " 'audience', (SELECT jsonb_agg(jsonb_build_object('kind', partner_kind, 'id', partner_id, 'data', data))"
        f" FROM webhooks_eventaudience WHERE event_id = {event.pk}),"
        f" 'keys', 'supplier:{supplier.pk}', 'channel', 'hotsauce_events', 'payload_limit', 7000, 'now', now(),"
        " 'due', now(), 'enqueued_at', now(), 'record', jsonb_build_object('client_key', 'bench', 'key', :k::text,"
        " 'fingerprint', md5(:k::text), 'method', 'POST', 'path', '/api/v1/inventory/SUP123/BENCH', 'state',"
        " 'completed', 'locked_until', now(), 'status_code', 201, 'response_body', repeat('x', 1500),"
        " 'response_headers', '{}'::jsonb, 'created_at', now(), 'completed_at', now())));")
    return "\n".join(["\\set n random(1, :items)", "\\set k random(1, 1000000000000000)", "BEGIN;", reserve,
                      finish, "COMMIT;"]) + "\n"


def events_bulk(supplier: Supplier) -> int:
    """EVENTS copies of a real inventory.updated, each visible to the supplier; returns the sequence before."""
    from webhooks.models import Event

    event = Event.objects.filter(type="inventory.updated").order_by("-sequence").first()
    sequenced = "horizon" in columns("webhooks_event")
    with connection.cursor() as cursor:
        start = Event.objects.order_by("-sequence").values_list("sequence", flat=True).first() or 0
        if sequenced:
            cursor.execute("SELECT setval('webhooks_event_sequence_seq', %s)", [start])
            seq = "nextval('webhooks_event_sequence_seq')"
        else:
            cursor.execute("UPDATE webhooks_eventcounter SET value = %s WHERE id = 1", [start + EVENTS])
            seq = f"{start} + g"
        cursor.execute(
            f"INSERT INTO webhooks_event (sequence, event_id, type, timestamp, data{', horizon' if sequenced else ''})"
            f" SELECT {seq}, 'evt_' || md5(random()::text || g), type, now(), data"
            f"{', 0' if sequenced else ''} FROM webhooks_event, generate_series(1, %s) g WHERE id = %s ORDER BY g",
            [EVENTS, event.pk])
        cursor.execute(
            "INSERT INTO webhooks_eventaudience (event_id, partner_kind, partner_id, sequence, data)"
            " SELECT id, 'supplier', %s, sequence, NULL FROM webhooks_event WHERE sequence > %s"
            " ON CONFLICT DO NOTHING", [supplier.pk, start])
        cursor.execute("ANALYZE")
    return start


def main() -> None:
    call_command("migrate", interactive=False, verbosity=0)
    OUT.mkdir(parents=True, exist_ok=True)
    credentials = OUT / "credentials.json"
    if not Supplier.objects.filter(code="SUP123").exists() or not credentials.exists():
        call_command("seed_demo", credentials_out=str(credentials), stdout=open(os.devnull, "w"))
    supplier = Supplier.objects.get(code="SUP123")
    skus = items_stock(supplier)
    services.stock_reserve(supplier=supplier, product=Product.objects.get(sku="BENCH001"), quantity=1, actor=None,
                           reason="bench template", reference="bench")
    (OUT / "floor.sql").write_text(floor_script(supplier))
    (OUT / "fast.sql").write_text(fast_script(supplier))
    start = events_bulk(supplier)
    print(json.dumps({"skus": skus, "events_after": start, "events": EVENTS, "credentials": str(credentials)}))


if __name__ == "__main__":
    main()
