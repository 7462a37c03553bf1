"""Sell-through reports, forecasts and restock alerts over HTTP (API-CONTRACT.md 4.4)."""

from __future__ import annotations

from datetime import date

import django_filters
from drf_spectacular.utils import extend_schema
from rest_framework.response import Response

from hotsauce.api.filters import StrictBooleanFilter
from hotsauce.api.views import GenericApiView
from hotsauce.errors import NotFound
from inventory import forecast_selectors as selectors
from inventory import forecasting
from inventory.api import product_or_404, visible_supplier
from inventory.forecast_serializers import (
    AlertSerializer,
    ForecastSerializer,
    SellThroughResultSerializer,
    SellThroughSerializer,
)
from inventory.models import InventoryItem, RestockAlert
from partners.models import RetailPartner
from partners.scopes import BRAND, RETAILER, SUPPLIER


class ForecastFilter(django_filters.FilterSet):
    supplierId = django_filters.CharFilter(field_name="supplier__code")
    productId = django_filters.CharFilter(field_name="product__sku")
    belowReorderPoint = StrictBooleanFilter(method="filter_below")
    stockoutBefore = django_filters.DateFilter(method="filter_stockout_before")

    class Meta:
        model = InventoryItem
        fields = []

    def filter_below(self, qs, name, value: bool):
        return selectors.forecasts_below_reorder_point(qs, value)

    def filter_stockout_before(self, qs, name, value: date):
        return selectors.forecasts_stockout_before(qs, value)


class AlertFilter(django_filters.FilterSet):
    supplierId = django_filters.CharFilter(field_name="item__supplier__code")
    productId = django_filters.CharFilter(field_name="item__product__sku")
    status = django_filters.ChoiceFilter(choices=RestockAlert.Status.choices)

    class Meta:
        model = RestockAlert
        fields = []


class SellThroughApi(GenericApiView):
    serializer_class = SellThroughSerializer
    required_scopes = {"POST": "forecasts:read"}
    allowed_kinds = {"POST": {RETAILER}}

    @extend_schema(
        summary="Report a day's sell-through (the retailer itself)",
        description="One report per retailer, product and day: re-reporting a day replaces that product's "
                    "figures. Idempotency-Key is honoured. Sell-through is the retailer's consumer demand and "
                    "is kept apart from the supplier's ledger demand (see docs/forecasting.md).",
        responses={201: SellThroughResultSerializer})
    def post(self, request, retail_partner_id: str):
        # Another retailer's path is 404, not 403: its existence is not ours to reveal.
        retailer = RetailPartner.objects.filter(code=retail_partner_id, pk=self.principal.retail_partner_id).first()
        if retailer is None:
            raise NotFound(f"No retail partner {retail_partner_id}.")
        serializer = SellThroughSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        rows = forecasting.sell_through_report(retail_partner=retailer, day=data["date"], lines=data["lines"],
                                               actor=self.principal)
        skus = {line["product_id"] for line in data["lines"]}
        by_sku = {row.product.sku: row for row in rows if row.product.sku in skus}
        return Response({
            "retail_partner_id": retailer.code,
            "date": data["date"].isoformat(),
            "lines": [{"product_id": line["product_id"], "units_sold": by_sku[line["product_id"]].units_sold,
                       "on_hand": by_sku[line["product_id"]].on_hand} for line in data["lines"]],
        }, status=201)


class ForecastListApi(GenericApiView):
    serializer_class = ForecastSerializer
    filterset_class = ForecastFilter
    required_scopes = {"GET": "forecasts:read"}

    def get_queryset(self):
        return selectors.forecast_list(principal=self.principal)

    @extend_schema(summary="List forecasts (one per supplier and product)",
                   description="A supplier sees its own items, a retailer those of suppliers it trades with, "
                               "brand clients all. `belowReorderPoint` compares live available units with the "
                               "last computed reorder point; `stockoutBefore` keeps items predicted to run out "
                               "before that date.")
    def get(self, request):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(selectors.forecast_views(page))


class ForecastDetailApi(GenericApiView):
    serializer_class = ForecastSerializer
    required_scopes = {"GET": "forecasts:read"}

    @extend_schema(summary="Get the forecast of one supplier's product",
                   description="An item the periodic run has not reached yet is forecast on read with zero "
                               "demand (no reorder, no stockout date).")
    def get(self, request, supplier_id: str, product_id: str):
        supplier = visible_supplier(self.principal, supplier_id)
        product_or_404(product_id)
        item = selectors.forecast_list(principal=self.principal).filter(supplier=supplier,
                                                                         product__sku=product_id).first()
        if item is None:
            raise NotFound(f"{supplier_id} holds no stock of {product_id}.")
        return Response(selectors.forecast_views([item])[0])


class AlertListApi(GenericApiView):
    serializer_class = AlertSerializer
    filterset_class = AlertFilter
    required_scopes = {"GET": "forecasts:read"}

    def get_queryset(self):
        return selectors.alert_list(principal=self.principal)

    @extend_schema(summary="List restock alerts",
                   description="An alert opens when an item's available units fall below its reorder point, "
                               "stays the item's only active alert (open or acknowledged) while stock stays low, "
                               "and is resolved by the periodic run once stock is back at the reorder point.")
    def get(self, request):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response([forecasting.alert_view(alert) for alert in page])


class AlertAcknowledgeApi(GenericApiView):
    serializer_class = AlertSerializer
    required_scopes = {"POST": "inventory:write"}
    allowed_kinds = {"POST": {SUPPLIER, BRAND}}

    @extend_schema(
        summary="Acknowledge a restock alert",
        description="Needs the `inventory:write` scope: acknowledging is an action on the supplier's stock "
                    "planning, so only the supplier owning the item and brand clients may do it (retail partners "
                    "can read alerts with `forecasts:read` but not acknowledge them). Acknowledging again "
                    "returns the alert unchanged; a resolved alert is 409 `invalid_state`.",
        request=None, responses={200: AlertSerializer})
    def post(self, request, alert_id: int):
        alert = selectors.alert_list(principal=self.principal).filter(pk=alert_id).first()
        if alert is None:
            raise NotFound(f"No alert {alert_id}.")
        alert = forecasting.alert_acknowledge(alert=alert, actor=self.principal)
        return Response(forecasting.alert_view(alert))
