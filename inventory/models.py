from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from partners.models import ApiClient, RetailPartner, Supplier, code_validator


class Product(models.Model):
    class Kind(models.TextChoices):
        FINISHED_SAUCE = "finished_sauce", "Finished sauce"
        INGREDIENT = "ingredient", "Ingredient"
        PACKAGING = "packaging", "Packaging"

    sku = models.CharField("product id (SKU)", max_length=64, unique=True, validators=[code_validator])
    gtin = models.CharField("GTIN", max_length=14, blank=True, help_text="GTIN-8/12/13/14, check digit verified")
    name = models.CharField(max_length=200)
    flavor = models.CharField(max_length=100, blank=True)
    heat_level_shu = models.PositiveIntegerField("heat (Scoville units)", null=True, blank=True)
    bottle_size_ml = models.PositiveIntegerField(null=True, blank=True)
    ingredients = models.JSONField(default=list, blank=True)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.FINISHED_SAUCE)
    expiry_warning_days = models.PositiveIntegerField(
        default=30, help_text="batch.expiring fires this many days before a batch expires")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["sku"]
        constraints = [
            models.UniqueConstraint(fields=["gtin"], condition=~Q(gtin=""), name="uniq_product_gtin"),
        ]

    def __str__(self) -> str:
        return f"{self.sku} — {self.name}"


class Warehouse(models.Model):
    supplier = models.ForeignKey(Supplier, on_delete=models.PROTECT, related_name="warehouses")
    code = models.CharField("warehouse location", max_length=64, validators=[code_validator])
    name = models.CharField(max_length=200)
    address = models.TextField(blank=True)
    country = models.CharField(max_length=2, blank=True)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["supplier__code", "code"]
        constraints = [models.UniqueConstraint(fields=["supplier", "code"], name="uniq_warehouse_code")]

    def __str__(self) -> str:
        return f"{self.code} ({self.supplier.code})"


class Batch(models.Model):
    class Status(models.TextChoices):
        RELEASED = "released", "Released"
        QUARANTINED = "quarantined", "Quarantined"
        RECALLED = "recalled", "Recalled"

    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="batches")
    supplier = models.ForeignKey(Supplier, on_delete=models.PROTECT, related_name="batches")
    batch_number = models.CharField(max_length=64, validators=[code_validator])
    production_date = models.DateField(null=True, blank=True)
    expiration_date = models.DateTimeField()
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.RELEASED)
    status_reason = models.CharField(max_length=500, blank=True)
    status_changed_at = models.DateTimeField(null=True, blank=True)
    expiring_notified_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["expiration_date", "id"]
        verbose_name_plural = "batches"
        constraints = [
            models.UniqueConstraint(fields=["product", "batch_number"], name="uniq_batch_per_product"),
        ]

    def __str__(self) -> str:
        return f"{self.batch_number} ({self.product.sku})"

    @property
    def is_expired(self) -> bool:
        return self.expiration_date <= timezone.now()

    @property
    def sellable(self) -> bool:
        return self.status == self.Status.RELEASED and not self.is_expired


class InventoryItem(models.Model):
    """Stock of one product at one supplier: the row every movement locks first."""

    supplier = models.ForeignKey(Supplier, on_delete=models.PROTECT, related_name="inventory_items")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="inventory_items")
    version = models.PositiveBigIntegerField(default=0)
    last_updated = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["supplier", "product"], name="uniq_inventory_item")]

    def __str__(self) -> str:
        return f"{self.supplier.code}/{self.product.sku}"


class StockLot(models.Model):
    """Units of one batch in one warehouse. Quantities change only in inventory.services."""

    item = models.ForeignKey(InventoryItem, on_delete=models.PROTECT, related_name="lots")
    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="lots")
    batch = models.ForeignKey(Batch, on_delete=models.PROTECT, related_name="lots")
    on_hand = models.IntegerField(default=0)
    reserved = models.IntegerField(default=0)
    quarantined = models.IntegerField(
        default=0, help_text="Unreserved units held back in this lot alone (e.g. quarantined returns)")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["item", "warehouse", "batch"], name="uniq_stock_lot"),
            # The last line of defence: a bug raises instead of overselling.
            models.CheckConstraint(condition=Q(on_hand__gte=0), name="lot_on_hand_non_negative"),
            models.CheckConstraint(condition=Q(reserved__gte=0), name="lot_reserved_non_negative"),
            models.CheckConstraint(condition=Q(reserved__lte=F("on_hand")), name="lot_reserved_within_on_hand"),
            models.CheckConstraint(condition=Q(quarantined__gte=0), name="lot_quarantined_non_negative"),
            models.CheckConstraint(condition=Q(quarantined__lte=F("on_hand") - F("reserved")),
                                   name="lot_quarantined_within_unreserved"),
        ]

    def __str__(self) -> str:
        return f"{self.item} {self.warehouse.code} {self.batch.batch_number}"


class InventoryTransaction(models.Model):
    """The append-only stock ledger: one row per lot touched by a movement."""

    class Type(models.TextChoices):
        RECEIPT = "receipt"
        RESERVATION = "reservation"
        RELEASE = "release"
        SALE = "sale"
        DAMAGE = "damage"
        RETURN = "return"
        WRITE_OFF = "writeOff"
        ADJUSTMENT = "adjustment"
        TRANSFER = "transfer"
        COUNT = "count"
        SHIPMENT = "shipment"

    movement_id = models.UUIDField(db_index=True)
    item = models.ForeignKey(InventoryItem, on_delete=models.PROTECT, related_name="transactions")
    lot = models.ForeignKey(StockLot, on_delete=models.PROTECT, related_name="transactions")
    type = models.CharField(max_length=12, choices=Type.choices, db_index=True)
    quantity = models.IntegerField(help_text="Units as requested (signed for adjustments)")
    on_hand_delta = models.IntegerField(default=0)
    reserved_delta = models.IntegerField(default=0)
    quarantined_delta = models.IntegerField(default=0)
    on_hand_after = models.IntegerField()
    reserved_after = models.IntegerField()
    item_version = models.PositiveBigIntegerField()
    # Denormalised so the ledger reads and filters without joins and survives lot changes.
    supplier = models.ForeignKey(Supplier, on_delete=models.PROTECT, related_name="+")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+")
    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="+")
    batch = models.ForeignKey(Batch, on_delete=models.PROTECT, related_name="transactions")
    counterpart_warehouse = models.ForeignKey(
        Warehouse, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        help_text="For transfers: the other side")
    retail_partner = models.ForeignKey(RetailPartner, null=True, blank=True, on_delete=models.PROTECT,
                                       related_name="+")
    actor_client = models.ForeignKey(ApiClient, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    actor_user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    reason = models.CharField(max_length=500, blank=True)
    reference = models.CharField(max_length=200, blank=True, db_index=True)
    idempotency_key = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["supplier", "product", "created_at"], name="ledger_item_time"),
            models.Index(fields=["lot", "id"], name="ledger_lot"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.type} {self.quantity} {self.lot}"
