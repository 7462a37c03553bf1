"""Project-level checks: schema, migrations, deploy settings, health endpoints."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from openapi_spec_validator import validate
from rest_framework.test import APIClient

ROOT = Path(__file__).resolve().parent.parent


def test_openapi_schema_is_valid_and_camel_case(db):
    response = APIClient().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    schema = json.loads(response.content)
    validate(schema)
    item = schema["components"]["schemas"]["InventoryItem"]["properties"]
    assert {"supplierId", "inventoryLevel", "availableQuantity", "onHoldQuantity"} <= set(item)
    assert "oauth2" in schema["components"]["securitySchemes"]
    operation = schema["paths"]["/api/v1/inventory/{supplierId}/{productId}"]["post"]
    assert "409" in operation["responses"]
    assert any(p["name"] == "Idempotency-Key" and p["required"] for p in operation["parameters"])


def test_docs_pages_are_served(db):
    client = APIClient()
    assert client.get("/api/docs/").status_code == 200
    assert client.get("/api/redoc/").status_code == 200


def test_migrations_are_complete(db):
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)


def test_check_deploy_is_clean_with_production_settings(tmp_path):
    env = dict(os.environ, DEBUG="0", SECRET_KEY="x" * 20 + "Q9#kf81lz0-mZ2vP7wq3Lr8sT4uY6bN1cE5dH",
               ALLOWED_HOSTS="inventory.hotsauce.example", HOTSAUCE_VAR_DIR=str(tmp_path))
    result = subprocess.run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_healthz_is_always_ok(db):
    assert APIClient().get("/healthz").status_code == 200


def test_readyz_reports_database_and_broker(db):
    response = APIClient().get("/readyz")
    body = response.json()
    assert body["checks"]["database"] == "ok"
    assert response.status_code == (200 if body["checks"]["broker"] == "ok" else 503)


def test_readyz_is_503_when_the_broker_is_unreachable(db, settings):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {}
    response = APIClient().get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["broker"] != "ok"


@pytest.mark.parametrize("var,value", [("DEBUG", "maybe"), ("API_RATE_LIMIT", "lots"),
                                       ("WEBHOOK_RETRY_SCHEDULE", "5,x")])
def test_bad_settings_fail_at_start_with_a_clear_message(var, value, tmp_path):
    env = dict(os.environ, HOTSAUCE_VAR_DIR=str(tmp_path))
    env[var] = value
    result = subprocess.run([sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode != 0
    assert var in result.stderr
