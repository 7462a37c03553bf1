"""Idempotency keys for every POST and PATCH (API-CONTRACT.md 4.2), in one place.

The protocol (one transaction and one commit per request):
1. In the request's transaction, one statement reads the key's record and (PostgreSQL) takes
   a transaction-scoped advisory lock on the key: a stored answer is replayed (422 when the
   body differs); a lock held elsewhere means the first request is still running.
2. Run the view in that transaction; a 2xx answer is recorded at its end, in the same
   transaction, so the effect never commits without its record (a retry could execute twice)
   nor the record without the effect. A 4xx is stored after the rollback; a 5xx or 429 stores
   nothing, so the key can be used again.
3. Two requests that both got past step 1 (the first one's commit fell between them) are
   settled by the record's unique constraint: the second one's insert fails, its whole
   transaction rolls back, and it replays the first one's answer.
4. A duplicate that finds the first still running waits briefly for it to finish, then
   replays the stored answer; past ``IDEMPOTENCY_WAIT_SECONDS`` it gets 409.

A view may offer a ``fast_path`` (the inventory movements do: docs/stock.md, "The fast path"):
it runs steps 1 and 2 in its own statements — the same advisory lock and record lookup, the
record written with ``record_values`` in the effect's transaction — and hands back the stored
record, ``BUSY`` or its 2xx response; or None, and the protocol above runs as it always does.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from rest_framework.response import Response
from rest_framework.utils.encoders import JSONEncoder

from hotsauce import metrics
from hotsauce.api.models import IdempotencyRecord
from hotsauce.errors import (
    IdempotencyKeyInUse,
    IdempotencyKeyMissing,
    IdempotencyKeyReused,
    ValidationFailed,
)

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
_LOCK = timedelta(seconds=120)
_KEPT_HEADERS = ("ETag", "Location", "Content-Type")
_LOCK_CLASS = 0x69646B  # advisory lock class of idempotency keys ("idk"; the key's hash is the object id)
_BUSY = object()  # another request with the key is running


def parse_key(raw: str) -> str:
    value = raw.strip(" \t")  # the optional whitespace around a field value (RFC 9110 5.5)
    if len(value) >= 2 and value[0] == value[-1] == '"':  # RFC 8941 sf-string
        value = value[1:-1].replace('\\"', '"').replace("\\\\", "\\")
    if not 1 <= len(value) <= 255 or any(not (0x20 <= ord(ch) <= 0x7E) for ch in value):
        raise ValidationFailed.for_field(
            HEADER, "Must be 1-255 printable ASCII characters.", "The Idempotency-Key header is invalid.")
    return value


def fingerprint(method: str, path: str, body: bytes) -> str:
    try:
        canonical = json.dumps(json.loads(body or b"null"), sort_keys=True, separators=(",", ":")).encode()
    except (ValueError, UnicodeDecodeError):
        canonical = body
    digest = hashlib.sha256()
    for part in (method.encode(), b"\n", path.encode(), b"\n", canonical):
        digest.update(part)
    return digest.hexdigest()


def _replay(record: IdempotencyRecord) -> Response:
    headers = dict(record.response_headers or {})
    content_type = headers.pop("Content-Type", None)
    headers[REPLAYED_HEADER] = "true"
    metrics.idempotent_replayed()
    body = json.loads(record.response_body) if record.response_body is not None else None
    return Response(body, status=record.status_code, headers=headers, content_type=content_type)


def _storable(status: int) -> bool:
    return status < 500 and status != 429


def _answer(record: IdempotencyRecord, fp: str):
    """A record found for the key: its stored answer, 422 for another request, or _BUSY."""
    if record.fingerprint != fp:
        raise IdempotencyKeyReused("This Idempotency-Key was already used with a different request; use a new key.")
    if record.state == IdempotencyRecord.State.COMPLETED:
        return _replay(record)
    # An in-flight claim from a process that ran before records were written at the end: it
    # either completes or expires (its process died), then the key can be used again.
    if record.locked_until < timezone.now():
        IdempotencyRecord.objects.filter(pk=record.pk, state=IdempotencyRecord.State.IN_FLIGHT).delete()
    return _BUSY


def _look(client_key: str, key: str) -> tuple[bool, IdempotencyRecord | None]:
    """(whether no other request with this key is running, its stored record): one statement.

    On PostgreSQL a transaction-scoped advisory lock on the key marks the request running
    until its commit, which is what lets a duplicate answer 409 instead of executing. SQLite
    runs one writer at a time: a duplicate simply runs after the first and finds its record.
    """
    if connection.vendor != "postgresql":
        return True, IdempotencyRecord.objects.filter(client_key=client_key, key=key).first()
    table = IdempotencyRecord._meta.db_table
    row = next(iter(IdempotencyRecord.objects.raw(
        f"SELECT r.*, pg_try_advisory_xact_lock(%s, hashtext(%s)) AS free_"
        f" FROM (SELECT 1) AS one LEFT JOIN {table} r ON r.client_key = %s AND r.key = %s",
        [_LOCK_CLASS, f"{client_key}\n{key}", client_key, key])))
    return row.free_, (row if row.pk is not None else None)


def record_values(*, client_key: str, key: str, fp: str, request, response: Response) -> dict:
    """The completed record of a request's answer (also what a view's fast path writes itself)."""
    body = json.dumps(response.data, cls=JSONEncoder) if response.data is not None else None
    # Not the Content-Type header: before rendering it is Django's text/html default.
    headers = {name: response[name] for name in _KEPT_HEADERS if name != "Content-Type" and response.has_header(name)}
    if response.content_type:
        headers["Content-Type"] = response.content_type
    now = timezone.now()
    return {"client_key": client_key, "key": key, "fingerprint": fp, "method": request.method,
            "path": request.path[:500], "state": IdempotencyRecord.State.COMPLETED, "locked_until": now,
            "status_code": response.status_code, "response_body": body, "response_headers": headers,
            "created_at": now, "completed_at": now}


def _store(*, client_key: str, key: str, fp: str, request, response: Response) -> None:
    IdempotencyRecord.objects.create(**record_values(client_key=client_key, key=key, fp=fp, request=request,
                                                     response=response))


@dataclass(frozen=True)
class Claim:
    """What a view's fast path needs to run the protocol in its own statements (``fast_path``)."""

    client_key: str
    key: str
    fp: str
    lock_class: int = _LOCK_CLASS

    def record(self, request, response: Response) -> dict:
        return record_values(client_key=self.client_key, key=self.key, fp=self.fp, request=request,
                             response=response)


BUSY = _BUSY


def _fast(view, request, args, kwargs, claim: Claim):
    """A view's fast path (``view.fast_path(request, claim, *args, **kwargs)``), inside the request's
    transaction: None when it does not handle the request (the ordinary protocol runs), else the key's
    stored record (answered as a stored one is), BUSY, or a 2xx response whose record it wrote."""
    fast_path = getattr(view, "fast_path", None)
    if fast_path is None:
        return None
    outcome = fast_path(request, claim, *args, **kwargs)
    if isinstance(outcome, IdempotencyRecord):
        return _answer(outcome, claim.fp)
    return outcome


def _attempt(view, request, handler, args, kwargs, *, client_key: str, key: str, fp: str):
    """One try: the stored answer, _BUSY, or the handler's response (2xx recorded in its transaction)."""
    failure = None
    try:
        with transaction.atomic():
            fast = _fast(view, request, args, kwargs, Claim(client_key=client_key, key=key, fp=fp))
            if fast is not None:
                return fast
            free, record = _look(client_key, key)
            if record is not None:
                return _answer(record, fp)
            if not free:
                return _BUSY
            try:
                response = handler(request, *args, **kwargs)
            except Exception as exc:  # answered below, after the rollback
                failure = exc
                transaction.set_rollback(True)
            else:
                if 200 <= response.status_code < 300:
                    # The one record of the request, in the effect's transaction: one commit.
                    _store(client_key=client_key, key=key, fp=fp, request=request, response=response)
                    return response
    except IntegrityError:
        answer = _conflict(client_key, key, fp)
        if answer is None:
            raise  # not the key's record that conflicted: the handler's own error
        return answer
    if failure is not None:
        response = view.handle_exception(failure)
    if _storable(response.status_code):
        try:
            with transaction.atomic():
                _store(client_key=client_key, key=key, fp=fp, request=request, response=response)
        except IntegrityError:
            return _conflict(client_key, key, fp) or response
    return response


def _conflict(client_key: str, key: str, fp: str):
    """Another request with the key committed first: this one rolled back; answer with the record."""
    record = IdempotencyRecord.objects.filter(client_key=client_key, key=key).first()
    return _answer(record, fp) if record is not None else None


def run_idempotently(view, request, handler, args, kwargs) -> Response:
    raw = request.headers.get(HEADER)
    if raw is None:
        if request.method in getattr(view, "idempotency_required", ()):
            raise IdempotencyKeyMissing(f"This operation requires an {HEADER} header.")
        return handler(request, *args, **kwargs)
    key = parse_key(raw)
    fp = fingerprint(request.method, request.path, request._request.body)
    deadline = time.monotonic() + settings.IDEMPOTENCY_WAIT_SECONDS
    while True:
        outcome = _attempt(view, request, handler, args, kwargs, client_key=request.user.key, key=key, fp=fp)
        if outcome is not _BUSY:
            return outcome
        if time.monotonic() >= deadline:
            raise IdempotencyKeyInUse("A request with this Idempotency-Key is still being processed; retry later.")
        time.sleep(0.05)


def idempotency_purge() -> int:
    cutoff = timezone.now() - timedelta(seconds=settings.IDEMPOTENCY_TTL_SECONDS)
    deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=cutoff).delete()
    return deleted
