"""Per-client rate limits on the shared cache (Redis in production, the database otherwise).

Fixed one-window counters: ``cache.add`` starts a window, ``cache.incr`` counts atomically
on Redis. The state is kept on the request so every response can carry ``RateLimit`` and
``RateLimit-Policy`` headers (draft-ietf-httpapi-ratelimit-headers).
"""

from __future__ import annotations

import re
import time

from django.conf import settings
from django.core.cache import cache
from rest_framework.throttling import BaseThrottle

from partners.principal import Principal

_UNITS = {"s": 1, "sec": 1, "second": 1, "m": 60, "min": 60, "minute": 60, "h": 3600, "hour": 3600,
          "d": 86400, "day": 86400}
_RATE = re.compile(r"^\s*(\d+)\s*/\s*([a-z]+)\s*$")


def parse_rate(rate: str) -> tuple[int, int]:
    match = _RATE.match(rate or "")
    if not match or match.group(2) not in _UNITS:
        raise ValueError(f"Bad rate {rate!r}")
    return int(match.group(1)), _UNITS[match.group(2)]


class ClientRateThrottle(BaseThrottle):
    def allow_request(self, request, view) -> bool:
        principal = request.user
        if not isinstance(principal, Principal):
            return True  # unauthenticated calls are refused before any work is done
        rate = settings.API_RATE_LIMIT
        if principal.client is not None and principal.client.rate_limit:
            rate = principal.client.rate_limit
        try:
            limit, window = parse_rate(rate)
        except ValueError:
            limit, window = parse_rate(settings.API_RATE_LIMIT)
        now = time.time()
        window_start = int(now // window) * window
        key = f"ratelimit:{principal.key}:{window}:{window_start}"
        if cache.add(key, 1, timeout=window + 5):
            count = 1
        else:
            try:
                count = cache.incr(key)
            except ValueError:  # expired between add and incr
                cache.add(key, 1, timeout=window + 5)
                count = 1
        reset = max(1, int(window_start + window - now + 0.999))
        request._ratelimit = {"limit": limit, "window": window, "remaining": max(0, limit - count),
                              "reset": reset}
        self._wait = reset
        return count <= limit

    def wait(self):
        return getattr(self, "_wait", 1)


def ratelimit_headers(request) -> dict[str, str]:
    state = getattr(request, "_ratelimit", None)
    if not state:
        return {}
    return {
        "RateLimit-Policy": f'"default";q={state["limit"]};w={state["window"]}',
        "RateLimit": f'"default";r={state["remaining"]};t={state["reset"]}',
    }
