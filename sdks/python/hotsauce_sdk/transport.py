"""What every request gets, whether made by ``HotSauce`` or by the generated operations.

An httpx transport, so the typed functions in ``hotsauce_sdk._generated.api`` and the
plain ``HotSauce.get/post`` share one implementation of tokens, keys and retries.
"""

from __future__ import annotations

import email.utils
import random
import threading
import time
import uuid
from collections.abc import Callable

import httpx

WRITES = {"POST", "PUT", "PATCH", "DELETE"}
SAFE = {"GET", "HEAD", "OPTIONS", "PUT", "DELETE"}  # idempotent by definition (RFC 9110 9.2.2)
RETRY_STATUSES = {429, 503}
NO_KEY = "hotsauce_no_idempotency_key"  # request extension: send this write without a key


class TokenSource:
    """OAuth 2.0 client credentials: one token at a time, fetched again shortly before it expires."""

    def __init__(self, token_url: str, client_id: str, client_secret: str, scope: str | None = None,
                 transport: httpx.BaseTransport | None = None, leeway: float = 60.0):
        self._url, self._id, self._secret, self._scope = token_url, client_id, client_secret, scope
        self._http = httpx.Client(transport=transport, timeout=30, trust_env=False)
        self._leeway = leeway
        self._lock = threading.Lock()
        self._token: str | None = None
        self._expires_at = 0.0

    def token(self, *, refresh: bool = False) -> str:
        with self._lock:
            if refresh or self._token is None or time.monotonic() >= self._expires_at:
                data = {"grant_type": "client_credentials"}
                if self._scope:
                    data["scope"] = self._scope
                response = self._http.post(self._url, data=data, auth=(self._id, self._secret))
                if response.status_code != 200:
                    from hotsauce_sdk.errors import problem_from_response

                    raise problem_from_response(response)
                body = response.json()
                self._token = body["access_token"]
                lifetime = float(body.get("expires_in", 3600))
                self._expires_at = time.monotonic() + max(lifetime - self._leeway, lifetime / 2)
            return self._token

    def close(self) -> None:
        self._http.close()


def retry_after_seconds(value: str | None) -> float | None:
    """``Retry-After`` as seconds from now: delta-seconds or an HTTP date (RFC 9110 10.2.3)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


class SdkTransport(httpx.BaseTransport):
    """Adds the bearer token and an Idempotency-Key, and retries what may be retried."""

    def __init__(self, inner: httpx.BaseTransport, *, tokens: TokenSource | None = None, api_key: str | None = None,
                 max_retries: int = 3, backoff: float = 0.5, max_delay: float = 30.0,
                 sleep: Callable[[float], None] = time.sleep):
        self.inner, self.tokens, self.api_key = inner, tokens, api_key
        self.max_retries, self.backoff, self.max_delay, self.sleep = max_retries, backoff, max_delay, sleep

    def _authorize(self, request: httpx.Request, *, refresh: bool = False) -> None:
        if self.api_key:
            request.headers["Authorization"] = f"ApiKey {self.api_key}"
        elif self.tokens is not None:
            request.headers["Authorization"] = f"Bearer {self.tokens.token(refresh=refresh)}"

    def _retryable(self, request: httpx.Request) -> bool:
        # A write without its key may have been applied already: sending it again could do it twice.
        return request.method in SAFE or bool(request.headers.get("Idempotency-Key"))

    def _delay(self, attempt: int, response: httpx.Response | None) -> float | None:
        """Seconds to wait before the next attempt, or None to give up (the server asked for too long)."""
        told = retry_after_seconds(response.headers.get("Retry-After")) if response is not None else None
        if told is not None:
            return told if told <= self.max_delay else None
        return min(self.max_delay, self.backoff * 2 ** attempt) * (0.5 + random.random() / 2)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if "Authorization" not in request.headers:
            self._authorize(request)
        if request.method in WRITES and "Idempotency-Key" not in request.headers \
                and not request.extensions.get(NO_KEY):
            request.headers["Idempotency-Key"] = str(uuid.uuid4())
        refreshed = False
        attempt = 0
        while True:
            try:
                response = self.inner.handle_request(request)
            except httpx.TransportError:
                if attempt >= self.max_retries or not self._retryable(request):
                    raise
                self.sleep(self._delay(attempt, None) or 0.0)
                attempt += 1
                continue
            if response.status_code == 401 and self.tokens is not None and not refreshed:
                response.close()
                refreshed = True
                self._authorize(request, refresh=True)
                continue
            delay = self._delay(attempt, response) if response.status_code in RETRY_STATUSES else None
            if delay is not None and attempt < self.max_retries and self._retryable(request):
                response.read()
                response.close()
                self.sleep(delay)
                attempt += 1
                continue
            return response

    def close(self) -> None:
        self.inner.close()
        if self.tokens is not None:
            self.tokens.close()
