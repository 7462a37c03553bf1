"""Feedback between partners: receipts, discrepancies with their thread, stock reconciliation, scorecards.

A Django app of its own (label ``feedback``) inside ``orders``: it builds on orders,
shipments and returns through ``orders.services`` and on stock through
``inventory.services``, and keeps its own migrations. See docs/feedback.md.
"""
