"""The staff portal for stock: batches, items, lots and the ledger.

Quantities are read-only everywhere here. Staff with ``inventory.can_change_stock``
change stock through the movement and count forms and the batch actions, which call the
services (see ``inventory.admin_stock``); the auditor's group holds only view rights.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone

from hotsauce.admin_tools import CsvExportMixin, history_record, iso
from hotsauce.errors import ApplicationError
from inventory.admin_batches import (  # noqa: F401  (re-exported for the apps that extend them)
    LEDGER_INLINE_ROWS,
    BatchAdmin,
    LotInline,
    QuantityColumns,
    ReadOnlyMixin,
    actor_label,
    days_left_badge,
    quantity_annotations,
    status_badge,
)
from inventory.admin_stock import (
    StockCountForm,
    StockMovementForm,
    add_service_errors,
    can_change_stock,
    staff_change,
)
from inventory.gs1.admin import scan_view
from inventory.models import (
    Batch,
    Forecast,
    InventoryItem,
    InventoryTransaction,
    Product,
    ReplenishmentPolicy,
    Reservation,
    ReservationLot,
    RestockAlert,
    SellThroughReport,
    StockLot,
    Warehouse,
)
from inventory.selectors import lot_quantities, lot_status
from inventory.services import gtin_validate
from partners.attributes.admin import AttributesAdminMixin


@admin.register(Product)
class ProductAdmin(AttributesAdminMixin, admin.ModelAdmin):
    attributes_resource = "product"
    list_display = ("sku", "name", "gtin", "kind", "flavor", "heat_level_shu", "bottle_size_ml",
                    "expiry_warning_days")
    list_filter = ("kind",)
    search_fields = ("sku", "name", "gtin", "flavor")
    readonly_fields = ("created_at", "updated_at")

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)

        def clean_gtin(self):
            # The check digit rule is the catalogue service's; the admin asks it, not a copy.
            try:
                return gtin_validate(self.cleaned_data.get("gtin", ""))
            except ApplicationError as exc:
                raise ValidationError(exc.errors[0]["message"]) from None

        form.clean_gtin = clean_gtin
        return form


@admin.register(Warehouse)
class WarehouseAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "supplier", "country", "active")
    list_filter = ("active", "supplier", "country")
    search_fields = ("code", "name", "supplier__code", "address")
    list_select_related = ("supplier",)
    readonly_fields = ("created_at",)


def history_stock_change(request, result, detail: str) -> None:
    """A staff stock change in the History of its item and of every batch it touched."""
    history_record(request, result.item, detail)
    for batch in {row.batch_id: row.batch for row in result.transactions if row.batch_id}.values():
        history_record(request, batch, detail)


# --- batches (inventory.admin_batches) ------------------------------------------------

admin.site.register(Batch, BatchAdmin)


# --- items, lots, ledger --------------------------------------------------------------


class ItemLotInline(LotInline):
    fk_name = "item"
    fields = ("warehouse", "batch", "status", "on_hand", "reserved", "on_hold", "available", "updated_at")
    readonly_fields = fields
    verbose_name_plural = "lots (on hand = reserved + on hold + available)"

    def get_queryset(self, request):
        return super().get_queryset(request).order_by("batch__expiration_date", "pk")


@admin.register(InventoryItem)
class InventoryItemAdmin(QuantityColumns, admin.ModelAdmin):
    list_display = ("product", "supplier", "on_hand", "reserved", "on_hold", "available", "version",
                    "last_updated")
    list_filter = ("supplier", "product__kind")
    search_fields = ("product__sku", "product__name", "product__gtin", "supplier__code")
    list_select_related = ("product", "supplier")
    readonly_fields = ("supplier", "product", "version", "last_updated", "on_hand", "reserved", "on_hold",
                       "available")
    fields = readonly_fields
    inlines = (ItemLotInline,)
    change_list_template = "admin/inventory/inventoryitem/change_list.html"
    change_form_template = "admin/inventory/inventoryitem/change_form.html"

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(**quantity_annotations(timezone.now()))

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_urls(self):
        prefix = f"{self.opts.app_label}_{self.opts.model_name}"
        return [
            path("move/", self.admin_site.admin_view(self.movement_view), name=f"{prefix}_move"),
            path("scan/", self.admin_site.admin_view(lambda request: scan_view(self, request)), name=f"{prefix}_scan"),
            path("<path:object_id>/count/", self.admin_site.admin_view(self.count_view), name=f"{prefix}_count"),
        ] + super().get_urls()

    def _context(self, request, **extra):
        return {**self.admin_site.each_context(request), "opts": self.opts, **extra}

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "can_change_stock": can_change_stock(request)}
        return super().changelist_view(request, extra_context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {**(extra_context or {}), "can_change_stock": can_change_stock(request)}
        return super().change_view(request, object_id, form_url, extra_context)

    def movement_view(self, request):
        """Receive, adjust, damage, write off or transfer units: dispatched by ``services.MOVEMENTS``."""
        if not can_change_stock(request):
            raise PermissionDenied
        item = None
        if request.GET.get("item", "").isdigit():
            item = InventoryItem.objects.select_related("supplier", "product").filter(pk=request.GET["item"]).first()
        initial = {"supplier": item.supplier, "product": item.product} if item else {}
        if "type" in request.GET:
            initial["type"] = request.GET["type"]
        form = StockMovementForm(request.POST if request.method == "POST" else None, initial=initial)
        if request.method == "POST" and form.is_valid() and form.needs_confirmation():
            # A write-off or damage removes units for good: show what will happen, confirm on a second page.
            return TemplateResponse(request, "admin/staff_form.html", self._context(
                request, title=f"Confirm: {form.cleaned_data['type']}", form=form.confirmation(), original=item,
                submit_label=f"Confirm {form.cleaned_data['type']}", objects=[form.describe()],
                intro="These units leave stock for good and the ledger records you as the actor. Confirm?"))
        if request.method == "POST" and form.is_valid():
            try:
                result = staff_change(request, form.describe(), form.movement)
            except ApplicationError as exc:
                add_service_errors(form, exc)
            else:
                history_stock_change(request, result, form.describe())
                self.message_user(request, f"Recorded: {form.describe()} (item version {result.item.version}).",
                                  messages.SUCCESS)
                return HttpResponseRedirect(reverse("admin:inventory_inventoryitem_change", args=[result.item.pk]))
        return TemplateResponse(request, "admin/staff_form.html", self._context(
            request, title="Record a stock movement", form=form, original=item, submit_label="Record movement",
            intro="The movement goes through the same service as the API and is written to the ledger with "
                  "you as the actor."))

    def count_view(self, request, object_id):
        """A physical count: absolute levels per lot, one ``stock_count`` call."""
        if not can_change_stock(request):
            raise PermissionDenied
        item = get_object_or_404(InventoryItem.objects.select_related("supplier", "product"), pk=object_id)
        lots = list(StockLot.objects.filter(item=item).select_related("warehouse", "batch").order_by(
            "batch__expiration_date", "pk"))
        form = StockCountForm(request.POST if request.method == "POST" else None, item=item, lots=lots)
        if request.method == "POST" and form.is_valid():
            detail = f"count {item.product.sku} at {item.supplier.code}: {form.cleaned_data['reason']}"
            try:
                result = staff_change(request, detail, form.count)
            except ApplicationError as exc:
                add_service_errors(form, exc, form.field_map())
            else:
                changed = len(result.transactions)
                history_stock_change(request, result, detail)
                self.message_user(request, f"Count recorded: {changed} lot(s) changed.", messages.SUCCESS)
                return HttpResponseRedirect(reverse("admin:inventory_inventoryitem_change", args=[item.pk]))
        return TemplateResponse(request, "admin/staff_form.html", self._context(
            request, title="Count stock", form=form, original=item, submit_label="Record count",
            intro="Enter the units counted in each lot. Lots whose count differs get a count row in the ledger."))


@admin.register(StockLot)
class StockLotAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("batch", "warehouse", "item", "status", "on_hand", "reserved", "on_hold", "available",
                    "updated_at")
    fields = ("item", "warehouse", "batch", "status", "on_hand", "reserved", "on_hold", "available", "updated_at")
    readonly_fields = fields
    list_filter = ("batch__status", "warehouse", "item__supplier")
    search_fields = ("batch__batch_number", "item__product__sku", "item__product__gtin", "warehouse__code")
    list_select_related = ("batch__product", "warehouse__supplier", "item__supplier", "item__product")

    @admin.display(description="status", ordering="batch__status")
    def status(self, lot):
        return status_badge(lot_status(lot, timezone.now()))

    @admin.display(description="on hold")
    def on_hold(self, lot):
        return lot_quantities(lot, timezone.now())[1]

    @admin.display(description="available")
    def available(self, lot):
        return lot_quantities(lot, timezone.now())[0]


@admin.register(InventoryTransaction)
class InventoryTransactionAdmin(CsvExportMixin, ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("id", "created_at", "type", "product", "supplier", "warehouse", "batch_number", "quantity",
                    "on_hand_delta", "reserved_delta", "quarantined_delta", "on_hand_after", "actor",
                    "retail_partner", "reason", "reference")
    # Plain filters: a "related only" filter would scan the whole ledger for distinct actors.
    list_filter = ("type", "supplier", "warehouse", "actor_user", "created_at")
    search_fields = ("batch__batch_number", "product__sku", "product__gtin", "reference", "reason",
                     "=movement_id")
    list_select_related = ("product", "supplier", "warehouse__supplier", "batch", "actor_user", "actor_client",
                           "retail_partner")
    ordering = ("-id",)
    # The ledger grows without bound: do not count it on every page.
    show_full_result_count = False
    raw_id_fields = ("lot", "item", "batch")
    csv_name = "ledger"
    csv_columns = [
        ("id", lambda r: r.pk), ("createdAt", lambda r: iso(r.created_at)), ("type", lambda r: r.type),
        ("supplierId", lambda r: r.supplier.code), ("productId", lambda r: r.product.sku),
        ("warehouseLocation", lambda r: r.warehouse.code if r.warehouse_id else ""),
        ("batchNumber", lambda r: r.batch.batch_number if r.batch_id else ""), ("quantity", lambda r: r.quantity),
        ("onHandDelta", lambda r: r.on_hand_delta), ("reservedDelta", lambda r: r.reserved_delta),
        ("onHoldDelta", lambda r: r.quarantined_delta), ("onHandAfter", lambda r: r.on_hand_after),
        ("reservedAfter", lambda r: r.reserved_after), ("actor", lambda r: actor_label(r)),
        ("retailPartnerId", lambda r: r.retail_partner.code if r.retail_partner_id else ""),
        ("reason", lambda r: r.reason), ("reference", lambda r: r.reference),
    ]

    @admin.display(description="batch", ordering="batch__batch_number")
    def batch_number(self, row):
        return row.batch.batch_number

    @admin.display(description="actor")
    def actor(self, row):
        return actor_label(row)


class HoldInline(ReadOnlyMixin, admin.TabularInline):
    model = ReservationLot
    fields = ("lot", "quantity")
    extra = 0


@admin.register(ReservationLot)
class ReservationLotAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("reservation", "lot", "quantity")
    search_fields = ("reservation__code", "lot__batch__batch_number")
    list_select_related = ("reservation", "lot__batch", "lot__warehouse", "lot__item__supplier",
                           "lot__item__product")


@admin.register(Reservation)
class ReservationAdmin(ReadOnlyMixin, admin.ModelAdmin):
    """Who holds reserved units: order allocations and standalone holds (read-only: services change them)."""

    list_display = ("code", "item", "retail_partner", "order_ref", "status", "quantity", "remaining",
                    "expires_at", "created_at")
    list_filter = ("status", "item__supplier")
    search_fields = ("code", "order_ref", "reference", "item__product__sku", "retail_partner__code")
    list_select_related = ("item__supplier", "item__product", "retail_partner")
    inlines = (HoldInline,)

    @admin.display(description="held now")
    def remaining(self, reservation):
        return reservation.remaining_quantity


# --- demand and replenishment ---------------------------------------------------------


@admin.register(ReplenishmentPolicy)
class ReplenishmentPolicyAdmin(admin.ModelAdmin):
    list_display = ("supplier", "product", "lead_time_days", "lead_time_std_dev_days", "service_level",
                    "minimum_order_quantity", "case_pack", "review_period_days", "updated_at")
    list_filter = ("supplier",)
    search_fields = ("supplier__code", "product__sku", "product__name")
    list_select_related = ("supplier", "product")
    autocomplete_fields = ("product",)


@admin.register(Forecast)
class ForecastAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("item", "average_daily_demand", "demand_std_dev", "safety_stock", "reorder_point",
                    "available_quantity", "observed_days", "computed_at")
    list_filter = ("item__supplier",)
    search_fields = ("item__product__sku", "item__product__name", "item__supplier__code")
    list_select_related = ("item__supplier", "item__product")


@admin.register(RestockAlert)
class RestockAlertAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("id", "item", "severity", "status", "available_quantity", "reorder_point",
                    "suggested_order_quantity", "opened_at", "acknowledged_at", "resolved_at")
    list_filter = ("status", "severity", "item__supplier")
    search_fields = ("item__product__sku", "item__product__name", "item__supplier__code")
    list_select_related = ("item__supplier", "item__product")
    date_hierarchy = "opened_at"


@admin.register(SellThroughReport)
class SellThroughReportAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("date", "retail_partner", "product", "units_sold", "on_hand", "reported_by", "updated_at")
    list_filter = ("retail_partner", "date")
    search_fields = ("retail_partner__code", "product__sku", "product__name")
    list_select_related = ("retail_partner", "product", "reported_by")
    date_hierarchy = "date"
