"""HTTP for orders, shipments, returns, batch trace and recall (API-CONTRACT.md 4.3).

Who may do what:
- orders: a retailer places and cancels its own orders; the brand may do both for any
  retailer; the supplier an order is addressed to may cancel it too (it cannot fulfil it).
- shipments and their delivery: the supplier shipping, or the brand.
- returns: the retailer asks, the supplier (or the brand) receives.
- trace: anyone who may read the batch's inventory (a retailer sees only its own
  shipments and returns); recall: the supplier owning the batch, or the brand.
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.response import Response

from hotsauce.api.views import GenericApiView
from hotsauce.errors import NotFound, ValidationFailed
from inventory.models import Product
from orders import selectors, services
from orders.edi import services as edi
from orders.filters import OrderFilter, ReturnFilter, ShipmentFilter
from orders.models import Order, Return, Shipment
from orders.purchasing.selectors import order_view_with_inbound
from orders.serializers import (
    CancelSerializer,
    EmptySerializer,
    OrderCreateSerializer,
    OrderSerializer,
    RecallListSerializer,
    RecallOutSerializer,
    RecallResultSerializer,
    RecallSerializer,
    ReturnCreateSerializer,
    ReturnReceiveSerializer,
    ReturnSerializer,
    ShipmentCreateSerializer,
    ShipmentSerializer,
    TraceSerializer,
)
from partners.attributes.filters import AttributeFilter
from partners.attributes.selectors import attributes_visible
from partners.models import RetailPartner, Supplier
from partners.scopes import BRAND, RETAILER, SUPPLIER
from partners.selectors import supplier_ids_visible_to


def _products(lines: list[dict]) -> dict[str, Product]:
    skus = {line["product_id"] for line in lines}
    found = {p.sku: p for p in Product.objects.filter(sku__in=skus)}
    for index, line in enumerate(lines):
        if line["product_id"] not in found:
            raise NotFound.for_field(f"lines[{index}].productId", f"No product {line['product_id']}.")
    return found


def _retail_partner_for(principal, code: str | None) -> RetailPartner:
    """The retailer a write is for: the caller itself, or the one a brand client names."""
    if principal.is_retailer:
        if code and code != RetailPartner.objects.filter(pk=principal.retail_partner_id).values_list(
                "code", flat=True).first():
            raise ValidationFailed.for_field("retailPartnerId", "A retailer acts only for itself.")
        return RetailPartner.objects.get(pk=principal.retail_partner_id)
    if not code:
        raise ValidationFailed.for_field("retailPartnerId", "This field is required.")
    retail_partner = RetailPartner.objects.filter(code=code).first()
    if retail_partner is None:
        raise NotFound.for_field("retailPartnerId", f"No retail partner {code}.")
    return retail_partner


def _supplier_in_body(principal, code: str) -> Supplier:
    supplier = Supplier.objects.filter(code=code).first()
    ids = supplier_ids_visible_to(principal)
    if supplier is None or (ids is not None and supplier.pk not in ids):
        # Same answer for unknown and not-trading: a retailer learns nothing about others.
        raise NotFound.for_field("supplierId", f"No supplier {code} you trade with.")
    return supplier


def _order_or_404(principal, order_id: str) -> Order:
    order = selectors.order_get(principal=principal, code=order_id)
    if order is None:
        raise NotFound(f"No order {order_id}.")
    return order


def _batch_or_404(principal, product_id: str, batch_number: str):
    batch = selectors.batch_visible(principal=principal, sku=product_id, batch_number=batch_number)
    if batch is None:
        raise NotFound(f"No batch {batch_number} of {product_id}.")
    return batch


def _list(view, serializer_view):
    page = view.paginate_queryset(view.filter_queryset(view.get_queryset()))
    return view.get_paginated_response([serializer_view(obj) for obj in page])


# --- orders ---------------------------------------------------------------------------


class OrderListApi(GenericApiView):
    serializer_class = OrderSerializer
    filterset_class = OrderFilter
    query_filters = (AttributeFilter("order"),)
    required_scopes = {"GET": "orders:read", "POST": "orders:write"}
    allowed_kinds = {"POST": {RETAILER, BRAND}}
    idempotency_required = ("POST",)

    def get_queryset(self):
        return selectors.order_list(principal=self.principal)

    @extend_schema(summary="List orders (a retailer its own, a supplier those addressed to it)",
                   description="Also `attributes.<key>=<value>` for any defined attribute key you may read "
                               "(docs/attributes.md).")
    def get(self, request):
        return _list(self, lambda order: selectors.order_view(order, fresh=False, principal=self.principal))

    @extend_schema(summary="Place an order: reserves stock FEFO, backorders the rest",
                   request=OrderCreateSerializer, responses={201: OrderSerializer})
    def post(self, request):
        serializer = OrderCreateSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        supplier = _supplier_in_body(self.principal, data["supplier_id"])
        retail_partner = _retail_partner_for(self.principal, data.get("retail_partner_id"))
        products = _products(data["lines"])
        order = services.order_create(
            supplier=supplier, retail_partner=retail_partner,
            lines=[services.LineRequest(product=products[line["product_id"]], quantity=line["quantity"])
                   for line in data["lines"]],
            requested_delivery_date=data.get("requested_delivery_date"),
            delivery_address=data.get("delivery_address"), reference=data.get("reference", ""),
            actor=self.principal, attributes=data.get("attributes"))
        # The view the order.created event carried (built once, by the service), as this caller may read it.
        view = {**order.view, "attributes": attributes_visible(principal=self.principal, values=order.attributes)}
        return Response(order_view_with_inbound(view, order), status=201)


class OrderDetailApi(GenericApiView):
    serializer_class = OrderSerializer
    required_scopes = {"GET": "orders:read"}

    @extend_schema(summary="Get an order: allocations, shipments with tracking, progress",
                   description="Each line with a `backorderedQuantity` carries `inbound` (here and in the answer "
                               "to `POST orders`): the units of it that purchase orders promised to the supplier "
                               "will cover, and `expectedDate`, the promised date by which the whole backorder is "
                               "covered (null when promised inbound does not cover it). Backorders are served "
                               "oldest order first as inbound is received, so the date counts the orders ahead. "
                               "Lines without a backorder have `inbound: null`; lists leave it out.")
    def get(self, request, order_id: str):
        order = _order_or_404(self.principal, order_id)
        return Response(order_view_with_inbound(selectors.order_view(order, fresh=False, principal=self.principal),
                                                order))


class OrderCancelApi(GenericApiView):
    serializer_class = OrderSerializer
    required_scopes = {"POST": "orders:write"}
    allowed_kinds = {"POST": {RETAILER, SUPPLIER, BRAND}}

    @extend_schema(summary="Cancel an order and release its reservations (409 once anything shipped)",
                   description="Allowed to the retailer that placed the order, the supplier it is addressed to "
                               "(it cannot fulfil it) and the brand. Only an order with nothing shipped "
                               "(allocated, partially_allocated, backordered) can be cancelled; otherwise 409 "
                               "invalid_state. Released units go to other backordered orders, oldest first.",
                   request=CancelSerializer, responses=OrderSerializer)
    def post(self, request, order_id: str):
        order = _order_or_404(self.principal, order_id)
        serializer = CancelSerializer(data=request.data or {})
        serializer.is_valid(raise_exception=True)
        order = services.order_cancel(order=order, actor=self.principal,
                                      reason=serializer.validated_data.get("reason", ""))
        return Response(selectors.order_view(order, principal=self.principal))


# --- shipments ------------------------------------------------------------------------


class ShipmentListApi(GenericApiView):
    serializer_class = ShipmentSerializer
    filterset_class = ShipmentFilter
    required_scopes = {"GET": "shipments:read", "POST": "shipments:write"}
    allowed_kinds = {"POST": {SUPPLIER, BRAND}}
    idempotency_required = ("POST",)

    def get_queryset(self):
        return selectors.shipment_list(principal=self.principal)

    @extend_schema(summary="List shipments")
    def get(self, request):
        return _list(self, selectors.shipment_view)

    @extend_schema(summary="Ship an order (all allocated units unless lines are given)",
                   request=ShipmentCreateSerializer, responses={201: ShipmentSerializer})
    def post(self, request):
        serializer = ShipmentCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        order = selectors.order_get(principal=self.principal, code=data["order_id"])
        if order is None:
            raise NotFound(f"No order {data['order_id']}.")
        lines = None
        if data.get("lines") is not None:
            products = _products(data["lines"])
            lines = [services.ShipLineRequest(product=products[line["product_id"]], quantity=line["quantity"],
                                              batch_number=line.get("batch_number"),
                                              warehouse_code=line.get("warehouse_location"))
                     for line in data["lines"]]
        packages = None
        if data.get("packages"):
            packages = [edi.PackRequest(sscc=package.get("sscc"), lines=[
                edi.PackLine(product_id=line["product_id"], batch_number=line.get("batch_number"),
                             quantity=line["quantity"]) for line in package["lines"]]) for package in data["packages"]]
        shipment = services.shipment_create(order=order, carrier=data.get("carrier", ""),
                                            tracking_number=data.get("tracking_number", ""), lines=lines,
                                            actor=self.principal, packages=packages)
        return Response(selectors.shipment_view(shipment), status=201)


def _shipment_or_404(principal, shipment_id: str) -> Shipment:
    shipment = selectors.shipment_get(principal=principal, code=shipment_id)
    if shipment is None:
        raise NotFound(f"No shipment {shipment_id}.")
    return shipment


class ShipmentDetailApi(GenericApiView):
    serializer_class = ShipmentSerializer
    required_scopes = {"GET": "shipments:read"}

    @extend_schema(summary="Get a shipment")
    def get(self, request, shipment_id: str):
        return Response(selectors.shipment_view(_shipment_or_404(self.principal, shipment_id)))


class ShipmentDeliverApi(GenericApiView):
    serializer_class = ShipmentSerializer
    required_scopes = {"POST": "shipments:write"}
    allowed_kinds = {"POST": {SUPPLIER, BRAND}}

    @extend_schema(summary="Mark a shipment delivered", request=EmptySerializer, responses=ShipmentSerializer)
    def post(self, request, shipment_id: str):
        shipment = _shipment_or_404(self.principal, shipment_id)
        EmptySerializer(data=request.data or {}).is_valid(raise_exception=True)
        shipment = services.shipment_deliver(shipment=shipment, actor=self.principal)
        return Response(selectors.shipment_view(shipment))


# --- returns --------------------------------------------------------------------------


class ReturnListApi(GenericApiView):
    serializer_class = ReturnSerializer
    filterset_class = ReturnFilter
    required_scopes = {"GET": "returns:read", "POST": "returns:write"}
    allowed_kinds = {"POST": {RETAILER, BRAND}}
    idempotency_required = ("POST",)

    def get_queryset(self):
        return selectors.return_list(principal=self.principal)

    @extend_schema(summary="List returns")
    def get(self, request):
        return _list(self, selectors.return_view)

    @extend_schema(summary="Ask to return received units", request=ReturnCreateSerializer,
                   responses={201: ReturnSerializer})
    def post(self, request):
        serializer = ReturnCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        retail_partner = _retail_partner_for(self.principal, data.get("retail_partner_id"))
        order = None
        if data.get("order_id"):
            order = Order.objects.filter(code=data["order_id"], retail_partner=retail_partner).select_related(
                "supplier").first()
            if order is None:
                raise NotFound.for_field("orderId", f"No order {data['order_id']}.")
        if data.get("supplier_id"):
            supplier = Supplier.objects.filter(code=data["supplier_id"]).first()
            if supplier is None:
                raise NotFound.for_field("supplierId", f"No supplier {data['supplier_id']}.")
        elif order is not None:
            supplier = order.supplier
        else:
            raise ValidationFailed.for_field("supplierId", "This field is required (or name the orderId).")
        products = _products(data["lines"])
        ret = services.return_create(
            supplier=supplier, retail_partner=retail_partner, order=order, actor=self.principal,
            lines=[services.ReturnLineRequest(product=products[line["product_id"]],
                                              batch_number=line["batch_number"], quantity=line["quantity"],
                                              reason=line["reason"]) for line in data["lines"]])
        return Response(selectors.return_view(ret), status=201)


def _return_or_404(principal, return_id: str) -> Return:
    ret = selectors.return_get(principal=principal, code=return_id)
    if ret is None:
        raise NotFound(f"No return {return_id}.")
    return ret


class ReturnDetailApi(GenericApiView):
    serializer_class = ReturnSerializer
    required_scopes = {"GET": "returns:read"}

    @extend_schema(summary="Get a return")
    def get(self, request, return_id: str):
        return Response(selectors.return_view(_return_or_404(self.principal, return_id)))


class ReturnReceiveApi(GenericApiView):
    serializer_class = ReturnSerializer
    required_scopes = {"POST": "returns:write"}
    allowed_kinds = {"POST": {SUPPLIER, BRAND}}

    @extend_schema(summary="Receive returned units: restock, quarantine or writeOff each line",
                   request=ReturnReceiveSerializer, responses=ReturnSerializer)
    def post(self, request, return_id: str):
        ret = _return_or_404(self.principal, return_id)
        serializer = ReturnReceiveSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        ret = services.return_receive(ret=ret, actor=self.principal, lines=[
            services.ReceiveLineRequest(line_id=line["line_id"], disposition=line["disposition"],
                                        warehouse_code=line.get("warehouse_location"))
            for line in serializer.validated_data["lines"]])
        return Response(selectors.return_view(ret))


# --- batches --------------------------------------------------------------------------


class BatchTraceApi(GenericApiView):
    serializer_class = TraceSerializer
    required_scopes = {"GET": "inventory:read"}

    @extend_schema(summary="Where every unit of a batch went")
    def get(self, request, product_id: str, batch_number: str):
        batch = _batch_or_404(self.principal, product_id, batch_number)
        return Response(selectors.batch_trace(principal=self.principal, batch=batch))


class BatchRecallApi(GenericApiView):
    serializer_class = RecallOutSerializer
    required_scopes = {"GET": "inventory:read", "POST": "inventory:write"}
    allowed_kinds = {"GET": {SUPPLIER, BRAND}, "POST": {SUPPLIER, BRAND}}

    @extend_schema(summary="Recalls of a batch and the retail partners to tell, with quantities",
                   responses=RecallListSerializer)
    def get(self, request, product_id: str, batch_number: str):
        batch = _batch_or_404(self.principal, product_id, batch_number)
        return Response({"results": [selectors.recall_view(r) for r in selectors.recall_list(batch=batch)]})

    @extend_schema(summary="Recall a batch: hold every lot, release and re-allocate its reservations",
                   description="A lot used in production (an ingredient or packaging lot) recalls every batch made "
                               "from it in the same transaction, listed in `derivedRecalls`: each has its own "
                               "recall, notices and `batch.recalled` events to the retail partners that received "
                               "it (with `recalledBecauseOf` naming this lot).",
                   request=RecallSerializer, responses=RecallResultSerializer)
    def post(self, request, product_id: str, batch_number: str):
        batch = _batch_or_404(self.principal, product_id, batch_number)
        serializer = RecallSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        recall = services.batch_recall(batch=batch, reason=serializer.validated_data["reason"], actor=self.principal)
        return Response({**selectors.recall_view(recall),
                         "derived_recalls": [selectors.recall_view(r) for r in recall.derived]})
