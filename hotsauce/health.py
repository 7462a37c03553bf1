import logging

from django.db import connection
from django.http import HttpResponseNotFound, HttpResponseServerError, JsonResponse
from django.views.decorators.http import require_GET

from hotsauce.api.problems import problem_response

logger = logging.getLogger("hotsauce.health")


@require_GET
def healthz(request):
    return JsonResponse({"status": "ok"})


def _broker_ok() -> tuple[bool, str]:
    from django.conf import settings
    from kombu import Connection

    try:
        with Connection(settings.CELERY_BROKER_URL, transport_options=settings.CELERY_BROKER_TRANSPORT_OPTIONS,
                        connect_timeout=2) as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
        return True, "ok"
    except Exception as exc:  # any failure to reach the broker means not ready
        return False, type(exc).__name__


def _jobs() -> dict:
    from hotsauce.jobs import job_statuses

    try:
        return job_statuses()
    except Exception:  # informational: the status code depends on the database and broker only
        logger.warning("Periodic job statuses could not be read", exc_info=True)
        return {}


@require_GET
def readyz(request):
    """200 when the database and broker answer, else 503; the body also lists the periodic jobs."""
    checks = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = "ok"
    except Exception as exc:
        checks["database"] = type(exc).__name__
    ok, checks["broker"] = _broker_ok()
    ready = ok and checks["database"] == "ok"
    jobs = _jobs() if checks["database"] == "ok" else {}
    return JsonResponse({"status": "ready" if ready else "unavailable", "checks": checks, "jobs": jobs},
                        status=200 if ready else 503)


def not_found(request, exception=None):
    if request.path.startswith("/api/"):
        return problem_response(request, 404, "not_found", "No such resource.")
    return HttpResponseNotFound("Not found")


def server_error(request):
    if request.path.startswith("/api/"):
        return problem_response(request, 500, "internal_error", "An unexpected error occurred; it has been logged.")
    return HttpResponseServerError("Server error")
