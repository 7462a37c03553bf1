"""What every movement needs before it changes anything: the warehouse, the batch, the lots to use."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import IntegrityError, transaction

from hotsauce.errors import InsufficientStock, NotFound, ValidationFailed
from inventory.models import Batch, InventoryItem, Product, StockLot, Warehouse
from inventory.selectors import fefo
from inventory.services.work import StockWork
from partners.models import RetailPartner, Supplier, TradingRelationship


def warehouse_resolve(supplier: Supplier, code: str | None, field_name: str = "warehouseLocation",
                      required: bool = True) -> Warehouse | None:
    """The supplier's warehouse by code; when none is named and one is required, its only warehouse."""
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


def batch_resolve(supplier: Supplier, product: Product, number: str | None, required: bool = True) -> Batch | None:
    if not number:
        if required:
            raise ValidationFailed.for_field("batchNumber", "This field is required.")
        return None
    batch = Batch.objects.filter(product=product, batch_number=number).first()
    if batch is None or batch.supplier_id != supplier.pk:
        raise ValidationFailed.for_field("batchNumber", f"{supplier.code} has no batch {number!r} of {product.sku}.")
    return batch


def trading_check(supplier: Supplier, retail_partner: RetailPartner | None) -> None:
    if retail_partner is not None and not TradingRelationship.objects.filter(
            supplier=supplier, retail_partner=retail_partner, active=True).exists():
        raise ValidationFailed.for_field(
            "retailPartnerId", f"{retail_partner.code} has no active trading relationship with {supplier.code}.")


def item_locked(work: StockWork, *, supplier: Supplier, product: Product,
                create: bool = False) -> tuple[InventoryItem, list[StockLot]]:
    """Lock one item and its lots for this work (creating the item if asked)."""
    item_id = InventoryItem.objects.filter(supplier=supplier, product=product).values_list("pk", flat=True).first()
    if item_id is None:
        if not create:
            raise NotFound(f"{supplier.code} holds no stock of {product.sku}.")
        item_id = item_ids_ensure(supplier=supplier, products=[product])[product.pk]
    locked = work.lock([item_id])
    return locked.item(item_id), locked.lots_of(item_id)


def lot_ensure(*, item: InventoryItem, lots: list[StockLot], warehouse: Warehouse, batch: Batch) -> StockLot:
    """The item's lot of ``batch`` in ``warehouse`` (created empty if new; the item is locked)."""
    lot = lot_find(lots, warehouse, batch)
    if lot is None:
        lot = StockLot.objects.create(item=item, warehouse=warehouse, batch=batch)
        lot.warehouse, lot.batch = warehouse, batch
        lots.append(lot)
    return lot


def lot_find(lots: list[StockLot], warehouse: Warehouse, batch: Batch) -> StockLot | None:
    return next((lot for lot in lots if lot.warehouse_id == warehouse.pk and lot.batch_id == batch.pk), None)


def lots_select(lots: list[StockLot], warehouse: Warehouse | None, batch: Batch | None) -> list[StockLot]:
    """The lots a movement may use, first-expired-first-out."""
    return [lot for lot in fefo(lots)
            if (warehouse is None or lot.warehouse_id == warehouse.pk) and (batch is None or lot.batch_id == batch.pk)]


def insufficient(item: InventoryItem, requested: int, available: int, what: str = "available") -> InsufficientStock:
    return InsufficientStock(
        f"Requested {requested} units of {item.product.sku} from {item.supplier.code}; {available} {what}.",
        errors=[{"field": "quantity", "message": f"Only {available} units {what}."}])


def item_ids_ensure(*, supplier: Supplier, products: Iterable[Product | int]) -> dict[int, int]:
    """product id -> inventory item id, creating missing items (e.g. for an order to wait on)."""
    product_ids = {p if isinstance(p, int) else p.pk for p in products}
    found = dict(InventoryItem.objects.filter(supplier=supplier, product_id__in=product_ids)
                 .values_list("product_id", "pk"))
    missing = sorted(product_ids - set(found))
    if len(missing) > 1:
        # One INSERT for all of them (an order's lines); items created concurrently are skipped and read.
        InventoryItem.objects.bulk_create([InventoryItem(supplier=supplier, product_id=product_id)
                                           for product_id in missing], ignore_conflicts=True)
        found.update(InventoryItem.objects.filter(supplier=supplier, product_id__in=missing)
                     .values_list("product_id", "pk"))
        return found
    for product_id in missing:
        try:
            with transaction.atomic():
                found[product_id] = InventoryItem.objects.create(supplier=supplier, product_id=product_id).pk
        except IntegrityError:  # created concurrently
            found[product_id] = InventoryItem.objects.get(supplier=supplier, product_id=product_id).pk
    return found
