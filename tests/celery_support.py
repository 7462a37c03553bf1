"""Real Celery beat and worker processes against the test database, for the process tests."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

from django.db import connection

BASE_DIR = Path(__file__).resolve().parent.parent
CELERY = str(Path(sys.executable).parent / "celery")


def child_database_url(application_name: str | None = None) -> str:
    """The committed test database, as DATABASE_URL for a child process."""
    s = connection.settings_dict
    auth = quote(s["USER"] or "")
    if s.get("PASSWORD"):
        auth += ":" + quote(s["PASSWORD"])
    url = f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"
    return f"{url}?application_name={application_name}" if application_name else url


def child_env(tmp: Path, **extra: str) -> dict[str, str]:
    """The environment of a child process: test database, this run's Redis, no var/ directory."""
    metrics = tmp / "metrics"
    metrics.mkdir(exist_ok=True)
    env = {**os.environ, "DATABASE_URL": child_database_url(), "CELERY_BROKER_URL": os.environ["REDIS_URL"],
           "HOTSAUCE_VAR_DIR": str(tmp / "no-var"), "PROMETHEUS_MULTIPROC_DIR": str(metrics),
           "CELERY_TASK_ALWAYS_EAGER": "0", "PYTHONUNBUFFERED": "1"}
    env.update(extra)
    return env


class Proc:
    """One child process with its log file."""

    def __init__(self, name: str, args: list[str], env: dict[str, str], log_dir: Path):
        self.name = name
        self.log_path = log_dir / f"{name}.log"
        self._log = open(self.log_path, "w")  # noqa: SIM115 (closed in stop)
        self.process = subprocess.Popen(args, cwd=BASE_DIR, env=env, stdout=self._log, stderr=subprocess.STDOUT)

    def log(self) -> str:
        return self.log_path.read_text()

    def wait_for_log(self, marker: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if marker in self.log():
                return
            if self.process.poll() is not None:
                break
            time.sleep(0.2)
        raise AssertionError(f"{self.name}: no {marker!r} in its log:\n{self.log()[-3000:]}")

    def kill9(self) -> None:
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=20)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()


WORKER_READY = "ready."
BEAT_READY = "beat: Starting..."


def start_worker(env: dict[str, str], log_dir: Path, name: str = "worker", concurrency: int = 4,
                 wait: bool = True) -> Proc:
    proc = Proc(name, [CELERY, "-A", "hotsauce", "worker", "--pool", "threads", "--concurrency", str(concurrency),
                       "--loglevel", "INFO", "--without-gossip", "--without-mingle", "--without-heartbeat"],
                env, log_dir)
    if wait:
        proc.wait_for_log(WORKER_READY)
    return proc


def start_beat(env: dict[str, str], log_dir: Path, wait: bool = True) -> Proc:
    """``celery -A hotsauce beat`` exactly as the README runs it."""
    proc = Proc("beat", [CELERY, "-A", "hotsauce", "beat", "--loglevel", "INFO"], env, log_dir)
    if wait:
        proc.wait_for_log(BEAT_READY)
    return proc


def redis_queue_clear() -> None:
    """Drop task messages an earlier run left in this run's broker."""
    import redis

    redis.Redis.from_url(os.environ["REDIS_URL"]).delete("celery", "unacked", "unacked_index")


def wait_until(predicate, timeout: float, message):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(message() if callable(message) else message)
