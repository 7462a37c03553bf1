"""Property-based API fuzzing against the live OpenAPI schema (/api/schema/).

Schemathesis generates valid and invalid requests for every operation the schema
describes, sends them through the real WSGI application with a real OAuth token, and
checks that nothing answers 5xx and that every answer (status, content type, headers,
body) is what the schema says. Examples per operation are bounded so CI stays within a
few minutes; ``SCHEMATHESIS_MAX_EXAMPLES`` raises the budget for a deeper local run.
"""

from __future__ import annotations

import json
import os
import re
import uuid

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, transaction
from hypothesis import HealthCheck, settings
from schemathesis.checks import CHECKS, load_all_checks
from schemathesis.config import SchemathesisConfig
from schemathesis.openapi.checks import RejectedPositiveData
from schemathesis.specs.openapi.checks import positive_data_acceptance

from hotsauce.api.idempotency import parse_key
from hotsauce.errors import ValidationFailed


@schemathesis.serializer("application/edi-x12")
def _x12(ctx, value):
    """Raw X12 bodies (POST edi/inbound) are text; generated values are sent as their text."""
    return value.encode("utf-8", "surrogatepass") if isinstance(value, str) else str(value).encode()


MAX_EXAMPLES = int(os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "12"))
load_all_checks()
# Rules a request can break while matching the schema, because OpenAPI 3.0 cannot state them: a
# rule relative to today, between two fields or parameters, about the caller's kind, on names the
# brand defines at run time, on the network, on the X12 grammar, or on the quantities and lots
# the request names as they stand. A 400 for valid data passes only when EVERY error it lists
# matches one of these (field pattern, message pattern); a 400 for anything else fails.
UNSTATABLE_RULES = [
    # today: an expired receipt is a 400 (contract 4.2); a made or promised date in the past
    (r"(^|\.)(expirationDate|expiresAt)$", r"^(Expired goods are not received|Must be in the future)"),
    (r"(^|\.)(startDate|endDate|requestedDeliveryDate|expectedDate)$", r"(past|today|future)"),
    # two parameters or fields together
    (r"^from$", r"^(Must not be after `to`|At most \d+ days)"),
    (r"^(lotCode|to|productId)$", r"^(Name a traceability lot code|Must not be before from|Only with)"),
    (r"^lines$", r"^(An order drafted from an alert takes its line from it|A purchase order needs at least one line)"),
    (r"^values$", r"^(Only an enum has values|An enum needs 1 to \d+ values|Distinct non-blank strings)"),
    (r"^validTo$", r"^Must not be before validFrom"),
    (r"^supplierId$", r"^This field is required \(or name (an alertId|the orderId)\)"),
    (r"^retailPartnerId$", r"^Name the retail partner \(or the orderId or shipmentId\)"),
    # required depending on who calls and what stands: the brand names the partner it acts for, a
    # supplier with several warehouses the warehouse, a movement on several lots the lot, and a
    # reservation that names no orderId its quantity, a receipt of a new batch its expiry
    (r"^(supplierId|retailPartnerId|warehouseLocation|batchNumber|quantity|expirationDate)$",
     r"^(This field is required\.$|Required for a receipt \(|Required when receiving a new batch)"),
    (r"^toWarehouseLocation$", r"^A transfer must go to another warehouse"),
    # attribute keys and their lifecycles are defined by the brand at run time (attributeDefinitions)
    (r"^attributes\.", r"^(Unknown attribute|Deprecated since|Not yet valid)"),
    # a webhook receiver must resolve to a public address (SSRF guard)
    (r"^url$", r"(could not be resolved|not a public address|private|must use https|Not a valid http\(s\) URL)"),
    # addresses JSON Schema's `email` format takes and Django's validator refuses (quoted local parts)
    (r"^contactEmail$", r"^Enter a valid email address"),
    # an X12 interchange's grammar
    (r"^(body|)$", r"X12"),
    # the lots, warehouses and quantities the request names, as they stand
    (r"(^|\.)(batchNumber|warehouseLocation|toWarehouseLocation|orderId)$", r" has no (batch|warehouse|order) "),
    (r"^batchNumber$", r"^Batch \S+ belongs to another supplier"),
    (r"^retailPartnerId$", r" has no active trading relationship with "),
    # identifier grammars checked by their own validators: GS1 check digits, attribute keys
    (r"^gtin$", r"is not a valid GTIN"),
    (r"^key$", r"^(A camelCase key|A key never changes; it must match the path|.* is already defined)"),
    (r"(^|\.)quantity$", r"were shipped to .* and not yet returned"),
    (r"^startDate$", r"^Overlaps "),
    # a production run lists every problem with its lots and its output at once
    (r"^(output|inputs\[\d+\])\.productId$", r"^No product "),
]


@schemathesis.check
def positive_data_acceptance_but_unstatable_rules(ctx, response, case):
    """positive_data_acceptance, except a 400 whose every error is one of UNSTATABLE_RULES."""
    try:
        return positive_data_acceptance(ctx, response, case)
    except RejectedPositiveData:
        if response.status_code != 400 or not _only_unstatable_rules(case, response):
            raise
        return None


def _keys_with_nul(value) -> bool:
    if isinstance(value, dict):
        return any("\x00" in str(key) or _keys_with_nul(item) for key, item in value.items())
    return isinstance(value, list) and any(_keys_with_nul(item) for item in value)


def _only_unstatable_rules(case, response) -> bool:
    try:
        body = json.loads(response.content)
    except ValueError:
        return False
    # NUL in an object key (attribute keys): OpenAPI 3.0 has no propertyNames to forbid it. NUL
    # in a value is forbidden by the schema's patterns, and stays a failure.
    if body.get("detail", "").startswith("JSON strings may not contain NUL") and _keys_with_nul(case.body):
        return True
    errors = body.get("errors") or []
    return bool(errors) and all(
        any(re.search(field, error.get("field") or "") and re.search(message, error.get("message") or "")
            for field, message in UNSTATABLE_RULES)
        for error in errors)


# Every check Schemathesis has: server errors, conformance of status, content type, headers and
# body (for the event stream: every event against the schema of one event), negative data
# rejected, positive data accepted (but UNSTATABLE_RULES), required headers, unsupported methods
# and their Allow header, ignored auth, use after free, resource availability and object-level authorization.
ALL_CHECKS = [check for check in CHECKS.get_all() if check is not positive_data_acceptance]
# negative_data_rejection on GET events/stream only: Schemathesis' coverage phase sends the
# headers object with an unexpected property and the stream answers 200, as every HTTP server
# does for a header it does not know (every other operation runs it; JSON bodies and queries are
# strict: tests/test_strict_bodies.py).
STREAM_CHECKS = [check for check in ALL_CHECKS if check.__name__ != "negative_data_rejection"]
# Schema-valid requests may still meet the state they act on: the contract (section 2) answers an
# If-Match that is not the current ETag with 412, a conditional write with neither If-Match nor a
# body version with 428, and an events cursor older than retention with 410. Schemathesis'
# default for valid data is 2xx, 3xx, 401, 403, 404, 409, 429 and 5xx (5xx is not_a_server_error's
# business); these three are added, nothing else (400 in particular is never accepted).
CONFIG = SchemathesisConfig.from_dict({"checks": {"positive_data_acceptance": {
    "expected-statuses": ["2xx", "3xx", "401", "403", "404", "409", "410", "412", "428", "429", "5xx"]}}})
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
        yield schemathesis.openapi.from_wsgi("/api/schema/", IsolatedWSGI(), config=CONFIG,
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


def _opaque_cursor(case) -> None:
    # A cursor is opaque: only `next`/`previous` links make one, and any other string is rightly a
    # 400 naming `cursor` (tests/test_no_server_errors.py), which no schema can predict. Valid
    # requests therefore carry none; invalid ones keep theirs.
    if case.meta is not None and case.meta.generation.mode.is_positive and case.query:
        case.query.pop("cursor", None)


def _run(case, caller) -> None:
    _fresh_idempotency_key(case)
    _opaque_cursor(case)
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
