"""``POST inventory/{supplierId}/scan``: a scanned label recorded as a receipt or a count."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework.response import Response

from hotsauce.api.views import GenericApiView
from inventory.api import WRITERS, movement_location, movement_response, visible_supplier
from inventory.gs1.recording import scan_record
from inventory.gs1.serializers import ScanResultSerializer, ScanSerializer


class ScanApi(GenericApiView):
    serializer_class = ScanSerializer
    created_location = staticmethod(movement_location)
    required_scopes = {"POST": "inventory:write"}
    allowed_kinds = {"POST": WRITERS}
    idempotency_required = ("POST",)

    @extend_schema(
        summary="Record a scanned GS1 label as a receipt or a count",
        description=(
            "`scan` is what the scanner sent: a GS1-128 or DataMatrix element string with or without "
            "parentheses (FNC1 as ASCII GS, 0x1D; a leading symbology identifier such as `]C1` or `]d2` is "
            "ignored) or a GS1 Digital Link URI. (01) or (02) names the product by GTIN, (10) the batch, "
            "(17) the expiry (needed when the batch is new), (37) or (30) the units in the scanned unit; "
            "(00) SSCC becomes the reference. `quantity` multiplies the scanned unit (default 1). A receipt is "
            "recorded exactly as `POST inventory/{supplierId}/{productId}` records one; a count sets the lot's "
            "level like `PATCH` does. A bad check digit, an unknown GTIN, an expired (17) or a missing part is "
            "a 400 whose `errors[].field` names the application identifier, e.g. `(17)`."),
        request=ScanSerializer, responses={201: ScanResultSerializer},
        examples=[OpenApiExample("receipt", request_only=True, value={
            "scan": "(01)00860001000016(10)BATCH202501(17)271231(37)24", "type": "receipt",
            "warehouseLocation": "Warehouse_A"})])
    def post(self, request, supplier_id: str):
        supplier = visible_supplier(self.principal, supplier_id)
        serializer = ScanSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        recorded = scan_record(
            principal=self.principal, supplier=supplier, raw=data["scan"], type=data["type"],
            warehouse_code=data["warehouse_location"], quantity=data.get("quantity"), reason=data["reason"],
            reference=data["reference"], idempotency_key=request.headers.get("Idempotency-Key", ""))
        body = {"scan": recorded.view(), **movement_response(recorded.result)}
        return Response(body, status=201, headers={"ETag": f'"{recorded.result.item.version}"'})
