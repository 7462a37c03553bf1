"""Idempotency keys for every POST and PATCH (API-CONTRACT.md 4.2), in one place.

The protocol:
1. Claim ``(client, key)`` by inserting an in-flight row (a unique constraint arbitrates
   between concurrent requests).
2. Run the view in a transaction; a 2xx answer is stored in that same transaction, so a
   crash can never leave the effect committed without its record (which would let a retry
   execute twice). A 4xx is stored after the rollback; a 5xx or 429 frees the key.
3. A duplicate that finds the row in flight waits briefly for it to finish, then replays
   the stored answer; past ``IDEMPOTENCY_WAIT_SECONDS`` it gets 409. A row whose lock
   expired belonged to a process that died before committing, so it can be taken over.
"""

from __future__ import annotations

import hashlib
import json
import time
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
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


def parse_key(raw: str) -> str:
    value = raw.strip()
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


def _claim(*, client_key: str, key: str, fp: str, method: str, path: str):
    """Own the key (returns the record) or get the stored answer (returns a Response)."""
    deadline = time.monotonic() + settings.IDEMPOTENCY_WAIT_SECONDS
    while True:
        now = timezone.now()
        try:
            with transaction.atomic():
                return IdempotencyRecord.objects.create(
                    client_key=client_key, key=key, fingerprint=fp, method=method, path=path[:500],
                    locked_until=now + _LOCK)
        except IntegrityError:
            pass
        existing = IdempotencyRecord.objects.filter(client_key=client_key, key=key).first()
        if existing is None:
            continue  # released or purged in between: try to claim again
        if existing.fingerprint != fp:
            raise IdempotencyKeyReused(
                "This Idempotency-Key was already used with a different request; use a new key.")
        if existing.state == IdempotencyRecord.State.COMPLETED:
            return _replay(existing)
        if existing.locked_until < now:
            taken = IdempotencyRecord.objects.filter(
                pk=existing.pk, state=IdempotencyRecord.State.IN_FLIGHT, locked_until=existing.locked_until
            ).update(locked_until=now + _LOCK)
            if taken == 1:
                existing.locked_until = now + _LOCK
                return existing
            continue
        if time.monotonic() >= deadline:
            raise IdempotencyKeyInUse("A request with this Idempotency-Key is still being processed; retry later.")
        time.sleep(0.05)


def _storable(status: int) -> bool:
    return status < 500 and status != 429


def _complete(record: IdempotencyRecord, response: Response) -> None:
    body = json.dumps(response.data, cls=JSONEncoder) if response.data is not None else None
    # Not the Content-Type header: before rendering it is Django's text/html default.
    headers = {name: response[name] for name in _KEPT_HEADERS if name != "Content-Type" and response.has_header(name)}
    if response.content_type:
        headers["Content-Type"] = response.content_type
    IdempotencyRecord.objects.filter(pk=record.pk).update(
        state=IdempotencyRecord.State.COMPLETED, status_code=response.status_code, response_body=body,
        response_headers=headers, completed_at=timezone.now())


def run_idempotently(view, request, handler, args, kwargs) -> Response:
    raw = request.headers.get(HEADER)
    if raw is None:
        if request.method in getattr(view, "idempotency_required", ()):
            raise IdempotencyKeyMissing(f"This operation requires an {HEADER} header.")
        return handler(request, *args, **kwargs)
    key = parse_key(raw)
    fp = fingerprint(request.method, request.path, request._request.body)
    claimed = _claim(client_key=request.user.key, key=key, fp=fp, method=request.method, path=request.path)
    if isinstance(claimed, Response):
        return claimed
    record = claimed
    failure = None
    completed = False
    try:
        with transaction.atomic():
            try:
                response = handler(request, *args, **kwargs)
            except Exception as exc:  # answered below, after the rollback
                failure = exc
                transaction.set_rollback(True)
            else:
                if 200 <= response.status_code < 300:
                    _complete(record, response)
                    completed = True
        if failure is not None:
            response = view.handle_exception(failure)
        if not completed:
            if _storable(response.status_code):
                _complete(record, response)
            else:
                IdempotencyRecord.objects.filter(pk=record.pk).delete()
    except BaseException:
        IdempotencyRecord.objects.filter(pk=record.pk, state=IdempotencyRecord.State.IN_FLIGHT).delete()
        raise
    return response


def idempotency_purge() -> int:
    cutoff = timezone.now() - timedelta(seconds=settings.IDEMPOTENCY_TTL_SECONDS)
    deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=cutoff).delete()
    return deleted
