"""Orders, shipments, returns and recalls: the partner workflow on top of the stock core.

Quantities of stock live in ``inventory``; an order line's allocation is an inventory
``Reservation`` (which lots hold its units); these models record what left in which
shipment, and what came back.
Statuses change only in ``orders.services``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from inventory.models import Batch, Product, Reservation, StockLot, Warehouse
from partners.models import ApiClient, RetailPartner, Supplier


class Order(models.Model):
    class Status(models.TextChoices):
        ALLOCATED = "allocated"
        PARTIALLY_ALLOCATED = "partially_allocated"
        BACKORDERED = "backordered"
        PARTIALLY_SHIPPED = "partially_shipped"
        SHIPPED = "shipped"
        DELIVERED = "delivered"
        CANCELLED = "cancelled"

    # "ORD-000123", set from the primary key right after insert.
    code = models.CharField("order id", max_length=32, unique=True, null=True, blank=True)
    # Leads order_supplier_status: no index of its own (issue 19, redundant indexes).
    supplier = models.ForeignKey(Supplier, db_index=False, on_delete=models.PROTECT, related_name="orders")
    retail_partner = models.ForeignKey(RetailPartner, on_delete=models.PROTECT, related_name="orders")
    status = models.CharField(max_length=20, choices=Status.choices, db_index=True)
    requested_delivery_date = models.DateField(null=True, blank=True)
    delivery_address = models.JSONField(default=str, blank=True, help_text="As the retailer sent it: text or an object")
    reference = models.CharField(max_length=200, blank=True, db_index=True)
    cancel_reason = models.CharField(max_length=500, blank=True)
    attributes = models.JSONField(default=dict, blank=True,
                                  help_text="Brand-defined custom attributes (docs/attributes.md)")
    created_by = models.ForeignKey(ApiClient, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["supplier", "status"], name="order_supplier_status")]

    def __str__(self) -> str:
        return self.code or f"order #{self.pk}"


class OrderLine(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField()
    allocated_quantity = models.PositiveIntegerField(default=0, help_text="Reserved and not yet shipped")
    shipped_quantity = models.PositiveIntegerField(default=0)
    # The line's allocation: the units its reservation holds are exactly ``allocated_quantity``.
    reservation = models.OneToOneField(Reservation, null=True, blank=True, on_delete=models.PROTECT,
                                       related_name="order_line")

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="order_line_quantity_positive"),
            models.CheckConstraint(
                condition=Q(allocated_quantity__lte=models.F("quantity") - models.F("shipped_quantity")),
                name="order_line_within_quantity"),
        ]

    def __str__(self) -> str:
        return f"{self.order} {self.product.sku} × {self.quantity}"


class Shipment(models.Model):
    class Status(models.TextChoices):
        IN_TRANSIT = "in_transit"
        DELIVERED = "delivered"

    code = models.CharField("shipment id", max_length=32, unique=True, null=True, blank=True)
    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="shipments")
    supplier = models.ForeignKey(Supplier, on_delete=models.PROTECT, related_name="+")
    retail_partner = models.ForeignKey(RetailPartner, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.IN_TRANSIT, db_index=True)
    carrier = models.CharField(max_length=100, blank=True)
    tracking_number = models.CharField(max_length=100, blank=True, db_index=True)
    shipped_at = models.DateTimeField()
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(ApiClient, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.code or f"shipment #{self.pk}"


class ShipmentLine(models.Model):
    shipment = models.ForeignKey(Shipment, on_delete=models.CASCADE, related_name="lines")
    order_line = models.ForeignKey(OrderLine, on_delete=models.PROTECT, related_name="shipment_lines")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+")
    batch = models.ForeignKey(Batch, on_delete=models.PROTECT, related_name="shipment_lines")
    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="+")
    lot = models.ForeignKey(StockLot, on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField()

    class Meta:
        ordering = ["id"]
        constraints = [models.CheckConstraint(condition=Q(quantity__gt=0), name="shipment_line_quantity_positive")]

    def __str__(self) -> str:
        return f"{self.shipment} {self.batch.batch_number} × {self.quantity}"


class Return(models.Model):
    class Status(models.TextChoices):
        REQUESTED = "requested"
        PARTIALLY_RECEIVED = "partially_received"
        RECEIVED = "received"

    code = models.CharField("return id", max_length=32, unique=True, null=True, blank=True)
    supplier = models.ForeignKey(Supplier, on_delete=models.PROTECT, related_name="+")
    retail_partner = models.ForeignKey(RetailPartner, on_delete=models.PROTECT, related_name="+")
    order = models.ForeignKey(Order, null=True, blank=True, on_delete=models.PROTECT, related_name="returns")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.REQUESTED, db_index=True)
    created_by = models.ForeignKey(ApiClient, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    received_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.code or f"return #{self.pk}"


class ReturnLine(models.Model):
    class Reason(models.TextChoices):
        DAMAGED = "damaged"
        EXPIRED = "expired"
        CUSTOMER_RETURN = "customer_return"
        RECALL = "recall"
        QUALITY = "quality"
        WRONG_ITEM = "wrong_item"

    class Disposition(models.TextChoices):
        RESTOCK = "restock"
        QUARANTINE = "quarantine"
        WRITE_OFF = "writeOff"

    code = models.CharField("line id", max_length=40, unique=True, null=True, blank=True)
    ret = models.ForeignKey(Return, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+")
    batch = models.ForeignKey(Batch, on_delete=models.PROTECT, related_name="return_lines")
    quantity = models.PositiveIntegerField()
    reason = models.CharField(max_length=20, choices=Reason.choices)
    disposition = models.CharField(max_length=12, choices=Disposition.choices, blank=True)
    warehouse = models.ForeignKey(Warehouse, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    received_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [models.CheckConstraint(condition=Q(quantity__gt=0), name="return_line_quantity_positive")]

    def __str__(self) -> str:
        return self.code or f"return line #{self.pk}"


class Recall(models.Model):
    batch = models.ForeignKey(Batch, on_delete=models.PROTECT, related_name="recalls")
    reason = models.CharField(max_length=500)
    recalled_at = models.DateTimeField(auto_now_add=True)
    units_on_hand = models.PositiveIntegerField(default=0, help_text="Units put on hold at the supplier")
    units_released = models.PositiveIntegerField(default=0, help_text="Reserved units released from open orders")
    created_by = models.ForeignKey(ApiClient, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_by_user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                        related_name="+", help_text="The staff member who recalled it in the admin")

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"recall of {self.batch}"

    @property
    def recalled_by(self) -> str:
        if self.created_by_user_id:
            return f"staff {self.created_by_user.get_username()}"
        if self.created_by_id:
            return f"client {self.created_by.display_name}"
        return "system"


class RecallNotice(models.Model):
    """A retail partner that received units of a recalled batch, and how many: who must be told."""

    recall = models.ForeignKey(Recall, on_delete=models.CASCADE, related_name="notices")
    retail_partner = models.ForeignKey(RetailPartner, on_delete=models.PROTECT, related_name="recall_notices")
    shipped_quantity = models.PositiveIntegerField()
    returned_quantity = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["recall", "retail_partner"], name="uniq_recall_notice")]

    def __str__(self) -> str:
        return f"{self.recall}: {self.retail_partner.code} × {self.shipped_quantity}"
