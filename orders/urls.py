from django.urls import path

from inventory import api as inventory_api
from orders import api, services
from orders.purchasing.selectors import inbound_due

urlpatterns = [
    # Stock movements, with the orders app's table: a reservation naming an order allocates its remainder.
    path("inventory/transactions", inventory_api.TransactionListApi.as_view(movements=services.MOVEMENTS),
         name="transaction-list"),
    path("inventory/<str:supplierId>/<str:productId>",
         inventory_api.InventoryItemApi.as_view(movements=services.MOVEMENTS, inbound_due=inbound_due),
         name="inventory-item"),
    path("orders", api.OrderListApi.as_view(), name="order-list"),
    path("orders/<str:orderId>", api.OrderDetailApi.as_view(), name="order-detail"),
    path("orders/<str:orderId>/cancel", api.OrderCancelApi.as_view(), name="order-cancel"),
    path("shipments", api.ShipmentListApi.as_view(), name="shipment-list"),
    path("shipments/<str:shipmentId>", api.ShipmentDetailApi.as_view(), name="shipment-detail"),
    path("shipments/<str:shipmentId>/deliver", api.ShipmentDeliverApi.as_view(), name="shipment-deliver"),
    path("returns", api.ReturnListApi.as_view(), name="return-list"),
    path("returns/<str:returnId>", api.ReturnDetailApi.as_view(), name="return-detail"),
    path("returns/<str:returnId>/receive", api.ReturnReceiveApi.as_view(), name="return-receive"),
    path("products/<str:productId>/batches/<str:batchNumber>/trace", api.BatchTraceApi.as_view(),
         name="batch-trace"),
    path("products/<str:productId>/batches/<str:batchNumber>/recall", api.BatchRecallApi.as_view(),
         name="batch-recall"),
]
