"""A retailer confirms what arrived: the shipment becomes delivered, every difference opens a discrepancy."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone

from hotsauce.errors import InvalidState, ValidationFailed
from inventory.models import Batch, Product
from inventory.selectors import shelf_life_cutoff
from orders import services as orders
from orders.feedback.models import Discrepancy, Receipt, ReceiptLine
from orders.feedback.services.common import author_of, discrepancy_insert
from orders.models import Shipment, ShipmentLine
from partners.principal import Principal

K = Discrepancy.Kind
C = Discrepancy.Cause


@dataclass
class ReceiptLineRequest:
    product: Product
    batch_number: str
    received_quantity: int
    damaged_quantity: int = 0


def _validate(lines: list[ReceiptLineRequest]) -> None:
    if not lines:
        raise ValidationFailed.for_field("lines", "List at least one counted line.")
    errors = []
    seen: set[tuple[int, str]] = set()
    for index, line in enumerate(lines):
        if line.received_quantity < 0:
            errors.append({"field": f"lines[{index}].receivedQuantity", "message": "Must not be negative."})
        if line.damaged_quantity < 0:
            errors.append({"field": f"lines[{index}].damagedQuantity", "message": "Must not be negative."})
        elif line.damaged_quantity > line.received_quantity:
            errors.append({"field": f"lines[{index}].damagedQuantity",
                           "message": "Damaged units are counted among the received units: at most "
                                      "receivedQuantity."})
        key = (line.product.pk, line.batch_number)
        if key in seen:
            errors.append({"field": f"lines[{index}].batchNumber",
                           "message": "This product and lot are listed twice; add them up in one line."})
        seen.add(key)
    if errors:
        raise ValidationFailed("Some receipt lines are invalid.", errors=errors)


def _deliver(shipment: Shipment, actor: Principal | None) -> None:
    if shipment.status == Shipment.Status.DELIVERED:
        return
    try:
        orders.shipment_deliver(shipment=shipment, actor=actor)
    except InvalidState:
        # A plain deliver committed since we read the shipment: the count still stands.
        if not Shipment.objects.filter(pk=shipment.pk, status=Shipment.Status.DELIVERED).exists():
            raise


@dataclass
class _Count:
    product: Product
    batch_number: str
    batch: Batch | None
    shipped: int = 0
    received: int = 0
    damaged: int = 0


def _counts(shipment: Shipment, lines: list[ReceiptLineRequest]) -> list[_Count]:
    """Shipped against counted, per product and lot; lots the retailer did not list count as 0 received."""
    counts: dict[tuple[int, str], _Count] = {}
    for line in ShipmentLine.objects.filter(shipment=shipment).select_related("product", "batch").order_by("pk"):
        key = (line.product_id, line.batch.batch_number)
        entry = counts.setdefault(key, _Count(line.product, line.batch.batch_number, line.batch))
        entry.shipped += line.quantity
    unknown = {(line.product.pk, line.batch_number) for line in lines} - set(counts)
    batches = {(b.product_id, b.batch_number): b for b in Batch.objects.filter(
        product_id__in={pk for pk, _ in unknown}, batch_number__in={number for _, number in unknown})}
    for line in lines:
        key = (line.product.pk, line.batch_number)
        entry = counts.setdefault(key, _Count(line.product, line.batch_number, batches.get(key)))
        entry.received, entry.damaged = line.received_quantity, line.damaged_quantity
    return list(counts.values())


def _findings(count: _Count, *, shipped_products: set[int], cutoff) -> list[dict]:
    """The discrepancies one counted lot gives rise to (kind, cause, quantity, description)."""
    sku, lot = count.product.sku, count.batch_number
    found = []
    if count.shipped and count.received < count.shipped:
        found.append({"kind": K.SHORTAGE, "cause": C.SHORT_RECEIVED, "quantity": count.shipped - count.received,
                      "description": f"Shipped {count.shipped} of {sku} lot {lot}; {count.received} received."})
    elif count.shipped and count.received > count.shipped:
        found.append({"kind": K.OVERAGE, "cause": C.OVER_RECEIVED, "quantity": count.received - count.shipped,
                      "description": f"Shipped {count.shipped} of {sku} lot {lot}; {count.received} received."})
    elif not count.shipped and count.received:
        wrong_lot = count.product.pk in shipped_products
        found.append({"kind": K.WRONG_ITEM, "cause": C.WRONG_LOT if wrong_lot else C.WRONG_PRODUCT,
                      "quantity": count.received,
                      "description": f"Received {count.received} of {sku} lot {lot}, which the shipment did not "
                                     f"contain{' (another lot of this product was shipped)' if wrong_lot else ''}."})
    if count.damaged:
        found.append({"kind": K.DAMAGE, "cause": C.DAMAGED, "quantity": count.damaged,
                      "description": f"{count.damaged} of {count.received} received units of {sku} lot {lot} "
                                     f"arrived damaged."})
    sound = count.received - count.damaged
    if sound and count.batch is not None and count.batch.expiration_date < cutoff:
        found.append({"kind": K.QUALITY, "cause": C.SHORT_SHELF_LIFE, "quantity": sound,
                      "description": f"{sku} lot {lot} expires {count.batch.expiration_date:%Y-%m-%d}, before the "
                                     f"retailer's minimum shelf life ({cutoff:%Y-%m-%d} on arrival)."})
    return found


@transaction.atomic
def receipt_confirm(*, shipment: Shipment, lines: list[ReceiptLineRequest], actor: Principal | None,
                    note: str = "") -> Receipt:
    """Record the retailer's count of a shipment, deliver it if it is still in transit, open discrepancies.

    Once per shipment: a shipment already marked delivered by a plain ``deliver`` (the
    carrier's proof of delivery) may still be counted once; a second receipt is 409."""
    _validate(lines)
    shipment = Shipment.objects.select_related("order", "supplier", "retail_partner").get(pk=shipment.pk)
    if Receipt.objects.filter(shipment=shipment).exists():
        raise InvalidState(f"The receipt of shipment {shipment.code} was already confirmed.",
                           extra={"shipmentStatus": shipment.status})
    author = author_of(actor)
    now = timezone.now()
    arrival = shipment.delivered_at or now  # shelf life is judged on the day the goods arrived
    try:
        # First, before any lock or event: the unique shipment arbitrates concurrent receipts.
        with transaction.atomic():
            receipt = Receipt.objects.create(shipment=shipment, received_at=now, note=note[:1000],
                                             created_by=author.client, created_by_user=author.user)
    except IntegrityError:
        raise InvalidState(f"The receipt of shipment {shipment.code} was already confirmed.") from None
    _deliver(shipment, actor)
    counts = _counts(shipment, lines)
    ReceiptLine.objects.bulk_create([
        ReceiptLine(receipt=receipt, product=c.product, batch=c.batch, batch_number=c.batch_number,
                    shipped_quantity=c.shipped, received_quantity=c.received, damaged_quantity=c.damaged)
        for c in counts])
    shipped_products = {c.product.pk for c in counts if c.shipped}
    cutoff = shelf_life_cutoff(shipment.retail_partner.minimum_shelf_life_days, arrival)
    for count in counts:
        for finding in _findings(count, shipped_products=shipped_products, cutoff=cutoff):
            discrepancy_insert(actor=actor, now=now, supplier=shipment.supplier,
                               retail_partner=shipment.retail_partner, order=shipment.order, shipment=shipment,
                               receipt=receipt, product=count.product, batch=count.batch,
                               batch_number=count.batch_number, expected_quantity=count.shipped,
                               actual_quantity=count.received, **finding)
    return receipt
