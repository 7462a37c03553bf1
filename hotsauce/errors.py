"""The one error hierarchy services raise.

Each error knows its HTTP status, its stable machine-readable ``code`` and a title; the
API's exception handler (``hotsauce.api.problems``) turns any of them into RFC 9457
problem details. Services never return False on bad input: they raise one of these.
"""

from __future__ import annotations


class ApplicationError(Exception):
    status = 400
    code = "validation_error"
    title = "Invalid request"

    def __init__(self, detail: str = "", *, errors: list[dict] | None = None, headers: dict | None = None,
                 extra: dict | None = None) -> None:
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        self.errors = errors or []
        self.headers = headers or {}
        self.extra = extra or {}

    @classmethod
    def for_field(cls, field: str, message: str, detail: str | None = None) -> ApplicationError:
        return cls(detail or message, errors=[{"field": field, "message": message}])


class ValidationFailed(ApplicationError):
    status = 400
    code = "validation_error"
    title = "Invalid request"


class NotFound(ApplicationError):
    status = 404
    code = "not_found"
    title = "Not found"


class PermissionDenied(ApplicationError):
    status = 403
    code = "permission_denied"
    title = "Permission denied"


class Conflict(ApplicationError):
    status = 409
    code = "conflict"
    title = "Conflict"


class InsufficientStock(Conflict):
    code = "insufficient_stock"
    title = "Insufficient stock"


class VersionConflict(Conflict):
    code = "version_conflict"
    title = "Version conflict"


class InvalidState(Conflict):
    code = "invalid_state"
    title = "Invalid state transition"


class PreconditionFailed(ApplicationError):
    status = 412
    code = "precondition_failed"
    title = "Precondition failed"


class PreconditionRequired(ApplicationError):
    status = 428
    code = "precondition_required"
    title = "Precondition required"


class CursorExpired(ApplicationError):
    status = 410
    code = "cursor_expired"
    title = "Cursor expired"


class IdempotencyKeyMissing(ApplicationError):
    status = 400
    code = "idempotency_key_missing"
    title = "Idempotency-Key required"


class IdempotencyKeyInUse(Conflict):
    code = "idempotency_key_in_use"
    title = "Idempotency-Key in use"


class IdempotencyKeyReused(ApplicationError):
    status = 422
    code = "idempotency_key_reused"
    title = "Idempotency-Key reused"
