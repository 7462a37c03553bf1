"""Staff triage of discrepancies: the queue, the thread, assignment, CSV export and the resolutions.

Records are never edited as fields here. Every action goes through ``orders.feedback.services``
as the signed-in staff member (the brand, to partners). Triage needs
``feedback.change_discrepancy``; a ``stockAdjustment`` also needs the stock permission, and
resolutions are written to the auth audit log like every staff stock change.
"""

from __future__ import annotations

import csv
from datetime import timedelta

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import HttpResponseRedirect, StreamingHttpResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from hotsauce.errors import ApplicationError
from inventory.admin_stock import add_service_errors, can_change_stock, staff_change
from orders.feedback import services
from orders.feedback.models import Discrepancy, DiscrepancyMessage, Receipt, ReceiptLine, StockReport
from orders.feedback.selectors import overdue_q
from partners.principal import Principal

TRIAGE = "feedback.change_discrepancy"
R = Discrepancy.Resolution


def can_triage(request) -> bool:
    return request.user.is_active and request.user.has_perm(TRIAGE)


class _ReadOnly:
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# --- queue filters --------------------------------------------------------------------


class QueueFilter(admin.SimpleListFilter):
    """Active discrepancies by default: the list is the staff's queue."""

    title, parameter_name = "queue", "queue"

    def lookups(self, request, model_admin):
        return [("active", "Open or acknowledged"), ("closed", "Resolved or rejected"), ("all", "All")]

    def value(self):
        return super().value() or "active"

    def choices(self, changelist):
        for lookup, title in self.lookup_choices:
            yield {"selected": self.value() == lookup, "display": title,
                   "query_string": changelist.get_query_string({self.parameter_name: lookup})}

    def queryset(self, request, queryset):
        if self.value() == "active":
            return queryset.filter(status__in=Discrepancy.ACTIVE)
        if self.value() == "closed":
            return queryset.exclude(status__in=Discrepancy.ACTIVE)
        return queryset


class OverdueFilter(admin.SimpleListFilter):
    title, parameter_name = "overdue", "overdue"

    def lookups(self, request, model_admin):
        return [("yes", "Overdue"), ("no", "Not overdue")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(overdue_q())
        if self.value() == "no":
            return queryset.exclude(overdue_q())
        return queryset


class AgeFilter(admin.SimpleListFilter):
    title, parameter_name = "age", "age"
    BANDS = {"1d": (None, 1), "1-3d": (1, 3), "3-7d": (3, 7), "7d+": (7, None)}

    def lookups(self, request, model_admin):
        return [("1d", "Under a day"), ("1-3d", "1–3 days"), ("3-7d", "3–7 days"), ("7d+", "Over a week")]

    def queryset(self, request, queryset):
        band = self.BANDS.get(self.value())
        if band is None:
            return queryset
        now = timezone.now()
        younger, older = band
        if younger is not None:
            queryset = queryset.filter(opened_at__lte=now - timedelta(days=younger))
        if older is not None:
            queryset = queryset.filter(opened_at__gt=now - timedelta(days=older))
        return queryset


class AssignedFilter(admin.SimpleListFilter):
    title, parameter_name = "assigned to", "assigned"

    def lookups(self, request, model_admin):
        return [("me", "Me"), ("nobody", "Nobody"), ("someone", "Someone")]

    def queryset(self, request, queryset):
        if self.value() == "me":
            return queryset.filter(assigned_to=request.user)
        if self.value() in ("nobody", "someone"):
            return queryset.filter(assigned_to__isnull=self.value() == "nobody")
        return queryset


# --- forms ----------------------------------------------------------------------------


class MessageForm(forms.Form):
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 5, "cols": 80}), max_length=5000,
                           label="Message", help_text="Seen by the retailer and the supplier, signed as the brand.")


class NoteForm(forms.Form):
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 4, "cols": 80}), max_length=5000)


class ResolveForm(forms.Form):
    resolution = forms.ChoiceField(choices=R.choices, widget=forms.RadioSelect)
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 3, "cols": 80}), max_length=5000, required=False)
    quantity = forms.IntegerField(required=False, help_text="Default: the discrepancy's units (for a stock "
                                                            "adjustment, signed: + back on hand, − off)")
    credit_amount = forms.DecimalField(max_digits=12, decimal_places=2, required=False)
    credit_currency = forms.RegexField(r"^[A-Za-z]{3}$", required=False, initial="USD")
    warehouse_location = forms.CharField(max_length=64, required=False, help_text="Stock adjustment: default the "
                                                                                  "warehouse it shipped from")
    batch_number = forms.CharField(max_length=64, required=False)

    def request(self) -> services.ResolutionRequest:
        data = self.cleaned_data
        return services.ResolutionRequest(
            resolution=data["resolution"], note=data["note"], quantity=data["quantity"],
            credit_amount=data["credit_amount"], credit_currency=data["credit_currency"] or "",
            warehouse_code=data["warehouse_location"] or None, batch_number=data["batch_number"] or None)


class AssignForm(forms.Form):
    user = forms.ModelChoiceField(get_user_model().objects.none(), required=False, label="Assign to",
                                  help_text="Empty: nobody")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = get_user_model().objects.filter(is_staff=True, is_active=True)


_FORM_FIELDS = {"creditAmount": "credit_amount", "creditCurrency": "credit_currency",
                "warehouseLocation": "warehouse_location", "batchNumber": "batch_number", "body": "body"}

CSV_COLUMNS = ["discrepancyId", "kind", "status", "overdue", "supplierId", "retailPartnerId", "orderId",
               "shipmentId", "productId", "batchNumber", "expectedQuantity", "actualQuantity", "quantity",
               "openedAt", "dueAt", "assignedTo", "messages", "resolution", "description"]


class _Echo:
    def write(self, value):
        return value


def _csv_row(d: Discrepancy, now) -> list:
    return [d.code, d.kind, d.status, "yes" if d.status in Discrepancy.ACTIVE and d.due_at < now else "no",
            d.supplier.code if d.supplier_id else "", d.retail_partner.code, d.order.code if d.order_id else "",
            d.shipment.code if d.shipment_id else "", d.product.sku if d.product_id else "",
            d.batch.batch_number if d.batch_id else d.batch_number, d.expected_quantity, d.actual_quantity,
            d.quantity, f"{d.opened_at:%Y-%m-%dT%H:%M:%SZ}", f"{d.due_at:%Y-%m-%dT%H:%M:%SZ}",
            d.assigned_to.get_username() if d.assigned_to_id else "", d.n_messages, d.resolution,
            d.description]


# --- the queue ------------------------------------------------------------------------


@admin.register(Discrepancy)
class DiscrepancyAdmin(_ReadOnly, admin.ModelAdmin):
    list_display = ("code", "kind", "status", "overdue_flag", "supplier__code", "retail_partner__code", "order",
                    "product__sku", "quantity", "age", "due_at", "assigned_to", "thread_length")
    list_filter = (QueueFilter, OverdueFilter, AgeFilter, AssignedFilter, "kind", "status", "supplier",
                   "retail_partner")
    search_fields = ("code", "order__code", "shipment__code", "retail_partner__code", "supplier__code",
                     "product__sku", "batch_number", "description")
    list_select_related = ("supplier", "retail_partner", "order", "shipment", "product", "batch", "assigned_to")
    ordering = ("due_at", "id")
    actions = ("assign_to_me", "unassign", "export_csv")
    change_form_template = "admin/feedback/discrepancy/change_form.html"
    change_list_template = "admin/feedback/discrepancy/change_list.html"
    fieldsets = (
        (None, {"fields": ("code", "kind", "status", "overdue_note", "cause", "supplier", "retail_partner", "order",
                           "shipment", "product", "batch", "batch_number", "expected_quantity", "actual_quantity",
                           "quantity", "description", "thread")}),
        ("Timeline and triage", {"fields": ("opened_by_kind", "opened_by", "opened_by_user", "opened_at", "due_at",
                                            "acknowledged_at", "closed_at", "assigned_to", "assigned_at")}),
        ("Resolution", {"fields": ("resolution", "resolution_note", "resolution_quantity", "credit_amount",
                                   "credit_currency", "replacement_order", "adjustment_movement_id", "receipt",
                                   "stock_report")}),
    )
    readonly_fields = [name for _, options in fieldsets for name in options["fields"]]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(n_messages=Count("messages"))

    def has_triage_permission(self, request) -> bool:
        return can_triage(request)

    @admin.display(description="overdue", ordering="due_at")
    def overdue_flag(self, d):
        if d.status in Discrepancy.ACTIVE and d.due_at < timezone.now():
            return format_html('<strong class="overdue" style="color:#ba2121">{}</strong>', "overdue")
        return ""

    @admin.display(description="overdue")
    def overdue_note(self, d):
        if d.is_overdue:
            return format_html('<strong id="overdue-note" style="color:#ba2121">Overdue since {} UTC</strong>',
                               f"{d.due_at:%Y-%m-%d %H:%M}")
        return "no"

    @admin.display(description="thread")
    def thread(self, d):
        rows = DiscrepancyMessage.objects.filter(discrepancy=d).order_by("id")
        items = format_html_join("", '<li class="thread-message"><strong>{}</strong> · {}<br>{}</li>',
                                 ((m.get_author_kind_display(), f"{m.created_at:%Y-%m-%d %H:%M}", m.body)
                                  for m in rows))
        return format_html('<ol id="discrepancy-thread">{}</ol>', items) if items else "No messages yet."

    @admin.display(description="age", ordering="opened_at")
    def age(self, d):
        hours = (timezone.now() - d.opened_at).total_seconds() / 3600
        return f"{hours / 24:.1f} d" if hours >= 48 else f"{hours:.0f} h"

    @admin.display(description="messages", ordering="n_messages")
    def thread_length(self, d):
        return d.n_messages

    # --- list actions -----------------------------------------------------------------

    @admin.action(description="Assign selected to me", permissions=["triage"])
    def assign_to_me(self, request, queryset):
        for discrepancy in queryset:
            services.discrepancy_assign(discrepancy=discrepancy, user=request.user)
        self.message_user(request, f"Assigned {queryset.count()} to you.", messages.SUCCESS)

    @admin.action(description="Unassign selected", permissions=["triage"])
    def unassign(self, request, queryset):
        for discrepancy in queryset:
            services.discrepancy_assign(discrepancy=discrepancy, user=None)
        self.message_user(request, f"Unassigned {queryset.count()}.", messages.SUCCESS)

    @admin.action(description="Export selected as CSV", permissions=["view"])
    def export_csv(self, request, queryset):
        return self._csv(queryset)

    def _csv(self, queryset) -> StreamingHttpResponse:
        now = timezone.now()
        writer = csv.writer(_Echo())
        rows = (queryset.select_related(*self.list_select_related).annotate(n_messages=Count("messages"))
                .order_by("due_at", "id"))

        def stream():
            yield writer.writerow(CSV_COLUMNS)
            for discrepancy in rows.iterator(chunk_size=500):
                yield writer.writerow(_csv_row(discrepancy, now))

        response = StreamingHttpResponse(stream(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="discrepancies-{now:%Y%m%d-%H%M}.csv"'
        return response

    # --- pages ------------------------------------------------------------------------

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("export/", view(self.export_view), name="feedback_discrepancy_export"),
            path("<path:object_id>/message/", view(self.message_view), name="feedback_discrepancy_message"),
            path("<path:object_id>/acknowledge/", view(self.acknowledge_view),
                 name="feedback_discrepancy_acknowledge"),
            path("<path:object_id>/resolve/", view(self.resolve_view), name="feedback_discrepancy_resolve"),
            path("<path:object_id>/reject/", view(self.reject_view), name="feedback_discrepancy_reject"),
            path("<path:object_id>/assign/", view(self.assign_view), name="feedback_discrepancy_assign"),
        ] + super().get_urls()

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "export_query": request.GET.urlencode()}
        return super().changelist_view(request, extra_context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {**(extra_context or {}), "can_triage": can_triage(request)}
        return super().change_view(request, object_id, form_url, extra_context)

    def export_view(self, request):
        """The queue as CSV, with the filters the list shows now."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        changelist = self.get_changelist_instance(request)
        return self._csv(changelist.get_queryset(request))

    def _triage_object(self, request, object_id) -> Discrepancy:
        if not can_triage(request):
            raise PermissionDenied
        return get_object_or_404(Discrepancy.objects.select_related("supplier", "retail_partner"), pk=object_id)

    def _done(self, request, discrepancy, text: str):
        self.message_user(request, f"{discrepancy.code}: {text}", messages.SUCCESS)
        return HttpResponseRedirect(reverse("admin:feedback_discrepancy_change", args=[discrepancy.pk]))

    def _form_page(self, request, discrepancy, form, title: str, submit: str, intro: str = ""):
        thread = DiscrepancyMessage.objects.filter(discrepancy=discrepancy).order_by("id")
        table = {"headings": ["when", "who", "message"], "empty": "No messages yet.",
                 "rows": [(f"{m.created_at:%Y-%m-%d %H:%M}", m.get_author_kind_display(), m.body) for m in thread]}
        return TemplateResponse(request, "admin/staff_form.html", {
            **self.admin_site.each_context(request), "opts": self.opts, "original": discrepancy, "title": title,
            "form": form, "submit_label": submit, "table": table,
            "intro": intro or f"{discrepancy.get_kind_display()} between {discrepancy.retail_partner} and "
                              f"{discrepancy.supplier or 'no supplier'}: {discrepancy.description}"})

    def _run(self, request, form, change, *, audit: str | None = None):
        """Call a service as the staff member (audited if it may move stock); refusals land on the form."""
        try:
            if audit:
                staff_change(request, audit, change)
            else:
                change(Principal.for_staff(request.user))
        except ApplicationError as exc:
            add_service_errors(form, exc, _FORM_FIELDS)
            return False
        return True

    def message_view(self, request, object_id):
        discrepancy = self._triage_object(request, object_id)
        form = MessageForm(request.POST or None)
        if form.is_valid() and self._run(request, form, lambda actor: services.discrepancy_message_post(
                discrepancy=discrepancy, body=form.cleaned_data["body"], actor=actor)):
            return self._done(request, discrepancy, "message posted.")
        return self._form_page(request, discrepancy, form, f"Write to the parties of {discrepancy.code}", "Post")

    def acknowledge_view(self, request, object_id):
        discrepancy = self._triage_object(request, object_id)
        if request.method != "POST":
            return HttpResponseRedirect(reverse("admin:feedback_discrepancy_change", args=[discrepancy.pk]))
        try:
            services.discrepancy_acknowledge(discrepancy=discrepancy, actor=Principal.for_staff(request.user))
        except ApplicationError as exc:
            self.message_user(request, f"{discrepancy.code}: {exc.detail}", messages.ERROR)
            return HttpResponseRedirect(reverse("admin:feedback_discrepancy_change", args=[discrepancy.pk]))
        return self._done(request, discrepancy, "acknowledged.")

    def resolve_view(self, request, object_id):
        discrepancy = self._triage_object(request, object_id)
        form = ResolveForm(request.POST or None)
        if form.is_valid():
            wanted = form.request()
            if wanted.resolution == R.STOCK_ADJUSTMENT and not can_change_stock(request):
                form.add_error("resolution", "Adjusting stock needs the stock permission.")
            else:
                def resolve(actor):
                    return services.discrepancy_resolve(discrepancy=discrepancy, request=wanted, actor=actor)

                audit = f"resolve {discrepancy.code}: {wanted.resolution} {wanted.note}"[:200]
                if self._run(request, form, resolve, audit=audit):
                    return self._done(request, discrepancy, f"resolved ({wanted.resolution}).")
        return self._form_page(
            request, discrepancy, form, f"Resolve {discrepancy.code}", "Resolve",
            intro=f"{discrepancy.description} — credit records a credit note; replacement places a new order for "
                  f"the retailer (allocated like any order); stockAdjustment corrects the supplier's lot in the "
                  f"ledger; noAction closes it. Both parties are told.")

    def reject_view(self, request, object_id):
        discrepancy = self._triage_object(request, object_id)
        form = NoteForm(request.POST or None)
        if form.is_valid() and self._run(request, form, lambda actor: services.discrepancy_reject(
                discrepancy=discrepancy, note=form.cleaned_data["note"], actor=actor)):
            return self._done(request, discrepancy, "rejected.")
        return self._form_page(request, discrepancy, form, f"Reject {discrepancy.code}", "Reject")

    def assign_view(self, request, object_id):
        discrepancy = self._triage_object(request, object_id)
        form = AssignForm(request.POST or None, initial={"user": discrepancy.assigned_to_id})
        if form.is_valid():
            services.discrepancy_assign(discrepancy=discrepancy, user=form.cleaned_data["user"])
            who = form.cleaned_data["user"]
            return self._done(request, discrepancy, f"assigned to {who.get_username()}." if who else "unassigned.")
        return self._form_page(request, discrepancy, form, f"Assign {discrepancy.code}", "Assign")


# --- receipts and stock reports (read-only records) -----------------------------------


class ReceiptLineInline(_ReadOnly, admin.TabularInline):
    model = ReceiptLine
    fields = ("product", "batch_number", "shipped_quantity", "received_quantity", "damaged_quantity")
    readonly_fields = fields
    extra = 0


@admin.register(Receipt)
class ReceiptAdmin(_ReadOnly, admin.ModelAdmin):
    list_display = ("shipment", "shipment__retail_partner__code", "shipment__supplier__code", "received_at",
                    "discrepancy_count")
    search_fields = ("shipment__code", "shipment__order__code", "shipment__retail_partner__code")
    list_select_related = ("shipment__retail_partner", "shipment__supplier")
    inlines = (ReceiptLineInline,)

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(n_discrepancies=Count("discrepancies"))

    @admin.display(description="discrepancies", ordering="n_discrepancies")
    def discrepancy_count(self, receipt):
        if not receipt.n_discrepancies:
            return 0
        url = reverse("admin:feedback_discrepancy_changelist") + f"?queue=all&q={receipt.shipment.code}"
        return format_html('<a href="{}">{}</a>', url, receipt.n_discrepancies)


@admin.register(StockReport)
class StockReportAdmin(_ReadOnly, admin.ModelAdmin):
    list_display = ("retail_partner", "product", "date", "on_hand", "updated_at")
    list_filter = ("retail_partner",)
    search_fields = ("retail_partner__code", "product__sku")
    list_select_related = ("retail_partner", "product")
    date_hierarchy = "date"


@admin.register(ReceiptLine)
class ReceiptLineAdmin(_ReadOnly, admin.ModelAdmin):
    list_display = ("receipt", "product", "batch_number", "shipped_quantity", "received_quantity",
                    "damaged_quantity")
    search_fields = ("receipt__shipment__code", "product__sku", "batch_number")
    list_select_related = ("receipt__shipment", "product")


@admin.register(DiscrepancyMessage)
class DiscrepancyMessageAdmin(_ReadOnly, admin.ModelAdmin):
    list_display = ("discrepancy", "author_kind", "created_at", "body")
    list_filter = ("author_kind",)
    search_fields = ("discrepancy__code", "body")
    list_select_related = ("discrepancy",)
