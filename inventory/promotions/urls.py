from django.urls import path

from inventory.promotions import api

urlpatterns = [
    path("promotions", api.PromotionListApi.as_view(), name="promotion-list"),
    path("promotions/<str:promotionId>", api.PromotionDetailApi.as_view(), name="promotion-detail"),
]
