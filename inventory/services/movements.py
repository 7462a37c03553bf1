"""Stock movements (API-CONTRACT.md 4.1), one public function each, all with the same skeleton:

validate (before any lock) → lock the item and its lots → plan which lots give or take →
change them through the movement (``F()`` writes, ledger rows, holds) → finish (the work
writes the ledger, bumps the version and emits ``inventory.updated`` once, at the end).

``MOVEMENTS`` maps each movement ``type`` to its function and the fields it takes; the API
and the admin dispatch through it. Orders, shipments, returns and recalls use the
reservation functions (``inventory.services.reservations``) inside their own work.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import partial

from django.db import IntegrityError, transaction
from django.utils import timezone

from hotsauce.errors import InsufficientStock, InvalidState, PreconditionFailed, ValidationFailed, VersionConflict
from inventory.models import Batch, InventoryItem, InventoryTransaction, Product, Reservation, StockLot
from inventory.selectors import lot_quantities, shelf_life_cutoff
from inventory.services.lots import (
    batch_resolve,
    insufficient,
    item_locked,
    lot_ensure,
    lot_find,
    lots_select,
    trading_check,
    warehouse_resolve,
)
from inventory.services.reservations import (
    reservation_consume,
    reservation_get_locked,
    reservation_hold,
    reservation_open,
    reservation_release,
)
from inventory.services.work import Movement, holds_of, stock_work
from inventory.traceability import services as traceability
from partners.models import RetailPartner, Supplier
from partners.principal import Principal

T = InventoryTransaction.Type


@dataclass
class MovementResult:
    item: InventoryItem
    lots: list[StockLot]
    transactions: list[InventoryTransaction] = field(default_factory=list)
    allocations: list[tuple[StockLot, int]] = field(default_factory=list)
    reservation: Reservation | None = None


def _result(movement: Movement, lots: list[StockLot], allocations=(), reservation=None) -> MovementResult:
    return MovementResult(item=movement.item, lots=lots, transactions=movement.rows, allocations=list(allocations),
                          reservation=reservation)


def _positive(quantity: int) -> None:
    if quantity <= 0:
        raise ValidationFailed.for_field("quantity", "Must be a positive whole number.")


# --- units arrive ---------------------------------------------------------------------


def _batch_for_receipt(*, supplier: Supplier, product: Product, batch_number: str | None,
                       expiration_date: datetime | None, production_date: date | None) -> Batch:
    """The batch a receipt names, created when new; expired goods are never received."""
    if not batch_number:
        raise ValidationFailed.for_field("batchNumber", "A receipt names the batch it receives.")
    now = timezone.now()
    batch = Batch.objects.filter(product=product, batch_number=batch_number).first()
    if batch is None:
        if expiration_date is None:
            raise ValidationFailed.for_field("expirationDate", "Required when receiving a new batch.")
        if expiration_date <= now:
            raise ValidationFailed.for_field("expirationDate", "Expired goods are not received into stock.")
        try:
            with transaction.atomic():
                batch = Batch.objects.create(product=product, supplier=supplier, batch_number=batch_number,
                                             expiration_date=expiration_date, production_date=production_date)
        except IntegrityError:  # created concurrently
            batch = Batch.objects.get(product=product, batch_number=batch_number)
    if batch.supplier_id != supplier.pk:
        raise ValidationFailed.for_field("batchNumber", f"Batch {batch_number} belongs to another supplier.")
    if expiration_date is not None and expiration_date != batch.expiration_date:
        raise InvalidState.for_field(  # the batch's expiry is fixed when it is first received
            "expirationDate", f"Batch {batch_number} expires {batch.expiration_date:%Y-%m-%dT%H:%M:%SZ}.")
    if batch.expiration_date <= now:
        raise ValidationFailed.for_field("expirationDate", "Expired goods are not received into stock.")
    return batch


def stock_receive(*, supplier: Supplier, product: Product, quantity: int, actor: Principal | None,
                  batch_number: str | None = None, warehouse_code: str | None = None,
                  expiration_date: datetime | None = None, production_date: date | None = None, reason: str = "",
                  reference: str = "", idempotency_key: str = "",
                  trace: traceability.ReceivingContext | None = None) -> MovementResult:
    """Inbound goods: the lot (and the batch, when new) is created on the way.

    ``trace``: what the receiver knows of the lot's origin (a purchase order receipt passes its
    vendor and documents) for the FSMA 204 receiving record.
    """
    _positive(quantity)
    warehouse = warehouse_resolve(supplier, warehouse_code)
    batch = _batch_for_receipt(supplier=supplier, product=product, batch_number=batch_number,
                               expiration_date=expiration_date, production_date=production_date)
    with stock_work(actor=actor) as work:
        item, lots = item_locked(work, supplier=supplier, product=product, create=True)
        movement = work.movement(item=item, lots=lots, type=T.RECEIPT, reason=reason, reference=reference,
                                 idempotency_key=idempotency_key)
        lot = lot_ensure(item=item, lots=lots, warehouse=warehouse, batch=batch)
        movement.change(lot, quantity=quantity, on_hand=quantity)
        # Supply-side hook (issue 18): every receipt is an FSMA 204 receiving event, recorded as it happens.
        traceability.cte_receiving_record(supplier=supplier, warehouse=warehouse, batch=batch, product=product,
                                          quantity=quantity, occurred_at=work.now, movement_id=movement.id,
                                          reference=reference, context=trace)
    return _result(movement, lots, [(lot, quantity)])


def stock_return(*, supplier: Supplier, product: Product, quantity: int, actor: Principal | None,
                 batch_number: str | None = None, warehouse_code: str | None = None,
                 retail_partner: RetailPartner | None = None, reason: str = "", reference: str = "",
                 idempotency_key: str = "") -> MovementResult:
    """Units of a known batch coming back on hand (returns outside the returns workflow)."""
    _positive(quantity)
    trading_check(supplier, retail_partner)
    warehouse = warehouse_resolve(supplier, warehouse_code)
    batch = batch_resolve(supplier, product, batch_number)
    with stock_work(actor=actor) as work:
        item, lots = item_locked(work, supplier=supplier, product=product, create=True)
        movement = work.movement(item=item, lots=lots, type=T.RETURN, reason=reason, reference=reference,
                                 retail_partner=retail_partner, idempotency_key=idempotency_key)
        lot = lot_ensure(item=item, lots=lots, warehouse=warehouse, batch=batch)
        movement.change(lot, quantity=quantity, on_hand=quantity)
    return _result(movement, lots, [(lot, quantity)])


# --- holds ----------------------------------------------------------------------------


def stock_reserve(*, supplier: Supplier, product: Product, quantity: int, actor: Principal | None,
                  warehouse_code: str | None = None, batch_number: str | None = None,
                  retail_partner: RetailPartner | None = None, expires_at: datetime | None = None,
                  reason: str = "", reference: str = "", idempotency_key: str = "") -> MovementResult:
    """A standalone hold (``RSV-…``): all of ``quantity`` or nothing, FEFO, the retailer's shelf life kept."""
    _positive(quantity)
    trading_check(supplier, retail_partner)
    if expires_at is not None and expires_at <= timezone.now():
        raise ValidationFailed.for_field("expiresAt", "Must be in the future.")
    warehouse = warehouse_resolve(supplier, warehouse_code, required=False)
    batch = batch_resolve(supplier, product, batch_number, required=False)
    with stock_work(actor=actor) as work:
        item, lots = item_locked(work, supplier=supplier, product=product)
        movement = work.movement(item=item, lots=lots, type=T.RESERVATION, reason=reason, reference=reference,
                                 retail_partner=retail_partner, idempotency_key=idempotency_key)
        reservation = reservation_open(item=item, actor=actor, retail_partner=retail_partner, expires_at=expires_at,
                                       reason=reason, reference=reference)
        min_expiry = shelf_life_cutoff(retail_partner.minimum_shelf_life_days, work.now) if retail_partner else None
        plan = reservation_hold(movement=movement, reservation=reservation, quantity=quantity, partial=False,
                                candidates=lots_select(lots, warehouse, batch), min_expiry=min_expiry)
    return _result(movement, lots, plan, reservation)


def _standalone(item: InventoryItem, code: str | None, *, required: bool) -> Reservation | None:
    if not code:
        if required:
            raise ValidationFailed.for_field("reservationId", "Name the reservation to release from.")
        return None
    reservation = reservation_get_locked(item=item, code=code)
    if reservation.order_ref:
        raise InvalidState(f"{code} is the allocation of order {reservation.order_ref}: cancel the order or ship "
                           "it instead.", errors=[{"field": "reservationId", "message": "Held by an order."}])
    if reservation.status != Reservation.Status.OPEN:
        raise InvalidState(f"{code} is {reservation.status}.",
                           errors=[{"field": "reservationId", "message": f"Reservation is {reservation.status}."}])
    return reservation


def stock_release(*, supplier: Supplier, product: Product, quantity: int, actor: Principal | None,
                  reservation_code: str | None = None, warehouse_code: str | None = None,
                  batch_number: str | None = None, reason: str = "", reference: str = "",
                  idempotency_key: str = "") -> MovementResult:
    """Give units of a standalone hold back to stock. An order's allocation is never released here."""
    _positive(quantity)
    if not reservation_code:
        raise ValidationFailed.for_field("reservationId", "Name the reservation to release from.")
    warehouse = warehouse_resolve(supplier, warehouse_code, required=False)
    batch = batch_resolve(supplier, product, batch_number, required=False)
    with stock_work(actor=actor) as work:
        item, lots = item_locked(work, supplier=supplier, product=product)
        reservation = _standalone(item, reservation_code, required=True)
        movement = work.movement(item=item, lots=lots, type=T.RELEASE, reason=reason, reference=reference,
                                 retail_partner=reservation.retail_partner, idempotency_key=idempotency_key)
        only = lots_select(lots, warehouse, batch) if warehouse or batch else None
        plan = reservation_release(movement=movement, reservation=reservation, lots=lots, quantity=quantity,
                                   only=only)
    return _result(movement, lots, plan, reservation)


# --- units leave ----------------------------------------------------------------------


def _take_unreserved(movement: Movement, candidates: list[StockLot], quantity: int, *,
                     sellable_only: bool) -> list[tuple[StockLot, int, int]]:
    """Plan (lot, units, of which held) taking unreserved units; a lot's held units go last."""
    plan, remaining = [], quantity
    for lot in candidates:
        free = lot_quantities(lot, movement.now)[0] if sellable_only else lot.on_hand - lot.reserved
        take = min(free, remaining)
        if take > 0:
            held = 0 if sellable_only else max(0, take - (lot.on_hand - lot.reserved - lot.quarantined))
            plan.append((lot, take, held))
            remaining -= take
        if remaining == 0:
            break
    if remaining:
        raise insufficient(movement.item, quantity, quantity - remaining,
                           "available" if sellable_only else "unreserved")
    return plan


def stock_sell(*, supplier: Supplier, product: Product, quantity: int, actor: Principal | None,
               reservation_code: str | None = None, warehouse_code: str | None = None,
               batch_number: str | None = None, retail_partner: RetailPartner | None = None, reason: str = "",
               reference: str = "", idempotency_key: str = "") -> MovementResult:
    """Units sold: held units of a named standalone reservation, otherwise available (unreserved) units."""
    _positive(quantity)
    trading_check(supplier, retail_partner)
    warehouse = warehouse_resolve(supplier, warehouse_code, required=False)
    batch = batch_resolve(supplier, product, batch_number, required=False)
    with stock_work(actor=actor) as work:
        item, lots = item_locked(work, supplier=supplier, product=product)
        reservation = _standalone(item, reservation_code, required=False)
        movement = work.movement(item=item, lots=lots, type=T.SALE, reason=reason, reference=reference,
                                 retail_partner=retail_partner or (reservation.retail_partner if reservation else None),
                                 idempotency_key=idempotency_key)
        candidates = lots_select(lots, warehouse, batch)
        if reservation is not None:
            plan = _plan_from_holds(reservation, candidates, quantity)
            reservation_consume(movement=movement, reservation=reservation, lots=lots, type=T.SALE,
                                per_lot={lot.pk: take for lot, take in plan})
            return _result(movement, lots, plan, reservation)
        plan = _take_unreserved(movement, candidates, quantity, sellable_only=True)
        for lot, take, _ in plan:
            movement.change(lot, quantity=take, on_hand=-take)
    return _result(movement, lots, [(lot, take) for lot, take, _ in plan])


def _plan_from_holds(reservation: Reservation, candidates: list[StockLot], quantity: int) -> list[tuple[StockLot, int]]:
    held = holds_of(reservation)
    plan, remaining = [], quantity
    for lot in candidates:
        take = min(held.get(lot.pk, 0), remaining)
        if take:
            plan.append((lot, take))
            remaining -= take
    if remaining:
        raise insufficient(candidates[0].item if candidates else reservation.item, quantity, quantity - remaining,
                           f"held by {reservation.code}")
    return plan


def stock_remove(*, supplier: Supplier, product: Product, type: str, quantity: int, actor: Principal | None,
                 warehouse_code: str | None = None, batch_number: str | None = None, reason: str = "",
                 reference: str = "", idempotency_key: str = "") -> MovementResult:
    """Damage or write-off: unreserved units leave, sellable or not (a lot's held units last)."""
    if type not in (T.DAMAGE, T.WRITE_OFF):
        raise ValidationFailed.for_field("type", "Must be damage or writeOff.")
    _positive(quantity)
    warehouse = warehouse_resolve(supplier, warehouse_code, required=False)
    batch = batch_resolve(supplier, product, batch_number, required=False)
    with stock_work(actor=actor) as work:
        item, lots = item_locked(work, supplier=supplier, product=product)
        movement = work.movement(item=item, lots=lots, type=type, reason=reason, reference=reference,
                                 idempotency_key=idempotency_key)
        plan = _take_unreserved(movement, lots_select(lots, warehouse, batch), quantity, sellable_only=False)
        for lot, take, held in plan:
            movement.change(lot, quantity=take, on_hand=-take, quarantined=-held)
    return _result(movement, lots, [(lot, take) for lot, take, _ in plan])


# --- corrections ----------------------------------------------------------------------


def stock_adjust(*, supplier: Supplier, product: Product, quantity: int, actor: Principal | None,
                 warehouse_code: str | None = None, batch_number: str | None = None, reason: str = "",
                 reference: str = "", idempotency_key: str = "") -> MovementResult:
    """A signed correction of one lot; never below its reserved and held units."""
    if quantity == 0:
        raise ValidationFailed.for_field("quantity", "An adjustment must not be zero.")
    warehouse = warehouse_resolve(supplier, warehouse_code)
    batch = batch_resolve(supplier, product, batch_number)
    with stock_work(actor=actor) as work:
        item, lots = item_locked(work, supplier=supplier, product=product, create=quantity > 0)
        movement = work.movement(item=item, lots=lots, type=T.ADJUSTMENT, reason=reason, reference=reference,
                                 idempotency_key=idempotency_key)
        lot = lot_ensure(item=item, lots=lots, warehouse=warehouse, batch=batch) if quantity > 0 \
            else lot_find(lots, warehouse, batch)
        if quantity < 0:
            free = (lot.on_hand - lot.reserved - lot.quarantined) if lot else 0
            if lot is None or free < -quantity:
                raise insufficient(item, -quantity, max(free, 0), "unreserved in that lot")
        movement.change(lot, quantity=quantity, on_hand=quantity)
    return _result(movement, lots, [(lot, quantity)])


def stock_transfer(*, supplier: Supplier, product: Product, quantity: int, actor: Principal | None,
                   to_warehouse_code: str | None = None, warehouse_code: str | None = None,
                   batch_number: str | None = None, reason: str = "", reference: str = "",
                   idempotency_key: str = "") -> MovementResult:
    """Unreserved units move between the supplier's warehouses; held units stay held."""
    _positive(quantity)
    warehouse = warehouse_resolve(supplier, warehouse_code)
    to_warehouse = warehouse_resolve(supplier, to_warehouse_code, "toWarehouseLocation")
    if to_warehouse.pk == warehouse.pk:
        raise ValidationFailed.for_field("toWarehouseLocation", "A transfer must go to another warehouse.")
    batch = batch_resolve(supplier, product, batch_number, required=False)
    with stock_work(actor=actor) as work:
        item, lots = item_locked(work, supplier=supplier, product=product)
        movement = work.movement(item=item, lots=lots, type=T.TRANSFER, reason=reason, reference=reference,
                                 idempotency_key=idempotency_key)
        plan = _take_unreserved(movement, lots_select(lots, warehouse, batch), quantity, sellable_only=False)
        for lot, take, held in plan:
            movement.change(lot, quantity=take, on_hand=-take, quarantined=-held, counterpart=to_warehouse)
        for lot, take, held in plan:
            target = lot_ensure(item=item, lots=lots, warehouse=to_warehouse, batch=lot.batch)
            movement.change(target, quantity=take, on_hand=take, quarantined=held, counterpart=lot.warehouse)
    return _result(movement, lots, [(lot, take) for lot, take, _ in plan])


#: ``If-Match: *`` — any existing item matches (RFC 9110 13.1.1).
IF_MATCH_ANY = "*"


def stock_count(*, supplier: Supplier, product: Product, counts: list[dict], actor: Principal | None,
                if_match: frozenset[int] | str | None = None, version: int | None = None, reason: str = "",
                idempotency_key: str = "") -> MovementResult:
    """Set absolute counted levels (a physical count); each changed lot writes a ``count`` row."""
    resolved = _counts_resolve(supplier, product, counts)
    with stock_work(actor=actor) as work:
        item, lots = item_locked(work, supplier=supplier, product=product)
        if if_match is not None and if_match != IF_MATCH_ANY and item.version not in if_match:
            raise PreconditionFailed(f"If-Match does not match the current ETag \"{item.version}\".")
        if version is not None and version != item.version:
            raise VersionConflict(
                f"Body version {version} is stale; the item is at version {item.version}.",
                errors=[{"field": "version", "message": f"Current version is {item.version}."}])
        movement = work.movement(item=item, lots=lots, type=T.COUNT, reason=reason, idempotency_key=idempotency_key)
        for index, warehouse, batch, counted in resolved:
            lot = lot_ensure(item=item, lots=lots, warehouse=warehouse, batch=batch) if counted > 0 \
                else lot_find(lots, warehouse, batch)
            if lot is None:
                continue
            if counted < lot.reserved:
                raise InsufficientStock(
                    f"Counted {counted} units of {batch.batch_number} in {warehouse.code}, below the {lot.reserved} "
                    f"reserved; release reservations first.",
                    errors=[{"field": f"lots[{index}].inventoryLevel",
                             "message": f"{lot.reserved} units are reserved."}])
            # A count below the lot's held units shrinks the hold with it.
            movement.change(lot, quantity=counted - lot.on_hand, on_hand=counted - lot.on_hand,
                            quarantined=min(0, (counted - lot.reserved) - lot.quarantined))
    return _result(movement, lots)


def _counts_resolve(supplier: Supplier, product: Product, counts: list[dict]) -> list[tuple]:
    resolved, seen, errors = [], set(), []
    for index, entry in enumerate(counts):
        try:
            warehouse = warehouse_resolve(supplier, entry.get("warehouse_code"), f"lots[{index}].warehouseLocation")
        except ValidationFailed as exc:
            errors += exc.errors
            continue
        batch = Batch.objects.filter(product=product, batch_number=entry.get("batch_number"),
                                     supplier=supplier).first()
        if batch is None:
            errors.append({"field": f"lots[{index}].batchNumber",
                           "message": f"{supplier.code} has no batch {entry.get('batch_number')!r}."})
        elif (warehouse.pk, batch.pk) in seen:
            errors.append({"field": f"lots[{index}]", "message": "The same lot is counted twice."})
        else:
            seen.add((warehouse.pk, batch.pk))
            resolved.append((index, warehouse, batch, entry["inventory_level"]))
    if errors:
        raise ValidationFailed("Some counted lots are invalid.", errors=errors)
    return resolved


# --- dispatch -------------------------------------------------------------------------


@dataclass(frozen=True)
class MovementSpec:
    function: Callable[..., MovementResult]
    #: keyword arguments the function takes besides supplier, product, quantity and actor
    fields: tuple[str, ...]


_COMMON = ("reason", "reference", "idempotency_key")
MOVEMENTS: dict[str, MovementSpec] = {
    T.RECEIPT: MovementSpec(stock_receive, ("warehouse_code", "batch_number", "expiration_date", "production_date",
                                            *_COMMON)),
    T.RETURN: MovementSpec(stock_return, ("warehouse_code", "batch_number", "retail_partner", *_COMMON)),
    T.RESERVATION: MovementSpec(stock_reserve, ("warehouse_code", "batch_number", "retail_partner", "expires_at",
                                                *_COMMON)),
    T.RELEASE: MovementSpec(stock_release, ("reservation_code", "warehouse_code", "batch_number", *_COMMON)),
    T.SALE: MovementSpec(stock_sell, ("reservation_code", "warehouse_code", "batch_number", "retail_partner",
                                      *_COMMON)),
    T.DAMAGE: MovementSpec(partial(stock_remove, type=T.DAMAGE), ("warehouse_code", "batch_number", *_COMMON)),
    T.WRITE_OFF: MovementSpec(partial(stock_remove, type=T.WRITE_OFF), ("warehouse_code", "batch_number", *_COMMON)),
    T.ADJUSTMENT: MovementSpec(stock_adjust, ("warehouse_code", "batch_number", *_COMMON)),
    T.TRANSFER: MovementSpec(stock_transfer, ("warehouse_code", "to_warehouse_code", "batch_number", *_COMMON)),
}


def movement_record(*, type: str, supplier: Supplier, product: Product, quantity: int, actor: Principal | None,
                    movements: dict[str, MovementSpec] | None = None, **fields) -> MovementResult:
    """Record one movement of ``type`` through its function; fields the type does not take are ignored."""
    spec = (movements or MOVEMENTS).get(type)
    if spec is None:
        raise ValidationFailed.for_field("type", f"Must be one of {', '.join(sorted(MOVEMENTS))}.")
    kwargs = {name: value for name, value in fields.items() if name in spec.fields and value is not None}
    return spec.function(supplier=supplier, product=product, quantity=quantity, actor=actor, **kwargs)
