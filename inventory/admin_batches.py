"""Batches in the staff portal: the list, the page, quarantine and release, the CSV export.

Every quantity is shown as the stock core defines it (``inventory.selectors``): on hand =
reserved + on hold + available, on every screen. Quarantine asks for a reason on a page
that shows the numbers before and after; every status change lands in the batch's History.
"""

from __future__ import annotations

from datetime import timedelta

from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.db.models import IntegerField, Sum, Value
from django.db.models.functions import Coalesce
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.http import urlencode

from hotsauce.admin_tools import CsvExportMixin, history_record, iso
from hotsauce.errors import ApplicationError
from inventory.admin_stock import BatchStatusForm, batch_status_change, can_change_stock, staff_change
from inventory.models import Batch, InventoryTransaction, StockLot
from inventory.selectors import available_units, lot_quantities, lot_status, on_hold_units
from partners.attributes.admin import attributes_html

LEDGER_INLINE_ROWS = 100
HELD_COLOURS = {"quarantined": "#b7791f", "recalled": "#ba2121", "expired": "#ba2121"}


class ReadOnlyMixin:
    """Records staff may look at but never edit, add or delete (quantities, the ledger)."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def quantity_annotations(now, prefix: str = "lots__") -> dict:
    """On hand, reserved, on hold and available of an item's or a batch's lots, the stock core's rules."""
    zero = Value(0, output_field=IntegerField())
    return {
        "units_on_hand": Coalesce(Sum(f"{prefix}on_hand"), zero),
        "units_reserved": Coalesce(Sum(f"{prefix}reserved"), zero),
        "units_on_hold": Coalesce(Sum(on_hold_units(now, prefix)), zero),
        "units_available": Coalesce(Sum(available_units(now, prefix)), zero),
    }


def status_badge(status: str) -> str:
    colour = HELD_COLOURS.get(status, "#2b8a3e")
    return format_html('<strong class="batch-status batch-status-{}" style="color:{}">{}</strong>',
                       status, colour, status)


def days_left_badge(expiration_date, status: str = Batch.Status.RELEASED) -> str:
    """Days until expiry, coloured by urgency; a held batch shows that it is held instead (never green)."""
    if status != Batch.Status.RELEASED:
        return format_html('<strong class="days-left days-left-held" style="color:{}" title="{}">{}</strong>',
                           HELD_COLOURS.get(status, "#ba2121"), status, "not for sale")
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
    fields = ("warehouse", "status", "on_hand", "reserved", "on_hold", "available", "updated_at")
    readonly_fields = fields
    verbose_name_plural = "lots per warehouse (on hand = reserved + on hold + available)"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("warehouse__supplier", "batch")

    @admin.display(description="status")
    def status(self, lot):
        return status_badge(lot_status(lot, timezone.now()))

    @admin.display(description="available")
    def available(self, lot):
        return lot_quantities(lot, timezone.now())[0]

    @admin.display(description="on hold")
    def on_hold(self, lot):
        return lot_quantities(lot, timezone.now())[1]


def actor_label(row: InventoryTransaction) -> str:
    if row.actor_user_id:
        return f"staff {row.actor_user.get_username()}"
    if row.actor_client_id:
        return f"client {row.actor_client.display_name}"
    return "system"


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


class QuantityColumns:
    """The four numbers of a row annotated with ``quantity_annotations``."""

    @admin.display(description="on hand", ordering="units_on_hand")
    def on_hand(self, obj):
        return obj.units_on_hand

    @admin.display(description="reserved", ordering="units_reserved")
    def reserved(self, obj):
        return obj.units_reserved

    @admin.display(description="on hold", ordering="units_on_hold")
    def on_hold(self, obj):
        return obj.units_on_hold

    @admin.display(description="available", ordering="units_available")
    def available(self, obj):
        return obj.units_available


class BatchAdmin(CsvExportMixin, QuantityColumns, admin.ModelAdmin):
    # The key numbers come first, so a narrow window (1280 px with the filters) never hides them.
    list_display = ("batch_number", "on_hand", "reserved", "on_hold", "available", "expires", "status_badge",
                    "product_sku", "supplier_code")
    list_filter = (ExpiryFilter, "status", "supplier", "product__kind")
    search_fields = ("batch_number", "product__gtin", "product__sku", "product__name")
    list_select_related = ("product", "supplier")
    readonly_fields = ("product", "supplier", "batch_number", "production_date", "expiration_date", "days_left",
                       "status_badge", "status_reason", "status_changed_at", "expiring_notified_at", "created_at",
                       "on_hand", "reserved", "on_hold", "available", "custom_attributes", "full_ledger")
    fields = readonly_fields
    inlines = (LotInline, LedgerInline)
    actions = ("quarantine", "release")
    date_hierarchy = "expiration_date"
    csv_name = "batches"
    csv_columns = [
        ("batchNumber", lambda b: b.batch_number), ("productId", lambda b: b.product.sku),
        ("productName", lambda b: b.product.name), ("supplierId", lambda b: b.supplier.code),
        ("status", lambda b: b.status), ("productionDate", lambda b: iso(b.production_date)),
        ("expirationDate", lambda b: iso(b.expiration_date)),
        ("daysLeft", lambda b: (b.expiration_date - timezone.now()).days),
        ("onHand", lambda b: b.units_on_hand), ("reserved", lambda b: b.units_reserved),
        ("onHold", lambda b: b.units_on_hold), ("available", lambda b: b.units_available),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(**quantity_annotations(timezone.now()))

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

    @admin.display(description="expires (days left)", ordering="expiration_date")
    def expires(self, batch):
        return format_html('<span class="expiry-date">{}</span> {}', f"{batch.expiration_date:%Y-%m-%d}",
                           days_left_badge(batch.expiration_date, batch.status))

    @admin.display(description="days left", ordering="expiration_date")
    def days_left(self, batch):
        return days_left_badge(batch.expiration_date, batch.status)

    @admin.display(description="status", ordering="status")
    def status_badge(self, batch):
        return status_badge(batch.status)

    @admin.display(description="custom attributes")
    def custom_attributes(self, batch):
        return attributes_html(batch.attributes)

    @admin.display(description="ledger")
    def full_ledger(self, batch):
        url = reverse("admin:inventory_inventorytransaction_changelist") + "?" + urlencode({"batch__id__exact":
                                                                                           batch.pk})
        return format_html('<a href="{}">All ledger rows of this batch</a>', url)

    def changelist_view(self, request, extra_context=None):
        # The app sidebar would take a quarter of a 1280 px screen: the list needs it for its columns
        # (the breadcrumbs still lead everywhere).
        extra_context = {**(extra_context or {}), "can_change_stock": can_change_stock(request),
                         "is_nav_sidebar_enabled": False}
        return super().changelist_view(request, extra_context)

    def _apply_status(self, request, queryset, status, reason) -> list[str]:
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
                                                                            reason=reason, actor=actor))
            except ApplicationError as exc:
                self.message_user(request, f"{batch.batch_number}: {exc.detail}", messages.ERROR)
                continue
            history_record(request, batch, f"{status.capitalize()}: {reason}")
            done.append(batch.batch_number)
        if done:
            self.message_user(request, f"{status.capitalize()}: {', '.join(done)}.", messages.SUCCESS)
        return done

    def numbers_table(self, batches, *, after_hold: bool) -> dict:
        """Each batch's four numbers now and, for a quarantine, after it (everything unreserved on hold)."""
        rows = []
        for b in batches:
            unreserved = b.units_on_hand - b.units_reserved
            rows.append((b.batch_number, b.product.sku, b.units_on_hand, b.units_reserved, b.units_on_hold,
                         b.units_available, unreserved if after_hold else b.units_on_hold,
                         0 if after_hold else b.units_available))
        return {"headings": ["batch", "product", "on hand", "reserved", "on hold now", "available now",
                             "on hold after", "available after"], "rows": rows}

    @admin.action(description="Quarantine selected batches (asks for a reason, hold all their units)",
                  permissions=["change_stock"])
    def quarantine(self, request, queryset):
        batches = list(queryset.select_related("product", "supplier"))
        form = BatchStatusForm(request.POST if request.POST.get("apply") else None, reason_required=True)
        if form.is_bound and form.is_valid():
            self._apply_status(request, batches, Batch.Status.QUARANTINED, form.cleaned_data["reason"])
            return None
        return TemplateResponse(request, "admin/staff_form.html", {
            **self.admin_site.each_context(request), "opts": self.opts, "selected": batches,
            "action_checkbox_name": ACTION_CHECKBOX_NAME, "action": "quarantine", "form": form,
            "title": "Quarantine — confirm", "submit_label": "Quarantine", "objects": batches,
            "intro": "Every unreserved unit of these batches goes on hold: no partner can order or buy it until "
                     "it is released. Reserved units stay with their orders. Say why (retailers and auditors "
                     "read it), then confirm.",
            "table": self.numbers_table(batches, after_hold=True)})

    @admin.action(description="Release selected batches from quarantine", permissions=["change_stock"])
    def release(self, request, queryset):
        reason = (request.POST.get("reason") or "").strip()[:500] or f"released in the admin by {request.user}"
        self._apply_status(request, queryset.select_related("product"), Batch.Status.RELEASED, reason)
