from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework.response import Response

from hotsauce.api.views import GenericApiView
from partners import selectors, services
from partners.attributes.filters import AttributeFilter
from partners.filters import TradingRelationshipFilter
from partners.scopes import BRAND
from partners.serializers import (
    RetailPartnerSerializer,
    SupplierSerializer,
    TradingRelationshipPatchSerializer,
    TradingRelationshipSerializer,
)

BRAND_ONLY = {BRAND}


class SupplierListApi(GenericApiView):
    serializer_class = SupplierSerializer
    required_scopes = {"GET": "catalog:read", "POST": "catalog:write"}
    allowed_kinds = {"POST": BRAND_ONLY}

    def get_queryset(self):
        return selectors.supplier_list(principal=self.principal)

    @extend_schema(summary="List suppliers", description="A retailer sees the suppliers it trades with; "
                   "a supplier sees itself; brand clients see all.")
    def get(self, request):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(summary="Create a supplier (brand clients and staff)")
    def post(self, request):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        supplier = services.supplier_create(code=data.pop("code"), name=data.pop("name"), **data)
        return Response(self.get_serializer(supplier).data, status=201)


class SupplierDetailApi(GenericApiView):
    serializer_class = SupplierSerializer
    required_scopes = {"GET": "catalog:read"}

    @extend_schema(summary="Get a supplier")
    def get(self, request, supplier_id: str):
        supplier = get_object_or_404(selectors.supplier_list(principal=self.principal), code=supplier_id)
        return Response(self.get_serializer(supplier).data)


class RetailPartnerListApi(GenericApiView):
    serializer_class = RetailPartnerSerializer
    required_scopes = {"GET": "catalog:read", "POST": "catalog:write"}
    allowed_kinds = {"POST": BRAND_ONLY}
    query_filters = (AttributeFilter("retailPartner"),)

    def get_queryset(self):
        return selectors.retail_partner_list(principal=self.principal)

    @extend_schema(summary="List retail partners", description="A supplier sees the retail partners it "
                   "trades with; a retailer sees itself; brand clients see all. Filters: "
                   "`attributes.<key>=<value>` for any defined attribute key you may read (docs/attributes.md).")
    def get(self, request):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(summary="Create a retail partner (brand clients and staff)")
    def post(self, request):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        partner = services.retail_partner_create(code=data.pop("code"), name=data.pop("name"), **data)
        return Response(self.get_serializer(partner).data, status=201)


class RetailPartnerDetailApi(GenericApiView):
    serializer_class = RetailPartnerSerializer
    required_scopes = {"GET": "catalog:read"}

    @extend_schema(summary="Get a retail partner")
    def get(self, request, retail_partner_id: str):
        partner = get_object_or_404(selectors.retail_partner_list(principal=self.principal),
                                    code=retail_partner_id)
        return Response(self.get_serializer(partner).data)


class TradingRelationshipListApi(GenericApiView):
    serializer_class = TradingRelationshipSerializer
    filterset_class = TradingRelationshipFilter
    required_scopes = {"GET": "catalog:read", "POST": "catalog:write"}
    allowed_kinds = {"POST": BRAND_ONLY}

    def get_queryset(self):
        return selectors.trading_relationship_list(principal=self.principal)

    @extend_schema(summary="List trading relationships")
    def get(self, request):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(summary="Create a trading relationship (brand clients and staff)")
    def post(self, request):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        relationship = services.trading_relationship_create(
            supplier_code=data["supplier"]["code"], retail_partner_code=data["retail_partner"]["code"],
            active=data.get("active", True))
        return Response(self.get_serializer(relationship).data, status=201)


class TradingRelationshipDetailApi(GenericApiView):
    serializer_class = TradingRelationshipSerializer
    required_scopes = {"GET": "catalog:read", "PATCH": "catalog:write"}
    allowed_kinds = {"PATCH": BRAND_ONLY}

    @extend_schema(summary="Get a trading relationship")
    def get(self, request, id: int):
        relationship = get_object_or_404(selectors.trading_relationship_list(principal=self.principal),
                                         pk=id)
        return Response(self.get_serializer(relationship).data)

    @extend_schema(summary="Activate or deactivate a trading relationship",
                   request=TradingRelationshipPatchSerializer)
    def patch(self, request, id: int):
        serializer = TradingRelationshipPatchSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        relationship = services.trading_relationship_update(
            relationship_id=id, active=serializer.validated_data.get("active"))
        return Response(self.get_serializer(relationship).data)
