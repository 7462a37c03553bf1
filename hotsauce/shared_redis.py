"""One Redis client per process, reused by the hot paths (rate limits, the token cache).

Django's Redis cache builds a new client object for every call and the old rate limiter
needed three or four commands per request; the hot paths here talk to the same Redis
through one long-lived client (redis-py's pool is thread-safe and re-opens its
connections after a fork) and one round trip each. Without Redis (SQLite runs) they fall
back to Django's cache, which is the database there.
"""

from __future__ import annotations

import pickle
import threading

from django.conf import settings
from django.core.cache import cache

_lock = threading.Lock()
_clients: dict[str, object] = {}


def redis_client():
    """The process's client for the cache's Redis, or None when the cache is not Redis."""
    config = settings.CACHES["default"]
    if "redis" not in config["BACKEND"].lower():
        return None
    location = config["LOCATION"]
    client = _clients.get(location)
    if client is None:
        import redis

        with _lock:
            client = _clients.get(location)
            if client is None:
                client = _clients[location] = redis.Redis.from_url(
                    location, socket_connect_timeout=2, socket_timeout=2, health_check_interval=30)
    return client


def redis_key(name: str) -> str:
    """Keys share the cache's prefix, so one Redis database can serve several deployments."""
    return f"{settings.CACHES['default'].get('KEY_PREFIX', '')}:{name}"


# --- small pickled values (Django's cache API, one round trip each on Redis) --------------


def value_get(name: str):
    client = redis_client()
    if client is None:
        return cache.get(name)
    raw = client.get(redis_key(name))
    return pickle.loads(raw) if raw is not None else None  # noqa: S301 - our own Redis, our own values


def value_add(name: str, value, seconds: int) -> bool:
    """Store unless the key exists (a tombstone must win over a late writer)."""
    client = redis_client()
    if client is None:
        return cache.add(name, value, timeout=seconds)
    return bool(client.set(redis_key(name), pickle.dumps(value), ex=seconds, nx=True))


def value_set(name: str, value, seconds: int) -> None:
    client = redis_client()
    if client is None:
        cache.set(name, value, timeout=seconds)
    else:
        client.set(redis_key(name), pickle.dumps(value), ex=seconds)


def values_delete(names: list[str]) -> None:
    if not names:
        return
    client = redis_client()
    if client is None:
        cache.delete_many(names)
    else:
        client.delete(*[redis_key(name) for name in names])
