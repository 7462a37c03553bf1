"""Property-based API fuzzing against the live OpenAPI schema (/api/schema/).

Schemathesis generates valid and invalid requests for every operation the schema
describes, sends them through the real WSGI application with a real OAuth token, and
checks that nothing answers 5xx and that every answer (status, content type, headers,
body) is what the schema says. Examples per operation are bounded so CI stays within a
few minutes; ``SCHEMATHESIS_MAX_EXAMPLES`` raises the budget for a deeper local run.
"""

from __future__ import annotations

import os
import uuid

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, transaction
from hypothesis import HealthCheck, settings
from schemathesis.checks import CHECKS, load_all_checks

from hotsauce.api.idempotency import parse_key
from hotsauce.errors import ValidationFailed


@schemathesis.serializer("application/edi-x12")
def _x12(ctx, value):
    """Raw X12 bodies (POST edi/inbound) are text; generated values are sent as their text."""
    return value.encode("utf-8", "surrogatepass") if isinstance(value, str) else str(value).encode()


MAX_EXAMPLES = int(os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "12"))
load_all_checks()
# Every check Schemathesis has: server errors, conformance of status, content type, headers and
# body (for the event stream: every event against the schema of one event), negative data
# rejected, positive data accepted, required headers, unsupported methods and their Allow header,
# ignored auth, use after free, resource availability and object-level authorization.
# Not yet run, with what they still find (issue 13):
# - negative_data_rejection on GET events/stream only: Schemathesis' coverage phase sends the
#   headers object with an unexpected property and the stream answers 200 (every other operation
#   runs it; JSON/form bodies and queries are strict: tests/test_strict_bodies.py).
# - positive_data_acceptance: bodies valid by the schema that the rules refuse with a 400 the
#   schema cannot express (a supplier code that does not exist or is not traded with, an attribute
#   key nobody defined, an EDI body that is not X12, fsma204 without a lot code or a date range).
PENDING = {"positive_data_acceptance"}
ALL_CHECKS = [check for check in CHECKS.get_all() if check.__name__ not in PENDING]
STREAM_CHECKS = [check for check in ALL_CHECKS if check.__name__ != "negative_data_rejection"]
STREAM = "/api/v1/events/stream"
# Reading the endless stream: keep-alives come this often, and the reading stops after this long.
STREAM_KEEPALIVE_SECONDS = 0.2
STREAM_READ_SECONDS = 0.6


@pytest.fixture
def callers(sandbox, make_caller, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = False  # never let generated URLs be called
    return {"brand": make_caller("brand"), "supplier": make_caller("supplier", "SUP123"),
            "retailer": make_caller("retailer", "RETAIL456")}


class IsolatedWSGI:
    """The WSGI app, each request in its own savepoint (as autocommit isolates them in production).

    The test runs in one transaction: without this, one request that hits a database error
    would abort the transaction and turn every later request into a 500 as well.
    """

    def __init__(self):
        self.app = get_wsgi_application()

    def __call__(self, environ, start_response):
        if environ.get("PATH_INFO") == STREAM:
            # An endless body cannot be joined inside a savepoint; the stream only reads, and
            # the reader (Schemathesis) closes it once it has read long enough.
            return self.app(environ, start_response)
        with transaction.atomic():
            status = {}

            def recording_start_response(status_line, headers, exc_info=None):
                status["code"] = int(status_line.split(" ", 1)[0])
                return start_response(status_line, headers, exc_info)

            result = self.app(environ, recording_start_response)
            try:
                body = b"".join(result)
            finally:
                result.close()  # what a server does: Django's request_finished fires here
            if status.get("code", 500) >= 500:
                transaction.set_rollback(True)
        return [body]


@pytest.fixture
def api_schema(callers, monkeypatch):
    from webhooks import api

    monkeypatch.setattr(api, "STREAM_KEEPALIVE_SECONDS", STREAM_KEEPALIVE_SECONDS)
    # A real WSGI server closes the database connection at the end of every request; here
    # that would drop the test's transaction, so do what Django's test client does.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield schemathesis.openapi.from_wsgi("/api/schema/", IsolatedWSGI(),
                                             headers={"Accept": "application/vnd.oai.openapi+json"})
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


schema = schemathesis.pytest.from_fixture("api_schema")


def _fresh_idempotency_key(case) -> None:
    # A client makes a new key for every new request; the generator would reuse one key for
    # different bodies, which is rightly a 422 (tests/test_inventory_movements.py covers it).
    # Keys the API would reject stay as generated: negative data must still be refused.
    headers = case.headers or {}
    if "Idempotency-Key" in headers:
        try:
            parse_key(str(headers["Idempotency-Key"]))
        except ValidationFailed:
            return
        headers["Idempotency-Key"] = uuid.uuid4().hex


def _run(case, caller) -> None:
    _fresh_idempotency_key(case)
    # The stream never ends: it is read for STREAM_READ_SECONDS (the sandbox's events, then
    # keep-alives), then closed, and every event read is validated.
    timeout = STREAM_READ_SECONDS if case.path == STREAM else None
    case.call_and_validate(headers={"Authorization": f"Bearer {caller.token}"},
                           checks=STREAM_CHECKS if case.path == STREAM else ALL_CHECKS, timeout=timeout)


@pytest.mark.slow
@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
def test_no_input_crashes_the_api_and_every_answer_matches_the_schema_as_the_brand(case, callers):
    _run(case, callers["brand"])


@pytest.mark.slow
@schema.parametrize()
@settings(max_examples=max(3, MAX_EXAMPLES // 3), deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
def test_no_input_crashes_the_api_and_every_answer_matches_the_schema_as_a_partner(case, callers):
    # Partners meet the tenancy and kind refusals (403/404), which must be documented too.
    _run(case, callers["retailer" if case.method in ("get", "GET") else "supplier"])
