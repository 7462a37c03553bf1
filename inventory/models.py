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
    attributes = models.JSONField(default=dict, blank=True,
                                  help_text="Brand-defined custom attributes (docs/attributes.md)")
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

    # Leads uniq_batch_per_product: no index of its own (issue 19, redundant indexes).
    product = models.ForeignKey(Product, db_index=False, on_delete=models.PROTECT, related_name="batches")
    supplier = models.ForeignKey(Supplier, on_delete=models.PROTECT, related_name="batches")
    batch_number = models.CharField(max_length=64, validators=[code_validator])
    production_date = models.DateField(null=True, blank=True)
    expiration_date = models.DateTimeField()
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.RELEASED)
    status_reason = models.CharField(max_length=500, blank=True)
    status_changed_at = models.DateTimeField(null=True, blank=True)
    expiring_notified_at = models.DateTimeField(null=True, blank=True)
    attributes = models.JSONField(default=dict, blank=True,
                                  help_text="Brand-defined custom attributes (docs/attributes.md)")
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

    # Leads uniq_inventory_item: no index of its own (issue 19, redundant indexes).
    supplier = models.ForeignKey(Supplier, db_index=False, on_delete=models.PROTECT, related_name="inventory_items")
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

    # Leads uniq_stock_lot: no index of its own (issue 19, redundant indexes).
    item = models.ForeignKey(InventoryItem, db_index=False, on_delete=models.PROTECT, related_name="lots")
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


class Reservation(models.Model):
    """Units held for someone: an order line's allocation or a standalone hold (``RSV-000123``).

    Every reserved unit has an owner: a lot's ``reserved`` is always the sum of the open holds
    on it (``ReservationLot``), kept by the one write path (``inventory.services.work``) and
    proven by ``reconcile_inventory``. ``order_ref`` names the order whose line this is; such a
    reservation is the order's to release (cancel) or consume (ship), never a ``release``
    movement's.
    """

    class Status(models.TextChoices):
        OPEN = "open"
        RELEASED = "released"
        CONSUMED = "consumed"
        EXPIRED = "expired"

    code = models.CharField("reservation id", max_length=32, unique=True, null=True, blank=True)
    # Leads reservation_item_status: no index of its own (issue 19, redundant indexes).
    item = models.ForeignKey(InventoryItem, db_index=False, on_delete=models.PROTECT, related_name="reservations")
    retail_partner = models.ForeignKey(RetailPartner, null=True, blank=True, on_delete=models.PROTECT,
                                       related_name="+")
    order_ref = models.CharField("order id", max_length=32, blank=True, db_index=True,
                                 help_text="The order whose line this reservation allocates")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    quantity = models.PositiveIntegerField(default=0, help_text="Units ever placed on hold")
    released_quantity = models.PositiveIntegerField(default=0)
    consumed_quantity = models.PositiveIntegerField(default=0)
    expires_at = models.DateTimeField(null=True, blank=True)
    reason = models.CharField(max_length=500, blank=True)
    reference = models.CharField(max_length=200, blank=True)
    created_by_client = models.ForeignKey(ApiClient, null=True, blank=True, on_delete=models.SET_NULL,
                                          related_name="+")
    created_by_user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                        related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=Q(released_quantity__lte=F("quantity") - F("consumed_quantity")),
                                   name="reservation_within_quantity"),
        ]
        indexes = [
            models.Index(fields=["status", "expires_at"], name="reservation_expiry"),
            models.Index(fields=["item", "status"], name="reservation_item_status"),
        ]

    def __str__(self) -> str:
        return self.code or f"reservation #{self.pk}"

    @property
    def remaining_quantity(self) -> int:
        return self.quantity - self.released_quantity - self.consumed_quantity


class ReservationLot(models.Model):
    """Units of one lot held by one reservation; the row goes when it reaches zero."""

    # Leads uniq_reservation_lot: no index of its own (issue 19, redundant indexes).
    reservation = models.ForeignKey(Reservation, db_index=False, on_delete=models.CASCADE, related_name="holds")
    lot = models.ForeignKey(StockLot, on_delete=models.PROTECT, related_name="holds")
    quantity = models.PositiveIntegerField()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["reservation", "lot"], name="uniq_reservation_lot"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="reservation_lot_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.reservation} holds {self.quantity} of {self.lot}"


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
        # A production run (inventory.production): input lots consumed, the new batch produced.
        CONSUME = "consume"
        PRODUCE = "produce"

    movement_id = models.UUIDField(db_index=True)
    item = models.ForeignKey(InventoryItem, on_delete=models.PROTECT, related_name="transactions")
    # Leads ledger_lot: no index of its own (issue 19, redundant indexes).
    lot = models.ForeignKey(StockLot, db_index=False, on_delete=models.PROTECT, related_name="transactions")
    type = models.CharField(max_length=12, choices=Type.choices, db_index=True)
    quantity = models.IntegerField(help_text="Units as requested (signed for adjustments)")
    on_hand_delta = models.IntegerField(default=0)
    reserved_delta = models.IntegerField(default=0)
    quarantined_delta = models.IntegerField(default=0)
    on_hand_after = models.IntegerField()
    reserved_after = models.IntegerField()
    item_version = models.PositiveBigIntegerField()
    # Denormalised so the ledger reads and filters without joins and survives lot changes.
    # Leads ledger_item_time: no index of its own (issue 19, redundant indexes).
    supplier = models.ForeignKey(Supplier, db_index=False, on_delete=models.PROTECT, related_name="+")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+")
    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="+")
    batch = models.ForeignKey(Batch, on_delete=models.PROTECT, related_name="transactions")
    counterpart_warehouse = models.ForeignKey(
        Warehouse, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        help_text="For transfers: the other side")
    retail_partner = models.ForeignKey(RetailPartner, null=True, blank=True, on_delete=models.PROTECT,
                                       related_name="+")
    reservation = models.ForeignKey(Reservation, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="transactions",
                                    help_text="The hold whose reserved units this row changes")
    actor_client = models.ForeignKey(ApiClient, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    actor_user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    reason = models.CharField(max_length=500, blank=True)
    reference = models.CharField(max_length=200, blank=True, db_index=True)
    idempotency_key = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    # What the ledger list shows, copied from the rows above when the row is written (all immutable
    # or, for the actor, as it was then), so the list reads this one table (docs/stock.md, "Ledger rows").
    supplier_code = models.CharField(max_length=64, blank=True, default="")
    product_sku = models.CharField(max_length=64, blank=True, default="")
    warehouse_code = models.CharField(max_length=64, blank=True, default="")
    counterpart_warehouse_code = models.CharField(max_length=64, blank=True, default="")
    batch_number = models.CharField(max_length=64, blank=True, default="")
    expiration_date = models.DateTimeField(null=True, blank=True)
    retail_partner_code = models.CharField(max_length=64, blank=True, default="")
    reservation_code = models.CharField(max_length=32, blank=True, default="")
    actor_label = models.CharField(max_length=300, blank=True, default="")

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["supplier", "product", "created_at"], name="ledger_item_time"),
            models.Index(fields=["lot", "id"], name="ledger_lot"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.type} {self.quantity} {self.lot}"


# --- demand and replenishment (docs/forecasting.md) ----------------------------------------


class SellThroughReport(models.Model):
    """Units a retailer sold to consumers on one day, and what it had left on its shelves."""

    retail_partner = models.ForeignKey(RetailPartner, on_delete=models.PROTECT, related_name="sell_through")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="sell_through")
    date = models.DateField()
    units_sold = models.PositiveIntegerField()
    on_hand = models.PositiveIntegerField()
    reported_by = models.ForeignKey(ApiClient, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            # A re-report of the same day replaces the row (upsert on this key).
            models.UniqueConstraint(fields=["retail_partner", "product", "date"], name="uniq_sell_through_day"),
        ]
        indexes = [models.Index(fields=["product", "date"], name="sell_through_product_day")]

    def __str__(self) -> str:
        return f"{self.retail_partner.code} {self.product.sku} {self.date}: {self.units_sold} sold"


class ReplenishmentPolicy(models.Model):
    """How one supplier replenishes one product. Items without a row use the field defaults."""

    supplier = models.ForeignKey(Supplier, on_delete=models.PROTECT, related_name="replenishment_policies")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="replenishment_policies")
    lead_time_days = models.DecimalField(
        max_digits=6, decimal_places=2, default=7, help_text="Average days from placing an order to receiving it")
    lead_time_std_dev_days = models.DecimalField(
        "lead time standard deviation (days)", max_digits=6, decimal_places=2, default=0)
    service_level = models.DecimalField(
        max_digits=5, decimal_places=4, default=0.95,
        help_text="Probability of not running out during a lead time (cycle service level), e.g. 0.95")
    minimum_order_quantity = models.PositiveIntegerField(default=1)
    case_pack = models.PositiveIntegerField(default=1, help_text="Orders are rounded up to whole cases")
    review_period_days = models.PositiveIntegerField(
        default=7, help_text="Days between orders: a suggested order covers this much demand beyond the reorder point")
    purchase_from = models.ForeignKey(
        Supplier, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        help_text="Who purchase orders for this item go to (e.g. the ingredient grower); "
                  "default: the supplier holding the item")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["supplier__code", "product__sku"]
        verbose_name_plural = "replenishment policies"
        constraints = [
            models.UniqueConstraint(fields=["supplier", "product"], name="uniq_replenishment_policy"),
            models.CheckConstraint(condition=Q(lead_time_days__gte=0), name="policy_lead_time_non_negative"),
            models.CheckConstraint(condition=Q(lead_time_std_dev_days__gte=0), name="policy_lead_time_sd_non_negative"),
            # inv_cdf is undefined at 0 and 1.
            models.CheckConstraint(condition=Q(service_level__gte=0.5, service_level__lt=1),
                                   name="policy_service_level_range"),
            models.CheckConstraint(condition=Q(minimum_order_quantity__gte=1), name="policy_moq_positive"),
            models.CheckConstraint(condition=Q(case_pack__gte=1), name="policy_case_pack_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.supplier.code}/{self.product.sku}: lead time {self.lead_time_days} d"


class Forecast(models.Model):
    """The latest periodic forecast of one inventory item, with the policy values it used."""

    item = models.OneToOneField(InventoryItem, on_delete=models.CASCADE, related_name="forecast")
    average_daily_demand = models.FloatField(default=0)
    demand_std_dev = models.FloatField(default=0)
    observed_days = models.PositiveIntegerField(default=0, help_text="Days of history behind the average")
    lead_time_days = models.FloatField()
    lead_time_std_dev_days = models.FloatField(default=0)
    service_level = models.FloatField()
    minimum_order_quantity = models.PositiveIntegerField(default=1)
    case_pack = models.PositiveIntegerField(default=1)
    review_period_days = models.PositiveIntegerField(default=7)
    safety_stock = models.FloatField(default=0)
    reorder_point = models.FloatField(default=0)
    available_quantity = models.IntegerField(default=0, help_text="Available units when computed")
    backordered_quantity = models.IntegerField(
        default=0, help_text="Units open orders were waiting for when computed (docs/supply.md)")
    computed_at = models.DateTimeField()

    class Meta:
        ordering = ["item_id"]
        indexes = [models.Index(fields=["computed_at"], name="forecast_computed_at")]

    def __str__(self) -> str:
        return f"forecast {self.item_id}: d={self.average_daily_demand:.2f} ROP={self.reorder_point:.1f}"


class RestockAlert(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", "Open"
        ACKNOWLEDGED = "acknowledged", "Acknowledged"
        RESOLVED = "resolved", "Resolved"

    class Severity(models.TextChoices):
        LOW_STOCK = "low_stock", "Below reorder point"
        OUT_OF_STOCK = "out_of_stock", "Out of stock"

    ACTIVE = (Status.OPEN, Status.ACKNOWLEDGED)

    item = models.ForeignKey(InventoryItem, on_delete=models.PROTECT, related_name="restock_alerts")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.OPEN)
    severity = models.CharField(max_length=12, choices=Severity.choices, default=Severity.LOW_STOCK)
    available_quantity = models.IntegerField(help_text="Available units when the alert opened")
    reorder_point = models.FloatField(help_text="Reorder point when the alert opened")
    suggested_order_quantity = models.PositiveIntegerField(default=0)
    opened_at = models.DateTimeField()
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(ApiClient, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            # One alert per item until it is resolved: a rerun of the task (or two at once)
            # cannot open a second one while stock stays low.
            models.UniqueConstraint(fields=["item"], condition=Q(status__in=["open", "acknowledged"]),
                                    name="one_active_restock_alert_per_item"),
        ]
        indexes = [models.Index(fields=["status", "item"], name="restock_alert_status")]

    def __str__(self) -> str:
        return f"alert {self.pk} {self.item_id} {self.status}"
