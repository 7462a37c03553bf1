"""The admin's "scan to receive" page, made for a keyboard-wedge scanner.

A wedge scanner types the barcode and presses Enter: the scan field has the focus, Enter
submits, the result is shown above the field and the field is empty and focused again for
the next label. Supplier, warehouse and type stay as chosen (kept in the session). A
scanner cannot type the GS that stands for FNC1, so it sends Ctrl+] (ASCII 29), which the
page turns into GS. Each scan goes through ``inventory.gs1.recording.scan_record`` — the
same door as the API — as the signed-in staff user, and is audited.
"""

from __future__ import annotations

from django import forms
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse

from hotsauce.errors import ApplicationError
from inventory.admin_stock import can_change_stock, staff_change
from inventory.gs1.recording import scan_record
from inventory.models import Warehouse
from partners.models import Supplier

SESSION_KEY = "gs1_scan_defaults"


class ScanForm(forms.Form):
    supplier = forms.ModelChoiceField(Supplier.objects.all())
    warehouse = forms.ModelChoiceField(Warehouse.objects.select_related("supplier").filter(active=True))
    type = forms.ChoiceField(choices=[("receipt", "Receive"), ("count", "Count (sets the lot's level)")],
                             widget=forms.RadioSelect)
    quantity = forms.IntegerField(min_value=1, max_value=1_000_000, initial=1,
                                  help_text="How many of the scanned unit (a case label's (37) count is per unit).")
    scan = forms.CharField(max_length=1000, strip=False, widget=forms.TextInput(attrs={
        "autofocus": True, "autocomplete": "off", "size": 70, "id": "id_scan", "spellcheck": "false"}),
        help_text="Scan a GS1-128 or DataMatrix label, or type its element string, e.g. "
                  "(01)00860001000016(10)B1(17)271231(37)24, then Enter.")

    def clean(self):
        data = super().clean()
        supplier, warehouse = data.get("supplier"), data.get("warehouse")
        if supplier and warehouse and warehouse.supplier_id != supplier.pk:
            self.add_error("warehouse", f"{warehouse.code} belongs to {warehouse.supplier.code}.")
        return data


def _describe(recorded) -> str:
    scan = recorded.scan
    verb = "Received" if recorded.result.transactions and recorded.result.transactions[0].type == "receipt" \
        else "Counted"
    lots = recorded.result.lots
    batch_on_hand = sum(lot.on_hand for lot in lots if lot.batch.batch_number == scan.batch_number)
    return (f"{verb} {recorded.quantity} × {recorded.product.sku} batch {scan.batch_number}"
            f"{f' (expires {scan.expiry:%Y-%m-%d})' if scan.expiry else ''}: batch on hand now {batch_on_hand} "
            f"(all batches {sum(lot.on_hand for lot in lots)}).")


def scan_view(model_admin, request):
    if not can_change_stock(request):
        raise PermissionDenied
    defaults = request.session.get(SESSION_KEY, {"type": "receipt", "quantity": 1})
    result = error = None
    form = ScanForm(request.POST if request.method == "POST" else None, initial=defaults)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        request.session[SESSION_KEY] = {"supplier": data["supplier"].pk, "warehouse": data["warehouse"].pk,
                                        "type": data["type"], "quantity": 1}
        try:
            recorded = staff_change(request, f"scan {data['type']} at {data['warehouse'].code}: "
                                             f"{data['scan']!r}"[:500],
                                    lambda actor: scan_record(principal=actor, supplier=data["supplier"],
                                                              raw=data["scan"], type=data["type"],
                                                              warehouse_code=data["warehouse"].code,
                                                              quantity=data["quantity"]))
        except ApplicationError as exc:
            fields = ", ".join(e["field"] for e in exc.errors if e.get("field"))
            error = f"{fields + ': ' if fields else ''}{exc.detail}"
        else:
            result = _describe(recorded)
        # Ready for the next label: an empty, focused scan field, the other choices kept.
        form = ScanForm(initial=request.session[SESSION_KEY])
    return TemplateResponse(request, "admin/inventory/inventoryitem/scan.html", {
        **model_admin.admin_site.each_context(request), "opts": model_admin.opts, "title": "Scan to receive",
        "form": form, "result": result, "error": error})
