"""Per-client rate limits on the shared cache (Redis in production, the database otherwise).

Fixed windows that open at a client's first call. On Redis one Lua ``EVAL`` on the
process's reused client counts and opens the window atomically (one round trip per
request); on the database cache two processes may occasionally lose a count between them,
which errs towards letting a call through. The key is the client
(``Principal.key``), never the IP: partners behind one NAT must not share a budget, and a
client with many API keys must not multiply its own.

The limit is enforced from ``ScopePermission`` *before* the scope check, so a client hammering
endpoints it may not call is slowed down as well, and a refused call still carries the
``RateLimit`` and ``RateLimit-Policy`` headers (draft-ietf-httpapi-ratelimit-headers).
Calls without valid credentials are counted per IP against ``API_ANON_RATE_LIMIT``, which
slows down key guessing without ever touching authenticated partners' budgets.
"""

from __future__ import annotations

import re
import time

from django.conf import settings
from django.core.cache import cache
from rest_framework import exceptions
from rest_framework.throttling import BaseThrottle

from hotsauce import metrics
from hotsauce.shared_redis import redis_client, redis_key
from partners.principal import Principal

_UNITS = {"s": 1, "sec": 1, "second": 1, "m": 60, "min": 60, "minute": 60, "h": 3600, "hour": 3600,
          "d": 86400, "day": 86400}
_RATE = re.compile(r"^\s*(\d+)\s*/\s*([a-z]+)\s*$")


def parse_rate(rate: str) -> tuple[int, int]:
    match = _RATE.match(rate or "")
    if not match or match.group(2) not in _UNITS:
        raise ValueError(f"Bad rate {rate!r}; use e.g. '600/min'.")
    return int(match.group(1)), _UNITS[match.group(2)]


def client_rate(principal: Principal) -> str:
    """The client's own override when it has a valid one, else the default."""
    client = principal.client
    if client is not None and client.rate_limit:
        try:
            parse_rate(client.rate_limit)
            return client.rate_limit
        except ValueError:  # a bad override must not lift the limit altogether
            pass
    return settings.API_RATE_LIMIT


def _count(key: str, window: int) -> int:
    if cache.add(key, 1, timeout=window + 5):
        return 1
    try:
        return cache.incr(key)
    except ValueError:  # the window expired between add and incr
        cache.add(key, 1, timeout=window + 5)
        return 1


# One round trip: count, and open the window (its expiry) on the first call. The remaining
# time of the window comes back with the count, so the reset told to the client is exact.
_WINDOW_SCRIPT = """
local count = redis.call('INCR', KEYS[1])
local left = redis.call('PTTL', KEYS[1])
if left < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  left = tonumber(ARGV[1])
end
return {count, left}
"""


def _window_count(identity: str, window: int, now: float) -> tuple[int, float]:
    """(calls so far in the caller's current window, when that window started).

    The window opens at the caller's first call, not on the wall clock's minute: a burst
    that happens to straddle a minute boundary must not get twice its allowance, and the
    reset time told to the client is then exact. On Redis this is one ``EVAL`` on the
    process's reused client (``hotsauce.shared_redis``).
    """
    client = redis_client()
    if client is not None:
        count, left_ms = client.eval(_WINDOW_SCRIPT, 1, redis_key(f"ratelimit:{identity}:{window}"), window * 1000)
        return int(count), now - window + int(left_ms) / 1000
    start_key, count_key = f"ratelimit:{identity}:{window}:start", f"ratelimit:{identity}:{window}:n"
    # The database cache (SQLite runs): get + set, so two processes may occasionally lose a
    # count between them, which errs towards letting a call through.
    if cache.add(count_key, 1, timeout=window):
        cache.set(start_key, now, timeout=window)
        return 1, now
    start = cache.get(start_key) or now
    count = (cache.get(count_key) or 0) + 1
    cache.set(count_key, count, timeout=max(1, int(start + window - now + 0.999)))
    return count, start


def window_check(identity: str, rate: str, policy: str) -> dict:
    """Count one call of ``identity`` against ``rate``; the window's state (``allowed``, ``reset``...)."""
    limit, window = parse_rate(rate)
    now = time.time()
    count, start = _window_count(identity, window, now)
    return {
        "policy": policy, "limit": limit, "window": window, "remaining": max(0, limit - count),
        "reset": max(1, min(window, int(start + window - now + 0.999))), "allowed": count <= limit,
    }


def _check(request, identity: str, rate: str, policy: str) -> dict:
    state = window_check(identity, rate, policy)
    request._ratelimit = state
    if not state["allowed"]:
        metrics.rate_limited(_who(request, policy))
    return state


def _who(request, policy: str) -> str:
    principal = request.__dict__.get("_user")
    if policy != "default" or not isinstance(principal, Principal):
        return "anonymous"  # never the address: one label per attacking IP would flood Prometheus
    return principal.client.client_id if principal.client is not None else f"staff:{principal.user.pk}"


def rate_limit_state(request) -> dict:
    """Count this request once (whoever asks first) and return the window's state."""
    state = getattr(request, "_ratelimit", None)
    if state is not None:
        return state
    # Only a principal already resolved: never authenticate from here.
    principal = request.__dict__.get("_user")
    if isinstance(principal, Principal):
        return _check(request, principal.key, client_rate(principal), "default")
    from hotsauce.proxies import client_ip

    return _check(request, f"anon:{client_ip(request) or '-'}", getattr(settings, "API_ANON_RATE_LIMIT", "6000/min"),
                  "anonymous")


def rate_limit_enforce(request) -> None:
    state = rate_limit_state(request)
    if not state["allowed"]:
        raise exceptions.Throttled(wait=state["reset"])


class ClientRateThrottle(BaseThrottle):
    """Kept in DEFAULT_THROTTLE_CLASSES for views that override the permission classes."""

    def allow_request(self, request, view) -> bool:
        state = rate_limit_state(request)
        self._wait = state["reset"]
        return state["allowed"]

    def wait(self):
        return getattr(self, "_wait", 1)


def ratelimit_headers(request) -> dict[str, str]:
    state = getattr(request, "_ratelimit", None)
    if state is None:
        # Refused before the permission check ran (bad credentials): count it against the
        # caller's IP so guessing keys is limited too, and still answer with the headers.
        try:
            state = rate_limit_state(request)
        except Exception:  # a cache outage must not turn an error answer into a 500
            return {}
    name = state["policy"]
    return {
        "RateLimit-Policy": f'"{name}";q={state["limit"]};w={state["window"]}',
        "RateLimit": f'"{name}";r={state["remaining"]};t={state["reset"]}',
    }


# --- failed-credential lockouts (token endpoint) ----------------------------------------------


def _failure_key(scope: str, identity: str) -> str:
    import hashlib

    return f"failures:{scope}:{hashlib.sha256(identity.encode()).hexdigest()}"


def failures_exceeded(scope: str, identity: str, limit: int) -> bool:
    return (cache.get(_failure_key(scope, identity)) or 0) >= limit


def failure_record(scope: str, identity: str, window: int) -> None:
    _count(_failure_key(scope, identity), window)
