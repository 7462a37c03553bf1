"""The one write path of stock: every quantity change of a transaction goes through a ``StockWork``.

A service opens ``stock_work(actor=...)``; nested services join the outermost one. Each
movement (``work.movement(...)``) changes lots with ``F()`` under the locks of
``inventory.locks`` and keeps the holds of reservations in step with ``reserved`` (a lot's
reserved units are always the sum of its open holds: a reserved change without its owner
raises). When the outermost block ends, the work writes the ledger rows, bumps each touched
item's version once, and emits one ``inventory.updated`` per item showing the state the
transaction commits as a whole — so no event ever shows a half-done change (a recalled lot
is already held in the first event that mentions it). On commit, items where units may have
become free are handed to the stock-arrival hook (the orders app serves backorders with it).
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from hotsauce import metrics
from inventory.locks import LockedStock, lock_stock
from inventory.models import (
    InventoryItem,
    InventoryTransaction,
    Reservation,
    ReservationLot,
    StockLot,
    Warehouse,
)
from inventory.services.events import ItemChange, items_updated_emit
from partners.models import RetailPartner
from partners.principal import Principal

_current: ContextVar[StockWork | None] = ContextVar("stock_work", default=None)

# The single trigger for "units may have become free on this item" (receipts, returns,
# releases, positive counts and adjustments, cancellations): called on commit with the item id.
_arrival_hook: Callable[[int], None] | None = None


def stock_arrival_hook_set(hook: Callable[[int], None]) -> None:
    """The orders app sets its backorder allocation here once (``OrdersConfig.ready``)."""
    global _arrival_hook
    _arrival_hook = hook


def arrival_on_commit(item_id: int) -> None:
    """Units may have become free on this item: the stock-arrival hook runs once the transaction commits."""
    if _arrival_hook is not None:
        transaction.on_commit(partial(_arrival_hook, item_id))


@contextmanager
def stock_work(*, actor: Principal | None = None) -> Iterator[StockWork]:
    """The unit of work of one transaction that changes stock; nested calls join the outermost."""
    current = _current.get()
    if current is not None:
        yield current
        return
    work = StockWork(actor=actor)
    token = _current.set(work)
    try:
        with transaction.atomic():
            yield work
            work.flush()
    finally:
        _current.reset(token)


@dataclass
class _Touched:
    item: InventoryItem
    lots: list[StockLot]
    before: list[StockLot]
    movements: list[Movement] = field(default_factory=list)
    notes: list[dict] = field(default_factory=list)


class StockWork:
    def __init__(self, *, actor: Principal | None):
        self.actor = actor
        self.now = timezone.now()
        self.rows: list[InventoryTransaction] = []
        self._touched: dict[int, _Touched] = {}
        self._locked = LockedStock(items={}, lots={})

    def lock(self, item_ids: Iterable[int]) -> LockedStock:
        """Lock items and their lots once per work: every service of the transaction sees the same
        objects, so what one changes (a batch put on hold) the others and the final event see.

        Lock everything a transaction needs in one call where possible: items locked by a later
        call come after the earlier ones, whatever their primary keys (``inventory.locks``).
        """
        missing = set(item_ids) - set(self._locked.items)
        if missing:
            fresh = lock_stock(missing)
            self._locked.items.update(fresh.items)
            self._locked.lots.update(fresh.lots)
        return self._locked

    def touch(self, item: InventoryItem, lots: list[StockLot]) -> _Touched:
        """Register an item whose lots this work may change; remembers how it looked before."""
        touched = self._touched.get(item.pk)
        if touched is None:
            before = []
            for lot in lots:
                snapshot = copy.copy(lot)
                snapshot.batch = copy.copy(lot.batch)
                before.append(snapshot)
            touched = self._touched[item.pk] = _Touched(item=item, lots=lots, before=before)
        return touched

    def movement(self, *, item: InventoryItem, lots: list[StockLot], type: str, reason: str = "",
                 reference: str = "", retail_partner: RetailPartner | None = None,
                 idempotency_key: str = "") -> Movement:
        movement = Movement(work=self, item=item, type=type, reason=reason, reference=reference,
                            retail_partner=retail_partner, idempotency_key=idempotency_key)
        self.touch(item, lots).movements.append(movement)
        return movement

    def note(self, item: InventoryItem, lots: list[StockLot], change: dict) -> None:
        """A change of an item's state that moves no units (a batch put on hold): it gets an event too."""
        self.touch(item, lots).notes.append(change)

    def flush(self) -> None:
        if not self._touched:
            return
        items = [t for _, t in sorted(self._touched.items()) if any(m.rows for m in t.movements) or t.notes]
        # One change of each item per transaction: its version moves once (one statement for all).
        InventoryItem.objects.filter(pk__in=[touched.item.pk for touched in items]).update(
            version=F("version") + 1, last_updated=self.now)
        for touched in items:
            touched.item.version += 1
            touched.item.last_updated = self.now
            for movement in touched.movements:
                for row in movement.rows:
                    row.item_version = touched.item.version
        InventoryTransaction.objects.bulk_create(self.rows)
        metrics.movements_recorded([m.type for t in items for m in t.movements if m.rows])
        items_updated_emit([ItemChange(item=touched.item, lots=touched.lots, before=touched.before,
                                       rows=[row for m in touched.movements for row in m.rows], notes=touched.notes)
                            for touched in items], now=self.now)
        for touched in items:
            if any(row.on_hand_delta > 0 or row.reserved_delta < 0 for m in touched.movements for row in m.rows):
                arrival_on_commit(touched.item.pk)
        self._touched = {}
        self.rows = []


class Movement:
    """One movement of one item (one ``movementId`` in the ledger)."""

    def __init__(self, *, work: StockWork, item: InventoryItem, type: str, reason: str, reference: str,
                 retail_partner: RetailPartner | None, idempotency_key: str):
        self.work = work
        self.item = item
        self.type = type
        self.reason = reason[:500]
        self.reference = reference[:200]
        self.retail_partner = retail_partner
        self.idempotency_key = idempotency_key[:255]
        self.id = uuid.uuid4()
        self.rows: list[InventoryTransaction] = []

    @property
    def now(self) -> datetime:
        return self.work.now

    def change(self, lot: StockLot, *, quantity: int, on_hand: int = 0, reserved: int = 0, quarantined: int = 0,
               reservation: Reservation | None = None, type: str | None = None,
               counterpart: Warehouse | None = None, reason: str | None = None) -> InventoryTransaction | None:
        """Apply deltas to a locked lot and ledger them; a reserved delta moves its owner's hold too."""
        if reserved and reservation is None:
            raise ValueError("every reserved unit has an owner: pass the reservation whose hold changes")
        if on_hand or reserved or quarantined:
            # We hold the lot's row lock, so the in-memory values are current; the F() write
            # keeps the database the authority, and the CheckConstraints catch any slip.
            StockLot.objects.filter(pk=lot.pk).update(
                on_hand=F("on_hand") + on_hand, reserved=F("reserved") + reserved,
                quarantined=F("quarantined") + quarantined, updated_at=self.now)
            lot.on_hand += on_hand
            lot.reserved += reserved
            lot.quarantined += quarantined
            if reserved:
                _hold_change(reservation, lot, reserved)
        elif not quantity:
            return None
        return self.record(lot, quantity=quantity, on_hand=on_hand, reserved=reserved, quarantined=quarantined,
                           reservation=reservation, type=type, counterpart=counterpart, reason=reason)

    def record(self, lot: StockLot, *, quantity: int, on_hand: int = 0, reserved: int = 0, quarantined: int = 0,
               reservation: Reservation | None = None, type: str | None = None,
               counterpart: Warehouse | None = None, reason: str | None = None) -> InventoryTransaction:
        """Ledger a change already applied to ``lot`` (by ``change``, or in bulk by ``holds_place``)."""
        row = InventoryTransaction(
            movement_id=self.id, item=self.item, lot=lot, type=type or self.type, quantity=quantity,
            on_hand_delta=on_hand, reserved_delta=reserved, quarantined_delta=quarantined,
            on_hand_after=lot.on_hand, reserved_after=lot.reserved, item_version=self.item.version,
            supplier=self.item.supplier, product=self.item.product, warehouse=lot.warehouse,
            batch=lot.batch, counterpart_warehouse=counterpart, retail_partner=self.retail_partner,
            reservation=reservation,
            actor_client=getattr(self.work.actor, "client", None), actor_user=getattr(self.work.actor, "user", None),
            reason=(self.reason if reason is None else reason)[:500], reference=self.reference,
            idempotency_key=self.idempotency_key, created_at=self.now,
            **ledger_codes(self.item, lot, counterpart, self.retail_partner, reservation, self.work.actor))
        self.rows.append(row)
        self.work.rows.append(row)
        return row


def ledger_codes(item: InventoryItem, lot: StockLot, counterpart: Warehouse | None,
                 retail_partner: RetailPartner | None, reservation: Reservation | None, actor) -> dict:
    """The ledger row's copies of what the list shows (docs/stock.md, "Ledger rows"): filled here, where
    every row is made, and by any other writer of ledger rows with the same values."""
    return {
        "supplier_code": item.supplier.code, "product_sku": item.product.sku, "warehouse_code": lot.warehouse.code,
        "counterpart_warehouse_code": counterpart.code if counterpart is not None else "",
        "batch_number": lot.batch.batch_number, "expiration_date": lot.batch.expiration_date,
        "retail_partner_code": retail_partner.code if retail_partner is not None else "",
        "reservation_code": (reservation.code or "") if reservation is not None else "",
        "actor_label": _actor_label(actor),
    }


def _actor_label(actor) -> str:
    """The client's ``display_name`` (its name, else kind and partner), ``staff:<username>``, or ``''``;
    worked out once per caller (the partner's code may take a query)."""
    cache = getattr(actor, "_cache", None)
    if cache is not None and "ledger_label" in cache:
        return cache["ledger_label"]
    client, user = getattr(actor, "client", None), getattr(actor, "user", None)
    if client is not None:
        label = client.display_name
    else:
        label = f"staff:{user.get_username()}" if user is not None else ""
    if cache is not None:
        cache["ledger_label"] = label[:300]
    return label[:300]


def holds_place(placements: list[tuple[Movement, Reservation, StockLot, int]]) -> None:
    """Reserve units of locked lots for reservations just opened (they hold nothing yet), many at once.

    What ``movement.change(lot, quantity=n, reserved=n, reservation=r)`` does for each placement, in one
    UPDATE of the lots and one INSERT of the holds whatever their number (an order of many lines).
    """
    deltas: dict[int, int] = {}
    holds = []
    for movement, reservation, lot, take in placements:
        own = reservation.__dict__.setdefault("_holds", {})
        if lot.pk in own:
            raise ValueError(f"{reservation} already holds units of lot {lot.pk}: use Movement.change")
        lot.reserved += take
        deltas[lot.pk] = deltas.get(lot.pk, 0) + take
        own[lot.pk] = ReservationLot(reservation=reservation, lot=lot, quantity=take)
        holds.append(own[lot.pk])
        movement.record(lot, quantity=take, reserved=take, reservation=reservation)
    if not deltas:
        return
    _lots_reserved_shift(deltas, placements[0][0].now)
    ReservationLot.objects.bulk_create(holds)


def holds_release_all(placements: list[tuple[Movement, Reservation, StockLot]]) -> None:
    """Give back the whole hold of each (reservation, lot), many at once: what
    ``movement.change(lot, quantity=n, reserved=-n, reservation=r)`` does for a hold of n units, in one
    UPDATE of the lots and one DELETE of the holds (an order of many lines cancelled)."""
    deltas: dict[int, int] = {}
    gone = []
    for movement, reservation, lot in placements:
        hold = _holds(reservation).pop(lot.pk)
        lot.reserved -= hold.quantity
        deltas[lot.pk] = deltas.get(lot.pk, 0) - hold.quantity
        gone.append(hold.pk)
        movement.record(lot, quantity=hold.quantity, reserved=-hold.quantity, reservation=reservation)
    if not deltas:
        return
    _lots_reserved_shift(deltas, placements[0][0].now)
    ReservationLot.objects.filter(pk__in=gone).delete()


def _lots_reserved_shift(deltas: dict[int, int], now) -> None:
    """Add each delta to its lot's reserved units, all lots in one UPDATE. F(): the database stays the
    authority under the lots' row locks, as in ``Movement.change``."""
    StockLot.objects.bulk_update([StockLot(pk=lot_id, reserved=F("reserved") + delta, updated_at=now)
                                  for lot_id, delta in sorted(deltas.items())], ["reserved", "updated_at"])


def holds_load(reservations: Iterable[Reservation]) -> None:
    """Read the holds of many reservations in one query (``holds_of`` then needs none)."""
    todo = {r.pk: r for r in reservations if "_holds" not in r.__dict__}
    for reservation in todo.values():
        reservation.__dict__["_holds"] = {}
    for hold in ReservationLot.objects.filter(reservation_id__in=sorted(todo)):
        todo[hold.reservation_id].__dict__["_holds"][hold.lot_id] = hold


def _hold_change(reservation: Reservation, lot: StockLot, delta: int) -> None:
    """Keep ``lot.reserved == Σ open holds``: the hold moves with every reserved delta."""
    holds = _holds(reservation)
    hold = holds.get(lot.pk)
    current = hold.quantity if hold else 0
    if current + delta < 0:
        raise ValueError(f"{reservation} holds {current} units of lot {lot.pk}; cannot change by {delta}")
    if hold is None:
        holds[lot.pk] = ReservationLot.objects.create(reservation=reservation, lot=lot, quantity=delta)
    elif current + delta == 0:
        ReservationLot.objects.filter(pk=hold.pk).delete()
        del holds[lot.pk]
    else:
        ReservationLot.objects.filter(pk=hold.pk).update(quantity=current + delta)
        hold.quantity = current + delta


def _holds(reservation: Reservation) -> dict[int, ReservationLot]:
    holds = reservation.__dict__.get("_holds")
    if holds is None:
        holds = {hold.lot_id: hold for hold in ReservationLot.objects.filter(reservation=reservation)}
        reservation.__dict__["_holds"] = holds
    return holds


def holds_of(reservation: Reservation) -> dict[int, int]:
    """lot id -> units this reservation holds there (read under the item's lock)."""
    return {lot_id: hold.quantity for lot_id, hold in _holds(reservation).items()}
