"""RFC 9457 problem details as typed exceptions.

The class is chosen by the problem's stable ``code`` first and its HTTP status second, so a
code this SDK does not know yet still lands in the right family (a new 409 is a Conflict).
"""

from __future__ import annotations

from typing import Any

import httpx


class ProblemError(Exception):
    """An ``application/problem+json`` answer (or any other 4xx/5xx)."""

    def __init__(self, status: int, problem: dict[str, Any], response: httpx.Response | None = None):
        self.status = status
        self.problem = problem
        self.response = response
        self.code: str = problem.get("code") or f"http_{status}"
        self.title: str = problem.get("title") or ""
        self.detail: str = problem.get("detail") or ""
        self.errors: list[dict[str, Any]] = problem.get("errors") or []
        self.request_id: str | None = problem.get("requestId") or (response.headers.get("X-Request-Id")
                                                                   if response is not None else None)
        super().__init__(f"{status} {self.code}: {self.detail or self.title}")


class ValidationError(ProblemError): ...
class AuthenticationError(ProblemError): ...
class PermissionDenied(ProblemError): ...
class NotFound(ProblemError): ...
class Conflict(ProblemError): ...
class InsufficientStock(Conflict): ...
class VersionConflict(Conflict): ...
class InvalidState(Conflict): ...
class IdempotencyKeyReused(ProblemError): ...
class PreconditionFailed(ProblemError): ...
class RateLimited(ProblemError): ...
class ServerError(ProblemError): ...


BY_CODE: dict[str, type[ProblemError]] = {
    "validation_error": ValidationError,
    "not_authenticated": AuthenticationError,
    "permission_denied": PermissionDenied,
    "not_found": NotFound,
    "conflict": Conflict,
    "insufficient_stock": InsufficientStock,
    "version_conflict": VersionConflict,
    "invalid_state": InvalidState,
    "idempotency_key_reused": IdempotencyKeyReused,
    "precondition_failed": PreconditionFailed,
    "rate_limited": RateLimited,
}
BY_STATUS: dict[int, type[ProblemError]] = {
    400: ValidationError, 401: AuthenticationError, 403: PermissionDenied, 404: NotFound, 409: Conflict,
    412: PreconditionFailed, 422: ValidationError, 429: RateLimited,
}


def problem_from_response(response: httpx.Response) -> ProblemError:
    try:
        body = response.json()
    except ValueError:
        body = None
    problem = body if isinstance(body, dict) else {"detail": response.text[:500]}
    cls = BY_CODE.get(problem.get("code") or "") or BY_STATUS.get(response.status_code)
    if cls is None:
        cls = ServerError if response.status_code >= 500 else ProblemError
    return cls(response.status_code, problem, response)
