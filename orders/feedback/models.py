"""Receipts, discrepancies and their thread, retailers' stock reports.

States and resolutions change only in ``orders.feedback.services``; the constraints below
are the last line of defence (one receipt per shipment, one mismatch per stock report and
at most one active mismatch per retailer and product).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from inventory.models import Batch, Product
from orders.models import Order, Shipment
from partners.models import ApiClient, RetailPartner, Supplier


class AuthorKind(models.TextChoices):
    RETAILER = "retailer"
    SUPPLIER = "supplier"
    BRAND = "brand"  # brand systems and staff
    SYSTEM = "system"  # receipts and the reconciliation job


class Receipt(models.Model):
    """What a retailer counted when a shipment arrived: once per shipment."""

    shipment = models.OneToOneField(Shipment, on_delete=models.PROTECT, related_name="receipt")
    received_at = models.DateTimeField(default=timezone.now)
    note = models.CharField(max_length=1000, blank=True)
    created_by = models.ForeignKey(ApiClient, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_by_user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                        on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"receipt of {self.shipment}"


class ReceiptLine(models.Model):
    """One product and lot: shipped (by our records) against received and damaged (as counted)."""

    receipt = models.ForeignKey(Receipt, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+")
    batch = models.ForeignKey(Batch, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                              help_text="The batch the reported lot number names, when we know it")
    batch_number = models.CharField(max_length=64)
    shipped_quantity = models.PositiveIntegerField(default=0)
    received_quantity = models.PositiveIntegerField(default=0)
    damaged_quantity = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["receipt", "product", "batch_number"], name="uniq_receipt_line_lot"),
            models.CheckConstraint(condition=Q(damaged_quantity__lte=F("received_quantity")),
                                   name="receipt_damaged_within_received"),
        ]

    def __str__(self) -> str:
        return f"{self.receipt} {self.batch_number}: {self.received_quantity}/{self.shipped_quantity}"


class StockReport(models.Model):
    """Units of a product on a retailer's shelves at the end of one day, as the retailer counted."""

    retail_partner = models.ForeignKey(RetailPartner, on_delete=models.PROTECT, related_name="stock_reports")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+")
    date = models.DateField()
    on_hand = models.PositiveIntegerField()
    reported_by = models.ForeignKey(ApiClient, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            # A re-report of the same day replaces the row (upsert on this key).
            models.UniqueConstraint(fields=["retail_partner", "product", "date"], name="uniq_stock_report_day"),
        ]

    def __str__(self) -> str:
        return f"{self.retail_partner.code} {self.product.sku} {self.date}: {self.on_hand} on hand"


class Discrepancy(models.Model):
    class Kind(models.TextChoices):
        SHORTAGE = "shortage"
        OVERAGE = "overage"
        DAMAGE = "damage"
        WRONG_ITEM = "wrongItem", "Wrong item"
        QUALITY = "quality"
        DELAY = "delay"
        STOCK_MISMATCH = "stockMismatch", "Stock mismatch"
        OTHER = "other"

    class Status(models.TextChoices):
        OPEN = "open"
        ACKNOWLEDGED = "acknowledged"
        RESOLVED = "resolved"
        REJECTED = "rejected"

    class Resolution(models.TextChoices):
        CREDIT = "credit"
        REPLACEMENT = "replacement"
        STOCK_ADJUSTMENT = "stockAdjustment", "Stock adjustment"
        NO_ACTION = "noAction", "No action"

    class Cause(models.TextChoices):
        """Why a discrepancy was opened automatically (blank when a partner opened it)."""

        SHORT_RECEIVED = "shortReceived", "Fewer units received than shipped"
        OVER_RECEIVED = "overReceived", "More units received than shipped"
        DAMAGED = "damaged", "Units arrived damaged"
        WRONG_PRODUCT = "wrongProduct", "A product the shipment did not contain"
        WRONG_LOT = "wrongLot", "A lot of the product the shipment did not contain"
        SHORT_SHELF_LIFE = "shortShelfLife", "Arrived with less than the retailer's minimum shelf life"
        STOCK_REPORT = "stockReport", "Reported on-hand differs from shipped − sold − returned"

    ACTIVE = (Status.OPEN, Status.ACKNOWLEDGED)

    code = models.CharField("discrepancy id", max_length=32, unique=True, null=True, blank=True)
    kind = models.CharField(max_length=16, choices=Kind.choices, db_index=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN, db_index=True)
    cause = models.CharField(max_length=16, choices=Cause.choices, blank=True)
    supplier = models.ForeignKey(Supplier, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    retail_partner = models.ForeignKey(RetailPartner, on_delete=models.PROTECT, related_name="+")
    order = models.ForeignKey(Order, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    shipment = models.ForeignKey(Shipment, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    receipt = models.ForeignKey(Receipt, null=True, blank=True, on_delete=models.PROTECT,
                                related_name="discrepancies")
    stock_report = models.ForeignKey(StockReport, null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="discrepancies")
    product = models.ForeignKey(Product, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    batch = models.ForeignKey(Batch, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    batch_number = models.CharField(max_length=64, blank=True, help_text="As reported (may name no known batch)")
    expected_quantity = models.IntegerField(null=True, blank=True)
    actual_quantity = models.IntegerField(null=True, blank=True)
    quantity = models.PositiveIntegerField(null=True, blank=True, help_text="Units affected")
    description = models.TextField(blank=True)

    opened_by_kind = models.CharField(max_length=10, choices=AuthorKind.choices)
    opened_by = models.ForeignKey(ApiClient, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    opened_by_user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                       on_delete=models.SET_NULL, related_name="+")
    opened_at = models.DateTimeField(default=timezone.now, db_index=True)
    due_at = models.DateTimeField()
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True, help_text="When it was resolved or rejected")
    updated_at = models.DateTimeField(auto_now=True)

    resolution = models.CharField(max_length=16, choices=Resolution.choices, blank=True)
    resolution_note = models.TextField(blank=True)
    resolution_quantity = models.IntegerField(null=True, blank=True,
                                              help_text="Units credited, replaced or adjusted (signed)")
    credit_amount = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    credit_currency = models.CharField(max_length=3, blank=True)
    replacement_order = models.ForeignKey(Order, null=True, blank=True, on_delete=models.PROTECT,
                                          related_name="+")
    adjustment_movement_id = models.UUIDField(null=True, blank=True)

    assigned_to = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="assigned_discrepancies")
    assigned_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name_plural = "discrepancies"
        constraints = [
            # The reconciliation job judges each report once, however often (or concurrently) it runs.
            models.UniqueConstraint(fields=["stock_report"], condition=Q(stock_report__isnull=False),
                                    name="one_discrepancy_per_stock_report"),
            # ... and never keeps two mismatches of one retailer and product open at once.
            models.UniqueConstraint(fields=["retail_partner", "product"],
                                    condition=Q(kind="stockMismatch", status__in=["open", "acknowledged"]),
                                    name="one_active_stock_mismatch"),
            models.CheckConstraint(condition=~Q(status="resolved") | ~Q(resolution=""),
                                   name="resolved_discrepancy_has_resolution"),
        ]
        indexes = [
            models.Index(fields=["status", "due_at"], name="discrepancy_status_due"),
            models.Index(fields=["supplier", "status"], name="discrepancy_supplier_status"),
            models.Index(fields=["retail_partner", "status"], name="discrepancy_retailer_status"),
        ]

    def __str__(self) -> str:
        return self.code or f"discrepancy #{self.pk}"

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE

    @property
    def is_overdue(self) -> bool:
        return self.is_active and self.due_at < timezone.now()


class DiscrepancyMessage(models.Model):
    """One message of the thread between the retailer, the supplier and the brand."""

    discrepancy = models.ForeignKey(Discrepancy, on_delete=models.CASCADE, related_name="messages")
    author_kind = models.CharField(max_length=10, choices=AuthorKind.choices)
    author_client = models.ForeignKey(ApiClient, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    author_user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    body = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.discrepancy} · {self.author_kind}: {self.body[:40]}"
