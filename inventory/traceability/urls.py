from django.urls import path

from inventory.traceability import api

urlpatterns = [
    path("traceability/fsma204", api.Fsma204Api.as_view(), name="fsma204"),
]
