"""EDI in the staff portal: profiles are edited here; documents, packages and acknowledgements are read-only."""

from django.contrib import admin
from django.http import HttpResponse
from django.urls import path, reverse
from django.utils.html import format_html

from orders.edi.models import EdiDocument, OrderAcknowledgement, Package, PackageLine, TradingPartnerProfile


class ReadOnly:
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(TradingPartnerProfile)
class TradingPartnerProfileAdmin(admin.ModelAdmin):
    list_display = ("isa_id", "isa_qualifier", "gs_id", "retail_partner", "supplier", "version", "documents", "usage",
                    "active", "last_control_number")
    list_filter = ("version", "usage", "active")
    search_fields = ("isa_id", "gs_id", "retail_partner__code", "supplier__code")
    readonly_fields = ("last_control_number", "created_at", "updated_at")


@admin.register(EdiDocument)
class EdiDocumentAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ("code", "created_at", "direction", "transaction_set", "status", "retail_partner", "supplier",
                    "interchange_control_number", "order", "shipment", "download")
    list_filter = ("direction", "transaction_set", "status", "retail_partner", "supplier")
    search_fields = ("code", "interchange_control_number", "order__code", "shipment__code", "content")
    list_select_related = ("retail_partner", "supplier", "order", "shipment")
    readonly_fields = ("code", "direction", "transaction_set", "status", "profile", "retail_partner", "supplier",
                       "sender_id", "receiver_id", "version", "interchange_control_number", "group_control_number",
                       "transaction_control_number", "order", "shipment", "acknowledges", "detail", "created_by",
                       "created_at", "download", "content")
    fields = readonly_fields
    ordering = ("-id",)

    def has_view_permission(self, request, obj=None):
        return super().has_view_permission(request, obj)

    @admin.display(description="X12")
    def download(self, document):
        url = reverse("admin:edi_edidocument_download", args=[document.pk])
        return format_html('<a href="{}">{}.x12</a>', url, document.code)

    def get_urls(self):
        return [path("<int:pk>/download/", self.admin_site.admin_view(self.download_view),
                     name="edi_edidocument_download")] + super().get_urls()

    def download_view(self, request, pk):
        document = EdiDocument.objects.get(pk=pk)
        if not self.has_view_permission(request, document):
            return HttpResponse(status=403)
        response = HttpResponse(document.content, content_type="application/edi-x12; charset=ascii")
        response["Content-Disposition"] = f'attachment; filename="{document.code}.x12"'
        return response


class PackageLineInline(ReadOnly, admin.TabularInline):
    model = PackageLine
    fields = ("shipment_line", "quantity")
    readonly_fields = fields
    extra = 0


@admin.register(Package)
class PackageAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ("sscc", "shipment", "number", "created_at")
    search_fields = ("sscc", "shipment__code", "shipment__order__code")
    list_select_related = ("shipment",)
    inlines = (PackageLineInline,)


@admin.register(OrderAcknowledgement)
class OrderAcknowledgementAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ("order", "decision", "reason", "created_by", "created_at")
    list_filter = ("decision",)
    search_fields = ("order__code", "reason")
    list_select_related = ("order", "created_by")
