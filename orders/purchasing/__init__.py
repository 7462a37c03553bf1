"""Purchase orders from the brand to its suppliers, and what the supply side tells the order side.

- ``services``: draft (by hand or from a restock alert), submit, acknowledge with promised dates,
  ship (an advance notice with lots and expiries), receive against the lines (through
  ``inventory.services.stock_receive``, over and short recorded), cancel; ``purchaseOrder.*`` events;
- ``selectors``: the purchase order views, inbound promised by a date (available to promise) and
  which promised inbound will cover an order's backorder;
- ``demand``: backordered units for the forecast (registered in ``PurchasingConfig.ready``).
See docs/supply.md.
"""
