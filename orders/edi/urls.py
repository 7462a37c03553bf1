from django.urls import path

from orders.edi import api

urlpatterns = [
    path("edi/inbound", api.InboundApi.as_view(), name="edi-inbound"),
    path("edi/documents", api.DocumentListApi.as_view(), name="edi-document-list"),
    path("edi/documents/<str:documentId>", api.DocumentDetailApi.as_view(), name="edi-document-detail"),
    path("orders/<str:orderId>/acknowledge", api.OrderAcknowledgeApi.as_view(), name="order-acknowledge"),
    path("shipments/<str:shipmentId>/labels.pdf", api.ShipmentLabelsPdfApi.as_view(), name="shipment-labels-pdf"),
    path("shipments/<str:shipmentId>/labels.png", api.ShipmentLabelsPngApi.as_view(), name="shipment-labels-png"),
]
