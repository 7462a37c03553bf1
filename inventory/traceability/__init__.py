"""FSMA 204 traceability records: critical tracking events (CTEs) and their key data elements (KDEs).

The stock services call the recorder (``services``) as each event happens: receiving in
``inventory.services.stock_receive``, transformation in ``inventory.production``, shipping in
``orders.services.shipments``. ``selectors`` builds the sortable spreadsheet that the rule
requires within 24 hours, ``export`` writes it as CSV or XLSX. See docs/supply.md.
"""
