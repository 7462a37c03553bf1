"""Reservations: who holds which reserved units (``RSV-…``), and the only ways holds change.

A reservation is an order line's allocation (``order_ref`` set, released by cancel and
consumed by shipments in the orders app) or a standalone hold made by a ``reservation``
movement (optionally for a retailer, optionally until ``expires_at``). Every function here
runs inside a ``StockWork`` on items its caller has locked; the holds themselves move in
``Movement.change``, together with the lots' ``reserved``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import F
from django.utils import timezone

from hotsauce.errors import InsufficientStock, InvalidState, NotFound
from inventory.models import InventoryItem, InventoryTransaction, Reservation, StockLot
from inventory.selectors import fefo, lot_quantities
from inventory.services.lots import insufficient
from inventory.services.work import Movement, StockWork, holds_load, holds_of, holds_place, holds_release_all
from partners.models import RetailPartner
from partners.principal import Principal

T = InventoryTransaction.Type
R = Reservation.Status


def reservation_open(*, item: InventoryItem, actor: Principal | None, retail_partner: RetailPartner | None = None,
                     order_ref: str = "", expires_at: datetime | None = None, reason: str = "",
                     reference: str = "") -> Reservation:
    """A new, empty reservation on a locked item; units are placed on it with ``reservation_hold``."""
    reservation = Reservation.objects.create(
        item=item, retail_partner=retail_partner, order_ref=order_ref, expires_at=expires_at, reason=reason[:500],
        reference=reference[:200], created_by_client=getattr(actor, "client", None),
        created_by_user=getattr(actor, "user", None))
    reservation.code = f"RSV-{reservation.pk:06d}"
    Reservation.objects.filter(pk=reservation.pk).update(code=reservation.code)
    return reservation


def reservation_get_locked(*, item: InventoryItem, code: str) -> Reservation:
    """A reservation of a locked item by its public id (404 when it is another item's)."""
    reservation = Reservation.objects.filter(item=item, code=code).select_related("retail_partner").first()
    if reservation is None:
        raise NotFound.for_field("reservationId", f"No reservation {code} of {item.product.sku} at "
                                                          f"{item.supplier.code}.")
    return reservation


def reservation_hold(*, movement: Movement, reservation: Reservation, candidates: list[StockLot], quantity: int,
                     min_expiry: datetime | None, partial: bool) -> list[tuple[StockLot, int]]:
    """Hold up to ``quantity`` available units of ``candidates`` (first expired, first out).

    All or nothing unless ``partial``: an order line takes what there is and backorders the rest.
    """
    plan = _plan(candidates, quantity, movement.now, min_expiry)
    remaining = quantity - sum(take for _, take in plan)
    if remaining and not partial:
        raise insufficient(movement.item, quantity, quantity - remaining)
    for lot, take in plan:
        movement.change(lot, quantity=take, reserved=take, reservation=reservation, type=T.RESERVATION)
    _counters(reservation, quantity=sum(take for _, take in plan))
    return plan


def _plan(candidates: list[StockLot], quantity: int, now: datetime,
          min_expiry: datetime | None) -> list[tuple[StockLot, int]]:
    """Up to ``quantity`` available units of ``candidates``, taken in their order (first expired, first out)."""
    plan, remaining = [], quantity
    for lot in candidates:
        if remaining <= 0:
            break
        available, _ = lot_quantities(lot, now, min_expiry)
        take = min(available, remaining)
        if take > 0:
            plan.append((lot, take))
            remaining -= take
    return plan


@dataclass
class HoldRequest:
    """A reservation to open on a locked item, holding what it can of ``quantity`` (``reservations_open_partial``).

    ``reason``/``reference`` are the reservation's; ``ledger_reason``/``ledger_reference`` its ledger rows'.
    """

    item: InventoryItem
    lots: list[StockLot]
    quantity: int
    min_expiry: datetime | None = None
    retail_partner: RetailPartner | None = None
    order_ref: str = ""
    reason: str = ""
    reference: str = ""
    ledger_reason: str = ""
    ledger_reference: str = ""


def reservations_open_partial(*, work: StockWork, requests: list[HoldRequest]) -> list[Reservation]:
    """``reservation_open`` then ``reservation_hold(partial=True)`` for each request (an order's lines), with
    a fixed number of statements whatever their number: each reservation holds what its item's lots can
    give (FEFO, ``min_expiry`` kept, held lots never); the rest is simply not held. Items are locked."""
    actor = work.actor
    plans = [_plan(fefo(request.lots), request.quantity, work.now, request.min_expiry) for request in requests]
    reservations = [Reservation(
        item=request.item, retail_partner=request.retail_partner, order_ref=request.order_ref,
        reason=request.reason[:500], reference=request.reference[:200], quantity=sum(take for _, take in plan),
        created_by_client=getattr(actor, "client", None), created_by_user=getattr(actor, "user", None))
        for request, plan in zip(requests, plans, strict=True)]
    if not reservations:
        return []
    Reservation.objects.bulk_create(reservations)
    for reservation in reservations:
        reservation.code = f"RSV-{reservation.pk:06d}"
    Reservation.objects.bulk_update(reservations, ["code"])
    placements = []
    for request, reservation, plan in zip(requests, reservations, plans, strict=True):
        movement = work.movement(item=request.item, lots=request.lots, type=T.RESERVATION,
                                 reason=request.ledger_reason, reference=request.ledger_reference,
                                 retail_partner=request.retail_partner)
        placements += [(movement, reservation, lot, take) for lot, take in plan]
    holds_place(placements)
    return reservations


@dataclass
class ReleaseRequest:
    """A reservation to empty and close (``reservations_release_close``): its locked item and lots."""

    reservation: Reservation
    item: InventoryItem
    lots: list[StockLot]
    retail_partner: RetailPartner | None = None
    ledger_reason: str = ""
    ledger_reference: str = ""


def reservations_release_close(*, work: StockWork, requests: list[ReleaseRequest],
                               close_as: str = R.RELEASED) -> list[int]:
    """``reservation_release`` of everything each holds, then ``reservation_close``, for many reservations
    (an order's lines when it is cancelled) in a fixed number of statements; returns the units released
    per request. Their items are locked."""
    holds_load(request.reservation for request in requests)
    placements, released = [], []
    for request in requests:
        reservation = request.reservation
        held = holds_of(reservation)
        lots = [lot for lot in fefo(request.lots) if held.get(lot.pk)]
        if lots:
            movement = work.movement(item=request.item, lots=request.lots, type=T.RELEASE,
                                     reason=request.ledger_reason, reference=request.ledger_reference,
                                     retail_partner=request.retail_partner)
            placements += [(movement, reservation, lot) for lot in lots]
        released.append(sum(held[lot.pk] for lot in lots))
    holds_release_all(placements)
    now, changed = timezone.now(), []
    for request, quantity in zip(requests, released, strict=True):
        reservation = request.reservation
        reservation.released_quantity += quantity
        if reservation.status == R.OPEN:
            if reservation.remaining_quantity:
                raise InvalidState(f"{reservation.code} still holds {reservation.remaining_quantity} units.")
            reservation.status, reservation.closed_at = close_as, now
        elif not quantity:
            continue
        reservation.updated_at = now
        changed.append((reservation, quantity))
    # F(): as ``_counters``, the database stays the authority for the counter.
    Reservation.objects.bulk_update([Reservation(
        pk=reservation.pk, released_quantity=F("released_quantity") + quantity, status=reservation.status,
        closed_at=reservation.closed_at, updated_at=now) for reservation, quantity in changed],
        ["released_quantity", "status", "closed_at", "updated_at"])
    return released


def reservation_release(*, movement: Movement, reservation: Reservation, lots: list[StockLot],
                        quantity: int | None = None, only: list[StockLot] | None = None,
                        close_as: str = R.RELEASED) -> list[tuple[StockLot, int]]:
    """Give held units back to stock (all of them when ``quantity`` is None).

    ``only`` limits the release to some lots (a recalled batch's). A reservation left holding
    nothing is closed as ``close_as`` unless it is an order's, whose life the order decides.
    """
    held = holds_of(reservation)
    candidates = [lot for lot in fefo(only if only is not None else lots) if held.get(lot.pk)]
    holding = sum(held[lot.pk] for lot in candidates)
    quantity = holding if quantity is None else quantity
    if quantity > holding:
        raise InsufficientStock(
            f"{reservation.code} holds {holding} units{' there' if only is not None else ''}; {quantity} requested.",
            errors=[{"field": "quantity", "message": f"{reservation.code} holds only {holding} units."}])
    plan, remaining = [], quantity
    for lot in candidates:
        take = min(held[lot.pk], remaining)
        if take:
            movement.change(lot, quantity=take, reserved=-take, reservation=reservation, type=T.RELEASE)
            plan.append((lot, take))
            remaining -= take
    _counters(reservation, released_quantity=quantity)
    if not reservation.order_ref and reservation.remaining_quantity == 0:
        reservation_close(reservation, close_as)
    return plan


def reservation_consume(*, movement: Movement, reservation: Reservation, lots: list[StockLot],
                        per_lot: dict[int, int], type: str) -> None:
    """Units held on these lots leave the building (shipped or sold): on hand and reserved both fall."""
    held = holds_of(reservation)
    by_id = {lot.pk: lot for lot in lots}
    for lot_id, quantity in sorted(per_lot.items()):
        if quantity > held.get(lot_id, 0):
            raise InsufficientStock(f"{reservation.code} holds {held.get(lot_id, 0)} units of that lot; "
                                    f"{quantity} requested.",
                                    errors=[{"field": "quantity", "message": "More than the reservation holds."}])
        movement.change(by_id[lot_id], quantity=quantity, on_hand=-quantity, reserved=-quantity,
                        reservation=reservation, type=type)
    _counters(reservation, consumed_quantity=sum(per_lot.values()))
    if not reservation.order_ref and reservation.remaining_quantity == 0:
        reservation_close(reservation, R.CONSUMED)


def reservation_close(reservation: Reservation, status: str) -> None:
    """Close a reservation that holds nothing any more (an order's, when the order is done)."""
    if reservation.status != R.OPEN:
        return
    if reservation.remaining_quantity:
        raise InvalidState(f"{reservation.code} still holds {reservation.remaining_quantity} units.")
    now = timezone.now()
    Reservation.objects.filter(pk=reservation.pk).update(status=status, closed_at=now, updated_at=now)
    reservation.status, reservation.closed_at = status, now


def _counters(reservation: Reservation, **deltas: int) -> None:
    deltas = {name: delta for name, delta in deltas.items() if delta}
    if not deltas:
        return
    now = timezone.now()
    Reservation.objects.filter(pk=reservation.pk).update(updated_at=now, **{
        name: F(name) + delta for name, delta in deltas.items()})
    for name, delta in deltas.items():
        setattr(reservation, name, getattr(reservation, name) + delta)
    reservation.updated_at = now


def reservations_expire(*, now: datetime | None = None) -> int:
    """Release standalone holds whose ``expiresAt`` has passed (the periodic job); units released."""
    from inventory.services.work import stock_work

    now = now or timezone.now()
    due = list(Reservation.objects.filter(status=R.OPEN, order_ref="", expires_at__lte=now)
               .order_by("item_id", "pk").values_list("item_id", "pk"))
    released = 0
    for item_id, reservation_id in due:
        # One transaction per hold: one that cannot be released does not keep the others.
        with stock_work(actor=None) as work:
            locked = work.lock([item_id])
            reservation = Reservation.objects.filter(pk=reservation_id, status=R.OPEN).first()
            if reservation is None:
                continue
            lots = locked.lots_of(item_id)
            movement = work.movement(item=locked.item(item_id), lots=lots, type=T.RELEASE,
                                     reason=f"{reservation.code} expired", reference=reservation.reference,
                                     retail_partner=reservation.retail_partner)
            plan = reservation_release(movement=movement, reservation=reservation, lots=lots, close_as=R.EXPIRED)
            if reservation.status == R.OPEN:  # held nothing any more: close it all the same
                reservation_close(reservation, R.EXPIRED)
            released += sum(take for _, take in plan)
    return released
