"""Every write of the partner workflow: orders, shipments, returns, backorders and recalls.

Other modules import from here (``from orders import services``), never from the submodules.
"""

from orders.services.common import CANCELLABLE, OPEN_STATUSES
from orders.services.orders import LineRequest, backorders_allocate, items_with_backorders, order_cancel, order_create
from orders.services.recalls import batch_recall
from orders.services.returns import ReceiveLineRequest, ReturnLineRequest, return_create, return_receive
from orders.services.shipments import ShipLineRequest, shipment_create, shipment_deliver

__all__ = [
    "CANCELLABLE",
    "LineRequest",
    "OPEN_STATUSES",
    "ReceiveLineRequest",
    "ReturnLineRequest",
    "ShipLineRequest",
    "backorders_allocate",
    "batch_recall",
    "items_with_backorders",
    "order_cancel",
    "order_create",
    "return_create",
    "return_receive",
    "shipment_create",
    "shipment_deliver",
]
