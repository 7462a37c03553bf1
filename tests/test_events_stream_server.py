"""The SSE stream served by the real ASGI server (uvicorn in a subprocess)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import pytest
from django.db import connection

from partners.models import Supplier
from tests.test_events_feed import emit
from tests.test_webhooks_e2e import _test_database_url

BASE_DIR = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _connections_to_test_db() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                       "AND pid <> pg_backend_pid()")
        return cursor.fetchone()[0]


@pytest.fixture
def server():
    port = _free_port()
    var_dir = tempfile.TemporaryDirectory(prefix="hs_webhooks_uvicorn_")
    env = {**os.environ, "DATABASE_URL": _test_database_url(), "HOTSAUCE_VAR_DIR": var_dir.name}
    log = open(Path(var_dir.name) / "uvicorn.log", "w")  # noqa: SIM115 (closed below)
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "uvicorn"), "hotsauce.asgi:application", "--host", "127.0.0.1",
         "--port", str(port), "--no-access-log"], cwd=BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/healthz", trust_env=False).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.2)
    else:
        process.terminate()
        raise AssertionError("uvicorn did not start: " + (Path(var_dir.name) / "uvicorn.log").read_text()[-2000:])
    yield base
    process.terminate()
    process.wait(timeout=20)
    log.close()
    var_dir.cleanup()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_stream_over_uvicorn_delivers_live_events_and_frees_its_connection(supplier_caller, server):
    sup = Supplier.objects.get(code="SUP123")
    before = emit("inventory.updated", suppliers=[sup.pk], n=0)
    baseline = _connections_to_test_db()
    received = []
    headers = {"Authorization": f"Bearer {supplier_caller.token}", "Last-Event-ID": str(before.sequence)}
    with httpx.Client(trust_env=False, timeout=30) as client, \
            client.stream("GET", f"{server}/api/v1/events/stream", headers=headers) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        lines = response.iter_lines()
        assert next(lines) == ": stream open"
        live = [emit("inventory.updated", suppliers=[sup.pk], n=i) for i in (1, 2)]  # after the stream opened
        for line in lines:
            if line.startswith("data: "):
                received.append(json.loads(line[len("data: "):]))
                if len(received) == 2:
                    break
    assert [e["sequence"] for e in received] == [e.sequence for e in live]
    # The client hung up: the stream's database connection must go with it.
    deadline = time.monotonic() + 20
    while _connections_to_test_db() > baseline and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _connections_to_test_db() <= baseline
