"""Staff stock changes in the admin: the forms and the one way they reach the services.

Staff never edit a quantity as a field. Every change here goes through the same
``inventory.services`` functions as the API, with ``Principal.for_staff`` as the actor so
the ledger rows carry the staff user, and is written to the auth audit log.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, time
from typing import TypeVar

from django import forms
from django.contrib.admin.widgets import AdminDateWidget
from django.db import transaction
from django.http import HttpRequest

from hotsauce.errors import ApplicationError
from hotsauce.proxies import client_ip
from inventory.models import Batch, InventoryItem, InventoryTransaction, Product, StockLot, Warehouse
from partners.models import AuthAuditLog, Supplier
from partners.principal import Principal
from partners.services import audit_record
from partners.staff_roles import CHANGE_STOCK

T = TypeVar("T")
Type = InventoryTransaction.Type

# Reservations, releases and sales belong to orders; staff forms offer the warehouse moves.
STAFF_MOVEMENT_TYPES = [
    (Type.RECEIPT, "Receive (inbound goods)"),
    (Type.ADJUSTMENT, "Adjust (signed quantity, with a reason)"),
    (Type.DAMAGE, "Damage (remove unreserved units)"),
    (Type.WRITE_OFF, "Write off (remove unreserved units)"),
    (Type.TRANSFER, "Transfer to another warehouse"),
]

# The services name fields as the API does; the forms name them in snake_case.
_FIELD_FROM_API = {
    "quantity": "quantity", "warehouseLocation": "warehouse", "toWarehouseLocation": "to_warehouse",
    "batchNumber": "batch_number", "expirationDate": "expiration_date", "type": "type", "reason": "reason",
    "version": "__all__",
}


# Movements that remove units for good ask for a reason and a confirmation page.
CONFIRMED_TYPES = (Type.WRITE_OFF, Type.DAMAGE)


def expiry_at(day):
    """A batch's expiry date as the instant the stock core stores: 00:00 UTC of that day."""
    return datetime.combine(day, time.min, tzinfo=UTC) if day else None


def can_change_stock(request: HttpRequest) -> bool:
    return request.user.is_active and request.user.has_perm(CHANGE_STOCK)


def staff_change(request: HttpRequest, detail: str, change: Callable[[Principal], T]) -> T:
    """Run one stock change as the signed-in staff user and audit it, refused or done."""
    actor = Principal.for_staff(request.user)
    audit = {"event": AuthAuditLog.Event.STAFF_STOCK_CHANGE, "user": request.user,
             "ip": client_ip(request), "method": request.method, "path": request.path}
    try:
        with transaction.atomic():
            result = change(actor)
    except ApplicationError as exc:
        audit_record(success=False, detail=f"{detail} — refused: {exc.detail}", **audit)
        raise
    audit_record(success=True, detail=detail, **audit)
    return result


def add_service_errors(form: forms.Form, exc: ApplicationError, field_map: dict[str, str] | None = None) -> None:
    """Show a service's refusal on the form, on the field it names where the form has one."""
    field_map = {**_FIELD_FROM_API, **(field_map or {})}
    if not exc.errors:
        form.add_error(None, exc.detail)
        return
    for error in exc.errors:
        name = field_map.get(error.get("field", ""))
        if name not in form.fields:
            name = None
        form.add_error(name, error.get("message") or exc.detail)
    if exc.detail and all(e.get("message") != exc.detail for e in exc.errors):
        form.add_error(None, exc.detail)


class StockMovementForm(forms.Form):
    supplier = forms.ModelChoiceField(Supplier.objects.all())
    product = forms.ModelChoiceField(Product.objects.all())
    type = forms.ChoiceField(choices=STAFF_MOVEMENT_TYPES)
    quantity = forms.IntegerField(help_text="Units; an adjustment may be negative.")
    warehouse = forms.ModelChoiceField(Warehouse.objects.select_related("supplier"), required=False,
                                       help_text="Where the units are (or arrive, for a receipt).")
    batch_number = forms.CharField(max_length=64, required=False,
                                   help_text="Required for receipts and adjustments; optional otherwise (FEFO).")
    # Dates are ISO 8601 (YYYY-MM-DD) with the admin's date picker; 03/01/2027 is refused, never guessed.
    expiration_date = forms.DateField(required=False, widget=AdminDateWidget, input_formats=["%Y-%m-%d"],
                                      help_text="Only when receiving a new batch: YYYY-MM-DD (expires at 00:00 "
                                                "UTC that day).")
    production_date = forms.DateField(required=False, widget=AdminDateWidget, input_formats=["%Y-%m-%d"],
                                      help_text="Only when receiving a new batch: YYYY-MM-DD.")
    to_warehouse = forms.ModelChoiceField(Warehouse.objects.select_related("supplier"), required=False,
                                          help_text="For transfers.")
    reason = forms.CharField(max_length=500, required=False, help_text="Why: it goes into the ledger.")
    reference = forms.CharField(max_length=200, required=False)
    confirmed = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def clean(self):
        data = super().clean()
        supplier, movement = data.get("supplier"), data.get("type")
        for name in ("warehouse", "to_warehouse"):
            warehouse = data.get(name)
            if supplier and warehouse and warehouse.supplier_id != supplier.pk:
                self.add_error(name, f"{warehouse.code} belongs to {warehouse.supplier.code}, not {supplier.code}.")
        if movement == Type.TRANSFER and not data.get("to_warehouse"):
            self.add_error("to_warehouse", "A transfer needs a destination.")
        if movement in CONFIRMED_TYPES and not (data.get("reason") or "").strip():
            self.add_error("reason", "Say why these units leave stock: the ledger and auditors read it.")
        return data

    def needs_confirmation(self) -> bool:
        return self.cleaned_data["type"] in CONFIRMED_TYPES and not self.cleaned_data.get("confirmed")

    def confirmation(self) -> StockMovementForm:
        """The same movement as hidden fields, marked confirmed: the second page of a write-off."""
        form = StockMovementForm({**self.data.dict(), "confirmed": "on"})
        for field in form.fields.values():
            field.widget = forms.HiddenInput()
        return form

    def movement(self, actor: Principal):
        from inventory.services import movement_record

        data = self.cleaned_data
        return movement_record(
            type=data["type"], supplier=data["supplier"], product=data["product"], quantity=data["quantity"],
            actor=actor, warehouse_code=data["warehouse"].code if data.get("warehouse") else None,
            batch_number=data.get("batch_number") or None, expiration_date=expiry_at(data.get("expiration_date")),
            production_date=data.get("production_date"),
            to_warehouse_code=data["to_warehouse"].code if data.get("to_warehouse") else None,
            reason=data.get("reason", ""), reference=data.get("reference", ""))

    def describe(self) -> str:
        data = self.cleaned_data
        where = f" in {data['warehouse'].code}" if data.get("warehouse") else ""
        to = f" to {data['to_warehouse'].code}" if data.get("to_warehouse") else ""
        batch = f" batch {data['batch_number']}" if data.get("batch_number") else ""
        return (f"{data['type']} {data['quantity']} × {data['product'].sku} at {data['supplier'].code}"
                f"{where}{to}{batch}: {data.get('reason', '')}")[:500]


class StockCountForm(forms.Form):
    """A physical count of one item: the counted units of each of its lots."""

    version = forms.IntegerField(widget=forms.HiddenInput,
                                 help_text="The item version the counter saw; a stale count is refused.")
    reason = forms.CharField(max_length=500, initial="cycle count")

    def __init__(self, *args, item: InventoryItem, lots: list[StockLot], **kwargs):
        super().__init__(*args, **kwargs)
        self.item = item
        self.lots = lots
        self.fields["version"].initial = item.version
        for lot in lots:
            self.fields[f"lot_{lot.pk}"] = forms.IntegerField(
                min_value=0, initial=lot.on_hand,
                label=f"{lot.warehouse.code} · {lot.batch.batch_number}",
                help_text=f"on hand {lot.on_hand}, reserved {lot.reserved}")

    def lot_fields(self):
        return [self[f"lot_{lot.pk}"] for lot in self.lots]

    def counts(self) -> list[dict]:
        return [{"warehouse_code": lot.warehouse.code, "batch_number": lot.batch.batch_number,
                 "inventory_level": self.cleaned_data[f"lot_{lot.pk}"]} for lot in self.lots]

    def count(self, actor: Principal):
        from inventory.services import stock_count

        return stock_count(supplier=self.item.supplier, product=self.item.product, counts=self.counts(),
                           actor=actor, version=self.cleaned_data["version"], reason=self.cleaned_data["reason"])

    def field_map(self) -> dict[str, str]:
        return {f"lots[{index}].inventoryLevel": f"lot_{lot.pk}" for index, lot in enumerate(self.lots)}


class BatchStatusForm(forms.Form):
    """The intermediate page of the quarantine and release actions."""

    reason = forms.CharField(max_length=500, required=False, widget=forms.TextInput(attrs={"size": 60}))

    def __init__(self, *args, reason_required: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].required = reason_required


def batch_status_change(*, batch: Batch, status: str, reason: str, actor: Principal | None = None) -> Batch:
    from inventory.services import batch_set_status

    return batch_set_status(batch=batch, status=status, reason=reason, actor=actor)
