"""Replenishment inputs that let forecasts work from day one (docs/supply.md).

- demand history imported per supplier, product and day (``POST demandHistory``, CSV in the admin), used
  for the days before an item's live ledger starts;
- the sell-through signal: a retail partner whose reported sell-through replaces its shipments as demand;
- replenishment policies over HTTP (``GET/PUT replenishmentPolicies/{supplierId}/{productId}``).

The forecast run (``inventory.forecasting``) reads these tables; every write here recomputes the
items it changes at once.
"""
