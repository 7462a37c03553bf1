from django.urls import path

from orders.purchasing import api

_PO = "purchaseOrders/<str:purchaseOrderId>"

urlpatterns = [
    path("purchaseOrders", api.PurchaseOrderListApi.as_view(), name="purchase-order-list"),
    path(_PO, api.PurchaseOrderDetailApi.as_view(), name="purchase-order-detail"),
    path(f"{_PO}/submit", api.PurchaseOrderSubmitApi.as_view(), name="purchase-order-submit"),
    path(f"{_PO}/acknowledge", api.PurchaseOrderAcknowledgeApi.as_view(), name="purchase-order-acknowledge"),
    path(f"{_PO}/ship", api.PurchaseOrderShipApi.as_view(), name="purchase-order-ship"),
    path(f"{_PO}/receive", api.PurchaseOrderReceiveApi.as_view(), name="purchase-order-receive"),
    path(f"{_PO}/cancel", api.PurchaseOrderCancelApi.as_view(), name="purchase-order-cancel"),
]
