"""Critical tracking events with their key data elements, one row per event and lot (21 CFR 1.1325-1.1350)."""

from __future__ import annotations

import uuid

from django.db import models

from inventory.models import Batch, Product, Warehouse
from partners.models import RetailPartner, Supplier


class CriticalTrackingEvent(models.Model):
    """One CTE of one traceability lot, written by the service that performed it, never edited.

    Locations are kept as identifier + description as they were when the event happened
    (an address that changes later must not rewrite history).
    """

    class Type(models.TextChoices):
        RECEIVING = "receiving", "Receiving"
        TRANSFORMATION = "transformation", "Transformation"
        SHIPPING = "shipping", "Shipping"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    cte_type = models.CharField("critical tracking event", max_length=16, choices=Type.choices, db_index=True)
    # Whose record this is (the firm that performed the event): the tenancy of the records.
    supplier = models.ForeignKey(Supplier, on_delete=models.PROTECT, related_name="tracking_events")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+")
    batch = models.ForeignKey(Batch, on_delete=models.PROTECT, related_name="tracking_events")
    traceability_lot_code = models.CharField(max_length=64, db_index=True)
    product_description = models.CharField(max_length=300)
    quantity = models.IntegerField()
    unit_of_measure = models.CharField(max_length=16, default="each")
    event_date = models.DateField(db_index=True)
    occurred_at = models.DateTimeField()
    warehouse = models.ForeignKey(Warehouse, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                                  help_text="Our warehouse where the event happened")
    location_id = models.CharField("location identifier", max_length=140)
    location_description = models.CharField(max_length=500)
    tlc_source_id = models.CharField("traceability lot code source identifier", max_length=140)
    tlc_source_description = models.CharField("traceability lot code source", max_length=500)
    # Receiving: the immediate previous source. Shipping: the immediate subsequent recipient.
    counterparty_id = models.CharField(max_length=140, blank=True)
    counterparty_description = models.CharField(max_length=500, blank=True)
    retail_partner = models.ForeignKey(RetailPartner, null=True, blank=True, on_delete=models.PROTECT,
                                       related_name="+", help_text="Shipping: the retail partner shipped to")
    # Transformation: the traceability lots used, [{"tlc", "productId", "description", "quantity", "unit"}].
    inputs = models.JSONField(default=list, blank=True)
    reference_document_type = models.CharField(max_length=40)
    reference_document_number = models.CharField(max_length=200)
    movement_id = models.UUIDField(null=True, blank=True, help_text="The ledger movement of the event")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["occurred_at", "id"]
        indexes = [
            models.Index(fields=["supplier", "event_date"], name="cte_supplier_date"),
            models.Index(fields=["batch", "cte_type"], name="cte_batch_type"),
        ]

    def __str__(self) -> str:
        return f"{self.get_cte_type_display()} {self.traceability_lot_code} × {self.quantity} on {self.event_date}"
