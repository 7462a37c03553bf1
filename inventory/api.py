from __future__ import annotations

import re
from datetime import date, datetime

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework.response import Response

from hotsauce.api.idempotency import BUSY
from hotsauce.api.models import IdempotencyRecord
from hotsauce.api.views import GenericApiView
from hotsauce.errors import NotFound, PreconditionFailed, PreconditionRequired, ValidationFailed
from inventory import selectors, services
from inventory.filters import BatchFilter, InventoryItemFilter, ReservationFilter, TransactionFilter
from inventory.models import Batch, InventoryItem, Product
from inventory.serializers import (
    BatchPatchSerializer,
    BatchSerializer,
    CountSerializer,
    InventoryItemSerializer,
    LedgerMovementSerializer,
    MovementResultSerializer,
    MovementSerializer,
    ProductPutSerializer,
    ProductSerializer,
    ReservationSerializer,
    TransactionSerializer,
    WarehouseSerializer,
    movement_body_schema,
)
from inventory.services import fast
from partners.attributes.filters import AttributeFilter
from partners.models import RetailPartner, Supplier
from partners.scopes import BRAND, SUPPLIER
from partners.selectors import supplier_ids_visible_to

WRITERS = {BRAND, SUPPLIER}
# The brand owns the catalogue (API-CONTRACT.md section 7): a supplier writes only its own warehouses.
CATALOGUE_OWNERS = {BRAND}
ATTRIBUTE_FILTERS = "Also `attributes.<key>=<value>` for any defined attribute key you may read (docs/attributes.md)."


def visible_supplier(principal, code: str) -> Supplier:
    supplier = Supplier.objects.filter(code=code).first()
    ids = supplier_ids_visible_to(principal)
    if supplier is None or (ids is not None and supplier.pk not in ids):
        raise NotFound(f"No supplier {code}.")
    return supplier


def product_or_404(sku: str) -> Product:
    product = Product.objects.filter(sku=sku).first()
    if product is None:
        raise NotFound(f"No product {sku}.")
    return product


def caller_retailer(principal) -> RetailPartner | None:
    if not principal.is_retailer:
        return None
    if "retailer" not in principal._cache:
        principal._cache["retailer"] = RetailPartner.objects.get(pk=principal.retail_partner_id)
    return principal._cache["retailer"]


MOVEMENT_DESCRIPTION = (
    "One stock movement, ledgered, in one transaction. The body's shape depends on `type` (see the "
    "variants: each lists the fields it requires). Every missing or bad field is reported at once in "
    "`errors`. Requires `Idempotency-Key`. 201 returns the transaction and the item after it, with the "
    "item's new `ETag`; `Location` names the item. Not enough available units → 409 `insufficient_stock` "
    "and nothing changes; a reservation with an `orderId` that has nothing left to allocate → 409 "
    "`invalid_state`.")
MOVEMENT_EXAMPLES = [
    OpenApiExample("receipt", request_only=True, value={
        "type": "receipt", "quantity": 120, "warehouseLocation": "Warehouse_A", "batchNumber": "BATCH202406",
        "expirationDate": "2027-01-01T00:00:00Z", "reason": "inbound PO-881", "reference": "PO-881"}),
    OpenApiExample("the brief's step 4: reserve an order's remainder", request_only=True,
                   value={"type": "reservation", "orderId": "ORD-000001"}),
    OpenApiExample("transfer", request_only=True, value={
        "type": "transfer", "quantity": 40, "warehouseLocation": "Warehouse_A", "toWarehouseLocation": "Warehouse_B",
        "batchNumber": "BATCH202406"}),
    OpenApiExample("a receipt missing its fields: all named at once", response_only=True, status_codes=["400"],
                   value={"type": "https://hotsauce.example/problems/validation-error", "title": "Invalid input",
                          "status": 400, "code": "validation_error", "detail": "Invalid input.",
                          "requestId": "req_01", "errors": [
                              {"field": "quantity", "message": "This field is required."},
                              {"field": "warehouseLocation",
                               "message": "Required for a receipt (the receiving warehouse)."},
                              {"field": "batchNumber", "message": "Required for a receipt (the batch received)."},
                              {"field": "expirationDate", "message": "Required when receiving a new batch."}]}),
]


def movement_location(data) -> str | None:
    """A movement creates a ledger row, which has no URL of its own: Location names the item it changed."""
    item = data.get("inventory") if isinstance(data, dict) else None
    return f"/api/v1/inventory/{item['supplier_id']}/{item['product_id']}" if item else None


def movement_response(result: services.MovementResult) -> dict:
    rows = [services.transaction_view(row) for row in result.transactions]
    if rows and result.reservation is not None:
        rows[0]["reservation_id"] = result.reservation.code
    return {"transaction": rows[0] if rows else None, "transactions": rows,
            "inventory": selectors.item_view(result.item, result.lots)}


# --- catalogue ------------------------------------------------------------------------


class ProductListApi(GenericApiView):
    serializer_class = ProductSerializer
    required_scopes = {"GET": "catalog:read", "POST": "catalog:write"}
    allowed_kinds = {"POST": CATALOGUE_OWNERS}
    extra_query_params = ("kind",)
    query_filters = (AttributeFilter("product"),)

    def get_queryset(self):
        qs = selectors.product_list()
        kind = self.request.query_params.get("kind")
        if kind is not None and kind not in Product.Kind.values:
            raise ValidationFailed.for_field("kind", "One of " + ", ".join(Product.Kind.values) + ".")
        return qs.filter(kind=kind) if kind else qs

    @extend_schema(summary="List products", description=ATTRIBUTE_FILTERS,
                   parameters=[OpenApiParameter("kind", str, enum=Product.Kind.values)])
    def get(self, request):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(summary="Create a product (brand clients and staff; GTIN check digit verified)")
    def post(self, request):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        product = services.product_create(sku=data.pop("sku"), name=data.pop("name"), **data)
        return Response(self.get_serializer(product).data, status=201)


class ProductDetailApi(GenericApiView):
    serializer_class = ProductSerializer
    required_scopes = {"GET": "catalog:read", "PUT": "catalog:write"}
    allowed_kinds = {"PUT": CATALOGUE_OWNERS}

    @extend_schema(summary="Get a product")
    def get(self, request, product_id: str):
        return Response(self.get_serializer(product_or_404(product_id)).data)

    @extend_schema(summary="Replace a product's details (brand clients and staff)", request=ProductPutSerializer)
    def put(self, request, product_id: str):
        product = product_or_404(product_id)
        # Attributes the caller may not read are kept; without "attributes" none change.
        serializer = ProductPutSerializer(data=request.data, context={
            **self.get_serializer_context(), "attributes_current": product.attributes})
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        sku = data.pop("sku", product.sku)
        if sku != product.sku:
            raise ValidationFailed.for_field("productId", "The product id in the body must match the path.")
        product = services.product_update(product=product, name=data.pop("name"), **data)
        return Response(self.get_serializer(product).data)


class WarehouseListApi(GenericApiView):
    serializer_class = WarehouseSerializer
    required_scopes = {"GET": "catalog:read", "POST": "catalog:write"}
    allowed_kinds = {"POST": WRITERS}
    extra_query_params = ("supplierId",)

    def get_queryset(self):
        qs = selectors.warehouse_list(principal=self.principal)
        supplier = self.request.query_params.get("supplierId")
        return qs.filter(supplier__code=supplier) if supplier else qs

    @extend_schema(summary="List warehouses", parameters=[OpenApiParameter("supplierId", str)])
    def get(self, request):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(summary="Create a warehouse (a supplier creates its own; brand names the supplier)")
    def post(self, request):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        supplier_code = data.pop("supplier", {}).get("code")
        if self.principal.is_supplier:
            supplier = Supplier.objects.get(pk=self.principal.supplier_id)
            if supplier_code and supplier_code != supplier.code:
                raise NotFound(f"No supplier {supplier_code}.")
        else:
            if not supplier_code:
                raise ValidationFailed.for_field("supplierId", "This field is required.")
            supplier = visible_supplier(self.principal, supplier_code)
        warehouse = services.warehouse_create(supplier=supplier, code=data.pop("code"), name=data.pop("name"),
                                              **data)
        return Response(self.get_serializer(warehouse).data, status=201)


# --- inventory ------------------------------------------------------------------------


class InventoryListApi(GenericApiView):
    serializer_class = InventoryItemSerializer
    filterset_class = InventoryItemFilter
    required_scopes = {"GET": "inventory:read"}

    def get_queryset(self):
        return selectors.inventory_item_list(principal=self.principal)

    @extend_schema(summary="List inventory items (one per supplier and product)")
    def get(self, request):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        retailer = caller_retailer(self.principal)
        return self.get_paginated_response(
            [selectors.item_view(item, item.lots.all(), retail_partner=retailer) for item in page])


# RFC 9110 8.8.3: entity-tag = [ "W/" ] DQUOTE *etagc DQUOTE; If-Match = "*" / #entity-tag.
_ENTITY_TAG = re.compile(r'[ \t]*(W/)?"([\x21\x23-\x7e\x80-\xff]*)"[ \t]*')
_LIST_GAP = re.compile(r"[ \t]*(,[ \t]*)*")


def parse_if_match(header: str | None) -> frozenset[int] | str | None:
    """``If-Match`` as the item versions it accepts, ``"*"`` (any existing item) or None (absent).

    Comparison is strong (RFC 9110 13.1.1): a weak tag such as ``W/"3"`` never matches, and
    a list matches when any of its strong tags does.
    """
    if header is None:
        return None
    if header.strip() == "*":
        return services.IF_MATCH_ANY
    versions, position = set(), _LIST_GAP.match(header).end()
    while position < len(header):
        tag = _ENTITY_TAG.match(header, position)
        if tag is None:
            raise PreconditionFailed("If-Match must be the item's ETag, e.g. \"7\", a list of them, or *.")
        weak, opaque = tag.groups()
        if not weak and re.fullmatch(r"[0-9]{1,18}", opaque):
            versions.add(int(opaque))
        position = tag.end()
        if position < len(header) and header[position] != ",":
            raise PreconditionFailed("If-Match must be the item's ETag, e.g. \"7\", a list of them, or *.")
        position = _LIST_GAP.match(header, position).end()
    return frozenset(versions)


class InventoryItemApi(GenericApiView):
    """An item; POST records a movement through ``movements`` (the orders app serves this route with
    its table, whose ``reservation`` also allocates an order's remainder: the brief's step 4)."""

    serializer_class = InventoryItemSerializer
    movements = services.MOVEMENTS
    created_location = staticmethod(movement_location)
    #: ``(item, date) -> units`` promised to arrive by then (the orders app's purchase orders, issue 18):
    #: what ``?asOf=`` adds as ``inboundQuantity``.
    inbound_due = None
    required_scopes = {"GET": "inventory:read", "POST": "inventory:write", "PATCH": "inventory:write"}
    allowed_kinds = {"POST": WRITERS, "PATCH": WRITERS}
    idempotency_required = ("POST",)

    def _item(self, supplier_id: str, product_id: str) -> InventoryItem:
        supplier = visible_supplier(self.principal, supplier_id)
        product_or_404(product_id)
        item = selectors.inventory_item_get(principal=self.principal, supplier_code=supplier.code, sku=product_id)
        if item is None:
            raise NotFound(f"{supplier_id} holds no stock of {product_id}.")
        return item

    @extend_schema(summary="Get an inventory item", responses=InventoryItemSerializer, parameters=[
        OpenApiParameter("asOf", OpenApiTypes.DATE, description=(
            "Available to promise by a date: adds `asOf` and `inboundQuantity`, the units purchase orders promise "
            "to deliver to this supplier by then and not received yet (acknowledged lines, by promised date), "
            "kept apart from the units on hand. An order line backordered now is served from them, oldest order "
            "first, as they are received."))])
    def get(self, request, supplier_id: str, product_id: str):
        found = selectors.inventory_item_read(principal=self.principal, supplier_code=supplier_id, sku=product_id)
        if found is None:  # the slow path only to name the missing piece (supplier, product, item)
            item = self._item(supplier_id, product_id)
            found = item, list(item.lots.all()), caller_retailer(self.principal)
        item, lots, retailer = found
        view = selectors.item_view(item, lots, retail_partner=retailer)
        as_of = request.query_params.get("asOf")
        if as_of is not None and self.inbound_due is not None:
            day = parse_as_of(as_of)
            view.update(as_of=day.isoformat(), inbound_quantity=self.inbound_due(item, day))
        return Response(view, headers={"ETag": f'"{item.version}"'})

    @extend_schema(
        summary="Record a stock movement",
        description=MOVEMENT_DESCRIPTION, request=movement_body_schema(MovementSerializer),
        responses={201: MovementResultSerializer}, examples=MOVEMENT_EXAMPLES)
    def post(self, request, supplier_id: str, product_id: str):
        supplier = visible_supplier(self.principal, supplier_id)
        product = product_or_404(product_id)
        serializer = MovementSerializer(data=request.data, context={"item": (supplier, product)})
        serializer.is_valid(raise_exception=True)
        result = record_movement(self, supplier, product, serializer.validated_data)
        return Response(movement_response(result), status=201, headers={"ETag": f'"{result.item.version}"'})

    def fast_path(self, request, claim, supplier_id: str, product_id: str):
        """An ordinary reservation, release, sale or receipt in two statements on PostgreSQL
        (``inventory.services.fast``), or None for the ordinary path: any other movement or field, a
        value the serializer would change or reject, a caller that is neither a supplier nor the
        brand. Called by the idempotency protocol, in the request's transaction."""
        body = fast_movement_body(request.data) if request.method == "POST" else None
        principal = self.principal
        if body is None or not fast.enabled() or not (principal.is_supplier or principal.is_brand):
            return None
        outcome = fast.movement_fast(
            **body, claim=claim, supplier_code=supplier_id, sku=product_id, actor=principal,
            supplier_only=principal.supplier_id if principal.is_supplier else None,
            idempotency_key=request.headers.get("Idempotency-Key", ""))
        if outcome is None:
            return None
        if outcome == "busy":
            return BUSY
        if isinstance(outcome, dict):  # the key's stored record: answered as the protocol answers it
            times = {name: outcome[name] and datetime.fromisoformat(outcome[name])
                     for name in ("locked_until", "created_at", "completed_at")}
            return IdempotencyRecord(**{**outcome, **times})
        response = Response(movement_response(outcome.result), status=201,
                            headers={"ETag": f'"{outcome.result.item.version}"'})
        response["Location"] = request.build_absolute_uri(self.created_location(response.data))
        fast.fast_finish(outcome, claim.record(request, response))
        return response

    @extend_schema(summary="Set counted levels (physical count)", request=CountSerializer,
                   responses=InventoryItemSerializer,
                   parameters=[OpenApiParameter("If-Match", str, OpenApiParameter.HEADER)])
    def patch(self, request, supplier_id: str, product_id: str):
        supplier = visible_supplier(self.principal, supplier_id)
        product = product_or_404(product_id)
        if_match = parse_if_match(request.headers.get("If-Match"))
        serializer = CountSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        if if_match is None and data.get("version") is None:
            raise PreconditionRequired("Send If-Match with the item's ETag or a body version.")
        result = services.stock_count(
            supplier=supplier, product=product, actor=self.principal, if_match=if_match,
            version=data.get("version"), reason=data.get("reason", ""),
            idempotency_key=request.headers.get("Idempotency-Key", ""),
            counts=[{"warehouse_code": lot["warehouse_location"], "batch_number": lot["batch_number"],
                     "inventory_level": lot["inventory_level"]} for lot in data["lots"]])
        return Response(selectors.item_view(result.item, result.lots), headers={"ETag": f'"{result.item.version}"'})


#: movement type -> the fields its fast path takes (any other field: the Python path).
_FAST_FIELDS = {"reservation": {"type", "quantity", "reason", "reference"},
                "release": {"type", "quantity", "reservation_id", "reason", "reference"},
                "sale": {"type", "quantity", "reservation_id", "reason", "reference"},
                "receipt": {"type", "quantity", "batch_number", "warehouse_location", "reason", "reference"}}
_FAST_TEXT = {"reason": 500, "reference": 200, "reservation_id": 32, "batch_number": 64, "warehouse_location": 64}
#: fields that, when sent, the serializer would reject blank.
_FAST_NOT_BLANK = ("reservation_id", "batch_number", "warehouse_location")
#: movement type -> the field its fast path cannot do without.
_FAST_REQUIRED = {"release": "reservation_id", "receipt": "batch_number"}


def fast_movement_body(data) -> dict | None:
    """The arguments of ``fast.movement_fast`` for a body ``MovementSerializer`` would take exactly as it
    is (a positive whole number, texts it would keep unchanged, only the fields the fast path knows);
    None otherwise."""
    kind = data.get("type") if isinstance(data, dict) else None
    fields = _FAST_FIELDS.get(kind) if isinstance(kind, str) else None
    if fields is None or not set(data) <= fields:
        return None
    for name, limit in _FAST_TEXT.items():
        text = data.get(name, "")
        if not isinstance(text, str) or len(text) > limit or text != text.strip() or "\x00" in text:
            return None
    if kind in _FAST_REQUIRED and not data.get(_FAST_REQUIRED[kind]):
        return None
    if any(name in data and not data[name] for name in _FAST_NOT_BLANK):
        return None
    quantity = data.get("quantity")
    if type(quantity) is not int or not 0 < quantity <= 1_000_000_000:
        return None
    return {"type": data["type"], "quantity": quantity, "reason": data.get("reason", ""),
            "reference": data.get("reference", ""), "reservation_code": data.get("reservation_id"),
            "batch_number": data.get("batch_number"), "warehouse_code": data.get("warehouse_location")}


def parse_as_of(raw: str) -> date:
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise ValidationFailed.for_field("asOf", "A date as YYYY-MM-DD is required.") from None


def record_movement(view, supplier: Supplier, product: Product, data: dict) -> services.MovementResult:
    """Dispatch a validated movement body through the view's movement table (``services.MOVEMENTS``)."""
    retail_partner = None
    if data.get("retail_partner_id"):
        retail_partner = RetailPartner.objects.filter(code=data["retail_partner_id"]).first()
        if retail_partner is None:
            raise NotFound.for_field("retailPartnerId", f"No retail partner {data['retail_partner_id']}.")
    return services.movement_record(
        type=data["type"], supplier=supplier, product=product, quantity=data.get("quantity"), actor=view.principal,
        movements=view.movements, warehouse_code=data.get("warehouse_location"),
        batch_number=data.get("batch_number"), expiration_date=data.get("expiration_date"),
        production_date=data.get("production_date"), to_warehouse_code=data.get("to_warehouse_location"),
        retail_partner=retail_partner, reservation_code=data.get("reservation_id"), order_code=data.get("order_id"),
        expires_at=data.get("expires_at"), reason=data.get("reason", ""), reference=data.get("reference", ""),
        idempotency_key=view.request.headers.get("Idempotency-Key", ""))


class TransactionListApi(GenericApiView):
    serializer_class = TransactionSerializer
    movements = services.MOVEMENTS
    created_location = staticmethod(movement_location)
    filterset_class = TransactionFilter
    required_scopes = {"GET": "inventory:read", "POST": "inventory:write"}
    allowed_kinds = {"POST": WRITERS}
    idempotency_required = ("POST",)

    def get_queryset(self):
        return selectors.transaction_list(principal=self.principal)

    @extend_schema(summary="The stock ledger (append-only)")
    def get(self, request):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response([services.transaction_view(row) for row in page])

    def _visible_item(self, supplier_id: str, product_id: str) -> tuple[Supplier, Product] | None:
        try:
            return visible_supplier(self.principal, supplier_id), product_or_404(product_id)
        except NotFound:
            return None

    @extend_schema(summary="Record a stock movement (supplierId and productId in the body)",
                   description=MOVEMENT_DESCRIPTION + " The item is named in the body (`supplierId`, `productId`).",
                   request=movement_body_schema(LedgerMovementSerializer), responses={201: MovementResultSerializer})
    def post(self, request):
        serializer = LedgerMovementSerializer(data=request.data, context={"resolve_item": self._visible_item})
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        supplier = visible_supplier(self.principal, data["supplier_id"])
        product = product_or_404(data["product_id"])
        result = record_movement(self, supplier, product, data)
        return Response(movement_response(result), status=201, headers={"ETag": f'"{result.item.version}"'})


class BatchListApi(GenericApiView):
    serializer_class = BatchSerializer
    filterset_class = BatchFilter
    required_scopes = {"GET": "inventory:read"}
    query_filters = (AttributeFilter("batch"),)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no request, no path arguments
            return Batch.objects.none()
        return selectors.batch_list(principal=self.principal, sku=self.kwargs["product_id"])

    @extend_schema(summary="List a product's batches", description=ATTRIBUTE_FILTERS)
    def get(self, request, product_id: str):
        product_or_404(product_id)
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


class BatchDetailApi(GenericApiView):
    serializer_class = BatchSerializer
    required_scopes = {"GET": "inventory:read", "PATCH": "inventory:write"}
    allowed_kinds = {"PATCH": WRITERS}

    def _batch(self, product_id: str, batch_number: str):
        product_or_404(product_id)
        batch = selectors.batch_list(principal=self.principal, sku=product_id).filter(
            batch_number=batch_number).first()
        if batch is None:
            raise NotFound(f"No batch {batch_number} of {product_id}.")
        return batch

    @extend_schema(summary="Get a batch")
    def get(self, request, product_id: str, batch_number: str):
        return Response(self.get_serializer(self._batch(product_id, batch_number)).data)

    @extend_schema(
        summary="Set a batch's custom attributes (its supplier, or the brand)",
        description="Batches arrive with receipts; their custom attributes are set here. The keys sent are set, "
                    "`null` removes one, the others stay (JSON merge). Values are checked against the definitions "
                    "(`GET attributeDefinitions?appliesTo=batch`): an unknown key or a wrong type is a 400 naming "
                    "`attributes.<key>`.",
        request=BatchPatchSerializer, responses=BatchSerializer,
        examples=[OpenApiExample("tag a limited run", value={"attributes": {"limitedEdition": True}},
                                 request_only=True)])
    def patch(self, request, product_id: str, batch_number: str):
        batch = self._batch(product_id, batch_number)
        serializer = BatchPatchSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.batch_attributes_update(batch=batch, changes=serializer.validated_data["attributes"],
                                         principal=self.principal)
        return Response(self.get_serializer(self._batch(product_id, batch_number)).data)



class ReservationListApi(GenericApiView):
    serializer_class = ReservationSerializer
    filterset_class = ReservationFilter
    required_scopes = {"GET": "inventory:read"}

    def get_queryset(self):
        return selectors.reservation_list(principal=self.principal)

    @extend_schema(summary="List reservations (who holds reserved units)", description=(
        "Every reserved unit has an owner: an order line's allocation (`orderId` set; freed only by cancelling "
        "or shipping the order) or a standalone hold made by a `reservation` movement. A retailer sees only "
        "reservations made for it."))
    def get(self, request):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response([selectors.reservation_view(r) for r in page])


class ReservationDetailApi(GenericApiView):
    serializer_class = ReservationSerializer
    required_scopes = {"GET": "inventory:read"}

    @extend_schema(summary="Get a reservation")
    def get(self, request, reservation_id: str):
        reservation = selectors.reservation_list(principal=self.principal).filter(code=reservation_id).first()
        if reservation is None:
            raise NotFound(f"No reservation {reservation_id}.")
        return Response(selectors.reservation_view(reservation))
