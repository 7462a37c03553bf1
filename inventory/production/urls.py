from django.urls import path

from inventory.production import api

urlpatterns = [
    path("productionRuns", api.ProductionRunListApi.as_view(), name="production-run-list"),
    path("productionRuns/<str:productionRunId>", api.ProductionRunDetailApi.as_view(), name="production-run-detail"),
]
