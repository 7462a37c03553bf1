"""Every write to stock. Nothing else changes a quantity.

The pattern of each movement: lock the item, then its lots (``inventory.locks``), read
them, check the rule, write with ``F()`` expressions, append ledger rows, bump the item's
version, and emit ``inventory.updated`` — all in one transaction.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from stdnum import ean
from stdnum.exceptions import ValidationError as StdnumError

from hotsauce import metrics
from hotsauce.errors import InsufficientStock, NotFound, PreconditionFailed, ValidationFailed, VersionConflict
from inventory.locks import lock_items, lock_lots
from inventory.models import Batch, InventoryItem, InventoryTransaction, Product, StockLot, Warehouse
from inventory.selectors import fefo, item_totals, item_view, lot_quantities, shelf_life_cutoff, ts
from partners.models import RetailPartner, Supplier, TradingRelationship
from partners.principal import Principal
from webhooks.services import event_emit

T = InventoryTransaction.Type

# Called on commit with an item id whenever units may have become available (receipts,
# returns, releases, counts). The orders app registers its backorder allocation here;
# the stock core stays ignorant of orders.
_stock_arrival_hooks: list = []


def register_stock_arrival_hook(hook) -> None:
    if hook not in _stock_arrival_hooks:
        _stock_arrival_hooks.append(hook)


def _notify_arrival(item_id: int) -> None:
    for hook in _stock_arrival_hooks:
        transaction.on_commit(partial(hook, item_id))

POSITIVE_TYPES = {T.RECEIPT, T.RESERVATION, T.RELEASE, T.SALE, T.DAMAGE, T.RETURN, T.WRITE_OFF, T.TRANSFER}
MOVEMENT_TYPES = POSITIVE_TYPES | {T.ADJUSTMENT}


# --- catalogue ------------------------------------------------------------------------


def gtin_validate(value: str) -> str:
    value = (value or "").strip()
    if not value:
        return ""
    try:
        return ean.validate(value)
    except StdnumError as exc:
        raise ValidationFailed.for_field("gtin", f"{value!r} is not a valid GTIN: {str(exc).rstrip('.')}.") from None


def product_create(*, sku: str, name: str, gtin: str = "", **fields) -> Product:
    gtin = gtin_validate(gtin)
    if Product.objects.filter(sku=sku).exists():
        raise ValidationFailed.for_field("productId", f"Product {sku} already exists.")
    if gtin and Product.objects.filter(gtin=gtin).exists():
        raise ValidationFailed.for_field("gtin", f"GTIN {gtin} is already used by another product.")
    product = Product(sku=sku, name=name, gtin=gtin, **fields)
    product.full_clean()
    product.save()
    return product


def product_update(*, product: Product, name: str, gtin: str = "", **fields) -> Product:
    gtin = gtin_validate(gtin)
    if gtin and Product.objects.filter(gtin=gtin).exclude(pk=product.pk).exists():
        raise ValidationFailed.for_field("gtin", f"GTIN {gtin} is already used by another product.")
    product.name = name
    product.gtin = gtin
    for name_, value in fields.items():
        setattr(product, name_, value)
    product.full_clean()
    product.save()
    return product


def warehouse_create(*, supplier: Supplier, code: str, name: str, **fields) -> Warehouse:
    if Warehouse.objects.filter(supplier=supplier, code=code).exists():
        raise ValidationFailed.for_field("warehouseLocation", f"{supplier.code} already has warehouse {code}.")
    warehouse = Warehouse(supplier=supplier, code=code, name=name, **fields)
    warehouse.full_clean()
    warehouse.save()
    return warehouse


# --- movements ------------------------------------------------------------------------


@dataclass
class MovementResult:
    item: InventoryItem
    lots: list[StockLot]
    transactions: list[InventoryTransaction] = field(default_factory=list)
    allocations: list[tuple[StockLot, int]] = field(default_factory=list)


class _Movement:
    """Collects lot changes of one movement; ``finish`` writes the ledger and the event."""

    def __init__(self, *, item: InventoryItem, lots: list[StockLot], type: str, actor: Principal | None,
                 retail_partner: RetailPartner | None, reason: str, reference: str, idempotency_key: str):
        self.item = item
        self.lots = lots
        self.type = type
        self.actor = actor
        self.retail_partner = retail_partner
        self.reason = reason
        self.reference = reference
        self.idempotency_key = idempotency_key
        self.movement_id = uuid.uuid4()
        self.before = item_totals(lots)
        self.rows: list[InventoryTransaction] = []
        self.held_taken: dict[int, int] = {}
        self.now = timezone.now()

    def change(self, lot: StockLot, *, quantity: int, on_hand: int = 0, reserved: int = 0, quarantined: int = 0,
               type: str | None = None, counterpart: Warehouse | None = None) -> None:
        if not (on_hand or reserved or quarantined):
            return
        # We hold the lot's row lock, so the in-memory values are current; the F() write
        # keeps the database the authority, and the CheckConstraints catch any slip.
        StockLot.objects.filter(pk=lot.pk).update(
            on_hand=F("on_hand") + on_hand, reserved=F("reserved") + reserved,
            quarantined=F("quarantined") + quarantined, updated_at=self.now)
        lot.on_hand += on_hand
        lot.reserved += reserved
        lot.quarantined += quarantined
        self.rows.append(InventoryTransaction(
            movement_id=self.movement_id, item=self.item, lot=lot, type=type or self.type, quantity=quantity,
            on_hand_delta=on_hand, reserved_delta=reserved, quarantined_delta=quarantined,
            on_hand_after=lot.on_hand, reserved_after=lot.reserved,
            supplier_id=self.item.supplier_id, product_id=self.item.product_id, warehouse=lot.warehouse,
            batch=lot.batch, counterpart_warehouse=counterpart, retail_partner=self.retail_partner,
            actor_client=getattr(self.actor, "client", None), actor_user=getattr(self.actor, "user", None),
            reason=self.reason[:500], reference=self.reference[:200], idempotency_key=self.idempotency_key[:255],
            created_at=self.now,
        ))

    def finish(self) -> list[InventoryTransaction]:
        if not self.rows:
            return []
        _version_bump(self.item, self.now)
        for row in self.rows:
            row.item_version = self.item.version
        InventoryTransaction.objects.bulk_create(self.rows)
        metrics.movement_recorded(self.type)
        _emit_item_updated(self.item, self.lots, {
            "movement_id": str(self.movement_id),
            "type": self.type,
            # Every retailer trading with the supplier receives this event: the rows go without
            # what would tell one retailer about another (whom stock was reserved or shipped for,
            # by which client). The supplier reads the full rows in its ledger
            # (GET inventory/transactions); the reference still ties a row to one's own order.
            "transactions": [{**transaction_view(row), **_EVENT_REDACTED} for row in self.rows],
            "before": self.before,
        })
        return self.rows


def transaction_view(row: InventoryTransaction) -> dict:
    return {
        "id": row.pk,
        "movement_id": str(row.movement_id),
        "type": row.type,
        "supplier_id": row.supplier.code if row.supplier_id else None,
        "product_id": row.product.sku if row.product_id else None,
        "warehouse_location": row.warehouse.code,
        "to_warehouse_location": row.counterpart_warehouse.code if row.counterpart_warehouse_id
        and row.type == T.TRANSFER and row.on_hand_delta < 0 else None,
        "batch_number": row.batch.batch_number,
        "expiration_date": ts(row.batch.expiration_date),
        "quantity": row.quantity,
        "on_hand_delta": row.on_hand_delta,
        "reserved_delta": row.reserved_delta,
        "on_hold_delta": row.quarantined_delta,
        "on_hand_after": row.on_hand_after,
        "reserved_after": row.reserved_after,
        "retail_partner_id": row.retail_partner.code if row.retail_partner_id else None,
        "reason": row.reason,
        "reference": row.reference,
        "actor": (row.actor_client.client_id if row.actor_client_id else
                  (f"staff:{row.actor_user_id}" if row.actor_user_id else None)),
        "version": row.item_version,
        "created_at": ts(row.created_at),
    }


_EVENT_REDACTED = {"retail_partner_id": None, "actor": None}


def _version_bump(item: InventoryItem, now) -> None:
    """One more change to the item (the caller holds its lock, so the in-memory copy stays true)."""
    InventoryItem.objects.filter(pk=item.pk).update(version=F("version") + 1, last_updated=now)
    item.version += 1
    item.last_updated = now


def _emit_item_updated(item: InventoryItem, lots, change: dict) -> None:
    """``inventory.updated`` to the supplier and every retailer trading with it."""
    retailer_ids = TradingRelationship.objects.filter(supplier_id=item.supplier_id, active=True).values_list(
        "retail_partner_id", flat=True)
    data = item_view(item, lots)
    data["change"] = change
    event_emit(type="inventory.updated", data=data, supplier_ids=[item.supplier_id],
               retail_partner_ids=list(retailer_ids))


def item_lock(*, supplier: Supplier, product: Product, create: bool = False) -> tuple[InventoryItem, list[StockLot]]:
    """Lock one item and its lots (creating the item if asked)."""
    item_id = InventoryItem.objects.filter(supplier=supplier, product=product).values_list("pk", flat=True).first()
    if item_id is None:
        if not create:
            raise NotFound(f"{supplier.code} holds no stock of {product.sku}.")
        try:
            with transaction.atomic():
                item_id = InventoryItem.objects.create(supplier=supplier, product=product).pk
        except IntegrityError:  # created concurrently
            item_id = InventoryItem.objects.get(supplier=supplier, product=product).pk
    item = lock_items([item_id])[item_id]
    return item, lock_lots([item_id])


def _warehouse(supplier: Supplier, code: str | None, field_name: str = "warehouseLocation",
               required: bool = True) -> Warehouse | None:
    if not code:
        if not required:
            return None
        only = list(Warehouse.objects.filter(supplier=supplier, active=True)[:2])
        if len(only) == 1:
            return only[0]
        raise ValidationFailed.for_field(field_name, "This field is required.")
    warehouse = Warehouse.objects.filter(supplier=supplier, code=code).first()
    if warehouse is None:
        raise ValidationFailed.for_field(field_name, f"{supplier.code} has no warehouse {code!r}.")
    return warehouse


def _batch(supplier: Supplier, product: Product, number: str | None, required: bool = True) -> Batch | None:
    if not number:
        if required:
            raise ValidationFailed.for_field("batchNumber", "This field is required.")
        return None
    batch = Batch.objects.filter(product=product, batch_number=number).first()
    if batch is None or batch.supplier_id != supplier.pk:
        raise ValidationFailed.for_field("batchNumber", f"{supplier.code} has no batch {number!r} of {product.sku}.")
    return batch


def _lot_for(item: InventoryItem, lots: list[StockLot], warehouse: Warehouse, batch: Batch,
             create: bool) -> StockLot | None:
    for lot in lots:
        if lot.warehouse_id == warehouse.pk and lot.batch_id == batch.pk:
            return lot
    if not create:
        return None
    lot = StockLot.objects.create(item=item, warehouse=warehouse, batch=batch)
    lot.warehouse, lot.batch = warehouse, batch
    lots.append(lot)
    return lot


def _insufficient(item: InventoryItem, requested: int, available: int, what: str = "available") -> InsufficientStock:
    return InsufficientStock(
        f"Requested {requested} units of {item.product.sku} from {item.supplier.code}; {available} {what}.",
        errors=[{"field": "quantity", "message": f"Only {available} units {what}."}])


def _select(lots, warehouse: Warehouse | None, batch: Batch | None) -> list[StockLot]:
    return [lot for lot in fefo(lots)
            if (warehouse is None or lot.warehouse_id == warehouse.pk) and (batch is None or lot.batch_id == batch.pk)]


def _reserve(mv: _Movement, candidates: list[StockLot], quantity: int, *, min_expiry: datetime | None,
             partial: bool) -> list[tuple[StockLot, int]]:
    plan, remaining = [], quantity
    for lot in candidates:
        available, _ = lot_quantities(lot, mv.now, min_expiry)
        take = min(available, remaining)
        if take > 0:
            plan.append((lot, take))
            remaining -= take
        if remaining == 0:
            break
    if remaining and not partial:
        raise _insufficient(mv.item, quantity, quantity - remaining)
    for lot, take in plan:
        mv.change(lot, quantity=take, reserved=take, type=T.RESERVATION)
    return plan


def _take_unreserved(mv: _Movement, candidates: list[StockLot], quantity: int, *, sellable_only: bool,
                     type: str) -> list[tuple[StockLot, int]]:
    """Remove unreserved units (sale: sellable only; damage/write-off: any unreserved)."""
    plan, remaining = [], quantity
    for lot in candidates:
        if sellable_only:
            free, _ = lot_quantities(lot, mv.now)
        else:
            free = lot.on_hand - lot.reserved
        take = min(free, remaining)
        if take > 0:
            plan.append((lot, take))
            remaining -= take
        if remaining == 0:
            break
    if remaining:
        raise _insufficient(mv.item, quantity, quantity - remaining,
                            "available" if sellable_only else "unreserved")
    held: dict[int, int] = {}
    for lot, take in plan:
        # A lot's own quarantined units are taken only when nothing else is left in it.
        held[lot.pk] = max(0, take - (lot.on_hand - lot.reserved - lot.quarantined)) if not sellable_only else 0
        mv.change(lot, quantity=take, on_hand=-take, quarantined=-held[lot.pk], type=type)
    mv.held_taken = held
    return plan


@transaction.atomic
def stock_move(*, supplier: Supplier, product: Product, type: str, quantity: int, actor: Principal | None,
               warehouse_code: str | None = None, batch_number: str | None = None,
               expiration_date: datetime | None = None, production_date=None, to_warehouse_code: str | None = None,
               retail_partner: RetailPartner | None = None, reason: str = "", reference: str = "",
               idempotency_key: str = "") -> MovementResult:
    """Record one stock movement of API-CONTRACT.md 4.1."""
    if type not in MOVEMENT_TYPES:
        raise ValidationFailed.for_field("type", f"Must be one of {', '.join(sorted(MOVEMENT_TYPES))}.")
    if type == T.ADJUSTMENT:
        if quantity == 0:
            raise ValidationFailed.for_field("quantity", "An adjustment must not be zero.")
    elif quantity <= 0:
        raise ValidationFailed.for_field("quantity", "Must be a positive whole number.")
    if retail_partner is not None and not TradingRelationship.objects.filter(
            supplier=supplier, retail_partner=retail_partner, active=True).exists():
        raise ValidationFailed.for_field(
            "retailPartnerId", f"{retail_partner.code} has no active trading relationship with {supplier.code}.")

    now = timezone.now()
    warehouse = batch = None
    if type == T.RECEIPT:
        warehouse = _warehouse(supplier, warehouse_code)
        if not batch_number:
            raise ValidationFailed.for_field("batchNumber", "A receipt names the batch it receives.")
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
            except IntegrityError:
                batch = Batch.objects.get(product=product, batch_number=batch_number)
        if batch.supplier_id != supplier.pk:
            raise ValidationFailed.for_field("batchNumber", f"Batch {batch_number} belongs to another supplier.")
        if expiration_date is not None and expiration_date != batch.expiration_date:
            raise ValidationFailed.for_field(
                "expirationDate", f"Batch {batch_number} expires {batch.expiration_date:%Y-%m-%dT%H:%M:%SZ}.")
        if batch.expiration_date <= now:
            raise ValidationFailed.for_field("expirationDate", "Expired goods are not received into stock.")
    else:
        required_warehouse = type in (T.TRANSFER, T.ADJUSTMENT, T.RETURN)
        warehouse = _warehouse(supplier, warehouse_code, required=required_warehouse)
        batch = _batch(supplier, product, batch_number, required=type in (T.ADJUSTMENT, T.RETURN))
    to_warehouse = None
    if type == T.TRANSFER:
        to_warehouse = _warehouse(supplier, to_warehouse_code, "toWarehouseLocation")
        if to_warehouse.pk == warehouse.pk:
            raise ValidationFailed.for_field("toWarehouseLocation", "A transfer must go to another warehouse.")

    item, lots = item_lock(supplier=supplier, product=product, create=type == T.RECEIPT)
    mv = _Movement(item=item, lots=lots, type=type, actor=actor, retail_partner=retail_partner, reason=reason,
                   reference=reference, idempotency_key=idempotency_key)
    allocations: list[tuple[StockLot, int]] = []
    if type in (T.RECEIPT, T.RETURN):
        lot = _lot_for(item, lots, warehouse, batch, create=True)
        mv.change(lot, quantity=quantity, on_hand=quantity)
        allocations = [(lot, quantity)]
    elif type == T.RESERVATION:
        min_expiry = shelf_life_cutoff(retail_partner.minimum_shelf_life_days, now) if retail_partner else None
        allocations = _reserve(mv, _select(lots, warehouse, batch), quantity, min_expiry=min_expiry, partial=False)
    elif type == T.RELEASE:
        remaining = quantity
        candidates = _select(lots, warehouse, batch)
        held = sum(lot.reserved for lot in candidates)
        if held < quantity:
            raise _insufficient(item, quantity, held, "reserved")
        for lot in candidates:
            take = min(lot.reserved, remaining)
            if take:
                mv.change(lot, quantity=take, reserved=-take)
                allocations.append((lot, take))
                remaining -= take
            if not remaining:
                break
    elif type == T.SALE:
        allocations = _take_unreserved(mv, _select(lots, warehouse, batch), quantity, sellable_only=True, type=type)
    elif type in (T.DAMAGE, T.WRITE_OFF):
        allocations = _take_unreserved(mv, _select(lots, warehouse, batch), quantity, sellable_only=False,
                                       type=type)
    elif type == T.ADJUSTMENT:
        lot = _lot_for(item, lots, warehouse, batch, create=quantity > 0)
        if quantity < 0:
            free = (lot.on_hand - lot.reserved - lot.quarantined) if lot else 0
            if lot is None or free < -quantity:
                raise _insufficient(item, -quantity, max(free, 0), "unreserved in that lot")
        mv.change(lot, quantity=quantity, on_hand=quantity)
        allocations = [(lot, quantity)]
    elif type == T.TRANSFER:
        sources = _select(lots, warehouse, batch)
        plan = _take_unreserved(mv, sources, quantity, sellable_only=False, type=T.TRANSFER)
        # _take_unreserved recorded the outgoing rows; add the incoming side per batch.
        for row in mv.rows:
            row.counterpart_warehouse = to_warehouse
        for lot, take in plan:
            # Quarantined units stay quarantined on arrival.
            target = _lot_for(item, lots, to_warehouse, lot.batch, create=True)
            mv.change(target, quantity=take, on_hand=take, quarantined=mv.held_taken.get(lot.pk, 0),
                      counterpart=lot.warehouse)
        allocations = plan
    rows = mv.finish()
    if type in (T.RECEIPT, T.RETURN, T.RELEASE, T.TRANSFER) or (type == T.ADJUSTMENT and quantity > 0):
        _notify_arrival(item.pk)
    return MovementResult(item=item, lots=lots, transactions=rows, allocations=allocations)


@transaction.atomic
def stock_count(*, supplier: Supplier, product: Product, counts: list[dict], actor: Principal | None,
                if_match: int | None = None, version: int | None = None, reason: str = "",
                idempotency_key: str = "") -> MovementResult:
    """Set absolute counted levels (a physical count); each changed lot writes a ``count`` row."""
    item, lots = item_lock(supplier=supplier, product=product, create=False)
    if if_match is not None and if_match != item.version:
        raise PreconditionFailed(f"If-Match {if_match} does not match the current version {item.version}.")
    if version is not None and version != item.version:
        raise VersionConflict(
            f"Body version {version} is stale; the item is at version {item.version}.",
            errors=[{"field": "version", "message": f"Current version is {item.version}."}])
    mv = _Movement(item=item, lots=lots, type=T.COUNT, actor=actor, retail_partner=None, reason=reason,
                   reference="", idempotency_key=idempotency_key)
    seen = set()
    for index, entry in enumerate(counts):
        warehouse = _warehouse(supplier, entry.get("warehouse_code"), f"lots[{index}].warehouseLocation")
        batch = Batch.objects.filter(product=product, batch_number=entry.get("batch_number"),
                                     supplier=supplier).first()
        if batch is None:
            raise ValidationFailed.for_field(f"lots[{index}].batchNumber",
                                             f"{supplier.code} has no batch {entry.get('batch_number')!r}.")
        if (warehouse.pk, batch.pk) in seen:
            raise ValidationFailed.for_field(f"lots[{index}]", "The same lot is counted twice.")
        seen.add((warehouse.pk, batch.pk))
        counted = entry["inventory_level"]
        lot = _lot_for(item, lots, warehouse, batch, create=counted > 0)
        if lot is None:
            continue
        if counted < lot.reserved:
            raise InsufficientStock(
                f"Counted {counted} units of {batch.batch_number} in {warehouse.code}, below the {lot.reserved} "
                f"reserved; release reservations first.",
                errors=[{"field": f"lots[{index}].inventoryLevel", "message": f"{lot.reserved} units are reserved."}])
        delta = counted - lot.on_hand
        # A count below the lot's quarantined units shrinks the quarantine with it.
        quarantine_delta = min(0, (counted - lot.reserved) - lot.quarantined)
        mv.change(lot, quantity=delta, on_hand=delta, quarantined=quarantine_delta)
    rows = mv.finish()
    if any(row.on_hand_delta > 0 for row in rows):
        _notify_arrival(item.pk)
    return MovementResult(item=item, lots=lots, transactions=rows)


# --- building blocks for orders, shipments, returns and recalls -----------------------


def lots_reserve(*, item: InventoryItem, lots: list[StockLot], quantity: int, min_expiry: datetime | None,
                 retail_partner: RetailPartner | None, actor: Principal | None, reference: str,
                 reason: str = "") -> MovementResult:
    """Reserve up to ``quantity`` FEFO on an item already locked; returns what was reserved."""
    mv = _Movement(item=item, lots=lots, type=T.RESERVATION, actor=actor, retail_partner=retail_partner,
                   reason=reason, reference=reference, idempotency_key="")
    plan = _reserve(mv, fefo(lots), quantity, min_expiry=min_expiry, partial=True)
    rows = mv.finish()
    return MovementResult(item=item, lots=lots, transactions=rows, allocations=plan)


def lots_apply(*, item: InventoryItem, lots: list[StockLot], type: str, changes: list[tuple[int, int, int, int]],
               actor: Principal | None, retail_partner: RetailPartner | None, reference: str,
               reason: str = "") -> MovementResult:
    """Apply ``(lot_id, on_hand, reserved, quarantined)`` deltas to an item already locked.

    For releases, shipments and returns decided by the orders app; the rules that keep
    quantities valid are the database's CheckConstraints plus the checks here.
    """
    by_id = {lot.pk: lot for lot in lots}
    mv = _Movement(item=item, lots=lots, type=type, actor=actor, retail_partner=retail_partner, reason=reason,
                   reference=reference, idempotency_key="")
    for lot_id, on_hand, reserved, quarantined in changes:
        lot = by_id[lot_id]
        if lot.reserved + reserved < 0 or lot.on_hand + on_hand < lot.reserved + reserved + lot.quarantined \
                + quarantined:
            raise _insufficient(item, abs(on_hand or reserved), max(lot.reserved, 0), "reserved in that lot")
        mv.change(lot, quantity=abs(on_hand) or abs(reserved) or abs(quarantined), on_hand=on_hand,
                  reserved=reserved, quarantined=quarantined)
    rows = mv.finish()
    return MovementResult(item=item, lots=lots, transactions=rows)


def lot_ensure(*, item: InventoryItem, lots: list[StockLot], warehouse: Warehouse, batch: Batch) -> StockLot:
    return _lot_for(item, lots, warehouse, batch, create=True)


@transaction.atomic
def batch_set_status(*, batch: Batch, status: str, reason: str = "") -> Batch:
    """Quarantine, release or recall a batch. Held batches count as on hold, never available."""
    if status not in Batch.Status.values:
        raise ValidationFailed.for_field("status", f"Must be one of {', '.join(Batch.Status.values)}.")
    item_ids = set(StockLot.objects.filter(batch=batch).values_list("item_id", flat=True))
    items = lock_items(item_ids)
    lots_by_item = {item_id: [] for item_id in items}
    for lot in lock_lots(item_ids):
        lots_by_item[lot.item_id].append(lot)
    before = {item_id: item_totals(lots) for item_id, lots in lots_by_item.items()}
    Batch.objects.filter(pk=batch.pk).update(status=status, status_reason=reason[:500],
                                              status_changed_at=timezone.now())
    batch.status, batch.status_reason = status, reason
    now = timezone.now()
    for item_id, item in items.items():
        for lot in lots_by_item[item_id]:
            if lot.batch_id == batch.pk:
                lot.batch = batch
        _version_bump(item, now)
        _emit_item_updated(item, lots_by_item[item_id], {
            "type": f"batch.{status}", "batch_number": batch.batch_number, "reason": reason,
            "transactions": [], "before": before[item_id]})
    if status == Batch.Status.QUARANTINED:
        event_emit(type="batch.quarantined", data=batch_view(batch), supplier_ids=[batch.supplier_id])
    return batch


def batch_view(batch: Batch) -> dict:
    return {
        "product_id": batch.product.sku,
        "supplier_id": batch.supplier.code,
        "batch_number": batch.batch_number,
        "production_date": batch.production_date.isoformat() if batch.production_date else None,
        "expiration_date": ts(batch.expiration_date),
        "status": batch.status,
        "status_reason": batch.status_reason,
    }


def lots_record(*, item: InventoryItem, lots: list[StockLot], type: str,
                rows: list[tuple[int, int, int, int, int, str]], actor: Principal | None,
                retail_partner: RetailPartner | None, reference: str, reason: str = "") -> MovementResult:
    """Like ``lots_apply``, with ``(lot_id, quantity, on_hand, reserved, quarantined, reason)`` rows.

    A row may leave every balance unchanged: a returned unit written off on arrival is
    ledgered against its lot but never goes on hand, so reconciliation stays exact.
    """
    by_id = {lot.pk: lot for lot in lots}
    mv = _Movement(item=item, lots=lots, type=type, actor=actor, retail_partner=retail_partner, reason=reason,
                   reference=reference, idempotency_key="")
    for lot_id, quantity, on_hand, reserved, quarantined, row_reason in rows:
        lot = by_id[lot_id]
        if lot.reserved + reserved < 0 or lot.on_hand + on_hand < lot.reserved + reserved + lot.quarantined \
                + quarantined:
            raise _insufficient(item, abs(on_hand or reserved), max(lot.reserved, 0), "reserved in that lot")
        if on_hand or reserved or quarantined:
            mv.change(lot, quantity=quantity, on_hand=on_hand, reserved=reserved, quarantined=quarantined)
            mv.rows[-1].reason = (row_reason or reason)[:500]
            continue
        mv.rows.append(InventoryTransaction(
            movement_id=mv.movement_id, item=item, lot=lot, type=type, quantity=quantity,
            on_hand_after=lot.on_hand, reserved_after=lot.reserved, supplier_id=item.supplier_id,
            product_id=item.product_id, warehouse=lot.warehouse, batch=lot.batch, retail_partner=retail_partner,
            actor_client=getattr(actor, "client", None), actor_user=getattr(actor, "user", None),
            reason=(row_reason or reason)[:500], reference=reference[:200], created_at=mv.now))
    rows_written = mv.finish()
    return MovementResult(item=item, lots=lots, transactions=rows_written)
