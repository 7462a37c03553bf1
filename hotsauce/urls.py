from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView

from hotsauce import dashboard, health, landing, observability
from hotsauce.admin_tools import developer_internals_restrict
from partners import oauth_views

# Every app's admin is registered by now: developer internals become superuser-only.
developer_internals_restrict(admin.site)

api_v1 = [
    path("", include("partners.urls")),
    path("", include("partners.attributes.urls")),
    path("", include("inventory.urls")),
    path("", include("inventory.promotions.urls")),
    path("", include("orders.urls")),
    path("", include("orders.feedback.urls")),
    path("", include("orders.edi.urls")),
    # The supply side (issue 18): production, FSMA 204 records, replenishment inputs, purchasing.
    path("", include("inventory.production.urls")),
    path("", include("inventory.traceability.urls")),
    path("", include("inventory.replenishment.urls")),
    path("", include("orders.purchasing.urls")),
    path("", include("webhooks.urls")),
]

urlpatterns = [
    path("", landing.landing, name="landing"),
    path("favicon.ico", landing.favicon, name="favicon"),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", landing.SwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path("api/redoc/", landing.RedocView.as_view(url_name="schema"), name="redoc"),
    path("oauth/token/", oauth_views.TokenView.as_view(), name="oauth-token"),
    path("oauth/revoke_token/", oauth_views.RevokeTokenView.as_view(), name="oauth-revoke"),
    path("oauth/introspect/", oauth_views.IntrospectTokenView.as_view(), name="oauth-introspect"),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("metrics", observability.metrics_view, name="metrics"),
    path("admin/dashboard/", dashboard.staff_dashboard_view, name="staff-dashboard"),
    path("admin/", admin.site.urls),
    # Anything else under /api/ is a problem-details 404, whatever DEBUG says.
    re_path(r"^api/", health.not_found),
]

handler404 = "hotsauce.health.not_found"
handler500 = "hotsauce.health.server_error"
