"""``POST demandHistory`` and ``GET/PUT replenishmentPolicies/{supplierId}/{productId}``."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework.response import Response

from hotsauce.api.views import GenericApiView
from hotsauce.errors import NotFound
from inventory import forecast_selectors, forecasting
from inventory.api import product_or_404, visible_supplier
from inventory.forecasting.formulas import Policy
from inventory.models import ReplenishmentPolicy
from inventory.replenishment import services
from inventory.replenishment.serializers import (
    DemandHistoryResultSerializer,
    DemandHistorySerializer,
    ReplenishmentPolicyInSerializer,
    ReplenishmentPolicySerializer,
)
from inventory.selectors import ts
from partners.models import Supplier
from partners.scopes import BRAND, SUPPLIER


def _forecast(principal, supplier, product) -> dict | None:
    item = forecast_selectors.forecast_list(principal=principal).filter(supplier=supplier, product=product).first()
    return forecast_selectors.forecast_views([item])[0] if item is not None else None


class DemandHistoryApi(GenericApiView):
    serializer_class = DemandHistorySerializer
    required_scopes = {"POST": "inventory:write"}
    allowed_kinds = {"POST": {SUPPLIER, BRAND}}

    @extend_schema(
        summary="Import daily demand history (in batches) so forecasts work from day one",
        description=(
            "Units of the product that left the supplier on each past day, from before this platform (an "
            "ERP export). At most 1,000 days per call: send longer histories in batches. Re-importing a day "
            "replaces it, so a retried or repeated import never doubles. The days count for the forecast "
            "only before the item's first live ledger row: imported history fills the past, the live ledger "
            "wins from its first day. The item's forecast (and restock alert) is recomputed before the answer, "
            "which carries it. A supplier imports its own history, the brand any."),
        request=DemandHistorySerializer, responses={201: DemandHistoryResultSerializer},
        examples=[OpenApiExample("two days", request_only=True, value={
            "supplierId": "SUP123", "productId": "HOTSAUCE789", "source": "old ERP",
            "days": [{"date": "2026-09-01", "quantity": 12}, {"date": "2026-09-02", "quantity": 9}]})])
    def post(self, request):
        serializer = DemandHistorySerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        supplier = visible_supplier(self.principal, data["supplier_id"])
        product = product_or_404(data["product_id"])
        result = services.demand_history_import(
            supplier=supplier, product=product, actor=self.principal, source=data.get("source", ""),
            days=[(day["date"], day["quantity"]) for day in data["days"]])
        return Response({"supplier_id": supplier.code, "product_id": product.sku, "imported_days": result.days,
                         "first_date": result.first_date.isoformat(), "last_date": result.last_date.isoformat(),
                         "forecast": _forecast(self.principal, supplier, product)}, status=201)


def policy_view(supplier, product, policy: ReplenishmentPolicy | None, forecast: dict | None) -> dict:
    used = Policy.of(policy)
    return {
        "supplier_id": supplier.code, "product_id": product.sku,
        "lead_time_days": used.lead_time_days, "lead_time_std_dev_days": used.lead_time_std_dev_days,
        "service_level": used.service_level, "minimum_order_quantity": used.minimum_order_quantity,
        "case_pack": used.case_pack, "review_period_days": used.review_period_days,
        "purchase_from_supplier_id": policy.purchase_from.code if policy and policy.purchase_from_id else None,
        "is_default": policy is None, "updated_at": ts(policy.updated_at) if policy else None,
        "forecast": forecast,
    }


class ReplenishmentPolicyApi(GenericApiView):
    serializer_class = ReplenishmentPolicySerializer
    required_scopes = {"GET": "forecasts:read", "PUT": "inventory:write"}
    allowed_kinds = {"GET": {SUPPLIER, BRAND}, "PUT": {SUPPLIER, BRAND}}

    def _target(self, supplier_id: str, product_id: str):
        return visible_supplier(self.principal, supplier_id), product_or_404(product_id)

    @extend_schema(summary="Get the replenishment policy of a supplier's product (defaults until one is set)")
    def get(self, request, supplier_id: str, product_id: str):
        supplier, product = self._target(supplier_id, product_id)
        policy = ReplenishmentPolicy.objects.filter(supplier=supplier, product=product).select_related(
            "purchase_from").first()
        return Response(policy_view(supplier, product, policy, _forecast(self.principal, supplier, product)))

    @extend_schema(
        summary="Set the replenishment policy of a supplier's product; its forecast is recomputed at once",
        description=(
            "Replaces the whole policy: lead time and its standard deviation (days), service level (0.5 ≤ p < 1), "
            "minimum order quantity, case pack and review period. The item's forecast and restock alert are "
            "recomputed before the answer, which carries the new forecast. `purchaseFromSupplierId` names who "
            "purchase orders made from the item's restock alerts go to (default: the supplier holding it)."),
        request=ReplenishmentPolicyInSerializer, responses={200: ReplenishmentPolicySerializer},
        examples=[OpenApiExample("two-week lead time", request_only=True, value={
            "leadTimeDays": 14, "leadTimeStdDevDays": 2, "serviceLevel": 0.98, "minimumOrderQuantity": 240,
            "casePack": 24, "reviewPeriodDays": 7, "purchaseFromSupplierId": None})])
    def put(self, request, supplier_id: str, product_id: str):
        supplier, product = self._target(supplier_id, product_id)
        serializer = ReplenishmentPolicyInSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        vendor_code = data.pop("purchase_from_supplier_id", None)
        vendor = Supplier.objects.filter(code=vendor_code).first() if vendor_code else None
        if vendor_code and vendor is None:
            raise NotFound.for_field("purchaseFromSupplierId", f"No supplier {vendor_code}.")
        policy = forecasting.replenishment_policy_set(supplier=supplier, product=product, purchase_from=vendor, **data)
        return Response(policy_view(supplier, product, policy, _forecast(self.principal, supplier, product)))



