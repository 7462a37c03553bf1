"""Every write of purchasing: purchase orders (``orders``) and inbound goods (``receiving``).

Other modules import from here (``from orders.purchasing import services``), never from the submodules.
"""

from orders.purchasing.services.common import TRANSITIONS
from orders.purchasing.services.orders import (
    AckLine,
    LineRequest,
    purchase_order_acknowledge,
    purchase_order_cancel,
    purchase_order_create,
    purchase_order_from_alert,
    purchase_order_submit,
)
from orders.purchasing.services.receiving import ReceiveLine, ShipLine, purchase_order_receive, purchase_order_ship

__all__ = [
    "TRANSITIONS",
    "AckLine",
    "LineRequest",
    "ReceiveLine",
    "ShipLine",
    "purchase_order_acknowledge",
    "purchase_order_cancel",
    "purchase_order_create",
    "purchase_order_from_alert",
    "purchase_order_receive",
    "purchase_order_ship",
    "purchase_order_submit",
]
