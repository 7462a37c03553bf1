"""Shared by the SDK tests: a live uvicorn server on the test database, seeded with the sandbox."""

from __future__ import annotations

import io
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from django.core.management import call_command

from tests.test_webhooks_e2e import _test_database_url

BASE_DIR = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def missing_tool(*tools: str) -> str | None:
    absent = [t for t in tools if shutil.which(t) is None]
    return f"needs {', '.join(absent)} (.ci/run installs them from Debian packages)" if absent else None


def seed_credentials(directory: Path) -> Path:
    # Client secrets are hashed with partners.hashers.ClientSecretHasher, which the server knows too.
    path = directory / "credentials.json"
    call_command("seed_demo", credentials_out=str(path), stdout=io.StringIO())
    return path


class LiveServer:
    def __init__(self, extra_env: dict | None = None):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.var_dir = tempfile.TemporaryDirectory(prefix="hs_sdk_uvicorn_")
        self.extra_env = extra_env or {}

    def start(self) -> LiveServer:
        env = {**os.environ, "DATABASE_URL": _test_database_url(), "HOTSAUCE_VAR_DIR": self.var_dir.name,
               "API_RATE_LIMIT": "100000/min", **self.extra_env}
        self.log_path = Path(self.var_dir.name) / "uvicorn.log"
        self.log = open(self.log_path, "w")  # noqa: SIM115 (closed in stop)
        self.process = subprocess.Popen(
            [str(Path(sys.executable).parent / "uvicorn"), "hotsauce.asgi:application", "--host", "127.0.0.1",
             "--port", str(self.port), "--no-access-log"], cwd=BASE_DIR, env=env, stdout=self.log,
            stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/healthz", trust_env=False).status_code == 200:
                    return self
            except httpx.HTTPError:
                time.sleep(0.3)
        self.stop()
        raise AssertionError("uvicorn did not start: " + self.log_path.read_text()[-2000:])

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()
        self.var_dir.cleanup()
