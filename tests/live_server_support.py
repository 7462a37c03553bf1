"""A `make run`-like sandbox in subprocesses: migrate, seed_demo, then uvicorn and a Celery worker.

Used by the walkthrough test and the start/stop test. Everything lives in a temporary
directory (SQLite database, filesystem broker, credentials), exactly as ``make run`` lays
it out under ``var/``, so the processes are as real as a developer's and touch nothing else.
"""

from __future__ import annotations

import os
import random
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
BIN = Path(PYTHON).parent
# What `make run` does not set: the sandbox is SQLite and the filesystem broker, whatever the test run uses.
DROPPED = ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "CACHE_KEY_PREFIX", "PROMETHEUS_MULTIPROC_DIR",
           "DJANGO_SETTINGS_MODULE", "CELERY_TASK_ALWAYS_EAGER")


def free_port() -> int:
    """A free port, from ``TEST_PORT_RANGE`` (e.g. ``18400-18499``) when set, else any."""
    low, _, high = os.environ.get("TEST_PORT_RANGE", "0-0").partition("-")
    for port in [*random.sample(range(int(low), int(high) + 1), int(high) - int(low) + 1), 0]:
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return sock.getsockname()[1]
    raise AssertionError("no free port")


def sandbox_env(var_dir: Path, **extra: str) -> dict:
    env = {name: value for name, value in os.environ.items() if name not in DROPPED}
    env.update(HOTSAUCE_VAR_DIR=str(var_dir), DEBUG="1", WEBHOOK_ALLOW_PRIVATE_URLS="1",
               PATH=f"{BIN}{os.pathsep}{env.get('PATH', '')}", PYTHONUNBUFFERED="1", **extra)
    return env


def manage(env: dict, *args: str) -> str:
    done = subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, f"manage.py {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout + done.stderr


def sandbox_prepare(var_dir: Path, env: dict) -> str:
    var_dir.mkdir(parents=True, exist_ok=True)
    out = manage(env, "migrate", "--no-input", "-v", "0")
    out += manage(env, "createcachetable")
    out += manage(env, "seed_demo", "--credentials-out", str(var_dir / "sandbox-credentials.json"))
    return out


def processes_start(env: dict, port: int, log_dir: Path) -> list[subprocess.Popen]:
    commands = {
        "web": [str(BIN / "uvicorn"), "hotsauce.asgi:application", "--host", "127.0.0.1", "--port", str(port),
                "--no-access-log"],
        "worker": [str(BIN / "celery"), "-A", "hotsauce", "worker", "--loglevel", "WARNING", "--concurrency", "2",
                   "--pool", "threads"],
    }
    started = []
    for name, command in commands.items():
        log = open(log_dir / f"{name}.log", "w")  # noqa: SIM115 (closed with the process)
        started.append(subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                                        start_new_session=True))
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                return started
        except httpx.HTTPError:
            time.sleep(0.3)
    processes_stop(started)
    raise AssertionError(f"the web server did not answer on {port}: {(log_dir / 'web.log').read_text()}")


def processes_stop(started: list[subprocess.Popen]) -> None:
    for proc in started:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
    for proc in started:
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
