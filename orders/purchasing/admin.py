"""Purchase orders in the admin, and the restock alert's one-click draft purchase order.

Purchase orders are read-only records here (they change through ``orders.purchasing.services``);
staff submit or cancel them with actions. The restock alert admin is extended in this module,
because turning an alert into a purchase order spans inventory and orders (``inventory`` must not
import ``orders``), as ``orders.admin`` does for the batch recall.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.html import format_html

from hotsauce.errors import ApplicationError
from inventory import admin as inventory_admin
from inventory.models import RestockAlert
from orders.purchasing import services
from orders.purchasing.models import (
    InboundShipment,
    InboundShipmentLine,
    PurchaseOrder,
    PurchaseOrderLine,
    PurchaseReceipt,
    PurchaseReceiptLine,
)
from partners.principal import Principal

ReadOnlyMixin = inventory_admin.ReadOnlyMixin


class LineInline(ReadOnlyMixin, admin.TabularInline):
    model = PurchaseOrderLine
    fields = ("line_number", "product", "quantity", "unit_of_measure", "case_pack", "requested_date",
              "promised_date", "promised_quantity", "shipped_quantity", "received_quantity")
    extra = 0


class InboundShipmentInline(ReadOnlyMixin, admin.TabularInline):
    model = InboundShipment
    fields = ("code", "status", "carrier", "tracking_number", "expected_date", "shipped_at", "received_at")
    extra = 0
    show_change_link = True


class ReceiptInline(ReadOnlyMixin, admin.TabularInline):
    model = PurchaseReceipt
    fields = ("code", "inbound_shipment", "warehouse", "received_at", "closed_short")
    extra = 0
    show_change_link = True


@admin.register(PurchaseOrder)
class PurchaseOrderAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("code", "status", "supplier", "ship_to_supplier", "ship_to_warehouse", "alert", "created_at",
                    "closed_at")
    list_filter = ("status", "supplier", "ship_to_supplier")
    search_fields = ("code", "reference", "lines__product__sku")
    list_select_related = ("supplier", "ship_to_supplier", "ship_to_warehouse")
    date_hierarchy = "created_at"
    inlines = (LineInline, InboundShipmentInline, ReceiptInline)
    actions = ("submit", "cancel")

    def has_change_purchase_permission(self, request) -> bool:
        return request.user.is_active and request.user.has_perm("purchasing.change_purchaseorder")

    def _apply(self, request, queryset, service, verb: str):
        actor = Principal.for_staff(request.user)
        for po in queryset:
            try:
                service(po=po, actor=actor)
            except ApplicationError as exc:
                self.message_user(request, f"{po.code}: {exc.detail}", messages.ERROR)
            else:
                self.message_user(request, f"{po.code} {verb}.", messages.SUCCESS)

    @admin.action(description="Submit selected drafts to their suppliers", permissions=["change_purchase"])
    def submit(self, request, queryset):
        self._apply(request, queryset, services.purchase_order_submit, "submitted")

    @admin.action(description="Cancel selected purchase orders", permissions=["change_purchase"])
    def cancel(self, request, queryset):
        self._apply(request, queryset, services.purchase_order_cancel, "cancelled")


class ShipmentLineInline(ReadOnlyMixin, admin.TabularInline):
    model = InboundShipmentLine
    fields = ("product", "batch_number", "expiration_date", "quantity", "received_quantity")
    extra = 0


@admin.register(InboundShipment)
class InboundShipmentAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("code", "purchase_order", "status", "carrier", "tracking_number", "expected_date", "received_at")
    list_filter = ("status",)
    search_fields = ("code", "purchase_order__code", "tracking_number", "lines__batch_number")
    inlines = (ShipmentLineInline,)


class ReceiptLineInline(ReadOnlyMixin, admin.TabularInline):
    model = PurchaseReceiptLine
    fields = ("product", "batch_number", "expected_quantity", "quantity")
    extra = 0


@admin.register(PurchaseReceipt)
class PurchaseReceiptAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("code", "purchase_order", "inbound_shipment", "warehouse", "received_at", "closed_short")
    search_fields = ("code", "purchase_order__code", "lines__batch_number")
    inlines = (ReceiptLineInline,)


# --- the restock alert, with its purchase order ------------------------------------------


admin.site.unregister(RestockAlert)


@admin.register(RestockAlert)
class RestockAlertAdmin(inventory_admin.RestockAlertAdmin):
    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("purchase_orders")

    def get_urls(self):
        return [path("<int:alert_id>/purchase-order/", self.admin_site.admin_view(self.purchase_order_view),
                     name="inventory_restockalert_purchase_order")] + super().get_urls()

    def get_list_display(self, request):
        token = get_token(request)

        @admin.display(description="purchase order")
        def purchase_order(alert: RestockAlert):
            po = next((po for po in alert.purchase_orders.all() if po.status != PurchaseOrder.Status.CANCELLED),
                      None)
            if po is not None:
                return format_html('<a href="{}">{} ({})</a>', reverse("admin:purchasing_purchaseorder_change",
                                                                       args=[po.pk]), po.code, po.status)
            if alert.status not in RestockAlert.ACTIVE:
                return "—"
            # One click: a POST with the admin's CSRF token drafts the order and opens it.
            return format_html(
                '<form method="post" action="{}" style="display:inline">'
                '<input type="hidden" name="csrfmiddlewaretoken" value="{}">'
                '<input type="submit" class="button" value="Draft purchase order"></form>',
                reverse("admin:inventory_restockalert_purchase_order", args=[alert.pk]), token)

        return (*super().get_list_display(request), purchase_order)

    def purchase_order_view(self, request, alert_id: int):
        """Draft a purchase order for the alert's suggested quantity, then open it."""
        if request.method != "POST":
            return HttpResponseRedirect(reverse("admin:inventory_restockalert_changelist"))
        if not request.user.has_perm("purchasing.add_purchaseorder"):
            raise PermissionDenied
        alert = get_object_or_404(RestockAlert, pk=alert_id)
        try:
            po = services.purchase_order_from_alert(alert=alert, actor=Principal.for_staff(request.user))
        except ApplicationError as exc:
            self.message_user(request, f"Alert {alert_id}: {exc.detail}", messages.ERROR)
            return HttpResponseRedirect(reverse("admin:inventory_restockalert_changelist"))
        self.message_user(request, f"Drafted {po.code} for {po.lines.first().quantity} units; submit it to "
                                   f"{po.supplier.code} when ready.", messages.SUCCESS)
        return HttpResponseRedirect(reverse("admin:purchasing_purchaseorder_change", args=[po.pk]))
