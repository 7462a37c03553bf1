"""Demand that did not happen on this platform's ledger, and whose sell-through is whose demand."""

from __future__ import annotations

from django.db import models

from inventory.models import Product
from partners.models import ApiClient, RetailPartner, Supplier


class DemandHistory(models.Model):
    """Units of a product that left a supplier on one day before the item's live ledger began.

    Re-importing a day replaces it (upsert on supplier, product and date).
    """

    supplier = models.ForeignKey(Supplier, on_delete=models.PROTECT, related_name="+")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+")
    date = models.DateField()
    quantity = models.PositiveIntegerField()
    imported_by = models.ForeignKey(ApiClient, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    source = models.CharField(max_length=100, blank=True, help_text="Where the figures came from (file, system)")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["supplier_id", "product_id", "date"]
        verbose_name_plural = "demand history"
        constraints = [
            models.UniqueConstraint(fields=["supplier", "product", "date"], name="uniq_demand_history_day"),
        ]

    def __str__(self) -> str:
        return f"{self.supplier.code}/{self.product.sku} {self.date}: {self.quantity}"


class SellThroughSignal(models.Model):
    """From ``effective_from`` on, this retail partner's sell-through is its demand at ``supplier``, and its
    shipments from that supplier are not: one signal per retailer and day, never both."""

    retail_partner = models.OneToOneField(RetailPartner, on_delete=models.CASCADE, related_name="sell_through_signal")
    supplier = models.ForeignKey(Supplier, on_delete=models.PROTECT, related_name="+")
    effective_from = models.DateField()
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["retail_partner_id"]
        indexes = [models.Index(fields=["supplier", "retail_partner"], name="signal_supplier_retailer")]

    def __str__(self) -> str:
        return f"{self.retail_partner.code}: sell-through at {self.supplier.code} from {self.effective_from}"
