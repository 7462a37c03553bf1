"""The retail trade's standards on top of orders and shipments.

- GS1 logistic units: every shipment is packed into packages, each with an SSCC-18 and a
  printable GS1-128 label (``services.packaging``; the label drawing is ``inventory.gs1``).
- The supplier's acknowledgement of an order (accept, reject, partial), reported to the
  retailer as the ``order.acknowledged`` event and an 855.
- EDI X12: trading-partner profiles, every document in and out stored with its control
  numbers; 846 inventory advice, 850 purchase orders in, 855 acknowledgements, 856 ship
  notices, 997 functional acknowledgements (docs/edi-gs1.md).

A Django app of its own (label ``edi``) so its migrations never collide with ``orders``'.
"""
