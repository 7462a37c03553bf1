"""The supplier's acknowledgement of an order (accept, reject, partial), its event and its 855."""

from __future__ import annotations

from django.db import IntegrityError, transaction

from hotsauce.errors import InvalidState, ValidationFailed
from inventory.models import Product
from orders import services
from orders.edi.models import AcknowledgementLine, EdiDocument, OrderAcknowledgement
from orders.edi.services.documents import outbound_issue
from orders.edi.services.ship_notices import item_ids
from orders.models import Order, OrderLine
from orders.selectors import order_view
from partners.attributes.selectors import partner_data
from partners.principal import Principal
from webhooks.services import event_emit

Decision = OrderAcknowledgement.Decision
# BAK02 and ACK01 codes of the 855.
BAK02 = {Decision.ACCEPT: "AD", Decision.PARTIAL: "AC", Decision.REJECT: "RD"}


def _accepted(order_lines: list[OrderLine], decision: str, lines: list[tuple[Product, int]] | None) -> dict[int, int]:
    """Accepted units per order line: all (accept), none (reject) or as the partial lines say."""
    if decision == Decision.ACCEPT:
        if lines:
            raise ValidationFailed.for_field("lines", "An accept takes every line as ordered; send no lines.")
        return {line.pk: line.quantity for line in order_lines}
    if decision == Decision.REJECT:
        return {line.pk: 0 for line in order_lines}
    if not lines:
        raise ValidationFailed.for_field("lines", "A partial acknowledgement lists the accepted quantity per product.")
    by_product = {line.product_id: line for line in order_lines}
    accepted = {line.pk: 0 for line in order_lines}
    for index, (product, quantity) in enumerate(lines):
        line = by_product.get(product.pk)
        if line is None:
            raise ValidationFailed.for_field(f"lines[{index}].productId", f"The order has no line for {product.sku}.")
        if quantity > line.quantity:
            raise ValidationFailed.for_field(f"lines[{index}].quantity",
                                             f"{product.sku} was ordered {line.quantity}; at most that is accepted.")
        accepted[line.pk] = quantity
    if all(accepted[line.pk] == line.quantity for line in order_lines):
        raise ValidationFailed.for_field("decision", "Every line is accepted in full: that is an accept.")
    return accepted


def acknowledgement_view(ack: OrderAcknowledgement) -> dict:
    return {"order_id": ack.order.code, "decision": ack.decision, "reason": ack.reason,
            "acknowledged_at": ack.created_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "lines": [{"product_id": line.order_line.product.sku, "ordered_quantity": line.order_line.quantity,
                       "accepted_quantity": line.accepted_quantity} for line in ack.lines.all()]}


def acknowledgment_body(ack: OrderAcknowledgement) -> list[tuple]:
    order = ack.order
    body: list[tuple] = [("BAK", "00", BAK02[ack.decision], order.reference or order.code,
                          f"{order.created_at:%Y%m%d}", "", "", "", order.code)]
    for number, line in enumerate(ack.lines.all(), start=1):
        ordered, accepted = line.order_line.quantity, line.accepted_quantity
        product = line.order_line.product
        body.append(("PO1", str(number), str(ordered), "EA", "", "", *item_ids(product.sku, product.gtin)))
        if accepted == ordered:
            body.append(("ACK", "IA", str(accepted), "EA"))
        elif accepted == 0:
            body.append(("ACK", "IR", str(ordered), "EA"))
        else:
            body += [("ACK", "IQ", str(accepted), "EA"), ("ACK", "IR", str(ordered - accepted), "EA")]
    body.append(("CTT", str(len(ack.lines.all()))))
    return body


@transaction.atomic
def order_acknowledge(*, order: Order, decision: str, lines: list[tuple[Product, int]] | None = None,
                      reason: str = "", actor: Principal | None = None) -> OrderAcknowledgement:
    """Record the supplier's answer once; a reject cancels the order (releasing what it holds).

    The retailer hears it as ``order.acknowledged`` and, where its profile asks, as an 855.
    A partial acknowledgement records the accepted quantities; the order keeps its lines
    (the retailer may cancel the rest).
    """
    if decision not in Decision.values:
        raise ValidationFailed.for_field("decision", f"Must be one of {', '.join(Decision.values)}.")
    if order.status not in services.CANCELLABLE:
        raise InvalidState(f"Order {order.code} is {order.status}; only an order with nothing shipped is "
                           f"acknowledged.", extra={"orderStatus": order.status})
    order_lines = list(OrderLine.objects.filter(order=order).select_related("product").order_by("pk"))
    accepted = _accepted(order_lines, decision, lines)
    if decision == Decision.REJECT:
        order = services.order_cancel(order=order, actor=actor, reason=reason or "rejected by the supplier")
    try:
        with transaction.atomic():
            ack = OrderAcknowledgement.objects.create(order=order, decision=decision, reason=reason[:500],
                                                      created_by=getattr(actor, "client", None))
    except IntegrityError:
        raise InvalidState(f"Order {order.code} was already acknowledged.") from None
    AcknowledgementLine.objects.bulk_create([AcknowledgementLine(acknowledgement=ack, order_line=line,
                                                                 accepted_quantity=accepted[line.pk])
                                             for line in order_lines])
    ack = OrderAcknowledgement.objects.select_related("order__supplier", "order__retail_partner").prefetch_related(
        "lines__order_line__product").get(pk=ack.pk)
    data = {**order_view(order), "acknowledgement": acknowledgement_view(ack)}
    event_emit(type="order.acknowledged", data=data, partner_data=partner_data(data),
               supplier_ids=[order.supplier_id], retail_partner_ids=[order.retail_partner_id])
    po_acknowledgment_issue(ack=ack, actor=actor)
    return ack


def po_acknowledgment_issue(*, ack: OrderAcknowledgement, actor: Principal | None = None) -> EdiDocument | None:
    order = ack.order
    return outbound_issue(transaction_set="855", supplier=order.supplier, retail_partner=order.retail_partner,
                          bodies=[acknowledgment_body(ack)], actor=actor, order=order)
