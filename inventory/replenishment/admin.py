"""Replenishment inputs in the admin: demand history (read-only, imported from CSV) and sell-through signals.

Both write through ``inventory.replenishment.services``, like the API: an import recomputes the
forecasts of the items it touches, a signal change those of its supplier.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from datetime import date

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from hotsauce.errors import ApplicationError
from inventory.admin import ReadOnlyMixin
from inventory.models import Product
from inventory.replenishment import services
from inventory.replenishment.models import DemandHistory, SellThroughSignal
from partners.models import Supplier
from partners.principal import Principal
from partners.selectors import is_trading

CSV_COLUMNS = ("supplierId", "productId", "date", "quantity")


class HistoryImportForm(forms.Form):
    file = forms.FileField(help_text="CSV with the header supplierId,productId,date,quantity (date as YYYY-MM-DD). "
                                     "A day imported again replaces the earlier figure.")
    source = forms.CharField(required=False, max_length=100, help_text="Where the figures come from")

    def clean_file(self):
        upload = self.cleaned_data["file"]
        try:
            text = upload.read().decode("utf-8-sig")
        except UnicodeDecodeError:
            raise forms.ValidationError("The file must be UTF-8 text.") from None
        reader = csv.DictReader(io.StringIO(text))
        if tuple(reader.fieldnames or ()) != CSV_COLUMNS:
            raise forms.ValidationError(f"The header must be {','.join(CSV_COLUMNS)}.")
        return parse_history_rows(list(reader))


def parse_history_rows(rows: list[dict]) -> dict[tuple[Supplier, Product], list[tuple[date, int]]]:
    """Rows grouped by item; every bad line is reported (by its line number), nothing is half-imported."""
    suppliers = {s.code: s for s in Supplier.objects.filter(code__in={r["supplierId"] for r in rows})}
    products = {p.sku: p for p in Product.objects.filter(sku__in={r["productId"] for r in rows})}
    grouped: dict[tuple, list] = defaultdict(list)
    errors = []
    for line, row in enumerate(rows, start=2):
        supplier, product = suppliers.get(row["supplierId"]), products.get(row["productId"])
        try:
            day, quantity = date.fromisoformat(row["date"]), int(row["quantity"])
        except (TypeError, ValueError):
            errors.append(f"line {line}: date must be YYYY-MM-DD and quantity a whole number")
            continue
        if supplier is None or product is None:
            errors.append(f"line {line}: unknown supplier {row['supplierId']!r} or product {row['productId']!r}")
            continue
        grouped[(supplier, product)].append((day, quantity))
    if errors:
        raise forms.ValidationError(errors[:20])
    return grouped


@admin.register(DemandHistory)
class DemandHistoryAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("date", "supplier", "product", "quantity", "source", "updated_at")
    list_filter = ("supplier",)
    search_fields = ("supplier__code", "product__sku", "source")
    list_select_related = ("supplier", "product")
    date_hierarchy = "date"

    def get_urls(self):
        return [path("import/", self.admin_site.admin_view(self.import_view),
                     name="replenishment_demandhistory_import")] + super().get_urls()

    def changelist_view(self, request, extra_context=None):
        link = format_html('<a class="button" href="{}">Import demand history (CSV)</a>',
                           reverse("admin:replenishment_demandhistory_import"))
        return super().changelist_view(request, {**(extra_context or {}), "subtitle": link})

    def import_view(self, request):
        if not request.user.has_perm("replenishment.add_demandhistory"):
            raise PermissionDenied
        form = HistoryImportForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            actor = Principal.for_staff(request.user)
            try:
                with transaction.atomic():
                    for (supplier, product), days in form.cleaned_data["file"].items():
                        services.demand_history_import(supplier=supplier, product=product, days=days, actor=actor,
                                                       source=form.cleaned_data["source"] or "admin CSV import")
            except ApplicationError as exc:
                form.add_error("file", "; ".join(f"{e['field']}: {e['message']}" for e in exc.errors) or exc.detail)
            else:
                groups = form.cleaned_data["file"]
                self.message_user(request, f"Imported {sum(len(d) for d in groups.values())} days for "
                                           f"{len(groups)} item(s); their forecasts were recomputed.",
                                  messages.SUCCESS)
                return HttpResponseRedirect(reverse("admin:replenishment_demandhistory_changelist"))
        return TemplateResponse(request, "admin/staff_form.html", {
            **self.admin_site.each_context(request), "opts": self.opts, "form": form,
            "title": "Import demand history", "submit_label": "Import",
            "intro": "Daily demand from before this platform: it fills the days before each item's live ledger "
                     "begins, so forecasts work from day one."})


class SignalForm(forms.ModelForm):
    class Meta:
        model = SellThroughSignal
        fields = ("retail_partner", "supplier", "effective_from")

    def clean(self):
        data = super().clean()
        retailer, supplier = data.get("retail_partner"), data.get("supplier")
        if retailer and supplier and not is_trading(supplier_id=supplier.pk, retail_partner_id=retailer.pk):
            raise forms.ValidationError(f"{retailer.code} has no active trading relationship with {supplier.code}.")
        return data


@admin.register(SellThroughSignal)
class SellThroughSignalAdmin(admin.ModelAdmin):
    form = SignalForm
    list_display = ("retail_partner", "supplier", "effective_from", "updated_at")
    list_select_related = ("retail_partner", "supplier")

    def save_model(self, request, obj, form, change):
        saved = services.sell_through_signal_set(retail_partner=obj.retail_partner, supplier=obj.supplier,
                                                 effective_from=obj.effective_from)
        obj.pk = saved.pk

    def delete_model(self, request, obj):
        services.sell_through_signal_clear(retail_partner=obj.retail_partner)

    def delete_queryset(self, request, queryset):
        for signal in queryset.select_related("retail_partner"):
            services.sell_through_signal_clear(retail_partner=signal.retail_partner)
