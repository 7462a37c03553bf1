"""Reads of stock: the item view of API-CONTRACT.md 4.1, built from an item's lots."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.db.models import Case, Exists, F, IntegerField, OuterRef, Prefetch, Q, QuerySet, Subquery, Sum, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone

from inventory.models import (
    Batch,
    InventoryItem,
    InventoryTransaction,
    Product,
    Reservation,
    ReservationLot,
    StockLot,
    Warehouse,
)
from partners.models import RetailPartner, TradingRelationship
from partners.principal import Principal
from partners.selectors import supplier_ids_visible_to

TS_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def ts(value: datetime | None) -> str | None:
    return value.astimezone(UTC).strftime(TS_FORMAT) if value else None


def lot_status(lot: StockLot, now: datetime) -> str:
    if lot.batch.status != Batch.Status.RELEASED:
        return lot.batch.status
    return "expired" if lot.batch.expiration_date <= now else "released"


def lot_quantities(lot: StockLot, now: datetime, min_expiry: datetime | None = None) -> tuple[int, int]:
    """(available, on_hold) units of a lot; ``min_expiry`` hides lots too short-dated for a retailer.

    The rule "available" for a lot in memory; ``available_units`` is the same rule in SQL.
    """
    unreserved = lot.on_hand - lot.reserved
    if lot_status(lot, now) != "released":
        return 0, unreserved
    available = unreserved - lot.quarantined
    if min_expiry is not None and lot.batch.expiration_date < min_expiry:
        available = 0
    return available, lot.quarantined


def fefo(lots) -> list[StockLot]:
    return sorted(lots, key=lambda lot: (lot.batch.expiration_date, lot.batch.batch_number, lot.pk))


def shelf_life_cutoff(min_shelf_life_days: int, at: datetime | None = None) -> datetime:
    return (at or timezone.now()) + timedelta(days=min_shelf_life_days)


def item_view(item: InventoryItem, lots, *, retail_partner=None, now: datetime | None = None) -> dict:
    now = now or timezone.now()
    min_expiry = shelf_life_cutoff(retail_partner.minimum_shelf_life_days, now) if retail_partner else None
    level = reserved = on_hold = available = 0
    lot_views = []
    head = None
    for lot in fefo(lots):
        lot_available, lot_on_hold = lot_quantities(lot, now, min_expiry)
        level += lot.on_hand
        reserved += lot.reserved
        on_hold += lot_on_hold
        available += lot_available
        if head is None and lot_available > 0:
            head = lot
        if lot.on_hand == 0 and lot.reserved == 0:
            continue
        lot_views.append({
            "warehouse_location": lot.warehouse.code,
            "batch_number": lot.batch.batch_number,
            "expiration_date": ts(lot.batch.expiration_date),
            "status": lot_status(lot, now),
            "inventory_level": lot.on_hand,
            "reserved_quantity": lot.reserved,
            "available_quantity": lot_available,
            "on_hold_quantity": lot_on_hold,
        })
    return {
        "supplier_id": item.supplier.code,
        "retail_partner_id": retail_partner.code if retail_partner else None,
        "product_id": item.product.sku,
        "inventory_level": level,
        "reserved_quantity": reserved,
        "available_quantity": available,
        "on_hold_quantity": on_hold,
        "warehouse_location": head.warehouse.code if head else None,
        "batch_number": head.batch.batch_number if head else None,
        "expiration_date": ts(head.batch.expiration_date) if head else None,
        "last_updated": ts(item.last_updated),
        "version": item.version,
        "lots": lot_views,
    }


def item_totals(lots, now: datetime | None = None, min_expiry: datetime | None = None) -> dict:
    now = now or timezone.now()
    level = sum(lot.on_hand for lot in lots)
    reserved = sum(lot.reserved for lot in lots)
    pairs = [lot_quantities(lot, now, min_expiry) for lot in lots]
    return {"inventory_level": level, "reserved_quantity": reserved,
            "available_quantity": sum(a for a, _ in pairs), "on_hold_quantity": sum(h for _, h in pairs)}


def _lots_prefetch() -> Prefetch:
    return Prefetch("lots", queryset=StockLot.objects.select_related("batch", "warehouse").order_by("pk"))


def inventory_item_list(*, principal: Principal) -> QuerySet[InventoryItem]:
    qs = InventoryItem.objects.select_related("supplier", "product").prefetch_related(_lots_prefetch())
    ids = supplier_ids_visible_to(principal)
    return qs if ids is None else qs.filter(supplier_id__in=ids)


def inventory_item_get(*, principal: Principal, supplier_code: str, sku: str) -> InventoryItem | None:
    return inventory_item_list(principal=principal).filter(supplier__code=supplier_code, product__sku=sku).first()


def inventory_item_read(*, principal: Principal, supplier_code: str,
                        sku: str) -> tuple[InventoryItem, list[StockLot], RetailPartner | None] | None:
    """The item GET in two queries: (item, its lots, the calling retailer or None); None when not visible.

    The first query reads the item with its supplier and product and, for a retailer, the tenancy check
    (an active trading relationship) and the retailer's code and shelf-life rule; the second its lots
    with their batches and warehouses. Which 404 to answer is worked out only when this finds nothing.
    """
    qs = InventoryItem.objects.select_related("supplier", "product").filter(
        supplier__code=supplier_code, product__sku=sku)
    if principal.is_supplier:
        qs = qs.filter(supplier_id=principal.supplier_id)
    elif principal.is_retailer:
        partner = RetailPartner.objects.filter(pk=principal.retail_partner_id)
        qs = qs.filter(Exists(TradingRelationship.objects.filter(
            supplier_id=OuterRef("supplier_id"), retail_partner_id=principal.retail_partner_id, active=True)))
        qs = qs.annotate(caller_code=Subquery(partner.values("code")),
                         caller_shelf_life=Subquery(partner.values("minimum_shelf_life_days")))
    item = qs.order_by().first()
    if item is None:
        return None
    retailer = None
    if principal.is_retailer:
        # Only what ``item_view`` reads of the caller; never saved.
        retailer = RetailPartner(pk=principal.retail_partner_id, code=item.caller_code,
                                 minimum_shelf_life_days=item.caller_shelf_life)
    lots = list(StockLot.objects.filter(item=item).select_related("batch", "warehouse").order_by("pk"))
    return item, lots, retailer


def sellable_lots_q(now: datetime, prefix: str = "") -> Q:
    """The rule "sellable" for lots in SQL: a released batch that has not expired (``lot_status``)."""
    return Q(**{f"{prefix}batch__status": Batch.Status.RELEASED, f"{prefix}batch__expiration_date__gt": now})


def available_units(now: datetime, prefix: str = "") -> Case:
    """The rule "available" for one lot in SQL (``lot_quantities`` in memory); ``Sum`` it for an item.

    Unreserved units of a sellable lot that are not held back on their own (quarantined returns).
    ``prefix`` reaches the lot from another model, e.g. ``"lots__"`` from an item.
    """
    unreserved = F(f"{prefix}on_hand") - F(f"{prefix}reserved") - F(f"{prefix}quarantined")
    return Case(When(sellable_lots_q(now, prefix), then=unreserved), default=Value(0),
                output_field=IntegerField())


def item_available_subquery(now: datetime) -> Coalesce:
    """An item's available units (``Sum`` of ``available_units`` over its lots), for ``annotate``."""
    lots = (StockLot.objects.filter(item=OuterRef("pk")).order_by().values("item")
            .annotate(total=Sum(available_units(now))).values("total"))
    return Coalesce(Subquery(lots, output_field=IntegerField()), Value(0))


def on_hold_units(now: datetime, prefix: str = "") -> Case:
    """Unreserved units that may not be sold: all of a held or expired lot, else its own quarantine."""
    return Case(When(sellable_lots_q(now, prefix), then=F(f"{prefix}quarantined")),
                default=F(f"{prefix}on_hand") - F(f"{prefix}reserved"), output_field=IntegerField())


def items_with_available(qs: QuerySet[InventoryItem], now: datetime) -> QuerySet[InventoryItem]:
    sellable = StockLot.objects.filter(sellable_lots_q(now), item=OuterRef("pk"),
                                       on_hand__gt=F("reserved") + F("quarantined"))
    return qs.filter(Exists(sellable))


def items_expiring_before(qs: QuerySet[InventoryItem], when: datetime) -> QuerySet[InventoryItem]:
    lots = StockLot.objects.filter(item=OuterRef("pk"), on_hand__gt=0, batch__expiration_date__lt=when)
    return qs.filter(Exists(lots))


def items_in_warehouse(qs: QuerySet[InventoryItem], code: str) -> QuerySet[InventoryItem]:
    lots = StockLot.objects.filter(item=OuterRef("pk"), warehouse__code=code)
    return qs.filter(Exists(lots))


def transaction_list(*, principal: Principal) -> QuerySet[InventoryTransaction]:
    # One table: the row carries the codes it shows (``transaction_view``).
    qs = InventoryTransaction.objects.all()
    if principal.is_retailer:
        # A retailer sees only movements made for it at suppliers it trades with.
        ids = supplier_ids_visible_to(principal)
        return qs.filter(supplier_id__in=ids, retail_partner_id=principal.retail_partner_id)
    ids = supplier_ids_visible_to(principal)
    return qs if ids is None else qs.filter(supplier_id__in=ids)


def product_list() -> QuerySet[Product]:
    return Product.objects.all()


def warehouse_list(*, principal: Principal) -> QuerySet[Warehouse]:
    qs = Warehouse.objects.select_related("supplier")
    ids = supplier_ids_visible_to(principal)
    return qs if ids is None else qs.filter(supplier_id__in=ids)


def batch_list(*, principal: Principal, sku: str) -> QuerySet[Batch]:
    qs = Batch.objects.filter(product__sku=sku).select_related("product", "supplier").annotate(
        on_hand=Sum("lots__on_hand"), reserved=Sum("lots__reserved"))
    ids = supplier_ids_visible_to(principal)
    return qs if ids is None else qs.filter(supplier_id__in=ids)


# --- reservations ---------------------------------------------------------------------------


def reservation_list(*, principal: Principal) -> QuerySet[Reservation]:
    """Reservations with the tenancy of items; a retailer sees only those made for it."""
    qs = Reservation.objects.select_related("item__supplier", "item__product", "retail_partner").prefetch_related(
        Prefetch("holds", queryset=ReservationLot.objects.select_related("lot__batch", "lot__warehouse")
                 .order_by("lot__batch__expiration_date", "lot_id")))
    ids = supplier_ids_visible_to(principal)
    if ids is not None:
        qs = qs.filter(item__supplier_id__in=ids)
    if principal.is_retailer:
        qs = qs.filter(retail_partner_id=principal.retail_partner_id)
    return qs


def reservation_view(reservation: Reservation) -> dict:
    return {
        "reservation_id": reservation.code,
        "supplier_id": reservation.item.supplier.code,
        "product_id": reservation.item.product.sku,
        "retail_partner_id": reservation.retail_partner.code if reservation.retail_partner_id else None,
        "order_id": reservation.order_ref or None,
        "status": reservation.status,
        "quantity": reservation.quantity,
        "remaining_quantity": reservation.remaining_quantity,
        "released_quantity": reservation.released_quantity,
        "consumed_quantity": reservation.consumed_quantity,
        "expires_at": ts(reservation.expires_at),
        "reason": reservation.reason,
        "reference": reservation.reference,
        "lots": [{"warehouse_location": hold.lot.warehouse.code, "batch_number": hold.lot.batch.batch_number,
                  "expiration_date": ts(hold.lot.batch.expiration_date), "quantity": hold.quantity}
                 for hold in reservation.holds.all()],
        "created_at": ts(reservation.created_at),
        "updated_at": ts(reservation.updated_at),
        "closed_at": ts(reservation.closed_at),
    }


def batch_view(batch: Batch) -> dict:
    """A batch's identity and status (``batch.quarantined`` events, traces)."""
    return {
        "product_id": batch.product.sku,
        "supplier_id": batch.supplier.code,
        "batch_number": batch.batch_number,
        "production_date": batch.production_date.isoformat() if batch.production_date else None,
        "expiration_date": ts(batch.expiration_date),
        "status": batch.status,
        "status_reason": batch.status_reason,
    }


def receipt_missing_fields(*, supplier_id: int, product_id: int, warehouse_code: str | None,
                           batch_number: str | None, expiration_date: datetime | None) -> list[dict]:
    """Every field (serializer names) a receipt still needs, all at once: one round trip to fix a body.

    The rules are ``services.stock_receive``'s, which still enforces them: a warehouse unless the
    supplier has exactly one, a batch number, and an expiry when the batch is new.
    """
    errors = []
    if not warehouse_code and Warehouse.objects.filter(supplier_id=supplier_id, active=True)[:2].count() != 1:
        errors.append({"field": "warehouse_location", "message": "Required for a receipt (the receiving warehouse)."})
    if not batch_number:
        errors.append({"field": "batch_number", "message": "Required for a receipt (the batch received)."})
    new_batch = not batch_number or not Batch.objects.filter(product_id=product_id, batch_number=batch_number).exists()
    if expiration_date is None and new_batch:
        errors.append({"field": "expiration_date", "message": "Required when receiving a new batch."})
    return errors
