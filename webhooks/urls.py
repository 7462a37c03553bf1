from django.urls import path

from webhooks import api

urlpatterns = [
    path("events", api.EventFeedApi.as_view(), name="event-feed"),
    path("events/stream", api.event_stream, name="event-stream"),
    path("webhooks", api.EndpointListApi.as_view(), name="webhook-list"),
    path("webhooks/<str:id>", api.EndpointDetailApi.as_view(), name="webhook-detail"),
    path("webhooks/<str:id>/rotateSecret", api.EndpointRotateSecretApi.as_view(), name="webhook-rotate"),
    path("webhooks/<str:id>/test", api.EndpointTestApi.as_view(), name="webhook-test"),
    path("webhooks/<str:id>/recover", api.EndpointRecoverApi.as_view(), name="webhook-recover"),
    path("webhooks/<str:id>/deliveries", api.EndpointDeliveriesApi.as_view(), name="webhook-deliveries"),
]
