from django.urls import path

from orders.feedback import api

urlpatterns = [
    path("shipments/<str:shipmentId>/receipt", api.ShipmentReceiptApi.as_view(), name="shipment-receipt"),
    path("discrepancies", api.DiscrepancyListApi.as_view(), name="discrepancy-list"),
    path("discrepancies/<str:discrepancyId>", api.DiscrepancyDetailApi.as_view(), name="discrepancy-detail"),
    path("discrepancies/<str:discrepancyId>/messages", api.DiscrepancyMessagesApi.as_view(),
         name="discrepancy-messages"),
    path("discrepancies/<str:discrepancyId>/acknowledge", api.DiscrepancyAcknowledgeApi.as_view(),
         name="discrepancy-acknowledge"),
    path("discrepancies/<str:discrepancyId>/resolve", api.DiscrepancyResolveApi.as_view(),
         name="discrepancy-resolve"),
    path("discrepancies/<str:discrepancyId>/reject", api.DiscrepancyRejectApi.as_view(), name="discrepancy-reject"),
    path("discrepancies/<str:discrepancyId>/reopen", api.DiscrepancyReopenApi.as_view(), name="discrepancy-reopen"),
    path("retailPartners/<str:retailPartnerId>/stockReports", api.StockReportApi.as_view(), name="stock-reports"),
    path("analytics/scorecards", api.ScorecardApi.as_view(), name="scorecards"),
]
