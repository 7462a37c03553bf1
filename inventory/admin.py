"""The staff portal for stock: batches, items, lots and the ledger.

Quantities are read-only everywhere here. Staff with ``inventory.can_change_stock``
change stock through the movement and count forms and the batch actions, which call the
services (see ``inventory.admin_stock``); the auditor's group holds only view rights.
"""

from __future__ import annotations

from datetime import timedelta

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import IntegerField, Sum, Value
from django.db.models.functions import Coalesce
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.http import urlencode

from hotsauce.errors import ApplicationError
from inventory.admin_stock import (
    StockCountForm,
    StockMovementForm,
    add_service_errors,
    batch_status_change,
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
from inventory.selectors import available_units, lot_quantities
from inventory.services import gtin_validate
from partners.attributes.admin import AttributesAdminMixin, attributes_html

LEDGER_INLINE_ROWS = 100


class ReadOnlyMixin:
    """Records staff may look at but never edit, add or delete (quantities, the ledger)."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def days_left_badge(expiration_date) -> str:
    days = (expiration_date - timezone.now()).days
    if expiration_date <= timezone.now():
        colour, label, css = "#ba2121", "expired", "expired"
    elif days < 30:
        colour, label, css = "#d9480f", f"{days} d", "under30"
    elif days < 60:
        colour, label, css = "#b7791f", f"{days} d", "under60"
    elif days < 90:
        colour, label, css = "#8a8a00", f"{days} d", "under90"
    else:
        colour, label, css = "#2b8a3e", f"{days} d", "ok"
    return format_html('<strong class="days-left days-left-{}" style="color:{}">{}</strong>', css, colour, label)


# --- catalogue ------------------------------------------------------------------------


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


# --- batches --------------------------------------------------------------------------


class ExpiryFilter(admin.SimpleListFilter):
    title = "expiry"
    parameter_name = "expiry"

    def lookups(self, request, model_admin):
        return [("expired", "Expired"), ("30", "Expiring within 30 days"), ("60", "Expiring within 60 days"),
                ("90", "Expiring within 90 days")]

    def queryset(self, request, queryset):
        now = timezone.now()
        if self.value() == "expired":
            return queryset.filter(expiration_date__lte=now)
        if self.value() in ("30", "60", "90"):
            return queryset.filter(expiration_date__gt=now,
                                   expiration_date__lte=now + timedelta(days=int(self.value())))
        return queryset


class LotInline(ReadOnlyMixin, admin.TabularInline):
    model = StockLot
    fk_name = "batch"
    extra = 0
    fields = ("warehouse", "on_hand", "reserved", "quarantined", "available", "updated_at")
    readonly_fields = fields
    verbose_name_plural = "lots per warehouse"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("warehouse__supplier", "batch")

    @admin.display(description="available")
    def available(self, lot):
        return lot_quantities(lot, timezone.now())[0]


class LedgerInline(ReadOnlyMixin, admin.TabularInline):
    model = InventoryTransaction
    fk_name = "batch"
    extra = 0
    fields = ("created_at", "type", "warehouse", "quantity", "on_hand_delta", "reserved_delta",
              "quarantined_delta", "on_hand_after", "reserved_after", "actor", "retail_partner", "reason",
              "reference")
    readonly_fields = fields
    ordering = ("-id",)
    verbose_name_plural = f"ledger (latest {LEDGER_INLINE_ROWS} rows)"

    def get_queryset(self, request):
        qs = super().get_queryset(request).select_related("warehouse__supplier", "actor_user", "actor_client",
                                                          "retail_partner")
        # A busy batch has thousands of rows: show the latest, link to the full ledger.
        batch_id = (request.resolver_match.kwargs.get("object_id") if request.resolver_match else None)
        if batch_id and str(batch_id).isdigit():
            latest = InventoryTransaction.objects.filter(batch_id=batch_id).order_by("-id").values_list(
                "id", flat=True)[:LEDGER_INLINE_ROWS]
            qs = qs.filter(pk__in=list(latest))
        return qs

    @admin.display(description="actor")
    def actor(self, row):
        return actor_label(row)


def actor_label(row: InventoryTransaction) -> str:
    if row.actor_user_id:
        return f"staff {row.actor_user.get_username()}"
    if row.actor_client_id:
        return f"client {row.actor_client.display_name}"
    return "system"


@admin.register(Batch)
class BatchAdmin(admin.ModelAdmin):
    list_display = ("batch_number", "product_sku", "supplier_code", "expires", "days_left", "status",
                    "on_hand", "reserved", "available")
    list_filter = (ExpiryFilter, "status", "supplier", "product__kind")
    search_fields = ("batch_number", "product__gtin", "product__sku", "product__name")
    list_select_related = ("product", "supplier")
    readonly_fields = ("product", "supplier", "batch_number", "production_date", "expiration_date", "days_left",
                       "status", "status_reason", "status_changed_at", "expiring_notified_at", "created_at",
                       "on_hand", "reserved", "available", "custom_attributes", "full_ledger")
    fields = readonly_fields
    inlines = (LotInline, LedgerInline)
    actions = ("quarantine", "release")
    date_hierarchy = "expiration_date"

    def get_queryset(self, request):
        zero = Value(0, output_field=IntegerField())
        return super().get_queryset(request).annotate(
            units_on_hand=Coalesce(Sum("lots__on_hand"), zero),
            units_reserved=Coalesce(Sum("lots__reserved"), zero),
            units_held=Coalesce(Sum("lots__quarantined"), zero),
            units_available=Coalesce(Sum(available_units(timezone.now(), "lots__")), zero),
        )

    def has_add_permission(self, request):
        return False  # batches arrive with a receipt (the movement form)

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        # Nothing on a batch is edited as a field: the page is read-only, actions change it.
        return False

    def has_change_stock_permission(self, request):
        return can_change_stock(request)

    @admin.display(description="product", ordering="product__sku")
    def product_sku(self, batch):
        return format_html('<span title="{}">{}</span>', batch.product.name, batch.product.sku)

    @admin.display(description="supplier", ordering="supplier__code")
    def supplier_code(self, batch):
        return format_html('<span title="{}">{}</span>', batch.supplier.name, batch.supplier.code)

    @admin.display(description="expires", ordering="expiration_date")
    def expires(self, batch):
        return f"{batch.expiration_date:%Y-%m-%d}"

    @admin.display(description="days left", ordering="expiration_date")
    def days_left(self, batch):
        return days_left_badge(batch.expiration_date)

    @admin.display(description="on hand", ordering="units_on_hand")
    def on_hand(self, batch):
        return batch.units_on_hand

    @admin.display(description="reserved", ordering="units_reserved")
    def reserved(self, batch):
        return batch.units_reserved

    @admin.display(description="available", ordering="units_available")
    def available(self, batch):
        return batch.units_available

    @admin.display(description="custom attributes")
    def custom_attributes(self, batch):
        return attributes_html(batch.attributes)

    @admin.display(description="ledger")
    def full_ledger(self, batch):
        url = reverse("admin:inventory_inventorytransaction_changelist") + "?" + urlencode({"batch__id__exact":
                                                                                           batch.pk})
        return format_html('<a href="{}">All ledger rows of this batch</a>', url)

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "can_change_stock": can_change_stock(request)}
        return super().changelist_view(request, extra_context)

    # Quarantine and release act at once (holding stock must be quick; release undoes it);
    # a recall, which is final, asks for its reason first (orders.admin).

    def _status_action(self, request, queryset, *, status: str, verb: str):
        reason = (request.POST.get("reason") or "").strip()[:500] or f"{verb} in the admin by {request.user}"
        self._apply_status(request, queryset, status, reason)

    def _apply_status(self, request, queryset, status, reason):
        done = []
        for batch in queryset:
            if batch.status == Batch.Status.RECALLED:
                self.message_user(request, f"{batch.batch_number} is recalled; a recall is final.", messages.ERROR)
                continue
            if batch.status == status:
                continue
            try:
                staff_change(request, f"batch {batch.batch_number} ({batch.product.sku}) → {status}: {reason}",
                             lambda actor, batch=batch: batch_status_change(batch=batch, status=status,
                                                                            reason=reason))
            except ApplicationError as exc:
                self.message_user(request, f"{batch.batch_number}: {exc.detail}", messages.ERROR)
                continue
            done.append(batch.batch_number)
        if done:
            self.message_user(request, f"{status.capitalize()}: {', '.join(done)}.", messages.SUCCESS)

    @admin.action(description="Quarantine selected batches (hold all their units)",
                  permissions=["change_stock"])
    def quarantine(self, request, queryset):
        self._status_action(request, queryset, status=Batch.Status.QUARANTINED, verb="quarantined")

    @admin.action(description="Release selected batches from quarantine", permissions=["change_stock"])
    def release(self, request, queryset):
        self._status_action(request, queryset, status=Batch.Status.RELEASED, verb="released")


# --- items, lots, ledger --------------------------------------------------------------


class ItemLotInline(LotInline):
    fk_name = "item"
    fields = ("warehouse", "batch", "on_hand", "reserved", "quarantined", "available", "updated_at")
    readonly_fields = fields
    verbose_name_plural = "lots"

    def get_queryset(self, request):
        return super().get_queryset(request).order_by("batch__expiration_date", "pk")


@admin.register(InventoryItem)
class InventoryItemAdmin(admin.ModelAdmin):
    list_display = ("product", "supplier", "on_hand", "reserved", "available", "version", "last_updated")
    list_filter = ("supplier", "product__kind")
    search_fields = ("product__sku", "product__name", "product__gtin", "supplier__code")
    list_select_related = ("product", "supplier")
    readonly_fields = ("supplier", "product", "version", "last_updated", "on_hand", "reserved", "available")
    fields = readonly_fields
    inlines = (ItemLotInline,)
    change_list_template = "admin/inventory/inventoryitem/change_list.html"
    change_form_template = "admin/inventory/inventoryitem/change_form.html"

    def get_queryset(self, request):
        zero = Value(0, output_field=IntegerField())
        return super().get_queryset(request).annotate(
            units_on_hand=Coalesce(Sum("lots__on_hand"), zero),
            units_reserved=Coalesce(Sum("lots__reserved"), zero),
            units_available=Coalesce(Sum(available_units(timezone.now(), "lots__")), zero),
        )

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="on hand", ordering="units_on_hand")
    def on_hand(self, item):
        return item.units_on_hand

    @admin.display(description="reserved", ordering="units_reserved")
    def reserved(self, item):
        return item.units_reserved

    @admin.display(description="available", ordering="units_available")
    def available(self, item):
        return item.units_available

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
        if request.method == "POST" and form.is_valid():
            try:
                result = staff_change(request, form.describe(), form.movement)
            except ApplicationError as exc:
                add_service_errors(form, exc)
            else:
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
                self.message_user(request, f"Count recorded: {changed} lot(s) changed.", messages.SUCCESS)
                return HttpResponseRedirect(reverse("admin:inventory_inventoryitem_change", args=[item.pk]))
        return TemplateResponse(request, "admin/staff_form.html", self._context(
            request, title="Count stock", form=form, original=item, submit_label="Record count",
            intro="Enter the units counted in each lot. Lots whose count differs get a count row in the ledger."))


@admin.register(StockLot)
class StockLotAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("batch", "warehouse", "item", "on_hand", "reserved", "quarantined", "updated_at")
    list_filter = ("batch__status", "warehouse", "item__supplier")
    search_fields = ("batch__batch_number", "item__product__sku", "item__product__gtin", "warehouse__code")
    list_select_related = ("batch__product", "warehouse__supplier", "item__supplier", "item__product")


@admin.register(InventoryTransaction)
class InventoryTransactionAdmin(ReadOnlyMixin, admin.ModelAdmin):
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
