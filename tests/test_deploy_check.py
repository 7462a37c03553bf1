"""Production settings: `check --deploy` is clean and the hardening is really in force."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

PROBE = r"""
import json, os
import django
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hotsauce.settings")
django.setup()
from django.conf import settings
from django.test import Client

plain, tls = Client(), Client(HTTP_X_FORWARDED_PROTO="https")
out = {}
r = plain.get("/api/v1/suppliers", HTTP_HOST="inventory.hotsauce.example")
out["redirect"] = [r.status_code, r.get("Location", "")]
out["healthz"] = plain.get("/healthz", HTTP_HOST="inventory.hotsauce.example").status_code
r = tls.get("/admin/login/", HTTP_HOST="inventory.hotsauce.example")
out["admin"] = [r.status_code, r.get("Strict-Transport-Security", ""),
                {name: bool(c["secure"]) for name, c in r.cookies.items()}]
r = tls.get("/api/v1/suppliers", HTTP_HOST="inventory.hotsauce.example")
out["api"] = [r.status_code, r.get("Strict-Transport-Security", ""), r.get("X-Content-Type-Options", "")]
out["bad_host"] = tls.get("/healthz", HTTP_HOST="evil.example").status_code
spoofed = Client(REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_PROTO="https")
r = spoofed.get("/api/v1/suppliers", HTTP_HOST="inventory.hotsauce.example")
out["spoofed_proto"] = [r.status_code, r.get("Location", "")]
r = tls.get("/definitely/not/here", HTTP_HOST="inventory.hotsauce.example")
out["not_found"] = [r.status_code, r.content.decode(errors="replace")[:2000]]
out["settings"] = {"DEBUG": settings.DEBUG, "SESSION_COOKIE_SECURE": settings.SESSION_COOKIE_SECURE,
                   "CSRF_COOKIE_SECURE": settings.CSRF_COOKIE_SECURE,
                   "SECURE_PROXY_SSL_HEADER": list(settings.SECURE_PROXY_SSL_HEADER),
                   "ALLOWED_HOSTS": settings.ALLOWED_HOSTS}
print("PROBE" + json.dumps(out))
"""


def production_env(tmp_path) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DEBUG", "SECURE_SSL_REDIRECT")}
    env.update(DEBUG="0", SECRET_KEY=secrets.token_urlsafe(50), ALLOWED_HOSTS="inventory.hotsauce.example",
               HOTSAUCE_VAR_DIR=str(tmp_path), TRUSTED_PROXIES="127.0.0.1/32")  # the test client is the proxy
    return env


def test_check_deploy_is_clean_with_production_settings(tmp_path):
    result = subprocess.run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
                            cwd=ROOT, env=production_env(tmp_path), capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


@pytest.fixture(scope="module")
def probe(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("prod")
    env = production_env(tmp)
    # A production database is migrated; without Redis the rate limiter's cache table lives there.
    migrate = subprocess.run([sys.executable, "manage.py", "migrate", "--no-input", "-v0"], cwd=ROOT, env=env,
                             capture_output=True, text=True, timeout=300)
    assert migrate.returncode == 0, migrate.stderr[-3000:]
    result = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    line = next(line for line in result.stdout.splitlines() if line.startswith("PROBE"))
    return json.loads(line[len("PROBE"):])


def test_plain_http_is_redirected_to_https_except_health_probes(probe):
    status, location = probe["redirect"]
    assert status == 301 and location.startswith("https://inventory.hotsauce.example/")
    assert probe["healthz"] == 200


def test_hsts_and_nosniff_are_sent_over_tls_behind_the_proxy(probe):
    status, hsts, nosniff = probe["api"]
    assert status == 401  # reached the API: the proxy's X-Forwarded-Proto was believed
    assert "max-age=31536000" in hsts and "includeSubDomains" in hsts
    assert nosniff == "nosniff"


def test_x_forwarded_proto_from_anyone_but_a_trusted_proxy_is_ignored(probe):
    status, location = probe["spoofed_proto"]
    assert status == 301 and location.startswith("https://")


def test_cookies_are_secure_and_the_admin_is_served_over_tls(probe):
    status, hsts, cookies = probe["admin"]
    assert status == 200 and hsts
    assert cookies and all(cookies.values()), cookies
    assert probe["settings"]["SESSION_COOKIE_SECURE"] and probe["settings"]["CSRF_COOKIE_SECURE"]
    assert probe["settings"]["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]


def test_an_unknown_host_is_refused(probe):
    assert probe["bad_host"] == 400


def test_no_debug_pages_in_production(probe):
    status, body = probe["not_found"]
    assert status == 404
    assert probe["settings"]["DEBUG"] is False
    for marker in ("Traceback", "DEBUG = True", "URLconf", "Using the URLconf"):
        assert marker not in body


def test_production_refuses_to_start_without_a_secret_key_or_hosts(tmp_path):
    for missing in ("SECRET_KEY", "ALLOWED_HOSTS"):
        env = production_env(tmp_path)
        env.pop(missing)
        result = subprocess.run([sys.executable, "manage.py", "check"], cwd=ROOT, env=env,
                                capture_output=True, text=True, timeout=120)
        assert result.returncode != 0
        assert missing in result.stderr
