"""The fast path (issue 19): ``stock_reserve``, ``stock_release``, ``stock_sell`` and
``stock_receive`` (into an existing lot) in two statements on PostgreSQL.

The rules stay where they are read: ``stock_reserve`` (and the functions it calls) is the
reference. ``inventory/sql/reserve_fast.sql`` is the same reservation for the ordinary case —
idempotency key, supplier, product, item, locks in ``lock_stock`` order, FEFO plan with
``lot_quantities``' availability, reservation, holds, lots, item version, ledger rows — in one
function call; anything else (no such item, not enough units) it hands back before writing,
and the Python path answers. The event's views are built here by the very functions the
Python path uses (``item_updated_data``, ``item_view``, ``transaction_view``), from the
rows the function wrote, and ``inventory/sql/write_finish.sql`` writes the event, its
audiences and deliveries, the ``pg_notify`` and the request's idempotency record: the second
and last statement. ``tests/test_fast_path.py`` runs both paths on the same fixtures and
compares everything they write.

Release, sale and receipt follow the same pattern (``release_sell_fast.sql``,
``sell_reserved_fast_v1.sql`` for a sale naming a reservation, ``receive_fast_v1.sql``; see each
function's header for what falls back). The receipt function
also writes the FSMA 204 receiving record (``traceability.cte_receiving_record``); it falls back
for a new batch, a new lot, an unknown warehouse or batch, another supplier's or an expired batch.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import connection
from django.utils import timezone
from rest_framework.utils.encoders import JSONEncoder

from hotsauce import metrics
from hotsauce.api.camel import camelize
from inventory.models import Batch, InventoryItem, InventoryTransaction, Product, Reservation, StockLot, Warehouse
from inventory.services.events import item_updated_data
from inventory.services.movements import MovementResult
from inventory.services.work import _actor_label, arrival_on_commit
from partners.models import RetailPartner, Supplier
from partners.principal import Principal
from webhooks import streaming
from webhooks.delivery import deliveries_enqueue_on_commit, first_attempt
from webhooks.services import event_audience, event_id_new

T = InventoryTransaction.Type
EVENT_TYPE = "inventory.updated"


def enabled() -> bool:
    """PostgreSQL (the functions exist there only), unless ``INVENTORY_FAST_PATH`` turns it off."""
    return connection.vendor == "postgresql" and settings.INVENTORY_FAST_PATH


@dataclass
class FastMovement:
    """A movement a function wrote; its event is written by ``fast_finish``."""

    type: str
    result: MovementResult
    event: dict


#: movement type -> the function that runs it, each the ordinary case of one Python function:
#: ``stock_reserve``, ``stock_release``, ``stock_sell``, ``stock_receive`` (see their SQL files for what falls back).
FUNCTIONS = {T.RESERVATION: "inventory_reserve_fast", T.RELEASE: "inventory_release_fast",
             T.SALE: "inventory_sell_fast", T.RECEIPT: "inventory_receive_fast"}


def movement_fast(*, type: str, claim, supplier_code: str, supplier_only: int | None, sku: str, quantity: int,
                  actor: Principal, reason: str = "", reference: str = "", reservation_code: str | None = None,
                  idempotency_key: str = "", batch_number: str | None = None, warehouse_code: str | None = None):
    """The first statement. Returns the key's stored record (a dict of its columns), ``"busy"``,
    None (not handled: run the Python path) or a ``FastMovement``."""
    now = timezone.now()
    client, user = getattr(actor, "client", None), getattr(actor, "user", None)
    params = {
        "client_key": claim.client_key, "key": claim.key, "lock_class": claim.lock_class,
        "supplier_code": supplier_code, "supplier_only": supplier_only, "sku": sku, "quantity": quantity,
        "reservation_code": reservation_code, "batch_number": batch_number, "warehouse_code": warehouse_code,
        "now": now.isoformat(), "reason": reason, "reference": reference,
        "idempotency_key": idempotency_key, "movement_id": str(uuid.uuid4()),
        "actor_client_id": client.pk if client is not None else None,
        "actor_user_id": user.pk if user is not None else None, "actor_label": _actor_label(actor),
    }
    with connection.cursor() as cursor:
        function = "inventory_sell_reserved_fast" if type == T.SALE and reservation_code else FUNCTIONS[type]
        cursor.execute(f"SELECT {function}(%s::jsonb)", [json.dumps(params)])
        answer = cursor.fetchone()[0]
    if isinstance(answer, str):
        answer = json.loads(answer)
    outcome = answer["outcome"]
    if outcome == "record":
        return answer["record"]
    if outcome == "busy":
        return "busy"
    if outcome != "done":
        return None
    return _rebuilt(type, answer, params, now)


def _when(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _rebuilt(type: str, answer: dict, params: dict, now: datetime) -> FastMovement:
    """The objects the Python path would hold after its work, from what the function wrote."""
    supplier = Supplier(pk=answer["supplier_id"], code=answer["supplier_code"])
    product = Product(pk=answer["product_id"], sku=answer["product_sku"])
    item = InventoryItem(pk=answer["item_id"], supplier=supplier, product=product, version=answer["version"],
                         last_updated=now)
    lots, before = [], []
    for values in answer["lots"]:
        # The lot as it is now, and as it was (``StockWork.touch``); the movement changes neither
        # its warehouse nor its batch, which both snapshots share.
        warehouse = Warehouse(pk=values["warehouse_id"], code=values["warehouse_code"], supplier=supplier)
        batch = Batch(pk=values["batch_id"], batch_number=values["batch_number"], status=values["batch_status"],
                      expiration_date=_when(values["expiration_date"]), supplier_id=values["batch_supplier_id"],
                      product_id=values["batch_product_id"])
        lots.append(StockLot(pk=values["id"], item=item, warehouse=warehouse, batch=batch, on_hand=values["on_hand"],
                             reserved=values["reserved"], quarantined=values["quarantined"]))
        before.append(StockLot(pk=values["id"], item=item, warehouse=warehouse, batch=batch,
                               on_hand=values["on_hand"], reserved=values["reserved"],
                               quarantined=values["quarantined"]))
    by_id = {lot.pk: lot for lot in lots}
    held = answer.get("reservation")
    retail_partner = None
    if held and held.get("retail_partner_id"):
        retail_partner = RetailPartner(pk=held["retail_partner_id"], code=held["retail_partner_code"])
    reservation = Reservation(pk=held["id"], code=held["code"], item=item, retail_partner=retail_partner) \
        if held else None
    rows, allocations = [], []
    for values in answer["rows"]:
        lot = by_id[values["lot_id"]]
        lot.on_hand, lot.reserved = values["on_hand_after"], values["reserved_after"]
        rows.append(InventoryTransaction(
            pk=values["id"], movement_id=uuid.UUID(params["movement_id"]), item=item, lot=lot, type=values["type"],
            quantity=values["take"], on_hand_delta=values["on_hand_delta"], reserved_delta=values["reserved_delta"],
            quarantined_delta=0, on_hand_after=values["on_hand_after"], reserved_after=values["reserved_after"],
            item_version=item.version, supplier=supplier, product=product, warehouse=lot.warehouse, batch=lot.batch,
            retail_partner=retail_partner, reservation=reservation, reason=params["reason"][:500],
            reference=params["reference"][:200], idempotency_key=params["idempotency_key"][:255], created_at=now,
            supplier_code=supplier.code, product_sku=product.sku, warehouse_code=lot.warehouse.code,
            counterpart_warehouse_code="", batch_number=lot.batch.batch_number,
            expiration_date=lot.batch.expiration_date,
            retail_partner_code=retail_partner.code if retail_partner is not None else "",
            reservation_code=reservation.code if reservation is not None else "", actor_label=params["actor_label"]))
        allocations.append((lot, values["take"]))
    retailers = [RetailPartner(pk=r["id"], code=r["code"], minimum_shelf_life_days=r["minimum_shelf_life_days"])
                 for r in answer["retailers"]]
    data, per_retailer = item_updated_data(item=item, lots=lots, before=before, rows=rows, notes=[], now=now,
                                           retailers=retailers)
    result = MovementResult(item=item, lots=lots, transactions=rows, allocations=allocations, reservation=reservation)
    return FastMovement(type=type, result=result, event={
        "data": data, "supplier_ids": [supplier.pk], "retail_partner_ids": list(per_retailer),
        "audience_data": per_retailer})


def fast_finish(fast: FastMovement, record: dict | None) -> dict:
    """The second statement: the event as ``event_emit`` writes it, and the idempotency record."""
    now = timezone.now()
    audience = event_audience(supplier_ids=fast.event["supplier_ids"],
                              retail_partner_ids=fast.event["retail_partner_ids"],
                              audience_data=fast.event["audience_data"])
    delay, due, enqueued_at = first_attempt(now)
    params = {
        "event": {"event_id": event_id_new(), "type": EVENT_TYPE, "timestamp": now,
                  "data": camelize(fast.event["data"])},
        "audience": [{"kind": kind, "id": pk, "data": seen} for kind, pk, seen in audience],
        "keys": ",".join(streaming.notify_keys((kind, pk) for kind, pk, _ in audience)),
        "channel": streaming.CHANNEL, "payload_limit": streaming.PAYLOAD_LIMIT,
        "now": now, "due": due, "enqueued_at": enqueued_at, "record": record,
    }
    with connection.cursor() as cursor:
        cursor.execute("SELECT inventory_write_finish(%s::jsonb)", [json.dumps(params, cls=JSONEncoder)])
        written = cursor.fetchone()[0]
    if isinstance(written, str):
        written = json.loads(written)
    deliveries_enqueue_on_commit(written["deliveries"], delay)
    metrics.movements_recorded([fast.type])
    if any(row.on_hand_delta > 0 or row.reserved_delta < 0 for row in fast.result.transactions):
        arrival_on_commit(fast.result.item.pk)  # units may have become free (StockWork.flush)
    return written
