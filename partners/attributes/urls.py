from django.urls import path

from partners.attributes import api

urlpatterns = [
    path("attributeDefinitions", api.AttributeDefinitionListApi.as_view(), name="attribute-definition-list"),
    path("attributeDefinitions/<str:key>", api.AttributeDefinitionDetailApi.as_view(),
         name="attribute-definition-detail"),
]
