"""The one entry point (``uvicorn hotsauce.asgi:application``).

The event stream (``GET /api/v1/events/stream``) is served by Django's ASGI handler: it waits between
polls without holding a thread. Every other HTTP request goes to Django's WSGI handler on a fixed pool
of ``WSGI_THREADS`` threads (a2wsgi), which takes connections from the pool (``DATABASE_POOL_MAX_SIZE``)
instead of paying Django's per-request ASGI adaptation (a new thread context and a new connection per
request). README "Serving" gives the figures that decided this and the sizing rule.
``API_VIA_WSGI=0`` serves everything through the ASGI handler, as before.
"""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hotsauce.settings")

from a2wsgi import WSGIMiddleware  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core.asgi import get_asgi_application  # noqa: E402
from django.core.wsgi import get_wsgi_application  # noqa: E402

django_asgi = get_asgi_application()
#: Paths only the ASGI handler serves (long-lived responses that wait without a thread).
ASGI_PATHS = frozenset({"/api/v1/events/stream", "/api/v1/events/stream/"})


def _wsgi_app():
    return WSGIMiddleware(get_wsgi_application(), workers=settings.WSGI_THREADS)


django_wsgi = _wsgi_app() if settings.API_VIA_WSGI else None


def served_by_wsgi(scope) -> bool:
    return django_wsgi is not None and scope["type"] == "http" and scope["path"] not in ASGI_PATHS


async def application(scope, receive, send):
    if served_by_wsgi(scope):
        return await django_wsgi(scope, receive, send)
    return await django_asgi(scope, receive, send)
