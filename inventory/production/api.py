"""Production runs over HTTP: ``GET, POST productionRuns``, ``GET productionRuns/{productionRunId}``."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework.response import Response

from hotsauce.api.views import GenericApiView
from hotsauce.errors import NotFound, ValidationFailed
from inventory.api import visible_supplier
from inventory.models import Product
from inventory.production import selectors, services
from inventory.production.filters import ProductionRunFilter
from inventory.production.serializers import ProductionRunCreateSerializer, ProductionRunSerializer
from partners.scopes import BRAND, SUPPLIER

_EXAMPLE = {
    "supplierId": "SUP123", "warehouseLocation": "Warehouse_A",
    "inputs": [{"productId": "ING-HABANERO-MASH", "batchNumber": "PEP-2411-07", "quantity": 40},
               {"productId": "PKG-WOOZY-148", "batchNumber": "BTL-88", "quantity": 240}],
    "output": {"productId": "HOTSAUCE789", "batchNumber": "BATCH202412", "quantity": 240,
               "expirationDate": "2026-06-30T00:00:00Z"},
    "reference": "WO-5521"}


def _products(data: dict) -> dict[str, Product]:
    skus = {line["product_id"] for line in data["inputs"]} | {data["output"]["product_id"]}
    found = {p.sku: p for p in Product.objects.filter(sku__in=skus)}
    errors = [{"field": f"inputs[{i}].productId", "message": f"No product {line['product_id']}."}
              for i, line in enumerate(data["inputs"]) if line["product_id"] not in found]
    if data["output"]["product_id"] not in found:
        errors.append({"field": "output.productId", "message": f"No product {data['output']['product_id']}."})
    if errors:
        raise ValidationFailed(errors[0]["message"], errors=errors)
    return found


class ProductionRunListApi(GenericApiView):
    serializer_class = ProductionRunSerializer
    filterset_class = ProductionRunFilter
    required_scopes = {"GET": "inventory:read", "POST": "inventory:write"}
    allowed_kinds = {"GET": {SUPPLIER, BRAND}, "POST": {SUPPLIER, BRAND}}

    def get_queryset(self):
        return selectors.run_list(principal=self.principal)

    @extend_schema(summary="List production runs (a co-packer its own, the brand all)")
    def get(self, request):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response([selectors.run_view(run) for run in page])

    @extend_schema(
        summary="Record a production run: consume input lots, produce a new batch",
        description=(
            "Consumes each input lot (by batch number, in `warehouseLocation`) and produces the output batch there, "
            "in one transaction: `consume` ledger rows for the inputs (consumption is demand for the ingredient "
            "and packaging items), a `produce` row for the output, the genealogy (input lots → output batch, "
            "queried by `trace`) and the FSMA 204 transformation record. Only available units are consumed "
            "(released, unexpired, unreserved): a short input is a 409 `insufficient_stock` naming every short "
            "input, and nothing changes. The output batch number must be new. Idempotency-Key is honoured."),
        request=ProductionRunCreateSerializer, responses={201: ProductionRunSerializer},
        examples=[OpenApiExample("two lots into a sauce batch", value=_EXAMPLE, request_only=True)])
    def post(self, request):
        serializer = ProductionRunCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        supplier = visible_supplier(self.principal, data["supplier_id"])
        products = _products(data)
        out = data["output"]
        run = services.production_run_create(
            supplier=supplier, warehouse_code=data.get("warehouse_location"), actor=self.principal,
            reference=data.get("reference", ""),
            inputs=[services.InputRequest(product=products[line["product_id"]], batch_number=line["batch_number"],
                                          quantity=line["quantity"]) for line in data["inputs"]],
            output=services.OutputRequest(product=products[out["product_id"]], batch_number=out["batch_number"],
                                          quantity=out["quantity"], expiration_date=out["expiration_date"],
                                          production_date=out.get("production_date")))
        return Response(run.view, status=201)


class ProductionRunDetailApi(GenericApiView):
    serializer_class = ProductionRunSerializer
    required_scopes = {"GET": "inventory:read"}
    allowed_kinds = {"GET": {SUPPLIER, BRAND}}

    @extend_schema(summary="Get a production run: its input lots and the batch it made")
    def get(self, request, production_run_id: str):
        run = selectors.run_list(principal=self.principal).filter(code=production_run_id).first()
        if run is None:
            raise NotFound(f"No production run {production_run_id}.")
        return Response(selectors.run_view(run))
