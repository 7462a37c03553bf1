"""One log line per request with who, what, how long and how much database time; LOG_FORMAT strict."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings as django_settings

BASE_DIR = Path(__file__).resolve().parent.parent


def test_request_line_names_request_id_client_route_status_duration_and_database_time(supplier_caller, caplog):
    with caplog.at_level(logging.INFO, logger="hotsauce.request"):
        response = supplier_caller.get("/api/v1/inventory/SUP123/HOTSAUCE789", HTTP_X_REQUEST_ID="log-test-1")
    assert response.status_code == 200
    [record] = [r for r in caplog.records if r.name == "hotsauce.request" and r.request_id == "log-test-1"]
    assert record.client == supplier_caller.creds["clientId"]
    assert (record.method, record.path, record.status) == ("GET", "/api/v1/inventory/SUP123/HOTSAUCE789", 200)
    assert record.route == "api/v1/inventory/<str:supplierId>/<str:productId>"
    assert record.view == "inventory-item"
    assert record.duration_ms > 0 and record.db_queries > 0 and 0 < record.db_ms <= record.duration_ms
    assert record.getMessage().startswith("GET /api/v1/inventory/SUP123/HOTSAUCE789 200 ")


def test_json_formatter_writes_one_object_per_line_with_the_request_fields():
    spec = dict(django_settings.LOGGING["formatters"]["json"])
    factory = spec.pop("()")
    module, _, name = factory.rpartition(".")
    formatter = getattr(__import__(module, fromlist=[name]), name)(**spec)
    record = logging.LogRecord("hotsauce.request", logging.INFO, __file__, 1, "GET %s %s", ("/x", 200), None)
    record.request_id, record.status, record.db_ms = "abc", 200, 1.5
    line = formatter.format(record)
    assert "\n" not in line
    body = json.loads(line)
    assert body["logger"] == "hotsauce.request" and body["level"] == "INFO" and body["message"] == "GET /x 200"
    assert (body["request_id"], body["status"], body["db_ms"]) == ("abc", 200, 1.5) and "timestamp" in body


@pytest.mark.parametrize("value", ["xml", "JSONL"])
def test_unknown_log_format_stops_the_process_naming_the_variable(value):
    env = {**os.environ, "LOG_FORMAT": value}
    result = subprocess.run([sys.executable, "manage.py", "check"], cwd=BASE_DIR, env=env, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode != 0 and "LOG_FORMAT" in result.stderr
