"""HTTP for receipts, discrepancies, stock reports and scorecards (API-CONTRACT.md 8, "Feedback").

Who may do what (docs/feedback.md):
- receipt: the retailer the shipment is for, or the brand; once per shipment (also after a
  plain ``deliver``); anyone who may read the shipment reads it.
- discrepancies: tenancy as for orders. The retailer, the supplier or the brand opens one
  and writes in its thread; the supplier (or the brand) acknowledges, resolves and
  rejects; the retailer (or the brand) reopens a rejected one.
- stock reports: the retailer itself. Scorecards: each partner its own card, the brand all.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework.response import Response

from hotsauce.api.views import GenericApiView
from hotsauce.errors import NotFound, ValidationFailed
from inventory.models import Product
from orders import selectors as order_selectors
from orders.feedback import scorecards as cards
from orders.feedback import selectors, services
from orders.feedback.filters import DiscrepancyFilter
from orders.feedback.serializers import (
    DiscrepancyInSerializer,
    DiscrepancySerializer,
    MessageInSerializer,
    NoteInSerializer,
    ReceiptInSerializer,
    ReceiptSerializer,
    ResolveInSerializer,
    ScorecardsSerializer,
    StockReportResultSerializer,
    StockReportSerializer,
)
from partners.models import RetailPartner, Supplier
from partners.scopes import BRAND, RETAILER, SUPPLIER
from partners.selectors import retail_partner_ids_visible_to, supplier_ids_visible_to

MAX_SCORECARD_DAYS = 366


def _products(lines: list[dict]) -> dict[str, Product]:
    found = {p.sku: p for p in Product.objects.filter(sku__in={line["product_id"] for line in lines})}
    errors = [{"field": f"lines[{index}].productId", "message": f"No product {line['product_id']}."}
              for index, line in enumerate(lines) if line["product_id"] not in found]
    if errors:
        raise ValidationFailed("Some lines name unknown products.", errors=errors)
    return found


def _shipment_or_404(principal, shipment_id: str):
    shipment = order_selectors.shipment_get(principal=principal, code=shipment_id)
    if shipment is None:
        raise NotFound(f"No shipment {shipment_id}.")
    return shipment


def _discrepancy_or_404(principal, discrepancy_id: str):
    discrepancy = selectors.discrepancy_get(principal=principal, code=discrepancy_id)
    if discrepancy is None:
        raise NotFound(f"No discrepancy {discrepancy_id}.")
    return discrepancy


def _fresh_view(discrepancy) -> dict:
    return selectors.discrepancy_view(selectors.discrepancy_fresh(discrepancy))


# --- receipts -------------------------------------------------------------------------

RECEIPT_EXAMPLE = OpenApiExample("A short and partly damaged delivery", request_only=True, value={
    "lines": [{"productId": "HOTSAUCE789", "batchNumber": "BATCH202406", "receivedQuantity": 22,
               "damagedQuantity": 1}]})


class ShipmentReceiptApi(GenericApiView):
    serializer_class = ReceiptSerializer
    required_scopes = {"GET": "shipments:read", "POST": "orders:write"}
    allowed_kinds = {"POST": {RETAILER, BRAND}}
    idempotency_required = ("POST",)

    @extend_schema(summary="The retailer's count of a shipment, with the discrepancies it opened",
                   description="404 until the receipt is confirmed.")
    def get(self, request, shipment_id: str):
        shipment = _shipment_or_404(self.principal, shipment_id)
        receipt = selectors.receipt_get(principal=self.principal, shipment=shipment)
        if receipt is None:
            raise NotFound(f"The receipt of shipment {shipment_id} has not been confirmed.")
        return Response(selectors.receipt_view(receipt))

    @extend_schema(
        summary="Confirm receipt: counted quantities per product and lot",
        description="The retailer the shipment is for (or the brand) states what arrived, per product and lot: "
                    "`receivedQuantity` (damaged units included) and `damagedQuantity`. A shipped lot not listed "
                    "counts as 0 received. The shipment becomes `delivered` (if it still was in transit) and every "
                    "difference opens a discrepancy with the quantities, sent to both parties as "
                    "`discrepancy.opened`: `shortage` / `overage` (received vs shipped per lot), `wrongItem` (a lot "
                    "or product the shipment did not contain), `damage`, and `quality` (a lot arriving with less "
                    "than the retailer's minimum shelf life). Idempotency-Key required. Once per shipment: a "
                    "shipment already marked delivered by `deliver` can still be counted once; a second receipt is "
                    "409 `invalid_state`.",
        request=ReceiptInSerializer, responses={201: ReceiptSerializer}, examples=[RECEIPT_EXAMPLE])
    def post(self, request, shipment_id: str):
        shipment = _shipment_or_404(self.principal, shipment_id)
        serializer = ReceiptInSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        products = _products(data["lines"])
        receipt = services.receipt_confirm(shipment=shipment, actor=self.principal, note=data.get("note", ""), lines=[
            services.ReceiptLineRequest(product=products[line["product_id"]], batch_number=line["batch_number"],
                                        received_quantity=line["received_quantity"],
                                        damaged_quantity=line.get("damaged_quantity", 0))
            for line in data["lines"]])
        return Response(selectors.receipt_view(selectors.receipt_get(principal=self.principal,
                                                                     shipment=receipt.shipment)), status=201)


# --- discrepancies --------------------------------------------------------------------


def _party(model, code: str | None, field: str, visible: set[int] | None):
    if not code:
        return None
    found = model.objects.filter(code=code).first()
    if found is None or (visible is not None and found.pk not in visible):
        # Same answer for unknown and not-trading: a partner learns nothing about others.
        raise NotFound.for_field(field, f"No partner {code} you trade with.")
    return found


def _anchor(principal, data: dict):
    """The shipment and order a body names, among those the caller may see."""
    shipment = order = None
    if data.get("shipment_id"):
        shipment = order_selectors.shipment_get(principal=principal, code=data["shipment_id"])
        if shipment is None:
            raise NotFound.for_field("shipmentId", f"No shipment {data['shipment_id']}.")
    if data.get("order_id"):
        order = order_selectors.order_get(principal=principal, code=data["order_id"])
        if order is None:
            raise NotFound.for_field("orderId", f"No order {data['order_id']}.")
    return shipment, order


def _parties(principal, data: dict, anchor) -> tuple[Supplier | None, RetailPartner]:
    """(supplier, retailer): a partner is always itself; the other side from the body or the anchor."""
    supplier = _party(Supplier, data.get("supplier_id"), "supplierId", supplier_ids_visible_to(principal))
    retailer = _party(RetailPartner, data.get("retail_partner_id"), "retailPartnerId",
                      retail_partner_ids_visible_to(principal))
    if principal.is_retailer:
        if retailer is not None and retailer.pk != principal.retail_partner_id:
            raise ValidationFailed.for_field("retailPartnerId", "A retailer reports for itself.")
        retailer = RetailPartner.objects.get(pk=principal.retail_partner_id)
    elif principal.is_supplier:
        if supplier is not None and supplier.pk != principal.supplier_id:
            raise ValidationFailed.for_field("supplierId", "A supplier reports for itself.")
        supplier = Supplier.objects.get(pk=principal.supplier_id)
    if retailer is None and anchor is not None:
        retailer = anchor.retail_partner
    if retailer is None:
        raise ValidationFailed.for_field("retailPartnerId", "Name the retail partner (or the orderId or shipmentId).")
    return supplier, retailer


def _opening_request(principal, data: dict) -> services.DiscrepancyRequest:
    """Resolve the body's references the caller may see (unknown or foreign ones are a 400 on the field)."""
    shipment, order = _anchor(principal, data)
    supplier, retailer = _parties(principal, data, shipment or order)
    product = None
    if data.get("product_id"):
        product = Product.objects.filter(sku=data["product_id"]).first()
        if product is None:
            raise NotFound.for_field("productId", f"No product {data['product_id']}.")
    return services.DiscrepancyRequest(
        kind=data["kind"], retail_partner=retailer, supplier=supplier, order=order, shipment=shipment,
        product=product, batch_number=data.get("batch_number") or "", description=data.get("description", ""),
        expected_quantity=data.get("expected_quantity"), actual_quantity=data.get("actual_quantity"),
        quantity=data.get("quantity"))


class DiscrepancyListApi(GenericApiView):
    serializer_class = DiscrepancySerializer
    filterset_class = DiscrepancyFilter
    required_scopes = {"GET": "orders:read", "POST": "orders:write"}
    allowed_kinds = {"POST": {RETAILER, SUPPLIER, BRAND}}

    def get_queryset(self):
        return selectors.discrepancy_list(principal=self.principal)

    @extend_schema(summary="List discrepancies (a retailer its own, a supplier those naming it)",
                   description="Without the thread (`messageCount` says how long it is). `overdue=true` keeps the "
                               "open or acknowledged ones past their `dueAt`.")
    def get(self, request):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        now = timezone.now()
        return self.get_paginated_response([selectors.discrepancy_view(d, with_messages=False, now=now)
                                            for d in page])

    @extend_schema(
        summary="Report a discrepancy (shortage, damage, delay, quality, ...)",
        description="Tie it to a `shipmentId` or `orderId` where it applies (the parties follow from it), else name "
                    "the `supplierId` (retailers) or `retailPartnerId` (suppliers); both for the brand. Opens with "
                    "the due time of its kind (`DISCREPANCY_DUE_HOURS`) and sends `discrepancy.opened` to the "
                    "supplier and the retailer. `stockMismatch` is opened only by the stock reconciliation.",
        request=DiscrepancyInSerializer, responses={201: DiscrepancySerializer},
        examples=[OpenApiExample("A late delivery", request_only=True, value={
            "kind": "delay", "orderId": "ORD-000042", "description": "Promised for Monday, still not here."})])
    def post(self, request):
        serializer = DiscrepancyInSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        discrepancy = services.discrepancy_open(request=_opening_request(self.principal, serializer.validated_data),
                                                actor=self.principal)
        return Response(_fresh_view(discrepancy), status=201)


class DiscrepancyDetailApi(GenericApiView):
    serializer_class = DiscrepancySerializer
    required_scopes = {"GET": "orders:read"}

    @extend_schema(summary="Get a discrepancy with its thread")
    def get(self, request, discrepancy_id: str):
        return Response(selectors.discrepancy_view(_discrepancy_or_404(self.principal, discrepancy_id)))


class DiscrepancyMessagesApi(GenericApiView):
    serializer_class = DiscrepancySerializer
    required_scopes = {"POST": "orders:write"}
    allowed_kinds = {"POST": {RETAILER, SUPPLIER, BRAND}}

    @extend_schema(summary="Write in the thread",
                   description="The retailer, the supplier and the brand write in one thread; the supplier's (or "
                               "the brand's) message acknowledges an open discrepancy. Sends `discrepancy.updated`. "
                               "Answers with the discrepancy and its whole thread.",
                   request=MessageInSerializer, responses={201: DiscrepancySerializer})
    def post(self, request, discrepancy_id: str):
        discrepancy = _discrepancy_or_404(self.principal, discrepancy_id)
        serializer = MessageInSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        discrepancy = services.discrepancy_message_post(discrepancy=discrepancy, actor=self.principal,
                                                        body=serializer.validated_data["body"])
        return Response(_fresh_view(discrepancy), status=201)


class DiscrepancyAcknowledgeApi(GenericApiView):
    serializer_class = DiscrepancySerializer
    required_scopes = {"POST": "orders:write"}
    allowed_kinds = {"POST": {SUPPLIER, BRAND}}

    @extend_schema(summary="Acknowledge (the supplier has seen it and works on it)",
                   description="open → acknowledged. Again: the discrepancy unchanged; resolved or rejected: 409 "
                               "`invalid_state`.", request=None, responses=DiscrepancySerializer)
    def post(self, request, discrepancy_id: str):
        discrepancy = services.discrepancy_acknowledge(
            discrepancy=_discrepancy_or_404(self.principal, discrepancy_id), actor=self.principal)
        return Response(_fresh_view(discrepancy))


class DiscrepancyResolveApi(GenericApiView):
    serializer_class = DiscrepancySerializer
    required_scopes = {"POST": "orders:write"}
    allowed_kinds = {"POST": {SUPPLIER, BRAND}}

    @extend_schema(
        summary="Resolve: credit, replacement, stockAdjustment or noAction, with a note",
        description="Open or acknowledged → resolved, and `discrepancy.resolved` to both parties. `credit` records "
                    "a credit note (`creditAmount`/`creditCurrency` and/or `quantity`); `replacement` places a "
                    "replacement order of `quantity` (default: the discrepancy's) through the ordinary order "
                    "service — FEFO, the retailer's shelf life, backorders — named in `replacementOrderId`; "
                    "`stockAdjustment` records a signed, ledgered adjustment of the supplier's lot (default +quantity "
                    "for a shortage, −quantity for an overage or wrong item, in the warehouse the lot shipped "
                    "from); `noAction` closes it. Anything else: 409 `invalid_state`.",
        request=ResolveInSerializer, responses=DiscrepancySerializer,
        examples=[OpenApiExample("Replace the missing units", request_only=True, value={
            "resolution": "replacement", "note": "Two cases re-sent on tomorrow's truck."})])
    def post(self, request, discrepancy_id: str):
        discrepancy = _discrepancy_or_404(self.principal, discrepancy_id)
        serializer = ResolveInSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        discrepancy = services.discrepancy_resolve(discrepancy=discrepancy, actor=self.principal,
                                                   request=services.ResolutionRequest(
                                                       resolution=data["resolution"], note=data.get("note", ""),
                                                       quantity=data.get("quantity"),
                                                       credit_amount=data.get("credit_amount"),
                                                       credit_currency=data.get("credit_currency", ""),
                                                       warehouse_code=data.get("warehouse_location"),
                                                       batch_number=data.get("batch_number")))
        return Response(_fresh_view(discrepancy))


class DiscrepancyRejectApi(GenericApiView):
    serializer_class = DiscrepancySerializer
    required_scopes = {"POST": "orders:write"}
    allowed_kinds = {"POST": {SUPPLIER, BRAND}}

    @extend_schema(summary="Reject: the supplier disputes the claim (note required, added to the thread)",
                   description="Open or acknowledged → rejected; sends `discrepancy.updated`. The retailer may "
                               "reopen it.", request=NoteInSerializer, responses=DiscrepancySerializer)
    def post(self, request, discrepancy_id: str):
        discrepancy = _discrepancy_or_404(self.principal, discrepancy_id)
        serializer = NoteInSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        discrepancy = services.discrepancy_reject(discrepancy=discrepancy, actor=self.principal,
                                                  note=serializer.validated_data["note"])
        return Response(_fresh_view(discrepancy))


class DiscrepancyReopenApi(GenericApiView):
    serializer_class = DiscrepancySerializer
    required_scopes = {"POST": "orders:write"}
    allowed_kinds = {"POST": {RETAILER, BRAND}}

    @extend_schema(summary="Reopen a rejected discrepancy (note required, added to the thread)",
                   description="Rejected → open with a new due time; sends `discrepancy.updated`. A resolved "
                               "discrepancy stays resolved: open a new one.",
                   request=NoteInSerializer, responses=DiscrepancySerializer)
    def post(self, request, discrepancy_id: str):
        discrepancy = _discrepancy_or_404(self.principal, discrepancy_id)
        serializer = NoteInSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        discrepancy = services.discrepancy_reopen(discrepancy=discrepancy, actor=self.principal,
                                                  note=serializer.validated_data["note"])
        return Response(_fresh_view(discrepancy))


# --- stock reports and scorecards -----------------------------------------------------


class StockReportApi(GenericApiView):
    serializer_class = StockReportSerializer
    required_scopes = {"POST": "forecasts:read"}
    allowed_kinds = {"POST": {RETAILER}}

    @extend_schema(
        summary="Report on-hand per product for a day (the retailer itself)",
        description="Beside sell-through: what is on the shelves at the end of `date`. One report per retailer, "
                    "product and day; re-reporting a day replaces it. A periodic job compares the latest report "
                    "with shipped − sold − returned and opens a `stockMismatch` discrepancy beyond the tolerance.",
        responses={201: StockReportResultSerializer})
    def post(self, request, retail_partner_id: str):
        # Another retailer's path is 404, not 403: its existence is not ours to reveal.
        retailer = RetailPartner.objects.filter(code=retail_partner_id, pk=self.principal.retail_partner_id).first()
        if retailer is None:
            raise NotFound(f"No retail partner {retail_partner_id}.")
        serializer = StockReportSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        services.stock_report_submit(retail_partner=retailer, day=data["date"], lines=data["lines"],
                                     actor=self.principal)
        return Response({"retail_partner_id": retailer.code, "date": data["date"].isoformat(),
                         "lines": [{"product_id": line["product_id"], "on_hand": line["on_hand"]}
                                   for line in data["lines"]]}, status=201)


def _day(raw: str | None, name: str, errors: list[dict]) -> date | None:
    if raw is None:  # absent: the default applies; present but empty is an error, not the default
        return None
    try:
        if len(raw) == 10:
            return date.fromisoformat(raw)
    except ValueError:
        pass
    errors.append({"field": name, "message": "A date YYYY-MM-DD is required."})
    return None


class ScorecardApi(GenericApiView):
    serializer_class = ScorecardsSerializer
    required_scopes = {"GET": "orders:read"}

    @extend_schema(
        summary="Partner scorecards over a period",
        description="Per supplier and per retail partner, over the orders created from `from` to `to` (UTC days, "
                    "inclusive; default the last 30 days, at most 366): fill rate, on-time delivery rate against "
                    "the requested date, order-to-ship and ship-to-deliver hours (median and p90), discrepancies "
                    "per 1,000 shipped units, mean time to resolve, return rate, and for suppliers the slowest "
                    "step. A supplier or retailer gets only its own card. Definitions: docs/feedback.md.",
        parameters=[OpenApiParameter("from", OpenApiTypes.DATE, description="First day (YYYY-MM-DD)"),
                    OpenApiParameter("to", OpenApiTypes.DATE, description="Last day (YYYY-MM-DD)")])
    def get(self, request):
        unknown = sorted(set(request.query_params) - {"from", "to"})
        errors = [{"field": name, "message": "Unknown query parameter."} for name in unknown]
        date_to = _day(request.query_params.get("to"), "to", errors)
        date_from = _day(request.query_params.get("from"), "from", errors)
        if not errors:
            date_to = date_to or timezone.now().date()
            date_from = date_from or date_to - timedelta(days=29)
            if date_from > date_to:
                errors.append({"field": "from", "message": "Must not be after `to`."})
            elif (date_to - date_from).days >= MAX_SCORECARD_DAYS:
                errors.append({"field": "from", "message": f"At most {MAX_SCORECARD_DAYS} days."})
        if errors:
            raise ValidationFailed("Invalid scorecard query.", errors=errors)
        return Response(cards.scorecards(principal=self.principal, date_from=date_from, date_to=date_to))
