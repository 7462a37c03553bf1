from django.urls import path

from orders import api

urlpatterns = [
    path("orders", api.OrderListApi.as_view(), name="order-list"),
    path("orders/<str:order_id>", api.OrderDetailApi.as_view(), name="order-detail"),
    path("orders/<str:order_id>/cancel", api.OrderCancelApi.as_view(), name="order-cancel"),
    path("shipments", api.ShipmentListApi.as_view(), name="shipment-list"),
    path("shipments/<str:shipment_id>", api.ShipmentDetailApi.as_view(), name="shipment-detail"),
    path("shipments/<str:shipment_id>/deliver", api.ShipmentDeliverApi.as_view(), name="shipment-deliver"),
    path("returns", api.ReturnListApi.as_view(), name="return-list"),
    path("returns/<str:return_id>", api.ReturnDetailApi.as_view(), name="return-detail"),
    path("returns/<str:return_id>/receive", api.ReturnReceiveApi.as_view(), name="return-receive"),
    path("products/<str:product_id>/batches/<str:batch_number>/trace", api.BatchTraceApi.as_view(),
         name="batch-trace"),
    path("products/<str:product_id>/batches/<str:batch_number>/recall", api.BatchRecallApi.as_view(),
         name="batch-recall"),
]
