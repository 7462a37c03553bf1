"""Purchase orders, advance ship notices and goods receipts. Statuses change only in ``services``."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from inventory.models import Batch, Product, RestockAlert, Warehouse
from partners.models import ApiClient, Supplier


class PurchaseOrder(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft"
        SUBMITTED = "submitted"
        ACKNOWLEDGED = "acknowledged"
        SHIPPED = "shipped"
        PARTIALLY_RECEIVED = "partially_received"
        RECEIVED = "received"
        CANCELLED = "cancelled"

    code = models.CharField("purchase order id", max_length=32, unique=True, null=True, blank=True)
    # Who fulfils it (acknowledges and ships), and whose stock receives it (often the same co-packer;
    # an ingredient grower ships to the co-packer that uses it).
    supplier = models.ForeignKey(Supplier, on_delete=models.PROTECT, related_name="purchase_orders")
    ship_to_supplier = models.ForeignKey(Supplier, on_delete=models.PROTECT, related_name="+")
    ship_to_warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT, db_index=True)
    alert = models.ForeignKey(RestockAlert, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="purchase_orders", help_text="The restock alert it was drafted from")
    reference = models.CharField(max_length=200, blank=True)
    note = models.CharField(max_length=1000, blank=True, help_text="The supplier's note on acknowledging")
    created_by = models.ForeignKey(ApiClient, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_by_user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                        related_name="+")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True, help_text="Received in full, closed short, or cancelled")

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["ship_to_supplier", "status"], name="po_ship_to_status")]

    def __str__(self) -> str:
        return self.code or f"purchase order #{self.pk}"


class PurchaseOrderLine(models.Model):
    class Unit(models.TextChoices):
        EACH = "each"
        CASE = "case"
        KG = "kg"
        LB = "lb"
        L = "l"
        GAL = "gal"

    purchase_order = models.ForeignKey(PurchaseOrder, on_delete=models.CASCADE, related_name="lines")
    line_number = models.PositiveSmallIntegerField()
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField(help_text="Ordered, in the unit of measure; a whole number of cases")
    unit_of_measure = models.CharField(max_length=8, choices=Unit.choices, default=Unit.EACH)
    case_pack = models.PositiveIntegerField(default=1)
    requested_date = models.DateField()
    promised_date = models.DateField(null=True, blank=True)
    promised_quantity = models.PositiveIntegerField(null=True, blank=True)
    shipped_quantity = models.PositiveIntegerField(default=0)
    received_quantity = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["purchase_order_id", "line_number"]
        constraints = [
            models.UniqueConstraint(fields=["purchase_order", "product"], name="uniq_po_line_product"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="po_line_quantity_positive"),
            models.CheckConstraint(condition=Q(case_pack__gt=0), name="po_line_case_pack_positive"),
        ]
        indexes = [models.Index(fields=["product", "promised_date"], name="po_line_product_promised")]

    def __str__(self) -> str:
        return f"{self.purchase_order} line {self.line_number}: {self.product.sku} × {self.quantity}"

    @property
    def outstanding_quantity(self) -> int:
        return max((self.promised_quantity if self.promised_quantity is not None else self.quantity)
                   - self.received_quantity, 0)


class InboundShipment(models.Model):
    """An advance ship notice: which lots (with expiries) are on the way against a purchase order."""

    class Status(models.TextChoices):
        IN_TRANSIT = "in_transit"
        RECEIVED = "received"

    code = models.CharField("inbound shipment id", max_length=32, unique=True, null=True, blank=True)
    purchase_order = models.ForeignKey(PurchaseOrder, on_delete=models.PROTECT, related_name="inbound_shipments")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.IN_TRANSIT)
    carrier = models.CharField(max_length=100, blank=True)
    tracking_number = models.CharField(max_length=100, blank=True)
    ship_from_warehouse = models.ForeignKey(Warehouse, null=True, blank=True, on_delete=models.PROTECT,
                                            related_name="+", help_text="The vendor's warehouse it left")
    expected_date = models.DateField(null=True, blank=True)
    shipped_at = models.DateTimeField()
    received_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(ApiClient, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.code or f"inbound shipment #{self.pk}"


class InboundShipmentLine(models.Model):
    shipment = models.ForeignKey(InboundShipment, on_delete=models.CASCADE, related_name="lines")
    po_line = models.ForeignKey(PurchaseOrderLine, on_delete=models.PROTECT, related_name="shipment_lines")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+")
    batch_number = models.CharField(max_length=64)
    expiration_date = models.DateTimeField()
    production_date = models.DateField(null=True, blank=True)
    quantity = models.PositiveIntegerField()
    received_quantity = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["shipment", "product", "batch_number"], name="uniq_asn_lot"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="asn_line_quantity_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.shipment} {self.batch_number} × {self.quantity}"


class PurchaseReceipt(models.Model):
    """Goods received against a purchase order (one dock count), with what was expected."""

    code = models.CharField("receipt id", max_length=32, unique=True, null=True, blank=True)
    purchase_order = models.ForeignKey(PurchaseOrder, on_delete=models.PROTECT, related_name="receipts")
    inbound_shipment = models.ForeignKey(InboundShipment, null=True, blank=True, on_delete=models.PROTECT,
                                         related_name="receipts")
    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="+")
    closed_short = models.BooleanField(default=False, help_text="The order was closed with lines short")
    received_at = models.DateTimeField()
    created_by = models.ForeignKey(ApiClient, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.code or f"receipt #{self.pk}"


class PurchaseReceiptLine(models.Model):
    receipt = models.ForeignKey(PurchaseReceipt, on_delete=models.CASCADE, related_name="lines")
    po_line = models.ForeignKey(PurchaseOrderLine, on_delete=models.PROTECT, related_name="receipt_lines")
    asn_line = models.ForeignKey(InboundShipmentLine, null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="+")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+")
    batch_number = models.CharField(max_length=64)
    batch = models.ForeignKey(Batch, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                              help_text="The lot received into stock (none when nothing of it arrived)")
    expected_quantity = models.PositiveIntegerField(null=True, blank=True,
                                                    help_text="Units the advance notice announced for this lot")
    quantity = models.PositiveIntegerField(help_text="Units counted in")

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.receipt} {self.batch_number} × {self.quantity}"

    @property
    def variance(self) -> int | None:
        return None if self.expected_quantity is None else self.quantity - self.expected_quantity
