import hashlib
import re
import uuid

from asgiref.sync import iscoroutinefunction, markcoroutinefunction, sync_to_async
from django.core.cache import cache
from django.http import HttpResponse

# A client's id is echoed only if it is safe to put back in a header and in logs.
_SAFE_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")


def _request_id(request) -> str:
    incoming = request.headers.get("X-Request-Id", "")
    return incoming if _SAFE_ID.match(incoming) else uuid.uuid4().hex


class RequestIdMiddleware:
    """Gives every request an id (the client's own when it sent one) and echoes it back."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response):
        self.get_response = get_response
        if iscoroutinefunction(get_response):
            markcoroutinefunction(self)

    def __call__(self, request):
        if iscoroutinefunction(self):
            return self.__acall__(request)
        request.request_id = _request_id(request)
        response = self.get_response(request)
        response["X-Request-Id"] = request.request_id
        return response

    async def __acall__(self, request):
        request.request_id = _request_id(request)
        response = await self.get_response(request)
        response["X-Request-Id"] = request.request_id
        return response


class AdminLoginThrottleMiddleware:
    """Slows password guessing on the admin sign-in form.

    Failed sign-ins (the form answered again with 200 instead of a redirect) are counted in
    the shared cache per username and address; past ``ADMIN_LOGIN_MAX_FAILURES`` within
    ``ADMIN_LOGIN_LOCKOUT_SECONDS`` further attempts get 429 without checking the password,
    so a correct guess cannot be confirmed either. Keyed on the pair, an attacker cannot
    lock a colleague out from elsewhere; a success clears the counter. Every attempt —
    success, failure, refusal — is an ``admin_sign_in`` audit row with the trusted address.
    """

    sync_capable = True
    async_capable = True

    def __init__(self, get_response):
        self.get_response = get_response
        if iscoroutinefunction(get_response):
            markcoroutinefunction(self)

    @staticmethod
    def _key(request) -> str | None:
        from django.urls import reverse

        if request.method != "POST" or request.path != reverse("admin:login"):
            return None
        from hotsauce.proxies import client_ip

        username = (request.POST.get("username") or "").strip().lower()[:150]
        digest = hashlib.sha256(f"{username}|{client_ip(request)}".encode()).hexdigest()
        return f"adminlogin:{digest}"

    @staticmethod
    def _limits() -> tuple[int, int]:
        from django.conf import settings

        return (getattr(settings, "ADMIN_LOGIN_MAX_FAILURES", 5), getattr(settings, "ADMIN_LOGIN_LOCKOUT_SECONDS", 900))

    @staticmethod
    def _audit(request, success: bool, detail: str) -> None:
        from hotsauce.proxies import client_ip
        from partners.models import AuthAuditLog
        from partners.services import audit_record

        user = getattr(request, "user", None) if success else None
        audit_record(event=AuthAuditLog.Event.ADMIN_SIGN_IN, success=success, user=user, ip=client_ip(request),
                     method="POST", path=request.path, client_identifier=(request.POST.get("username") or "")[:150],
                     detail=detail)

    @classmethod
    def _locked_out(cls, request, lockout: int):
        cls._audit(request, False, "locked out after repeated failures")
        response = HttpResponse("Too many failed sign-in attempts; try again later.", status=429,
                                content_type="text/plain")
        response["Retry-After"] = str(lockout)
        return response

    def __call__(self, request):
        if iscoroutinefunction(self):
            return self.__acall__(request)
        key = self._key(request)
        if key is None:
            return self.get_response(request)
        limit, lockout = self._limits()
        if (cache.get(key) or 0) >= limit:
            return self._locked_out(request, lockout)
        response = self.get_response(request)
        self._record(request, key, response, lockout)
        return response

    async def __acall__(self, request):
        key = await sync_to_async(self._key)(request)
        if key is None:
            return await self.get_response(request)
        limit, lockout = self._limits()
        if (await cache.aget(key) or 0) >= limit:
            return await sync_to_async(self._locked_out)(request, lockout)
        response = await self.get_response(request)
        await sync_to_async(self._record)(request, key, response, lockout)
        return response

    @classmethod
    def _record(cls, request, key: str, response, lockout: int) -> None:
        """Count a failure or clear the count, and write the audit row either way."""
        if response.status_code == 200:  # the form again: wrong username or password
            cls._audit(request, False, "wrong username or password")
            if not cache.add(key, 1, timeout=lockout):
                try:
                    cache.incr(key)
                except ValueError:
                    cache.add(key, 1, timeout=lockout)
        elif response.status_code in (301, 302, 303):
            cls._audit(request, True, "signed in")
            cache.delete(key)


class StaffStockAuditMiddleware:
    """Writes the audit entry for a staff user's stock-changing API call, with its outcome.

    ``ScopePermission`` marks the request once it has let a staff session through to such an
    operation; only here, with the response in hand, is it known whether stock changed.
    """

    sync_capable = True
    async_capable = True

    def __init__(self, get_response):
        self.get_response = get_response
        if iscoroutinefunction(get_response):
            markcoroutinefunction(self)

    def __call__(self, request):
        if iscoroutinefunction(self):
            return self.__acall__(request)
        response = self.get_response(request)
        if getattr(request, "staff_stock_scope", None):
            self._record(request, response)
        return response

    async def __acall__(self, request):
        response = await self.get_response(request)
        if getattr(request, "staff_stock_scope", None):
            await sync_to_async(self._record)(request, response)
        return response

    @staticmethod
    def _record(request, response) -> None:
        from hotsauce.proxies import client_ip
        from partners.models import AuthAuditLog
        from partners.services import audit_record

        principal = getattr(request, "user", None)
        replayed = response.get("Idempotent-Replayed") == "true"
        audit_record(event=AuthAuditLog.Event.STAFF_STOCK_CHANGE, success=response.status_code < 400 and not replayed,
                     user=getattr(principal, "user", None), client_identifier=str(getattr(principal, "user", "")),
                     ip=client_ip(request), method=request.method, path=request.path,
                     detail=f"{request.staff_stock_scope}: {response.status_code}" + (" (replay)" if replayed else ""))
