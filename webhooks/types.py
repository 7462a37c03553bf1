"""The event types of API-CONTRACT.md 5.2, the vocabulary of subscriptions and feed filters."""

EVENT_TYPES: tuple[str, ...] = (
    "inventory.updated",
    "inventory.low_stock",
    "inventory.out_of_stock",
    "batch.expiring",
    "batch.quarantined",
    "batch.recalled",
    "order.created",
    "order.updated",
    # The supplier accepted, rejected or partly accepted an order (orders.edi).
    "order.acknowledged",
    "shipment.created",
    "shipment.delivered",
    "return.created",
    "return.processed",
    "alert.restock",
    "discrepancy.opened",
    "discrepancy.updated",
    "discrepancy.resolved",
    # The supply side (docs/supply.md): to the brand and the suppliers a purchase order names.
    "purchaseOrder.created",
    "purchaseOrder.submitted",
    "purchaseOrder.acknowledged",
    "purchaseOrder.shipped",
    "purchaseOrder.received",
    "purchaseOrder.cancelled",
    "productionRun.completed",
    "webhook.test",
    # Staff only (no partner audience): an endpoint was switched off after failing for days.
    "webhook.endpoint_disabled",
)

WILDCARD = "*"
