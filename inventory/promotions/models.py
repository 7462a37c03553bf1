from __future__ import annotations

from django.db import models
from django.db.models import F, Q

from inventory.models import Product
from partners.models import ApiClient, RetailPartner


class Promotion(models.Model):
    """One product on promotion at one retail partner, from ``start_date`` to ``end_date`` inclusive."""

    # "PRM-000123", set from the primary key right after insert.
    code = models.CharField("promotion id", max_length=32, unique=True, null=True, blank=True)
    retail_partner = models.ForeignKey(RetailPartner, on_delete=models.PROTECT, related_name="promotions")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="promotions")
    name = models.CharField(max_length=200, blank=True)
    start_date = models.DateField()
    end_date = models.DateField()
    created_by = models.ForeignKey(ApiClient, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=Q(end_date__gte=F("start_date")), name="promotion_dates_ordered"),
        ]
        indexes = [models.Index(fields=["product", "end_date", "start_date"], name="promotion_product_window")]

    def __str__(self) -> str:
        return f"{self.code or self.pk}: {self.product.sku} at {self.retail_partner.code} " \
               f"{self.start_date}–{self.end_date}"
