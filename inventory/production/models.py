"""A production run and the lots it consumed: the genealogy of every batch it made."""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from inventory.models import Batch, Product, StockLot, Warehouse
from partners.models import ApiClient, Supplier


class ProductionRun(models.Model):
    """One batch made at one co-packer's warehouse from input lots (written only by ``production_run_create``)."""

    code = models.CharField("production run id", max_length=32, unique=True, null=True, blank=True)
    supplier = models.ForeignKey(Supplier, on_delete=models.PROTECT, related_name="production_runs")
    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="+")
    output_batch = models.OneToOneField(Batch, on_delete=models.PROTECT, related_name="production_run")
    output_product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+")
    output_quantity = models.PositiveIntegerField()
    reference = models.CharField(max_length=200, blank=True)
    produced_at = models.DateTimeField(db_index=True)
    created_by = models.ForeignKey(ApiClient, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["id"]
        constraints = [models.CheckConstraint(condition=Q(output_quantity__gt=0), name="production_output_positive")]

    def __str__(self) -> str:
        return self.code or f"production run #{self.pk}"


class ProductionInput(models.Model):
    """Units of one input lot consumed by a run: one edge of the genealogy (input batch → output batch)."""

    run = models.ForeignKey(ProductionRun, on_delete=models.CASCADE, related_name="inputs")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+")
    batch = models.ForeignKey(Batch, on_delete=models.PROTECT, related_name="production_uses")
    lot = models.ForeignKey(StockLot, on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="production_input_positive"),
            models.UniqueConstraint(fields=["run", "batch"], name="uniq_production_input_batch"),
        ]

    def __str__(self) -> str:
        return f"{self.run}: {self.batch.batch_number} × {self.quantity}"
