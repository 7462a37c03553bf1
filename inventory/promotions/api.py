"""HTTP for promotions: ``promotions`` (GET, POST), ``promotions/{promotionId}`` (GET, PATCH, DELETE)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework.response import Response

from hotsauce.api.views import GenericApiView
from hotsauce.errors import NotFound
from inventory.models import Product
from inventory.promotions import selectors, services
from inventory.promotions.filters import PromotionFilter
from inventory.promotions.serializers import PromotionCreateSerializer, PromotionPatchSerializer, PromotionSerializer
from partners.models import RetailPartner
from partners.scopes import BRAND

_HOW = ("A promotion runs one product at one retail partner from `startDate` to `endDate` (both inclusive, at "
        "most 92 days; promotions of the same retailer and product never overlap). Forecasting leaves promotion "
        "days out of the baseline demand of every supplier trading with that retailer for that product. A retail "
        "partner sees only its own promotions, a supplier those of the retail partners it trades with, the brand "
        "all. Brand clients and staff create and change them.")


class PromotionListApi(GenericApiView):
    serializer_class = PromotionSerializer
    filterset_class = PromotionFilter
    required_scopes = {"GET": "catalog:read", "POST": "catalog:write"}
    allowed_kinds = {"POST": {BRAND}}

    def get_queryset(self):
        return selectors.promotion_list(principal=self.principal)

    @extend_schema(summary="List promotions", description=_HOW)
    def get(self, request):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response([selectors.promotion_view(p) for p in page])

    @extend_schema(summary="Create a promotion (brand clients and staff)", description=_HOW,
                   request=PromotionCreateSerializer, responses={201: PromotionSerializer},
                   examples=[OpenApiExample("holiday promotion", request_only=True, value={
                       "retailPartnerId": "RETAIL456", "productId": "HOTSAUCE789", "name": "Holiday heat",
                       "startDate": "2026-12-01", "endDate": "2026-12-24"})])
    def post(self, request):
        serializer = PromotionCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        retail_partner = RetailPartner.objects.filter(code=data["retail_partner_id"]).first()
        product = Product.objects.filter(sku=data["product_id"]).first()
        errors = []
        if retail_partner is None:
            errors.append({"field": "retailPartnerId", "message": f"No retail partner {data['retail_partner_id']}."})
        if product is None:
            errors.append({"field": "productId", "message": f"No product {data['product_id']}."})
        if errors:  # what it names does not exist: 404, each missing name in `errors`
            raise NotFound(errors[0]["message"], errors=errors)
        promotion = services.promotion_create(retail_partner=retail_partner, product=product, name=data["name"],
                                              start_date=data["start_date"], end_date=data["end_date"],
                                              actor=self.principal)
        return Response(selectors.promotion_view(promotion), status=201)


class PromotionDetailApi(GenericApiView):
    serializer_class = PromotionSerializer
    required_scopes = {"GET": "catalog:read", "PATCH": "catalog:write", "DELETE": "catalog:write"}
    allowed_kinds = {"PATCH": {BRAND}, "DELETE": {BRAND}}

    def _promotion(self, promotion_id: str):
        promotion = selectors.promotion_get(principal=self.principal, code=promotion_id)
        if promotion is None:
            raise NotFound(f"No promotion {promotion_id}.")
        return promotion

    @extend_schema(summary="Get a promotion")
    def get(self, request, promotion_id: str):
        return Response(selectors.promotion_view(self._promotion(promotion_id)))

    @extend_schema(summary="Change a promotion's name or days", request=PromotionPatchSerializer,
                   responses=PromotionSerializer)
    def patch(self, request, promotion_id: str):
        promotion = self._promotion(promotion_id)
        serializer = PromotionPatchSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        promotion = services.promotion_update(promotion=promotion, **serializer.validated_data)
        return Response(selectors.promotion_view(promotion))

    @extend_schema(summary="Delete a promotion (its days count as ordinary demand again)", responses={204: None})
    def delete(self, request, promotion_id: str):
        services.promotion_delete(promotion=self._promotion(promotion_id))
        return Response(status=204)
