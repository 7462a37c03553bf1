from django.urls import path

from partners import api

urlpatterns = [
    path("suppliers", api.SupplierListApi.as_view(), name="supplier-list"),
    path("suppliers/<str:supplierId>", api.SupplierDetailApi.as_view(), name="supplier-detail"),
    path("retailPartners", api.RetailPartnerListApi.as_view(), name="retail-partner-list"),
    path("retailPartners/<str:retailPartnerId>", api.RetailPartnerDetailApi.as_view(),
         name="retail-partner-detail"),
    path("tradingRelationships", api.TradingRelationshipListApi.as_view(), name="trading-relationship-list"),
    path("tradingRelationships/<int:id>", api.TradingRelationshipDetailApi.as_view(),
         name="trading-relationship-detail"),
]
