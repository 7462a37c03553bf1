"""``hotsauce.asgi:application`` under uvicorn: the API on Django's WSGI handler (a fixed thread pool),
the event stream on ASGI, both from the one entry point (issue 19)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx
import pytest
from django.db import connection

from hotsauce import asgi
from partners.models import Supplier
from tests.test_events_feed import emit
from tests.test_events_stream_server import _free_port
from tests.test_webhooks_e2e import _test_database_url

BASE_DIR = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("scope,wsgi", [
    ({"type": "http", "path": "/api/v1/inventory/SUP123/HOTSAUCE789"}, True),
    ({"type": "http", "path": "/healthz"}, True),
    ({"type": "http", "path": "/admin/"}, True),
    ({"type": "http", "path": "/api/v1/events"}, True),
    ({"type": "http", "path": "/api/v1/events/stream"}, False),
    ({"type": "lifespan"}, False),
    ({"type": "websocket", "path": "/api/v1/inventory"}, False),
])
def test_only_the_event_stream_and_non_http_stay_on_asgi(scope, wsgi):
    assert asgi.served_by_wsgi(scope) is wsgi


def _server_connections() -> set[int]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                       "AND pid <> pg_backend_pid()")
        return {row[0] for row in cursor.fetchall()}


@pytest.fixture
def pooled_server():
    port = _free_port()
    var_dir = tempfile.TemporaryDirectory(prefix="hs_entry_uvicorn_")
    env = {**os.environ, "DATABASE_URL": _test_database_url(), "HOTSAUCE_VAR_DIR": var_dir.name,
           "DATABASE_POOL_MAX_SIZE": "4", "WSGI_THREADS": "2"}
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
def test_the_entry_point_serves_the_api_and_the_stream(supplier_caller, pooled_server):
    sup = Supplier.objects.get(code="SUP123")
    headers = {"Authorization": f"Bearer {supplier_caller.token}"}
    before = emit("inventory.updated", suppliers=[sup.pk], n=0)
    with httpx.Client(base_url=pooled_server, headers=headers, trust_env=False, timeout=30) as api:
        item = api.get("/api/v1/inventory/SUP123/HOTSAUCE789")
        assert item.status_code == 200 and item.json()["productId"] == "HOTSAUCE789"
        assert item.headers["etag"] == f'"{item.json()["version"]}"'
        # A write with a body and an idempotent replay, through the WSGI handler.
        body = {"type": "receipt", "quantity": 5, "warehouseLocation": "Warehouse_A", "batchNumber": "BATCH202406"}
        key = {"Idempotency-Key": str(uuid.uuid4())}
        first = api.post("/api/v1/inventory/SUP123/HOTSAUCE789", json=body, headers=key)
        again = api.post("/api/v1/inventory/SUP123/HOTSAUCE789", json=body, headers=key)
        assert first.status_code == again.status_code == 201, first.text
        assert again.headers["idempotent-replayed"] == "true" and again.content == first.content
        # A problem answer keeps its content type and shape.
        missing = api.get("/api/v1/inventory/SUP123/NOPE")
        assert missing.status_code == 404 and missing.headers["content-type"] == "application/problem+json"
        # Many requests share the pool's connections: no new connection per request.
        opened = _server_connections()
        for _ in range(20):
            assert api.get("/api/v1/inventory/SUP123/HOTSAUCE789").status_code == 200
        assert len(_server_connections()) <= 4, "more connections than the pool holds"
        assert opened  # the pool kept connections open between requests
    received = []
    stream_headers = {**headers, "Last-Event-ID": str(before.sequence)}
    with httpx.Client(trust_env=False, timeout=30) as client, \
            client.stream("GET", f"{pooled_server}/api/v1/events/stream", headers=stream_headers) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        lines = response.iter_lines()
        assert next(lines) == ": stream open"
        for line in lines:
            if line.startswith("data: "):
                received.append(json.loads(line[len("data: "):]))
                if received[-1]["type"] == "inventory.updated" and received[-1]["data"].get("change"):
                    break
    # The receipt made above reaches the stream (its event follows the cursor).
    assert received[-1]["data"]["change"]["type"] == "receipt"
