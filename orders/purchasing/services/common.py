"""What the purchasing services share: the state machine, the purchase order lock, events."""

from __future__ import annotations

from django.utils import timezone

from hotsauce.errors import InvalidState
from orders.purchasing.models import PurchaseOrder
from orders.purchasing.selectors import purchase_order_view
from partners.principal import Principal
from webhooks.services import event_emit

P = PurchaseOrder.Status

# Statuses a service may move a purchase order to from each status; anything else is 409 invalid_state.
TRANSITIONS: dict[str, set[str]] = {
    P.DRAFT: {P.SUBMITTED, P.CANCELLED},
    P.SUBMITTED: {P.ACKNOWLEDGED, P.PARTIALLY_RECEIVED, P.RECEIVED, P.CANCELLED},
    P.ACKNOWLEDGED: {P.SHIPPED, P.PARTIALLY_RECEIVED, P.RECEIVED, P.CANCELLED},
    P.SHIPPED: {P.PARTIALLY_RECEIVED, P.RECEIVED},
    P.PARTIALLY_RECEIVED: {P.RECEIVED},
    P.RECEIVED: set(),
    P.CANCELLED: set(),
}
CLOSED = (P.RECEIVED, P.CANCELLED)


def client_of(actor: Principal | None):
    return getattr(actor, "client", None)


def lock_purchase_order(pk: int) -> PurchaseOrder:
    """Lock a purchase order after any stock it touches (``inventory.locks``: items, lots, batches, orders)."""
    return (PurchaseOrder.objects.select_related("supplier", "ship_to_supplier", "ship_to_warehouse")
            .select_for_update(of=("self",), no_key=True).get(pk=pk))


def require(po: PurchaseOrder, allowed: tuple[str, ...], doing: str) -> None:
    if po.status not in allowed:
        raise InvalidState(f"Purchase order {po.code} is {po.status}; it cannot be {doing}.",
                           extra={"purchaseOrderStatus": po.status})


def transition(po: PurchaseOrder, status: str, **stamps) -> None:
    """Move a purchase order to ``status`` (a legal step, or staying put) and set timestamps."""
    if status != po.status and status not in TRANSITIONS[po.status]:
        raise InvalidState(f"Purchase order {po.code} is {po.status}; it cannot become {status}.",
                           extra={"purchaseOrderStatus": po.status})
    now = timezone.now()
    fields = {"status": status, "updated_at": now, **stamps}
    if status in CLOSED and po.closed_at is None:
        fields["closed_at"] = now
    PurchaseOrder.objects.filter(pk=po.pk).update(**fields)
    for name, value in fields.items():
        setattr(po, name, value)


def po_emit(po: PurchaseOrder, what: str) -> dict:
    """``purchaseOrder.<what>`` to the two parties: the brand (which sees every event) and the suppliers
    that fulfil and receive it, once the order is submitted (a draft is the brand's own)."""
    view = purchase_order_view(po, fresh=True)
    parties = [] if po.status == P.DRAFT else sorted({po.supplier_id, po.ship_to_supplier_id})
    event_emit(type=f"purchaseOrder.{what}", data=view, supplier_ids=parties)
    return view
