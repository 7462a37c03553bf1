"""Every write of the partner workflow: orders, shipments, returns, backorders and recalls.

- ``orders``: placing, cancelling, back-filling orders and the supplier's reservation for an order;
- ``shipments``: shipping allocated units and confirming delivery;
- ``returns``: what a retailer may send back, and taking it back into stock;
- ``recalls``: holding a batch, freeing and re-allocating what it held, telling retailers;
- ``common``: the order state machine, order locks, allocating stock to lines.

Other modules import from here (``from orders import services``), never from the submodules.
"""

from orders.services.common import CANCELLABLE, OPEN_STATUSES, TRANSITIONS, lock_orders
from orders.services.orders import (
    MOVEMENTS,
    LineRequest,
    backorders_allocate,
    items_with_backorders,
    order_allocate_remainder,
    order_cancel,
    order_create,
    order_reserve,
)
from orders.services.recalls import batch_recall
from orders.services.returns import ReceiveLineRequest, ReturnLineRequest, return_create, return_receive
from orders.services.shipments import ShipLineRequest, shipment_create, shipment_deliver

__all__ = [
    "CANCELLABLE",
    "LineRequest",
    "MOVEMENTS",
    "OPEN_STATUSES",
    "ReceiveLineRequest",
    "ReturnLineRequest",
    "ShipLineRequest",
    "TRANSITIONS",
    "backorders_allocate",
    "batch_recall",
    "items_with_backorders",
    "lock_orders",
    "order_allocate_remainder",
    "order_cancel",
    "order_create",
    "order_reserve",
    "return_create",
    "return_receive",
    "shipment_create",
    "shipment_deliver",
]
