from django.urls import path

from inventory.replenishment import api

urlpatterns = [
    path("demandHistory", api.DemandHistoryApi.as_view(), name="demand-history"),
    path("replenishmentPolicies/<str:supplierId>/<str:productId>", api.ReplenishmentPolicyApi.as_view(),
         name="replenishment-policy"),
]
