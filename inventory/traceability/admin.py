"""FSMA 204 records in the admin: read-only, and exported as the sortable spreadsheet (CSV or XLSX)."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from inventory.admin import ReadOnlyMixin
from inventory.traceability import export, selectors
from inventory.traceability.api import filename
from inventory.traceability.models import CriticalTrackingEvent
from partners.principal import Principal


class FsmaExportForm(forms.Form):
    lot_code = forms.CharField(required=False, max_length=64, label="Traceability lot code",
                               help_text="That lot and every lot made from it")
    product = forms.CharField(required=False, max_length=64, label="Product id (optional, with a lot code)")
    start = forms.DateField(required=False, label="From (event date)", widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(required=False, label="To (event date)", widget=forms.DateInput(attrs={"type": "date"}))
    format = forms.ChoiceField(choices=[(export.XLSX, "Excel (XLSX)"), (export.CSV, "CSV")])

    def clean(self):
        data = super().clean()
        if not data.get("lot_code") and not (data.get("start") and data.get("end")):
            raise forms.ValidationError("Name a traceability lot code, or a date range (from and to).")
        if data.get("start") and data.get("end") and data["start"] > data["end"]:
            raise forms.ValidationError("From must not be after to.")
        return data


@admin.register(CriticalTrackingEvent)
class CriticalTrackingEventAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("occurred_at", "cte_type", "traceability_lot_code", "product", "quantity", "unit_of_measure",
                    "location_id", "counterparty_id", "reference_document_number", "supplier")
    list_filter = ("cte_type", "supplier", "event_date")
    search_fields = ("traceability_lot_code", "product__sku", "reference_document_number", "counterparty_id")
    list_select_related = ("product", "supplier")
    date_hierarchy = "event_date"

    def get_urls(self):
        return [path("export/", self.admin_site.admin_view(self.export_view),
                     name="traceability_criticaltrackingevent_export")] + super().get_urls()

    def changelist_view(self, request, extra_context=None):
        link = format_html('<a class="button" href="{}">Export the FSMA 204 spreadsheet</a>',
                           reverse("admin:traceability_criticaltrackingevent_export"))
        return super().changelist_view(request, {**(extra_context or {}), "subtitle": link})

    def export_view(self, request):
        """Pick a lot code or a date range and download the spreadsheet (the same rows as the API)."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        form = FsmaExportForm(request.GET or None)
        if form.is_valid():
            data = form.cleaned_data
            query = {"lot_code": data["lot_code"] or None, "product_sku": data["product"] or None,
                     "start": data["start"], "end": data["end"]}
            events = selectors.fsma_events(principal=Principal.for_staff(request.user), **query)
            headings, rows = selectors.fsma_table(events)
            response = HttpResponse(export.fsma_export(data["format"], headings, rows), content_type=data["format"])
            response["Content-Disposition"] = f'attachment; filename="{filename(query, data["format"])}"'
            return response
        return TemplateResponse(request, "admin/fsma_export.html", {
            **self.admin_site.each_context(request), "opts": self.opts, "form": form,
            "title": "Export the FSMA 204 sortable spreadsheet"})
