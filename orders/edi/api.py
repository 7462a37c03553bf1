"""HTTP for EDI documents, inbound interchanges, order acknowledgements and shipment labels.

Who may do what:
- ``POST edi/inbound``: a retailer sends its own interchanges (ISA06 must be its profile's
  id); the brand may relay any. The answer carries the 997.
- ``edi/documents``: a retailer reads its own documents, a supplier those of its orders,
  shipments and 846s, the brand all; an 846 may be asked for by any of the two parties.
- ``orders/{orderId}/acknowledge``: the supplier the order is addressed to, or the brand.
- ``shipments/{shipmentId}/labels.pdf|png``: whoever may read the shipment.
"""

from __future__ import annotations

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.response import Response

from hotsauce.api.renderers import CamelCaseJSONRenderer, ProblemJSONRenderer
from hotsauce.api.views import GenericApiView
from hotsauce.errors import NotFound, ValidationFailed
from inventory.gs1.labels import render_pdf, render_png
from inventory.models import Product
from orders import selectors as order_selectors
from orders.edi import selectors, services
from orders.edi.filters import DocumentFilter
from orders.edi.renderers import PdfRenderer, PngRenderer, X12Parser, X12Renderer
from orders.edi.serializers import (
    AcknowledgementSerializer,
    AcknowledgeSerializer,
    DocumentCreateSerializer,
    DocumentDetailSerializer,
    DocumentSerializer,
    InboundResultSerializer,
)
from partners.models import RetailPartner, Supplier
from partners.scopes import BRAND, RETAILER, SUPPLIER
from partners.selectors import retail_partner_ids_visible_to, supplier_ids_visible_to

EXAMPLE_850 = (
    "ISA*00*          *00*          *ZZ*RETAIL456      *ZZ*SUP123         *260601*1200*^*00501*000000101*0*T*>~\n"
    "GS*PO*RETAIL456*SUP123*20260601*1200*101*X*005010~\nST*850*0001~\nBEG*00*SA*PO-1001**20260601~\n"
    "PO1*1*24*EA***VN*HOTSAUCE789~\nCTT*1~\nSE*5*0001~\nGE*1*101~\nIEA*1*000000101~\n")


class InboundApi(GenericApiView):
    serializer_class = InboundResultSerializer
    parser_classes = [X12Parser]
    required_scopes = {"POST": "orders:write"}
    allowed_kinds = {"POST": {RETAILER, BRAND}}

    @extend_schema(
        summary="Receive an X12 interchange (850 purchase orders, 997s); answers with its 997",
        description=(
            "The body is one raw X12 interchange (`Content-Type: application/edi-x12`), ISA to IEA, in the "
            "sender's own delimiters. ISA06 must be the sending retailer's trading-partner profile id and ISA08 "
            "the supplier's. Each 850 transaction set is placed exactly as `POST orders` places an order; one with "
            "any error is rejected whole and creates nothing. A transaction set already received (same sender, "
            "ISA13, GS06 and ST02) is not acted on again: the first answer is returned with `replayed: true`. "
            "The 997 in `acknowledgement` says, per transaction set, AK5 A (accepted) or R (rejected) with AK3/AK4 "
            "naming the segments and elements in error, and AK9 for the group. A document that is not an "
            "interchange at all, or names unknown partners, is a 400 problem."),
        request={"application/edi-x12": OpenApiTypes.STR},
        responses={202: InboundResultSerializer},
        examples=[OpenApiExample("850", value=EXAMPLE_850, request_only=True, media_type="application/edi-x12")])
    def post(self, request):
        content = request.data if isinstance(request.data, str) else ""
        if not content.strip():
            raise ValidationFailed.for_field("body", "Send one X12 interchange as application/edi-x12.")
        result = services.edi_inbound_receive(content=content, actor=self.principal)
        return Response({
            "document_id": result.document.code, "status": result.document.status,
            "acknowledgement": result.acknowledgement.content if result.acknowledgement else None,
            "acknowledgement_document_id": result.acknowledgement.code if result.acknowledgement else None,
            "created_order_ids": result.created_order_ids, "replayed": result.replayed}, status=202)


def _party(principal, model, code: str | None, own_id: int | None, field: str, visible_ids):
    if code is None and own_id is not None:
        return model.objects.get(pk=own_id)
    if not code:
        raise ValidationFailed.for_field(field, "This field is required.")
    partner = model.objects.filter(code=code).first()
    if partner is None or (visible_ids is not None and partner.pk not in visible_ids) or (
            own_id is not None and partner.pk != own_id):
        raise NotFound.for_field(field, f"No {field[:-2]} {code} you trade with.")
    return partner


class DocumentListApi(GenericApiView):
    serializer_class = DocumentSerializer
    filterset_class = DocumentFilter
    required_scopes = {"GET": "orders:read", "POST": "orders:write"}

    def get_queryset(self):
        return selectors.document_list(principal=self.principal)

    @extend_schema(summary="List EDI documents sent and received (without their content)")
    def get(self, request):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response([selectors.document_view(d, with_content=False) for d in page])

    @extend_schema(summary="Generate an 846 inventory advice now",
                   description="What the retailer can be promised by the supplier, lot by lot (batch, expiry), "
                               "as an 846 from the supplier to the retailer. Both need an X12 profile and the "
                               "retailer's must take 846s (else 400). The schedule sends the same daily.",
                   request=DocumentCreateSerializer, responses={201: DocumentDetailSerializer})
    def post(self, request):
        serializer = DocumentCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        principal = self.principal
        supplier = _party(principal, Supplier, data.get("supplier_id"),
                          principal.supplier_id if principal.is_supplier else None, "supplierId",
                          supplier_ids_visible_to(principal))
        retailer = _party(principal, RetailPartner, data.get("retail_partner_id"),
                          principal.retail_partner_id if principal.is_retailer else None, "retailPartnerId",
                          retail_partner_ids_visible_to(principal))
        document = services.inventory_advice_issue(supplier=supplier, retail_partner=retailer, actor=principal)
        return Response(selectors.document_view(document), status=201)


class DocumentDetailApi(GenericApiView):
    serializer_class = DocumentDetailSerializer
    required_scopes = {"GET": "orders:read"}
    renderer_classes = [CamelCaseJSONRenderer, ProblemJSONRenderer, X12Renderer]

    @extend_schema(summary="Get an EDI document (JSON with content, or the raw X12 with Accept: application/edi-x12)",
                   responses={(200, "application/json"): DocumentDetailSerializer,
                              (200, "application/edi-x12"): OpenApiResponse(OpenApiTypes.STR,
                                                                            description="The raw interchange")})
    def get(self, request, document_id: str):
        document = selectors.document_get(principal=self.principal, code=document_id)
        if document is None:
            raise NotFound(f"No EDI document {document_id}.")
        if request.accepted_renderer.format == "x12":
            return Response(document.content, content_type=f"{X12Renderer.media_type}; charset=ascii")
        return Response(selectors.document_view(document))


class OrderAcknowledgeApi(GenericApiView):
    serializer_class = AcknowledgementSerializer
    required_scopes = {"POST": "orders:write"}
    allowed_kinds = {"POST": {SUPPLIER, BRAND}}

    @extend_schema(
        summary="Acknowledge an order: accept, reject or accept part of it (the retailer gets an 855)",
        description=(
            "The supplier the order is addressed to (or the brand) answers once. `accept` takes every line; "
            "`reject` cancels the order and releases what it holds (as `POST orders/{orderId}/cancel`); "
            "`partial` lists the accepted quantity per product (`lines`) and keeps the order open. The retailer "
            "receives `order.acknowledged` and, where its X12 profile takes them, an 855. Only an order with "
            "nothing shipped can be acknowledged, once (409 `invalid_state`)."),
        request=AcknowledgeSerializer, responses=AcknowledgementSerializer)
    def post(self, request, order_id: str):
        order = order_selectors.order_get(principal=self.principal, code=order_id)
        if order is None:
            raise NotFound(f"No order {order_id}.")
        serializer = AcknowledgeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        lines = None
        if data.get("lines"):
            products = {p.sku: p for p in Product.objects.filter(sku__in={x["product_id"] for x in data["lines"]})}
            for index, line in enumerate(data["lines"]):
                if line["product_id"] not in products:
                    raise NotFound.for_field(f"lines[{index}].productId", f"No product {line['product_id']}.")
            lines = [(products[line["product_id"]], line["quantity"]) for line in data["lines"]]
        ack = services.order_acknowledge(order=order, decision=data["decision"], lines=lines, reason=data["reason"],
                                         actor=self.principal)
        document = ack.order.edi_documents.filter(transaction_set="855").order_by("-pk").first()
        ack.order.refresh_from_db(fields=["status"])
        return Response({**services.acknowledgement_view(ack), "order_status": ack.order.status,
                         "document_id": document.code if document else None})


class _LabelsApi(GenericApiView):
    required_scopes = {"GET": "shipments:read"}
    render = staticmethod(render_pdf)
    media_type = "application/pdf"

    def get(self, request, shipment_id: str):
        unknown = sorted(set(request.query_params) - {"sscc"})
        if unknown:
            raise ValidationFailed(errors=[{"field": name, "message": "Unknown query parameter."} for name in unknown])
        shipment = order_selectors.shipment_get(principal=self.principal, code=shipment_id)
        if shipment is None:
            raise NotFound(f"No shipment {shipment_id}.")
        labels = services.shipment_labels(shipment, sscc=request.query_params.get("sscc"))
        if not labels:
            raise NotFound(f"Shipment {shipment_id} has no package {request.query_params.get('sscc')}.")
        extension = self.media_type.rsplit("/", 1)[-1]
        # Bytes as they are, whatever the client's Accept chose for errors.
        response = HttpResponse(type(self).render(labels), content_type=self.media_type)
        response["Content-Disposition"] = f'inline; filename="{shipment.code}-labels.{extension}"'
        return response


_LABEL_DESCRIPTION = ("GS1 logistics labels (4 × 6 in), one per package: ship from / to, order and shipment, "
                      "the SSCC in human-readable text and as a GS1-128 barcode (00), and for a package of one "
                      "product and batch the contents as (02) GTIN + (37) count and (17) expiry + (10) batch. "
                      "`?sscc=` picks one package.")


class ShipmentLabelsPdfApi(_LabelsApi):
    renderer_classes = [PdfRenderer, CamelCaseJSONRenderer, ProblemJSONRenderer]

    @extend_schema(summary="Shipment labels as PDF (one page per package)", description=_LABEL_DESCRIPTION,
                   parameters=[OpenApiParameter("sscc", str)],
                   responses={(200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY)})
    def get(self, request, shipment_id: str):
        return super().get(request, shipment_id)


class ShipmentLabelsPngApi(_LabelsApi):
    renderer_classes = [PngRenderer, CamelCaseJSONRenderer, ProblemJSONRenderer]
    render = staticmethod(render_png)
    media_type = "image/png"

    @extend_schema(summary="Shipment labels as PNG (203 dpi, labels one under the other)",
                   description=_LABEL_DESCRIPTION, parameters=[OpenApiParameter("sscc", str)],
                   responses={(200, "image/png"): OpenApiResponse(OpenApiTypes.BINARY)})
    def get(self, request, shipment_id: str):
        return super().get(request, shipment_id)
