from django.urls import path

from inventory import api, forecast_api
from inventory.gs1 import api as gs1_api

urlpatterns = [
    path("products", api.ProductListApi.as_view(), name="product-list"),
    path("products/<str:productId>", api.ProductDetailApi.as_view(), name="product-detail"),
    path("products/<str:productId>/batches", api.BatchListApi.as_view(), name="batch-list"),
    path("products/<str:productId>/batches/<str:batchNumber>", api.BatchDetailApi.as_view(), name="batch-detail"),
    path("warehouses", api.WarehouseListApi.as_view(), name="warehouse-list"),
    path("inventory", api.InventoryListApi.as_view(), name="inventory-list"),
    # Before orders/urls.py's inventory/{supplierId}/{productId}: "scan" is not a product id here.
    path("inventory/<str:supplierId>/scan", gs1_api.ScanApi.as_view(), name="inventory-scan"),
    # inventory/transactions and inventory/{supplierId}/{productId} are served from orders/urls.py with
    # the orders app's movement table: a reservation there may name an order (the brief's step 4).
    path("reservations", api.ReservationListApi.as_view(), name="reservation-list"),
    path("reservations/<str:reservationId>", api.ReservationDetailApi.as_view(), name="reservation-detail"),
    # --- demand and replenishment (forecasting) ---
    path("retailPartners/<str:retailPartnerId>/sellThrough", forecast_api.SellThroughApi.as_view(),
         name="sell-through"),
    path("forecasts", forecast_api.ForecastListApi.as_view(), name="forecast-list"),
    path("forecasts/<str:supplierId>/<str:productId>", forecast_api.ForecastDetailApi.as_view(),
         name="forecast-detail"),
    path("alerts", forecast_api.AlertListApi.as_view(), name="alert-list"),
    path("alerts/<int:alertId>/acknowledge", forecast_api.AlertAcknowledgeApi.as_view(), name="alert-acknowledge"),
]
