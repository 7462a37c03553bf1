"""What keeps Server-Sent Event streams cheap: one wake-up source per process, and caps.

An open stream must not hold a database connection while it waits (issue 12: fifty
streams of one client exhausted PostgreSQL). So a stream waits on this process's hub, and
only reads the feed (``webhooks.selectors``) when woken, briefly, handing the connection
back after every read (``stream_read``).

Wake-ups come from:
- PostgreSQL: ``event_emit`` sends ``NOTIFY`` inside the event's transaction, so it is
  delivered exactly when the event commits (never for a rollback); one thread per process
  ``LISTEN``s on one dedicated connection and fans out to the streams it concerns.
- elsewhere (SQLite): the writing process wakes its own streams after commit; events
  written by other processes (the Celery worker) are found by short polls, with the
  connection closed between polls.

Caps: at most ``SSE_MAX_STREAMS_PER_CLIENT`` streams per API client (across processes
when ``REDIS_URL`` is set: leases in Redis that expire if a process dies; otherwise per
process) and ``SSE_MAX_STREAMS_PER_PROCESS`` per process.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
import uuid
from collections.abc import Iterable
from functools import partial

from django.conf import settings
from django.db import connection, connections, transaction

logger = logging.getLogger("hotsauce.webhooks")

CHANNEL = "hotsauce_events"
# NOTIFY payloads are limited to 8000 bytes; past this, every stream is woken instead.
PAYLOAD_LIMIT = 7000
LISTEN_TIMEOUT_SECONDS = 2.0
# With no stream open for this long the listener lets its connection go (it comes back
# with the next stream), so a process without streams holds no connection either.
LISTENER_IDLE_SECONDS = 5.0
RECONNECT_MAX_SECONDS = 30.0
# A lease outlives a few missed refreshes (streams refresh on every keep-alive).
LEASE_SECONDS = 60


def _key(kind: str, partner_id) -> str:
    return f"{kind}:{partner_id}"


def audience_key(audience: tuple[str, int] | None) -> str | None:
    """The hub's key for a reader (``selectors.audience_of``); None reads every event."""
    return None if audience is None else _key(*audience)


# --- publishing (inside the event's transaction) --------------------------------------------


def notify_keys(audience_pairs: Iterable[tuple[str, int]]) -> list[str]:
    """The hub keys an event wakes (also what the inventory fast path puts in its ``pg_notify``)."""
    return sorted({_key(kind, pk) for kind, pk in audience_pairs})


def stream_notify(*, sequence: int, type: str, audience_pairs: Iterable[tuple[str, int]]) -> None:
    """Wake the streams that may see this event once its transaction commits."""
    streams_notify([(sequence, type, audience_pairs)])


def streams_notify(events: list[tuple[int, str, Iterable[tuple[str, int]]]]) -> None:
    """``stream_notify`` for several events (sequence, type, audience pairs) of one transaction: one statement."""
    payloads = []
    for sequence, type, audience_pairs in events:
        keys = notify_keys(audience_pairs)
        if not settings.IS_POSTGRES:
            transaction.on_commit(partial(HUB.publish, sequence, type, frozenset(keys)))
            continue
        payload = f"{sequence}|{type}|{','.join(keys)}"
        payloads.append(payload if len(payload) <= PAYLOAD_LIMIT else f"{sequence}|{type}|*")
    if not payloads:
        return
    with connection.cursor() as cursor:
        # Transactional: delivered at commit, dropped with a rollback.
        if len(payloads) == 1:
            cursor.execute("SELECT pg_notify(%s, %s)", [CHANNEL, payloads[0]])
        else:  # in sequence order, as the listener expects
            cursor.execute("SELECT pg_notify(%s, p.payload) FROM unnest(%s::text[]) WITH ORDINALITY AS p(payload, n) "
                           "ORDER BY p.n", [CHANNEL, payloads])


# --- the hub ------------------------------------------------------------------------------


class Waiter:
    """One stream's place in the hub: woken for events of its audience and types."""

    def __init__(self, audience: str | None, types: list[str] | None):
        self.audience = audience  # None: the brand, every event
        self.types = frozenset(types) if types else None
        # Highest sequence announced for this stream; it reads until it has passed it.
        self.target = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._async_flag: asyncio.Event | None = None
        self._flag = threading.Event()

    def bind_loop(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._async_flag = asyncio.Event()

    def concerns(self, type: str, keys: frozenset[str] | None) -> bool:
        if self.types is not None and type and type not in self.types:
            return False
        return self.audience is None or keys is None or self.audience in keys

    def wake(self, sequence: int = 0) -> None:
        self.target = max(self.target, sequence)
        if self._loop is None:
            self._flag.set()
            return
        try:
            self._loop.call_soon_threadsafe(self._async_flag.set)
        except RuntimeError:  # the stream's loop has closed; it is going away
            pass

    async def wait(self, timeout: float) -> bool:
        try:
            await asyncio.wait_for(self._async_flag.wait(), timeout=max(timeout, 0))
        except TimeoutError:
            return False
        finally:
            self._async_flag.clear()
        return True

    def wait_sync(self, timeout: float) -> bool:
        woke = self._flag.wait(max(timeout, 0))
        self._flag.clear()
        return woke


class StreamHub:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._waiters: set[Waiter] = set()
        self._listener: threading.Thread | None = None
        self._listening = threading.Event()
        self._stop = threading.Event()

    def subscribe(self, audience: str | None, types: list[str] | None) -> Waiter:
        waiter = Waiter(audience, types)
        with self._lock:
            self._waiters.add(waiter)
        if settings.IS_POSTGRES:
            self._ensure_listener()
        return waiter

    def unsubscribe(self, waiter: Waiter) -> None:
        with self._lock:
            self._waiters.discard(waiter)

    @property
    def listening(self) -> bool:
        """Whether wake-ups arrive for every process's events (else streams must also poll)."""
        return self._listening.is_set()

    def publish(self, sequence: int, type: str, keys: frozenset[str] | None) -> None:
        with self._lock:
            waiters = [w for w in self._waiters if w.concerns(type, keys)]
        for waiter in waiters:
            waiter.wake(sequence)

    def wake_all(self) -> None:
        with self._lock:
            waiters = list(self._waiters)
        for waiter in waiters:
            waiter.wake()

    def open_count(self) -> int:
        with self._lock:
            return len(self._waiters)

    # PostgreSQL LISTEN, one thread and one connection per process -----------------------

    def _ensure_listener(self) -> None:
        with self._lock:
            if self._listener is not None and self._listener.is_alive():
                return
            self._stop.clear()
            self._listener = threading.Thread(target=self._listen_forever, args=(_conninfo(),),
                                              name="sse-listener", daemon=True)
            self._listener.start()

    def stop(self) -> None:
        """Stop listening (tests; a process exit needs nothing: the thread is a daemon)."""
        self._stop.set()
        listener = self._listener
        if listener is not None:
            listener.join(timeout=LISTEN_TIMEOUT_SECONDS + 2)
        self._listener = None

    def _listen_forever(self, conninfo: str) -> None:
        import psycopg

        backoff = 0.5
        while not self._stop.is_set():
            try:
                with psycopg.connect(conninfo, autocommit=True) as conn:
                    conn.execute(f"LISTEN {CHANNEL}")
                    self._listening.set()
                    backoff = 0.5
                    # Whatever committed while nobody listened: every stream reads once.
                    self.wake_all()
                    idle_since = None
                    while not self._stop.is_set():
                        for note in conn.notifies(timeout=LISTEN_TIMEOUT_SECONDS):
                            self._dispatch(note.payload)
                        idle_since = None if self.open_count() else (idle_since or time.monotonic())
                        if idle_since is not None and time.monotonic() - idle_since >= LISTENER_IDLE_SECONDS \
                                and self._retire():
                            return
            except Exception:  # the database went away: streams poll until we are back
                logger.warning("SSE listener lost its connection; reconnecting in %.1f s", backoff, exc_info=True)
            self._listening.clear()
            self.wake_all()
            self._stop.wait(backoff)
            backoff = min(backoff * 2, RECONNECT_MAX_SECONDS)

    def _retire(self) -> bool:
        """Leave if still nobody listens; a stream subscribing meanwhile starts a new listener."""
        with self._lock:
            if self._waiters or self._listener is not threading.current_thread():
                return False
            self._listener = None
            self._listening.clear()
            return True

    def _dispatch(self, payload: str) -> None:
        try:
            sequence, type, keys = payload.split("|", 2)
            self.publish(int(sequence), type, None if keys == "*" else frozenset(filter(None, keys.split(","))))
        except ValueError:
            self.wake_all()


def _conninfo() -> str:
    from psycopg.conninfo import make_conninfo

    db = connections["default"].settings_dict
    params = {"dbname": db["NAME"], "user": db.get("USER"), "password": db.get("PASSWORD"),
              "host": db.get("HOST"), "port": db.get("PORT"), "application_name": "hotsauce-sse-listener"}
    return make_conninfo(**{k: str(v) for k, v in params.items() if v})


HUB = StreamHub()


# --- reads ----------------------------------------------------------------------------------


_readers: threading.BoundedSemaphore | None = None
_readers_lock = threading.Lock()


def _reader_slots() -> threading.BoundedSemaphore:
    global _readers
    with _readers_lock:
        if _readers is None:
            _readers = threading.BoundedSemaphore(settings.SSE_CONCURRENT_READS)
        return _readers


def release_connection() -> None:
    """Hand this thread's connection back (to the pool, or closed) so a waiting stream holds none.

    Inside a transaction (a test's) the connection is not ours to close.
    """
    if not connection.in_atomic_block:
        connection.close()


def stream_read(read, **kwargs):
    """One catch-up read: at most SSE_CONCURRENT_READS at once per process, connection released after."""
    with _reader_slots():
        try:
            return read(**kwargs)
        finally:
            release_connection()


# --- caps -------------------------------------------------------------------------------------


class StreamRefused(Exception):
    def __init__(self, status: int, detail: str, retry_after: int):
        super().__init__(detail)
        self.status, self.detail, self.retry_after = status, detail, retry_after


_ACQUIRE = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then return 0 end
redis.call('ZADD', KEYS[1], ARGV[3], ARGV[4])
redis.call('EXPIRE', KEYS[1], ARGV[5])
return 1
"""


class StreamSlots:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._process = 0
        self._local: dict[str, int] = {}
        self._redis = None

    def _client(self):
        if self._redis is None and settings.REDIS_URL:
            import redis

            self._redis = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=2)
        return self._redis

    @staticmethod
    def _redis_key(client_key: str) -> str:
        return f"{settings.CACHES['default'].get('KEY_PREFIX', 'hotsauce')}:sse:{client_key}"

    def acquire(self, client_key: str) -> Lease:
        with self._lock:
            if self._process >= settings.SSE_MAX_STREAMS_PER_PROCESS:
                raise StreamRefused(503, "This server holds as many event streams as it may; retry shortly "
                                         "(another instance may have room).", 5)
            self._process += 1
        try:
            lease = Lease(self, client_key, uuid.uuid4().hex)
            if not self._take(lease):
                raise StreamRefused(429, f"At most {settings.SSE_MAX_STREAMS_PER_CLIENT} event streams may be "
                                         "open at once per API client; close one first.", 15)
        except BaseException:
            with self._lock:
                self._process -= 1
            raise
        return lease

    def _take(self, lease: Lease) -> bool:
        limit = settings.SSE_MAX_STREAMS_PER_CLIENT
        client = self._client()
        if client is not None:
            now = time.time()
            return bool(client.eval(_ACQUIRE, 1, self._redis_key(lease.client_key), now, limit,
                                    now + LEASE_SECONDS, lease.member, LEASE_SECONDS * 2))
        with self._lock:
            if self._local.get(lease.client_key, 0) >= limit:
                return False
            self._local[lease.client_key] = self._local.get(lease.client_key, 0) + 1
        return True

    def refresh(self, lease: Lease) -> None:
        client = self._client()
        if client is not None:
            client.zadd(self._redis_key(lease.client_key), {lease.member: time.time() + LEASE_SECONDS}, xx=True)

    def release(self, lease: Lease) -> None:
        with self._lock:
            self._process -= 1
        client = self._client()
        if client is not None:
            try:
                client.zrem(self._redis_key(lease.client_key), lease.member)
            except Exception:  # the lease expires by itself
                logger.warning("could not release an SSE lease", exc_info=True)
            return
        with self._lock:
            left = self._local.get(lease.client_key, 1) - 1
            if left > 0:
                self._local[lease.client_key] = left
            else:
                self._local.pop(lease.client_key, None)


class Lease:
    def __init__(self, slots: StreamSlots, client_key: str, member: str):
        self.slots, self.client_key, self.member = slots, client_key, member
        self._released = False

    def refresh(self) -> None:
        try:
            self.slots.refresh(self)
        except Exception:
            logger.warning("could not refresh an SSE lease", exc_info=True)

    def release(self) -> None:
        if not self._released:
            self._released = True
            self.slots.release(self)


SLOTS = StreamSlots()
