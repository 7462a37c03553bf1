"""Every write to stock and the catalogue. Nothing else changes a quantity.

- ``movements``: one public function per stock movement (``stock_receive``, ``stock_reserve``,
  ``stock_release``, ``stock_sell``, ``stock_remove``, ``stock_adjust``, ``stock_transfer``,
  ``stock_count``, ``stock_return``) and ``MOVEMENTS``, the table the API and the admin dispatch by.
- ``reservations``: who holds reserved units, for the orders app's allocations and for holds.
- ``work``: the one write path (``stock_work``): ledger rows, versions and events, once per
  transaction. ``lots``: resolving warehouses, batches and lots. ``batches``: batch status.
- ``reconcile``: proving balances and holds from the ledger.

Other apps import from here (``from inventory import services as stock``), never from the modules.
"""

from inventory.selectors import batch_view
from inventory.services.attributes import batch_attributes_update
from inventory.services.batches import batch_set_status
from inventory.services.catalogue import gtin_validate, product_create, product_update, warehouse_create
from inventory.services.events import transaction_view
from inventory.services.lots import (
    batch_resolve,
    item_ids_ensure,
    lot_ensure,
    lots_select,
    trading_check,
    warehouse_resolve,
)
from inventory.services.movements import (
    IF_MATCH_ANY,
    MOVEMENTS,
    MovementResult,
    MovementSpec,
    movement_record,
    stock_adjust,
    stock_count,
    stock_receive,
    stock_release,
    stock_remove,
    stock_reserve,
    stock_return,
    stock_sell,
    stock_transfer,
)
from inventory.services.reconcile import reconcile
from inventory.services.reservations import (
    HoldRequest,
    ReleaseRequest,
    reservation_close,
    reservation_consume,
    reservation_hold,
    reservation_open,
    reservation_release,
    reservations_expire,
    reservations_open_partial,
    reservations_release_close,
)
from inventory.services.work import Movement, StockWork, holds_of, stock_arrival_hook_set, stock_work

__all__ = [
    "HoldRequest",
    "ReleaseRequest",
    "IF_MATCH_ANY",
    "MOVEMENTS",
    "Movement",
    "MovementResult",
    "MovementSpec",
    "StockWork",
    "batch_resolve",
    "batch_set_status",
    "batch_view",
    "batch_attributes_update",
    "gtin_validate",
    "holds_of",
    "item_ids_ensure",
    "lot_ensure",
    "lots_select",
    "movement_record",
    "product_create",
    "product_update",
    "reconcile",
    "reservation_close",
    "reservation_consume",
    "reservation_hold",
    "reservation_open",
    "reservation_release",
    "reservations_expire",
    "reservations_open_partial",
    "reservations_release_close",
    "stock_adjust",
    "stock_arrival_hook_set",
    "stock_count",
    "stock_receive",
    "stock_release",
    "stock_remove",
    "stock_reserve",
    "stock_return",
    "stock_sell",
    "stock_transfer",
    "stock_work",
    "trading_check",
    "transaction_view",
    "warehouse_create",
    "warehouse_resolve",
]
