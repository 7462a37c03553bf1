"""Purchase orders: drafted (by hand or from a restock alert), submitted, acknowledged, cancelled."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from hotsauce.errors import InvalidState, ValidationFailed
from inventory import forecast_selectors
from inventory import services as stock
from inventory.models import InventoryItem, Product, ReplenishmentPolicy, RestockAlert, StockLot, Warehouse
from inventory.selectors import item_available_subquery
from orders.purchasing.models import PurchaseOrder, PurchaseOrderLine
from orders.purchasing.services.common import P, client_of, lock_purchase_order, po_emit, require, transition
from partners.models import Supplier
from partners.principal import Principal


@dataclass
class LineRequest:
    product: Product
    quantity: int
    requested_date: date
    unit_of_measure: str = PurchaseOrderLine.Unit.EACH
    case_pack: int = 1


def _lines_validate(lines: list[LineRequest], today: date) -> list[dict]:
    errors, seen = [], set()
    if not lines:
        errors.append({"field": "lines", "message": "A purchase order needs at least one line."})
    for index, line in enumerate(lines):
        if line.product.pk in seen:
            errors.append({"field": f"lines[{index}].productId", "message": "One line per product."})
        seen.add(line.product.pk)
        if line.quantity <= 0 or line.case_pack <= 0:
            errors.append({"field": f"lines[{index}].quantity", "message": "Must be a positive whole number."})
        elif line.quantity % line.case_pack:
            errors.append({"field": f"lines[{index}].quantity",
                           "message": f"Must be a whole number of cases of {line.case_pack}."})
        if line.requested_date < today:
            errors.append({"field": f"lines[{index}].requestedDate", "message": "Must not be in the past."})
        if line.unit_of_measure not in PurchaseOrderLine.Unit.values:
            errors.append({"field": f"lines[{index}].unitOfMeasure",
                           "message": f"Must be one of {', '.join(PurchaseOrderLine.Unit.values)}."})
    return errors


def _ship_to_warehouse(ship_to: Supplier, code: str | None, product: Product | None = None) -> Warehouse:
    """The named warehouse; else the one already holding most of the product; else the first active one."""
    if code:
        return stock.warehouse_resolve(ship_to, code)
    if product is not None:
        holding = (StockLot.objects.filter(item__supplier=ship_to, item__product=product, warehouse__active=True)
                   .values("warehouse_id").annotate(n=Sum("on_hand")).order_by("-n", "warehouse_id").first())
        if holding:
            return Warehouse.objects.get(pk=holding["warehouse_id"])
    warehouse = Warehouse.objects.filter(supplier=ship_to, active=True).order_by("code").first()
    if warehouse is None:
        raise ValidationFailed.for_field("warehouseLocation", f"{ship_to.code} has no warehouse to receive into.")
    return warehouse


def _create(*, supplier: Supplier, ship_to: Supplier, warehouse: Warehouse, lines: list[LineRequest],
            actor: Principal | None, status: str, reference: str = "", alert: RestockAlert | None = None
            ) -> PurchaseOrder:
    now = timezone.now()
    po = PurchaseOrder.objects.create(
        supplier=supplier, ship_to_supplier=ship_to, ship_to_warehouse=warehouse, status=status, alert=alert,
        reference=reference[:200], created_by=client_of(actor), created_by_user=getattr(actor, "user", None),
        submitted_at=now if status == P.SUBMITTED else None)
    po.code = f"PO-{po.pk:06d}"
    PurchaseOrder.objects.filter(pk=po.pk).update(code=po.code)
    PurchaseOrderLine.objects.bulk_create([
        PurchaseOrderLine(purchase_order=po, line_number=index, product=line.product, quantity=line.quantity,
                          unit_of_measure=line.unit_of_measure, case_pack=line.case_pack,
                          requested_date=line.requested_date) for index, line in enumerate(lines, start=1)])
    po.view = po_emit(po, "created")
    return po


def purchase_order_create(*, supplier: Supplier, lines: list[LineRequest], actor: Principal | None,
                          ship_to_supplier: Supplier | None = None, warehouse_code: str | None = None,
                          reference: str = "", draft: bool = False) -> PurchaseOrder:
    """A purchase order from the brand to ``supplier``, delivered to ``ship_to_supplier`` (default: the
    supplier itself); submitted at once unless ``draft``."""
    ship_to = ship_to_supplier or supplier
    errors = _lines_validate(lines, timezone.now().date())
    warehouse = None
    try:
        warehouse = _ship_to_warehouse(ship_to, warehouse_code, lines[0].product if lines else None)
    except ValidationFailed as exc:
        errors += exc.errors
    if errors:
        raise ValidationFailed(errors[0]["message"], errors=errors)
    with transaction.atomic():
        return _create(supplier=supplier, ship_to=ship_to, warehouse=warehouse, lines=lines, actor=actor,
                       status=P.DRAFT if draft else P.SUBMITTED, reference=reference)


def _suggested(alert: RestockAlert) -> int:
    """The alert's suggested quantity; for an alert opened without one, the item's live suggestion."""
    if alert.suggested_order_quantity:
        return alert.suggested_order_quantity
    item = (InventoryItem.objects.select_related("supplier", "product", "forecast")
            .annotate(available=item_available_subquery(timezone.now())).get(pk=alert.item_id))
    return forecast_selectors.forecast_views([item])[0]["suggested_order_quantity"]


def purchase_order_from_alert(*, alert: RestockAlert, actor: Principal | None, supplier: Supplier | None = None,
                              warehouse_code: str | None = None) -> PurchaseOrder:
    """A draft purchase order for a restock alert's suggested quantity (one call, one admin click).

    Sent to ``supplier``, else the policy's ``purchase_from``, else the supplier holding the item;
    delivered to the item's supplier; one line, in whole case packs, requested a lead time from today.
    """
    with transaction.atomic():
        alert = RestockAlert.objects.select_for_update().select_related("item__supplier", "item__product").get(
            pk=alert.pk)
        if alert.status not in RestockAlert.ACTIVE:
            raise InvalidState(f"Alert {alert.pk} is {alert.status}: nothing to order.")
        existing = alert.purchase_orders.exclude(status=P.CANCELLED).first()
        if existing is not None:
            raise InvalidState(f"Alert {alert.pk} already has purchase order {existing.code}.",
                               extra={"purchaseOrderId": existing.code})
        item = alert.item
        policy = ReplenishmentPolicy.objects.filter(supplier=item.supplier, product=item.product).select_related(
            "purchase_from").first()
        case_pack = policy.case_pack if policy else 1
        quantity = math.ceil(_suggested(alert) / case_pack) * case_pack
        if quantity <= 0:
            raise InvalidState(f"Alert {alert.pk} suggests ordering nothing.")
        lead = math.ceil(float(policy.lead_time_days)) if policy else 7
        vendor = supplier or (policy.purchase_from if policy and policy.purchase_from_id else item.supplier)
        line = LineRequest(product=item.product, quantity=quantity, case_pack=case_pack,
                           requested_date=timezone.now().date() + timedelta(days=lead))
        return _create(supplier=vendor, ship_to=item.supplier, lines=[line], actor=actor, status=P.DRAFT,
                       warehouse=_ship_to_warehouse(item.supplier, warehouse_code, item.product), alert=alert,
                       reference=f"restock alert {alert.pk}")


def purchase_order_submit(*, po: PurchaseOrder, actor: Principal | None) -> PurchaseOrder:
    """Send a draft to its supplier."""
    with transaction.atomic():
        po = lock_purchase_order(po.pk)
        require(po, (P.DRAFT,), "submitted")
        transition(po, P.SUBMITTED, submitted_at=timezone.now())
        po.view = po_emit(po, "submitted")
    return po


@dataclass
class AckLine:
    product: Product
    promised_date: date
    promised_quantity: int | None = None


def _ack_validate(po: PurchaseOrder, lines: list[AckLine], today: date) -> dict[int, AckLine]:
    ordered = {line.product_id: line for line in po.lines.all()}
    errors, promised = [], {}
    for index, ack in enumerate(lines):
        line = ordered.get(ack.product.pk)
        if line is None:
            errors.append({"field": f"lines[{index}].productId",
                           "message": f"{po.code} has no line for {ack.product.sku}."})
            continue
        if ack.product.pk in promised:
            errors.append({"field": f"lines[{index}].productId", "message": "One promise per line."})
        if ack.promised_date < today:
            errors.append({"field": f"lines[{index}].promisedDate", "message": "Must not be in the past."})
        if ack.promised_quantity is not None and not 0 < ack.promised_quantity <= line.quantity:
            errors.append({"field": f"lines[{index}].promisedQuantity",
                           "message": f"Between 1 and the {line.quantity} ordered."})
        promised[ack.product.pk] = ack
    missing = [line.product.sku for product_id, line in ordered.items()
               if product_id not in promised and line.promised_date is None]
    if missing:
        errors.append({"field": "lines", "message": f"Promise a date for every line: {', '.join(missing)}."})
    if errors:
        raise ValidationFailed(errors[0]["message"], errors=errors)
    return promised


def purchase_order_acknowledge(*, po: PurchaseOrder, lines: list[AckLine], actor: Principal | None,
                               note: str = "") -> PurchaseOrder:
    """The supplier accepts the order with a promised date (and quantity, if less) per line; acknowledging
    again re-promises lines not yet received in full."""
    with transaction.atomic():
        po = lock_purchase_order(po.pk)
        require(po, (P.SUBMITTED, P.ACKNOWLEDGED, P.SHIPPED, P.PARTIALLY_RECEIVED), "acknowledged")
        promised = _ack_validate(po, lines, timezone.now().date())
        for line in po.lines.all():
            ack = promised.get(line.product_id)
            if ack is not None:
                PurchaseOrderLine.objects.filter(pk=line.pk).update(
                    promised_date=ack.promised_date, promised_quantity=ack.promised_quantity)
        now = timezone.now()
        status = P.ACKNOWLEDGED if po.status == P.SUBMITTED else po.status
        transition(po, status, acknowledged_at=now, note=note[:1000])
        po.view = po_emit(po, "acknowledged")
    return po


def purchase_order_cancel(*, po: PurchaseOrder, actor: Principal | None) -> PurchaseOrder:
    """Withdraw an order nothing has been shipped or received against."""
    with transaction.atomic():
        po = lock_purchase_order(po.pk)
        require(po, (P.DRAFT, P.SUBMITTED, P.ACKNOWLEDGED), "cancelled (goods are on their way or in)")
        transition(po, P.CANCELLED)
        po.view = po_emit(po, "cancelled")
    return po
