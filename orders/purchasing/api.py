"""Purchase orders over HTTP (API-CONTRACT.md section 8, "Supply side").

``purchaseOrders`` (GET, POST), ``purchaseOrders/{purchaseOrderId}`` (GET) and the actions ``/submit``,
``/acknowledge``, ``/ship``, ``/receive``, ``/cancel`` (POST). The brand places, submits and cancels; the
supplier that fulfils an order acknowledges and ships it; the supplier it is delivered to receives it.
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework.response import Response

from hotsauce.api.views import GenericApiView
from hotsauce.errors import NotFound, PermissionDenied, ValidationFailed
from inventory import forecast_selectors
from inventory.api import visible_supplier
from inventory.models import Product
from orders.purchasing import selectors, services
from orders.purchasing.filters import PurchaseOrderFilter
from orders.purchasing.models import PurchaseOrder
from orders.purchasing.serializers import (
    PurchaseOrderAcknowledgeSerializer,
    PurchaseOrderActionSerializer,
    PurchaseOrderCreateSerializer,
    PurchaseOrderReceiveSerializer,
    PurchaseOrderSerializer,
    PurchaseOrderShipSerializer,
)
from partners.scopes import BRAND, SUPPLIER


def _products(lines: list[dict]) -> dict[str, Product]:
    found = {p.sku: p for p in Product.objects.filter(sku__in={line["product_id"] for line in lines})}
    errors = [{"field": f"lines[{i}].productId", "message": f"No product {line['product_id']}."}
              for i, line in enumerate(lines) if line["product_id"] not in found]
    if errors:
        raise ValidationFailed(errors[0]["message"], errors=errors)
    return found


def _po_or_404(view, purchase_order_id: str) -> PurchaseOrder:
    po = selectors.purchase_order_get(principal=view.principal, code=purchase_order_id)
    if po is None:
        raise NotFound(f"No purchase order {purchase_order_id}.")
    return po


def _party(view, po: PurchaseOrder, role: str) -> None:
    """A supplier acts only in its role on the order: the vendor acknowledges and ships, the receiver receives."""
    if not view.principal.is_supplier:
        return
    owner = po.supplier_id if role == "vendor" else po.ship_to_supplier_id
    if view.principal.supplier_id != owner:
        who = po.supplier.code if role == "vendor" else po.ship_to_supplier.code
        raise PermissionDenied(f"Only {who} may do this on {po.code}.")


_CREATE_EXAMPLE = {
    "supplierId": "SUP200", "shipToSupplierId": "SUP123", "warehouseLocation": "Warehouse_A",
    "reference": "Q4 pepper contract",
    "lines": [{"productId": "ING-HABANERO-MASH", "quantity": 400, "unitOfMeasure": "each", "casePack": 20,
               "requestedDate": "2026-12-10"}]}


class PurchaseOrderListApi(GenericApiView):
    serializer_class = PurchaseOrderSerializer
    filterset_class = PurchaseOrderFilter
    required_scopes = {"GET": "orders:read", "POST": "orders:write"}
    allowed_kinds = {"GET": {SUPPLIER, BRAND}, "POST": {BRAND}}

    def get_queryset(self):
        return selectors.purchase_order_list(principal=self.principal)

    @extend_schema(summary="List purchase orders (a supplier those it fulfils or receives, the brand all)")
    def get(self, request):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response([selectors.purchase_order_view(po) for po in page])

    @extend_schema(
        summary="Place a purchase order (brand), or draft one from a restock alert",
        description=(
            "Lines carry a quantity in their unit of measure (a whole number of `casePack`s) and the requested "
            "date. The order is submitted to `supplierId` at once (event `purchaseOrder.created` to both "
            "suppliers) unless `draft` is true. With `alertId` alone, the restock alert's suggested quantity "
            "becomes a draft order in one call: to the policy's `purchaseFromSupplierId` (else the supplier "
            "holding the item), delivered to the item's supplier, in whole case packs, requested one lead "
            "time from today. An alert that is resolved, or already has an order, is 409 `invalid_state`."),
        request=PurchaseOrderCreateSerializer, responses={201: PurchaseOrderSerializer},
        examples=[OpenApiExample("to an ingredient grower", request_only=True, value=_CREATE_EXAMPLE),
                  OpenApiExample("from a restock alert", request_only=True, value={"alertId": 42})])
    def post(self, request):
        serializer = PurchaseOrderCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        supplier = visible_supplier(self.principal, data["supplier_id"]) if data.get("supplier_id") else None
        if data.get("alert_id"):
            alert = forecast_selectors.alert_list(principal=self.principal).filter(pk=data["alert_id"]).first()
            if alert is None:
                raise NotFound.for_field("alertId", f"No alert {data['alert_id']}.")
            po = services.purchase_order_from_alert(alert=alert, actor=self.principal, supplier=supplier,
                                                    warehouse_code=data.get("warehouse_location"))
            return Response(po.view, status=201)
        ship_to = visible_supplier(self.principal, data["ship_to_supplier_id"]) \
            if data.get("ship_to_supplier_id") else None
        products = _products(data["lines"])
        po = services.purchase_order_create(
            supplier=supplier, ship_to_supplier=ship_to, warehouse_code=data.get("warehouse_location"),
            reference=data.get("reference", ""), draft=data.get("draft", False), actor=self.principal,
            lines=[services.LineRequest(product=products[line["product_id"]], quantity=line["quantity"],
                                        unit_of_measure=line["unit_of_measure"], case_pack=line["case_pack"],
                                        requested_date=line["requested_date"]) for line in data["lines"]])
        return Response(po.view, status=201)


class PurchaseOrderDetailApi(GenericApiView):
    serializer_class = PurchaseOrderSerializer
    required_scopes = {"GET": "orders:read"}
    allowed_kinds = {"GET": {SUPPLIER, BRAND}}

    @extend_schema(summary="Get a purchase order: lines with promised, shipped and received quantities, over and "
                           "short; its advance ship notices and receipts")
    def get(self, request, purchase_order_id: str):
        return Response(selectors.purchase_order_view(_po_or_404(self, purchase_order_id)))


class PurchaseOrderSubmitApi(GenericApiView):
    serializer_class = PurchaseOrderSerializer
    required_scopes = {"POST": "orders:write"}
    allowed_kinds = {"POST": {BRAND}}

    @extend_schema(summary="Submit a draft purchase order to its supplier (event purchaseOrder.submitted)",
                   request=PurchaseOrderActionSerializer, responses=PurchaseOrderSerializer)
    def post(self, request, purchase_order_id: str):
        po = _po_or_404(self, purchase_order_id)
        PurchaseOrderActionSerializer(data=request.data or {}).is_valid(raise_exception=True)
        return Response(services.purchase_order_submit(po=po, actor=self.principal).view)


class PurchaseOrderAcknowledgeApi(GenericApiView):
    serializer_class = PurchaseOrderSerializer
    required_scopes = {"POST": "orders:write"}
    allowed_kinds = {"POST": {SUPPLIER, BRAND}}

    @extend_schema(
        summary="Acknowledge a purchase order with a promised date per line (the supplier fulfilling it)",
        description="Every line needs a promised date the first time (and may promise less than ordered). Once "
                    "acknowledged, a line's outstanding units count as inbound at the ship-to supplier from "
                    "their promised date (`inboundQuantity` of `GET inventory/{supplierId}/{productId}?asOf=`). "
                    "Acknowledging again re-promises. Event `purchaseOrder.acknowledged`.",
        request=PurchaseOrderAcknowledgeSerializer, responses=PurchaseOrderSerializer,
        examples=[OpenApiExample("promise", request_only=True, value={
            "lines": [{"productId": "ING-HABANERO-MASH", "promisedDate": "2026-12-08"}], "note": "harvest is in"})])
    def post(self, request, purchase_order_id: str):
        po = _po_or_404(self, purchase_order_id)
        _party(self, po, "vendor")
        serializer = PurchaseOrderAcknowledgeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        products = _products(data["lines"])
        po = services.purchase_order_acknowledge(po=po, actor=self.principal, note=data.get("note", ""), lines=[
            services.AckLine(product=products[line["product_id"]], promised_date=line["promised_date"],
                             promised_quantity=line.get("promised_quantity")) for line in data["lines"]])
        return Response(po.view)


class PurchaseOrderShipApi(GenericApiView):
    serializer_class = PurchaseOrderSerializer
    required_scopes = {"POST": "shipments:write"}
    allowed_kinds = {"POST": {SUPPLIER, BRAND}}

    @extend_schema(
        summary="Ship against a purchase order: the advance ship notice, lot by lot with expiries",
        description="Records an inbound shipment (`ASN-…`) with the lots on their way, their quantities and "
                    "expiration dates; the receiver counts them in with `/receive`. The order must be "
                    "acknowledged. Event `purchaseOrder.shipped`.",
        request=PurchaseOrderShipSerializer, responses=PurchaseOrderSerializer,
        examples=[OpenApiExample("one lot", request_only=True, value={
            "carrier": "Estafeta", "trackingNumber": "EST123", "expectedDate": "2026-12-08",
            "lines": [{"productId": "ING-HABANERO-MASH", "batchNumber": "PEP-2411-07", "quantity": 400,
                       "expirationDate": "2027-05-01T00:00:00Z"}]})])
    def post(self, request, purchase_order_id: str):
        po = _po_or_404(self, purchase_order_id)
        _party(self, po, "vendor")
        serializer = PurchaseOrderShipSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        products = _products(data["lines"])
        shipment = services.purchase_order_ship(
            po=po, actor=self.principal, carrier=data.get("carrier", ""),
            tracking_number=data.get("tracking_number", ""), expected_date=data.get("expected_date"),
            ship_from_warehouse_code=data.get("ship_from_warehouse_location"),
            lines=[services.ShipLine(product=products[line["product_id"]], batch_number=line["batch_number"],
                                     quantity=line["quantity"], expiration_date=line["expiration_date"],
                                     production_date=line.get("production_date")) for line in data["lines"]])
        return Response(shipment.purchase_order.view)


class PurchaseOrderReceiveApi(GenericApiView):
    serializer_class = PurchaseOrderSerializer
    required_scopes = {"POST": "inventory:write"}
    allowed_kinds = {"POST": {SUPPLIER, BRAND}}

    @extend_schema(
        summary="Receive goods against a purchase order, lot by lot (the supplier it is delivered to)",
        description=(
            "Each counted lot is received into stock (a `receipt` ledger row, the batch created when new, the "
            "FSMA 204 receiving record naming the vendor as the lot's source). With `inboundShipmentId`, lots "
            "take their expiry from the notice, and each is compared with what it announced: "
            "`varianceQuantity` per lot, a lot left out arrived short by all of it. Per line, "
            "`overQuantity` and `shortQuantity` compare received with ordered. The order becomes `received` "
            "when every line is in full, or with `closeShort`; otherwise `partially_received`. The item's "
            "forecast and restock alert are recomputed at once (the alert resolves when stock is back). Event "
            "`purchaseOrder.received`."),
        request=PurchaseOrderReceiveSerializer, responses=PurchaseOrderSerializer,
        examples=[OpenApiExample("five short", request_only=True, value={
            "inboundShipmentId": "ASN-000001", "closeShort": True,
            "lines": [{"productId": "ING-HABANERO-MASH", "batchNumber": "PEP-2411-07", "receivedQuantity": 395}]})])
    def post(self, request, purchase_order_id: str):
        po = _po_or_404(self, purchase_order_id)
        _party(self, po, "receiver")
        serializer = PurchaseOrderReceiveSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        products = _products(data["lines"])
        receipt = services.purchase_order_receive(
            po=po, actor=self.principal, inbound_shipment_code=data.get("inbound_shipment_id"),
            warehouse_code=data.get("warehouse_location"), close_short=data.get("close_short", False),
            lines=[services.ReceiveLine(product=products[line["product_id"]], batch_number=line["batch_number"],
                                        quantity=line["received_quantity"], expiration_date=line.get("expiration_date"),
                                        production_date=line.get("production_date")) for line in data["lines"]])
        return Response(receipt.purchase_order.view)


class PurchaseOrderCancelApi(GenericApiView):
    serializer_class = PurchaseOrderSerializer
    required_scopes = {"POST": "orders:write"}
    allowed_kinds = {"POST": {BRAND}}

    @extend_schema(summary="Cancel a purchase order nothing was shipped or received against",
                   request=PurchaseOrderActionSerializer, responses=PurchaseOrderSerializer)
    def post(self, request, purchase_order_id: str):
        po = _po_or_404(self, purchase_order_id)
        PurchaseOrderActionSerializer(data=request.data or {}).is_valid(raise_exception=True)
        return Response(services.purchase_order_cancel(po=po, actor=self.principal).view)
