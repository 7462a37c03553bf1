"""The front door: what this server is and where to go next, and its favicon.

Before this page, ``/`` (and the admin's "View site") answered Django's debug 404 with the
URL list, and every admin page logged a missing ``/favicon.ico``.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularRedocView, SpectacularSwaggerView

FAVICON = Path(__file__).with_name("favicon.ico")


@cache
def _favicon_bytes() -> bytes:
    return FAVICON.read_bytes()


@require_GET
def landing(request):
    return render(request, "landing.html", {"credentials_file": "var/sandbox-credentials.json"})


@require_GET
def favicon(request):
    response = HttpResponse(_favicon_bytes(), content_type="image/x-icon")
    response["Cache-Control"] = "public, max-age=86400"
    return response


# The docs pages may fetch only from this server. ReDoc's sidebar credit always loads its logo
# from cdn.redoc.ly; this policy stops the browser from even sending that request.
OFFLINE_DOCS_CSP = "img-src 'self' data:; font-src 'self' data:; connect-src 'self'"


class _Offline:
    @extend_schema(exclude=True)
    def get(self, request, *args, **kwargs):
        response = super().get(request, *args, **kwargs)
        response["Content-Security-Policy"] = OFFLINE_DOCS_CSP
        return response


class SwaggerView(_Offline, SpectacularSwaggerView):
    pass


class RedocView(_Offline, SpectacularRedocView):
    pass
