"""Orders, shipments, the returns queue and recalls in the admin.

Orders and shipments are read-only records here: they change through the partners' API.
Staff act in two places, both through ``orders.services``: processing a return (a
disposition per line) and recalling a batch, which this module adds to the batch admin
because a recall spans stock and orders (and ``inventory`` must not import ``orders``).
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Sum
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from hotsauce.admin_tools import history_record
from hotsauce.errors import ApplicationError
from inventory import admin as inventory_admin
from inventory.admin_stock import BatchStatusForm, add_service_errors, staff_change
from inventory.models import Batch, ReservationLot, Warehouse
from orders import admin_recalls  # noqa: F401  (recalls, notices and their print view)
from orders.models import (
    Order,
    OrderLine,
    Recall,
    RecallNotice,
    Return,
    ReturnLine,
    Shipment,
    ShipmentLine,
)
from orders.selectors import batch_trace
from orders.services import ReceiveLineRequest, batch_recall, return_receive
from partners.attributes.admin import attributes_html
from partners.principal import Principal
from partners.staff_roles import PROCESS_RETURNS

OPEN_RETURN = (Return.Status.REQUESTED, Return.Status.PARTIALLY_RECEIVED)


class ReadOnlyMixin(inventory_admin.ReadOnlyMixin):
    pass


def can_process_returns(request) -> bool:
    return request.user.is_active and request.user.has_perm(PROCESS_RETURNS)


def _table(headings: list[str], rows) -> str:
    head = format_html_join("", "<th>{}</th>", ((h,) for h in headings))
    body = format_html_join("", "<tr>{}</tr>", ((format_html_join("", "<td>{}</td>", ((c,) for c in row)),)
                                                for row in rows))
    return format_html('<table class="trace"><thead><tr>{}</tr></thead><tbody>{}</tbody></table>', head, body)


# --- orders and shipments (read-only) -------------------------------------------------


class OrderLineInline(ReadOnlyMixin, admin.TabularInline):
    model = OrderLine
    fields = ("product", "quantity", "allocated_quantity", "shipped_quantity")
    readonly_fields = fields
    extra = 0


class ShipmentInline(ReadOnlyMixin, admin.TabularInline):
    model = Shipment
    fields = ("code", "status", "carrier", "tracking_number", "shipped_at", "delivered_at")
    readonly_fields = fields
    extra = 0
    show_change_link = True


@admin.register(Order)
class OrderAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("code", "supplier", "retail_partner", "status", "reference", "requested_delivery_date",
                    "created_at")
    list_filter = ("status", "supplier", "retail_partner")
    search_fields = ("code", "reference", "retail_partner__code", "supplier__code")
    list_select_related = ("supplier", "retail_partner")
    date_hierarchy = "created_at"
    fields = ("code", "supplier", "retail_partner", "status", "reference", "requested_delivery_date",
              "delivery_address", "custom_attributes", "cancel_reason", "created_by", "created_at", "updated_at",
              "cancelled_at", "allocations")
    readonly_fields = fields
    inlines = (OrderLineInline, ShipmentInline)

    @admin.display(description="custom attributes")
    def custom_attributes(self, order):
        return attributes_html(order.attributes)

    @admin.display(description="allocations (reserved units by lot)")
    def allocations(self, order):
        rows = (ReservationLot.objects.filter(reservation__order_line__order=order)
                .select_related("reservation__order_line__product", "reservation", "lot__batch", "lot__warehouse")
                .order_by("reservation__order_line__id", "id"))
        return _table(["product", "reservation", "batch", "warehouse", "expires", "units"],
                      [(h.reservation.order_line.product.sku, h.reservation.code, h.lot.batch.batch_number,
                        h.lot.warehouse.code, f"{h.lot.batch.expiration_date:%Y-%m-%d}", h.quantity)
                       for h in rows]) if rows else "—"


@admin.register(OrderLine)
class OrderLineAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("order", "product", "quantity", "allocated_quantity", "shipped_quantity")
    search_fields = ("order__code", "product__sku")
    list_filter = ("order__status",)
    list_select_related = ("order", "product")


class ShipmentLineInline(ReadOnlyMixin, admin.TabularInline):
    model = ShipmentLine
    fields = ("product", "batch", "warehouse", "quantity")
    readonly_fields = fields
    extra = 0


@admin.register(Shipment)
class ShipmentAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("code", "order", "supplier", "retail_partner", "status", "carrier", "tracking_number",
                    "shipped_at", "delivered_at")
    list_filter = ("status", "carrier", "supplier", "retail_partner")
    search_fields = ("code", "tracking_number", "order__code", "retail_partner__code")
    list_select_related = ("order", "supplier", "retail_partner")
    date_hierarchy = "shipped_at"
    inlines = (ShipmentLineInline,)


@admin.register(ShipmentLine)
class ShipmentLineAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("shipment", "product", "batch", "warehouse", "quantity")
    search_fields = ("shipment__code", "batch__batch_number", "product__sku")
    list_select_related = ("shipment", "product", "batch", "warehouse")


# --- returns queue --------------------------------------------------------------------


class ReturnQueueFilter(admin.SimpleListFilter):
    """Open returns by default: the list is the clerk's queue."""

    title = "queue"
    parameter_name = "queue"

    def lookups(self, request, model_admin):
        return [("open", "To process"), ("done", "Received"), ("all", "All")]

    def value(self):
        return super().value() or "open"

    def choices(self, changelist):
        for lookup, title in self.lookup_choices:
            yield {"selected": self.value() == lookup, "query_string": changelist.get_query_string(
                {self.parameter_name: lookup}), "display": title}

    def queryset(self, request, queryset):
        if self.value() == "open":
            return queryset.filter(status__in=OPEN_RETURN)
        if self.value() == "done":
            return queryset.filter(status=Return.Status.RECEIVED)
        return queryset


class ReturnLineInline(ReadOnlyMixin, admin.TabularInline):
    model = ReturnLine
    fields = ("code", "product", "batch", "quantity", "reason", "disposition", "warehouse", "received_at")
    readonly_fields = fields
    extra = 0


SPLIT_FIELDS = (("restock", ReturnLine.Disposition.RESTOCK), ("quarantine", ReturnLine.Disposition.QUARANTINE),
                ("writeoff", ReturnLine.Disposition.WRITE_OFF))


class ReturnProcessForm(forms.Form):
    """Per line not yet received: one disposition for all its units, or a split by quantity.

    Lines left blank wait for later. A split (restock / quarantine / write-off units) must add
    up to the line's quantity; the service then records one line per disposition.
    """

    def __init__(self, *args, ret: Return, lines: list[ReturnLine], **kwargs):
        super().__init__(*args, **kwargs)
        self.ret, self.lines = ret, lines
        warehouses = Warehouse.objects.filter(supplier_id=ret.supplier_id, active=True)
        for line in lines:
            self.fields[f"disposition_{line.pk}"] = forms.ChoiceField(
                label=f"{line.code}: {line.quantity} × {line.product.sku}, batch {line.batch.batch_number} "
                      f"({line.get_reason_display()})",
                choices=[("", "— later, or split below —"), *ReturnLine.Disposition.choices], required=False,
                help_text="All units: restock (back on hand and sellable) · quarantine (on hand, on hold) · "
                          "writeOff (never on hand)")
            for name, disposition in SPLIT_FIELDS:
                self.fields[f"{name}_{line.pk}"] = forms.IntegerField(
                    min_value=0, max_value=line.quantity, required=False, label=f"{line.code} split: {disposition}",
                    widget=forms.NumberInput(attrs={"style": "width:6em"}))
            self.fields[f"writeoff_{line.pk}"].help_text = (f"Or split the {line.quantity} units: restock + "
                                                            "quarantine + writeOff must add up to the line.")
            self.fields[f"warehouse_{line.pk}"] = forms.ModelChoiceField(
                warehouses, required=False, label=f"{line.code} warehouse",
                help_text="Default: the warehouse it was shipped from.")

    def _split_of(self, line: ReturnLine) -> dict[str, int] | None:
        values = {d: self.cleaned_data.get(f"{name}_{line.pk}") for name, d in SPLIT_FIELDS}
        if all(v is None for v in values.values()):
            return None
        return {d: v or 0 for d, v in values.items()}

    def clean(self):
        data = super().clean()
        chosen = 0
        for line in self.lines:
            split, disposition = self._split_of(line), data.get(f"disposition_{line.pk}")
            if split is not None and disposition:
                self.add_error(f"disposition_{line.pk}", "Choose one disposition or a split, not both.")
            elif split is not None and sum(split.values()) != line.quantity:
                self.add_error(f"writeoff_{line.pk}", f"The split adds up to {sum(split.values())}; the line has "
                                                      f"{line.quantity} units.")
            chosen += bool(split is not None or disposition)
        if not chosen:
            raise forms.ValidationError("Choose a disposition for at least one line.")
        return data

    def requests(self) -> list[ReceiveLineRequest]:
        chosen = []
        for line in self.lines:
            split, disposition = self._split_of(line), self.cleaned_data.get(f"disposition_{line.pk}")
            if split is not None or disposition:
                warehouse = self.cleaned_data.get(f"warehouse_{line.pk}")
                chosen.append(ReceiveLineRequest(line_id=line.code, disposition=disposition or "", quantities=split,
                                                 warehouse_code=warehouse.code if warehouse else None))
        return chosen

    def field_map(self) -> dict[str, str]:
        by_code = {line.code: line for line in self.lines}
        mapping = {}
        for index, request in enumerate(self.requests()):
            pk = by_code[request.line_id].pk
            mapping[f"lines[{index}].disposition"] = f"disposition_{pk}"
            mapping[f"lines[{index}].quantities"] = f"writeoff_{pk}"
            mapping[f"lines[{index}].warehouseLocation"] = f"warehouse_{pk}"
            mapping[f"lines[{index}].lineId"] = f"disposition_{pk}"
        return mapping


def describe_receipt(ret: Return, chosen: list[ReceiveLineRequest]) -> str:
    parts = []
    for r in chosen:
        split = ", ".join(f"{q} {d}" for d, q in (r.quantities or {}).items() if q)
        parts.append(f"{r.line_id} {split or r.disposition}")
    return f"return {ret.code}: " + "; ".join(parts)


@admin.register(Return)
class ReturnAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("code", "process_link", "retail_partner__code", "supplier__code", "order", "status",
                    "line_count", "units", "created_at")
    list_filter = (ReturnQueueFilter, "status", "supplier", "retail_partner")
    search_fields = ("code", "order__code", "retail_partner__code", "lines__batch__batch_number")
    list_select_related = ("retail_partner", "supplier", "order")
    ordering = ("created_at", "id")
    inlines = (ReturnLineInline,)
    change_form_template = "admin/orders/return/change_form.html"

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(n_lines=Count("lines"), n_units=Sum("lines__quantity"))

    @admin.display(description="lines", ordering="n_lines")
    def line_count(self, ret):
        return ret.n_lines

    @admin.display(description="units", ordering="n_units")
    def units(self, ret):
        return ret.n_units

    @admin.display(description="")
    def process_link(self, ret):
        if ret.status not in OPEN_RETURN:
            return ""
        return format_html('<a class="button process-return" href="{}">Process</a>',
                           reverse("admin:orders_return_process", args=[ret.pk]))

    def get_list_display(self, request):
        shown = super().get_list_display(request)
        return shown if can_process_returns(request) else tuple(f for f in shown if f != "process_link")

    def get_urls(self):
        return [path("<path:object_id>/process/", self.admin_site.admin_view(self.process_view),
                     name="orders_return_process")] + super().get_urls()

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {**(extra_context or {}), "can_process_returns": can_process_returns(request)}
        return super().change_view(request, object_id, form_url, extra_context)

    def process_view(self, request, object_id):
        """Receive a return: a disposition per line, through ``return_receive``."""
        if not can_process_returns(request):
            raise PermissionDenied
        ret = get_object_or_404(Return.objects.select_related("supplier", "retail_partner"), pk=object_id)
        lines = list(ReturnLine.objects.filter(ret=ret, received_at__isnull=True)
                     .select_related("product", "batch").order_by("id"))
        data = request.POST if request.method == "POST" else None
        form = ReturnProcessForm(data, ret=ret, lines=lines) if lines else None
        if form is not None and request.method == "POST" and form.is_valid():
            chosen = form.requests()
            detail = describe_receipt(ret, chosen)
            try:
                staff_change(request, detail, lambda actor: return_receive(ret=ret, lines=chosen, actor=actor))
            except ApplicationError as exc:
                add_service_errors(form, exc, form.field_map())
            else:
                history_record(request, ret, f"Processed: {detail}")
                self.message_user(request, f"Processed {detail}.", messages.SUCCESS)
                return HttpResponseRedirect(reverse("admin:orders_return_changelist"))
        return TemplateResponse(request, "admin/staff_form.html", {
            **self.admin_site.each_context(request), "opts": self.opts, "original": ret,
            "title": f"Process return {ret.code}", "form": form, "submit_label": "Process return",
            "intro": (f"{ret.retail_partner} is sending back these lines to {ret.supplier.code}. Each disposition "
                      "is recorded in the stock ledger with you as the actor.") if lines
            else "Every line of this return has been received."})


@admin.register(ReturnLine)
class ReturnLineAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("code", "ret", "product", "batch", "quantity", "reason", "disposition", "warehouse",
                    "received_at")
    list_filter = ("reason", "disposition")
    search_fields = ("code", "ret__code", "batch__batch_number", "product__sku")
    list_select_related = ("ret", "product", "batch", "warehouse")


# --- the batch admin, with the recall and the trace -----------------------------------

_BRAND = Principal(kind="brand", scopes=frozenset())


def trace_rows(batch: Batch) -> list[tuple]:
    trace = batch_trace(principal=_BRAND, batch=batch)
    return [(row["retail_partner_id"], row["shipped_quantity"], row["delivered_quantity"], row["returned_quantity"],
             row["shipped_quantity"] - row["returned_quantity"]) for row in trace["retail_partners"]]


TRACE_HEADINGS = ["retail partner", "units shipped", "delivered", "returned", "still out"]

admin.site.unregister(Batch)


@admin.register(Batch)
class BatchAdmin(inventory_admin.BatchAdmin):
    readonly_fields = (*inventory_admin.BatchAdmin.readonly_fields, "trace", "recalls")
    fields = readonly_fields
    actions = (*inventory_admin.BatchAdmin.actions, "recall")

    @admin.display(description="trace: where its units went")
    def trace(self, batch):
        rows = trace_rows(batch)
        return _table(TRACE_HEADINGS, rows) if rows else "Not shipped to any retail partner."

    @admin.display(description="recalls")
    def recalls(self, batch):
        found = (Recall.objects.filter(batch=batch).select_related("created_by", "created_by_user")
                 .annotate(n=Count("notices")))
        return format_html_join("", '<p class="batch-recall"><a href="{}">{}</a> by {} — {} '
                                    '({} retailer(s) told)</p>', (
            (reverse("admin:orders_recall_change", args=[r.pk]), f"{r.recalled_at:%Y-%m-%d %H:%M}", r.recalled_by,
             r.reason, r.n)
            for r in found)) or "—"

    @admin.action(description="Recall selected batches (asks for a reason, shows the trace)",
                  permissions=["change_stock"])
    def recall(self, request, queryset):
        batches = list(queryset.select_related("product", "supplier"))
        context = {**self.admin_site.each_context(request), "opts": self.opts, "selected": batches,
                   "action_checkbox_name": ACTION_CHECKBOX_NAME, "action": "recall"}
        form = BatchStatusForm(request.POST if request.POST.get("apply") else None, reason_required=True)
        if form.is_bound and form.is_valid():
            reason = form.cleaned_data["reason"]
            done, refused = [], []
            for batch in batches:
                try:
                    recall = staff_change(request, f"recall {batch.batch_number} ({batch.product.sku}): {reason}",
                                          lambda actor, batch=batch: batch_recall(batch=batch, reason=reason,
                                                                                  actor=actor))
                except ApplicationError as exc:
                    refused.append(f"{batch.batch_number}: {exc.detail}")
                else:
                    history_record(request, batch, f"Recalled by {request.user.get_username()}: {reason}")
                    history_record(request, recall, f"Recall started: {reason}")
                    done.append(recall)
            for message in refused:
                self.message_user(request, message, messages.ERROR)
            if done:
                self.message_user(request, "Recalled: " + ", ".join(r.batch.batch_number for r in done),
                                  messages.SUCCESS)
            notices = (RecallNotice.objects.filter(recall__in=done).select_related("recall__batch", "retail_partner")
                       .order_by("recall_id", "retail_partner__code"))
            return TemplateResponse(request, "admin/staff_form.html", {
                **context, "title": "Recall done — who must be told", "selected": [], "form": None,
                "intro": "Every lot of these batches is on hold, their reservations were released and open orders "
                         "re-allocated where stock allowed. Each retail partner below has been sent batch.recalled "
                         "with its own quantities.",
                "table": {"headings": ["batch", "retail partner", "units shipped", "returned", "still out", "notice"],
                          "rows": [(n.recall.batch.batch_number, n.retail_partner.code, n.shipped_quantity,
                                    n.returned_quantity, n.shipped_quantity - n.returned_quantity,
                                    admin_recalls.print_link(n)) for n in notices],
                          "empty": "No retail partner received units of these batches."}})
        rows = [(batch.batch_number, *row) for batch in batches for row in trace_rows(batch)]
        return TemplateResponse(request, "admin/staff_form.html", {
            **context, "title": "Recall", "form": form, "objects": batches, "submit_label": "Recall",
            "intro": "Recalling holds every unit of these batches, releases their reservations and tells each retail "
                     "partner that received them. This is final. The trace so far:",
            "table": {"headings": ["batch", *TRACE_HEADINGS], "rows": rows,
                      "empty": "No retail partner received units of these batches."}})

