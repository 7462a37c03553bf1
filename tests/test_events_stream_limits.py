"""Bounded streams (issue 12): caps per client, and no database connection held while waiting.

Served by the real ASGI server (uvicorn in a subprocess) on PostgreSQL, as in production.
The figure: the server never holds more than DATABASE_POOL_MAX_SIZE + 1 connections
(the pool, plus the one LISTEN connection), whatever the number of streams.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from partners.models import Supplier
from tests.test_events_feed import emit
from tests.test_events_stream_server import BASE_DIR, _connections_to_test_db, _free_port
from tests.test_webhooks_e2e import _test_database_url

POOL = 10
STREAMS = 50
CALLS = 200


@contextmanager
def uvicorn(**env_extra):
    port = _free_port()
    var_dir = tempfile.TemporaryDirectory(prefix="hs_stream_limits_")
    env = {**os.environ, "DATABASE_URL": _test_database_url(), "HOTSAUCE_VAR_DIR": var_dir.name,
           "API_RATE_LIMIT": "100000/min", **env_extra}
    log_path = Path(var_dir.name) / "uvicorn.log"
    log = open(log_path, "w")  # noqa: SIM115 (closed below)
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "uvicorn"), "hotsauce.asgi:application", "--host", "127.0.0.1",
         "--port", str(port), "--no-access-log"], cwd=BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                if httpx.get(f"{base}/healthz", trust_env=False).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "uvicorn did not start: " + log_path.read_text()[-2000:]
            time.sleep(0.2)
        yield base, log_path
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()
        var_dir.cleanup()


def _in_thread(fn, *args, **kwargs):
    """Run a database call in a worker thread and close that thread's connection after."""
    from django.db import connection

    def run():
        try:
            return fn(*args, **kwargs)
        finally:
            connection.close()

    return asyncio.to_thread(run)


def _sampled_connections() -> int:
    """Connections as a sampling thread counts them (this test's own included)."""
    from django.db import connection

    def run():
        try:
            return _connections_to_test_db()
        finally:
            connection.close()

    result = []
    thread = threading.Thread(target=lambda: result.append(run()))
    thread.start()
    thread.join()
    return result[0]


def _activity() -> list:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT application_name, state, left(query, 80) FROM pg_stat_activity "
                       "WHERE datname = current_database() AND pid <> pg_backend_pid()")
        return cursor.fetchall()


class ConnectionSampler:
    """The most connections to the test database seen while it runs (our own excluded)."""

    def __init__(self):
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        from django.db import connection

        try:
            while not self._stop.is_set():
                self.peak = max(self.peak, _connections_to_test_db())
                self._stop.wait(0.05)
        finally:
            connection.close()

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


async def _open_streams(base: str, token: str, n: int):
    client = httpx.AsyncClient(trust_env=False, timeout=60, limits=httpx.Limits(max_connections=n + 10))
    headers = {"Authorization": f"Bearer {token}"}

    async def one():
        return await client.send(client.build_request("GET", f"{base}/api/v1/events/stream", headers=headers),
                                 stream=True)

    responses = await asyncio.gather(*(one() for _ in range(n)))
    return client, responses


async def _calls(base: str, token: str, n: int, path: str):
    async with httpx.AsyncClient(trust_env=False, timeout=60,
                                 limits=httpx.Limits(max_connections=n)) as client:
        return await asyncio.gather(*(client.get(f"{base}{path}", headers={"Authorization": f"Bearer {token}"})
                                      for _ in range(n)))


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_fifty_streams_of_one_client_hit_the_cap_and_other_tenants_are_served(supplier_caller,
                                                                              other_supplier_caller):
    baseline = _sampled_connections()  # this test's own
    with uvicorn(DATABASE_POOL_MAX_SIZE=str(POOL), SSE_MAX_STREAMS_PER_CLIENT="5") as (base, log_path):

        async def scenario():
            client, streams = await _open_streams(base, supplier_caller.token, STREAMS)
            try:
                # The open ones have started (their first frame), then another tenant calls at once.
                opened = [r for r in streams if r.status_code == 200]
                for response in opened:
                    assert await response.aiter_lines().__anext__() == ": stream open"
                with ConnectionSampler() as sampler:
                    calls = await _calls(base, other_supplier_caller.token, CALLS,
                                         "/api/v1/inventory/SUP400/HOTSAUCE106")
                refusals = [r for r in streams if r.status_code != 200]
                bodies = [json.loads(await r.aread()) for r in refusals]
                return streams, refusals, bodies, calls, sampler.peak
            finally:
                for response in streams:
                    await response.aclose()
                await client.aclose()

        streams, refusals, bodies, calls, peak = asyncio.run(scenario())
        statuses = sorted(r.status_code for r in streams)
        assert statuses == [200] * 5 + [429] * (STREAMS - 5), log_path.read_text()[-3000:]
        assert all(r.headers["content-type"].startswith("application/problem+json") for r in refusals)
        assert all(int(r.headers["Retry-After"]) > 0 for r in refusals)
        assert {b["code"] for b in bodies} == {"rate_limited"} and {b["status"] for b in bodies} == {429}
        assert [c.status_code for c in calls] == [200] * CALLS, log_path.read_text()[-4000:]
        held = peak - baseline
        assert held <= POOL + 1, f"the server held {held} connections (pool {POOL} + 1 listener allowed)"
        print(f"\nserver's peak connections with {STREAMS} stream attempts and {CALLS} concurrent calls: {held}")

        # The slots come back when the streams close.
        async def reopen():
            client, again = await _open_streams(base, supplier_caller.token, 5)
            try:
                return [r.status_code for r in again]
            finally:
                for response in again:
                    await response.aclose()
                await client.aclose()

        assert asyncio.run(reopen()) == [200] * 5


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_idle_streams_hold_no_connection_and_still_get_live_events(supplier_caller):
    """Without a pool a held connection would show: five idle streams leave only the listener."""
    sup = Supplier.objects.get(code="SUP123")
    start = emit("inventory.updated", suppliers=[sup.pk], n=0).sequence
    with uvicorn() as (base, _log):
        baseline = _sampled_connections()

        async def scenario():
            client = httpx.AsyncClient(trust_env=False, timeout=60)
            headers = {"Authorization": f"Bearer {supplier_caller.token}", "Last-Event-ID": str(start)}
            streams = [await client.send(client.build_request("GET", f"{base}/api/v1/events/stream",
                                                              headers=headers), stream=True) for _ in range(5)]
            lines = [r.aiter_lines() for r in streams]
            try:
                assert [r.status_code for r in streams] == [200] * 5
                for it in lines:
                    assert await it.__anext__() == ": stream open"
                idle = None
                deadline = time.monotonic() + 20
                while time.monotonic() < deadline:  # the opening reads hand their connections back
                    await asyncio.sleep(0.3)
                    idle = await _in_thread(_connections_to_test_db)
                    if idle <= baseline + 1:
                        break
                held = await _in_thread(_activity)
                live = await _in_thread(emit, "inventory.updated", suppliers=[sup.pk], n=1)
                got = []
                for it in lines:
                    async for line in it:
                        if line.startswith("data: "):
                            got.append(json.loads(line[len("data: "):])["sequence"])
                            break
                return idle, live.sequence, got, held
            finally:
                for response in streams:
                    await response.aclose()
                await client.aclose()

        idle, live, got, held = asyncio.run(asyncio.wait_for(scenario(), timeout=120))
        # One connection for the whole process (LISTEN); none per stream.
        assert idle <= baseline + 1, f"{idle - baseline} connections held by 5 idle streams: {held}"
        assert got == [live] * 5
