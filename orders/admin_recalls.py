"""Recalls in the admin: who recalled what, the notices per retailer, a printable notice, CSV.

A recall itself is started from the batch list (``orders.admin.BatchAdmin.recall``); here
staff read it, print each retail partner's notice (an HTML page laid out for paper) and
export the notices as CSV.
"""

from __future__ import annotations

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Sum
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html

from hotsauce.admin_tools import CsvExportMixin, iso
from inventory.admin import ReadOnlyMixin
from orders.models import Recall, RecallNotice, ShipmentLine


def print_link(notice: RecallNotice) -> str:
    return format_html('<a class="button recall-notice-print" href="{}" target="_blank">Print notice</a>',
                       reverse("admin:orders_recallnotice_print", args=[notice.pk]))


class RecallNoticeInline(ReadOnlyMixin, admin.TabularInline):
    model = RecallNotice
    fields = ("retail_partner", "shipped_quantity", "returned_quantity", "still_out", "notice")
    readonly_fields = fields
    extra = 0

    @admin.display(description="still out")
    def still_out(self, notice):
        return notice.shipped_quantity - notice.returned_quantity

    @admin.display(description="notice")
    def notice(self, notice):
        return print_link(notice) if notice.pk else ""


@admin.register(Recall)
class RecallAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("batch", "reason", "recalled_at", "recalled_by", "units_on_hand", "units_released",
                    "retailers", "units_shipped")
    search_fields = ("batch__batch_number", "batch__product__sku", "reason")
    list_filter = ("batch__supplier",)
    list_select_related = ("batch__product", "created_by", "created_by_user")
    date_hierarchy = "recalled_at"
    fields = ("batch", "reason", "recalled_at", "recalled_by", "units_on_hand", "units_released")
    readonly_fields = fields
    inlines = (RecallNoticeInline,)

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(n_retailers=Count("notices"),
                                                      n_shipped=Sum("notices__shipped_quantity"))

    @admin.display(description="recalled by")
    def recalled_by(self, recall):
        return recall.recalled_by

    @admin.display(description="retailers told", ordering="n_retailers")
    def retailers(self, recall):
        return recall.n_retailers

    @admin.display(description="units at retailers", ordering="n_shipped")
    def units_shipped(self, recall):
        return recall.n_shipped or 0


@admin.register(RecallNotice)
class RecallNoticeAdmin(CsvExportMixin, ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("recall", "retail_partner", "shipped_quantity", "returned_quantity", "notice")
    search_fields = ("recall__batch__batch_number", "retail_partner__code")
    list_filter = ("retail_partner", "recall__batch__supplier")
    list_select_related = ("recall__batch__product", "recall__batch__supplier", "recall__created_by",
                           "recall__created_by_user", "retail_partner")
    csv_name = "recall-notices"
    csv_columns = [
        ("recallId", lambda n: n.recall_id), ("recalledAt", lambda n: iso(n.recall.recalled_at)),
        ("recalledBy", lambda n: n.recall.recalled_by), ("supplierId", lambda n: n.recall.batch.supplier.code),
        ("productId", lambda n: n.recall.batch.product.sku), ("gtin", lambda n: n.recall.batch.product.gtin),
        ("batchNumber", lambda n: n.recall.batch.batch_number),
        ("expirationDate", lambda n: iso(n.recall.batch.expiration_date)),
        ("retailPartnerId", lambda n: n.retail_partner.code), ("retailPartnerName", lambda n: n.retail_partner.name),
        ("shippedQuantity", lambda n: n.shipped_quantity), ("returnedQuantity", lambda n: n.returned_quantity),
        ("stillOut", lambda n: n.shipped_quantity - n.returned_quantity), ("reason", lambda n: n.recall.reason),
    ]

    @admin.display(description="")
    def notice(self, notice):
        return print_link(notice)

    def get_urls(self):
        return [path("<path:object_id>/print/", self.admin_site.admin_view(self.print_view),
                     name="orders_recallnotice_print")] + super().get_urls()

    def print_view(self, request, object_id):
        """One retail partner's recall notice, laid out to be printed (or saved as PDF) from the browser."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        notice = get_object_or_404(RecallNotice.objects.select_related(
            "recall__batch__product", "recall__batch__supplier", "recall__created_by", "recall__created_by_user",
            "retail_partner"), pk=object_id)
        batch = notice.recall.batch
        shipments = (ShipmentLine.objects.filter(batch=batch, shipment__retail_partner=notice.retail_partner)
                     .select_related("shipment__order", "warehouse").order_by("shipment__shipped_at", "pk"))
        return TemplateResponse(request, "admin/orders/recallnotice/print.html", {
            "notice": notice, "recall": notice.recall, "batch": batch, "product": batch.product,
            "supplier": batch.supplier, "retailer": notice.retail_partner, "shipments": shipments,
            "still_out": notice.shipped_quantity - notice.returned_quantity, "printed_at": timezone.now(),
            "title": f"Recall notice — {batch.product.sku} lot {batch.batch_number} — {notice.retail_partner.code}"})
