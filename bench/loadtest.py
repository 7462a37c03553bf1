"""``make loadtest``: a production-like stack on this machine, the Locust scenario, then the invariants.

1. A throwaway PostgreSQL database (or ``DATABASE_URL``, which must be on this machine),
   a Redis database of its own, ``DEBUG=0``; migrate and load the sandbox.
2. uvicorn (2 workers, free port on 127.0.0.1), a Celery worker with beat, and a webhook
   receiver on 127.0.0.1 that logs every delivery; webhook endpoints for a supplier, a
   retailer and the brand.
3. ``locust --headless`` with ``bench/locustfile.py``, bounded in users, pace and time.
4. Once deliveries have drained, the invariants:
   - no oversell: no lot below zero or with more reserved than on hand; no order line
     allocated or shipped beyond what was ordered;
   - ``reconcile_inventory`` finds no drift;
   - every event owed to each endpoint reached its receiver exactly once (receiver log
     against the events each endpoint's owner may see, and against the delivery rows).
5. A report (throughput, p50/p99 per operation, errors, invariants) in
   ``var/loadtest/report.md``; the exit status is 1 when an invariant fails.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections import Counter, defaultdict
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlparse

import httpx

BASE_DIR = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
OUT = BASE_DIR / "var" / "loadtest"
LOOPBACK = ("127.0.0.1", "localhost", "::1")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Receiver:
    """Webhook receiver on 127.0.0.1: logs (endpoint tag, webhook-id) of every POST, answers 204."""

    def __init__(self):
        self.log: list[tuple[str, str]] = []
        lock, log = threading.Lock(), self.log

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's naming)
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with lock:
                    log.append((self.path.rsplit("/", 1)[-1], self.headers.get("webhook-id", "")))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


def psql(sql: str) -> None:
    subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-q", "-c", sql, "postgres"], check=True,
                   capture_output=True)


class Stack:
    def __init__(self, args):
        self.args = args
        self.procs: list[subprocess.Popen] = []
        self.throwaway_db = None
        OUT.mkdir(parents=True, exist_ok=True)
        self.var = OUT / "run"
        shutil.rmtree(self.var, ignore_errors=True)
        (self.var / "metrics").mkdir(parents=True)
        url = os.environ.get("DATABASE_URL")
        if url:
            if urlparse(url).hostname not in LOOPBACK or not url.startswith("postgres"):
                raise SystemExit("DATABASE_URL must be a PostgreSQL database on this machine")
        else:
            self.throwaway_db = f"hotsauce_loadtest_{os.getpid()}"
            psql(f"CREATE DATABASE {self.throwaway_db}")
            url = f"postgres://postgres@127.0.0.1:5432/{self.throwaway_db}"
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.env = {
            **os.environ, "DATABASE_URL": url, "DEBUG": "0", "SECURE_SSL_REDIRECT": "0",
            "SECRET_KEY": secrets.token_urlsafe(40), "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "REDIS_URL": args.redis_url, "CACHE_KEY_PREFIX": f"loadtest{os.getpid()}",
            "API_RATE_LIMIT": "1000000/min", "WEBHOOK_ALLOW_PRIVATE_URLS": "1", "DATABASE_POOL_MAX_SIZE": "8",
            "HOTSAUCE_VAR_DIR": str(self.var), "PROMETHEUS_MULTIPROC_DIR": str(self.var / "metrics"),
            "LOG_FORMAT": "json", "LOG_LEVEL": os.environ.get("LOADTEST_LOG_LEVEL", "WARNING"),
            "CELERY_TASK_ALWAYS_EAGER": "0",
        }
        self.env.pop("CELERY_BROKER_URL", None)

    def manage(self, *args: str) -> None:
        subprocess.run([sys.executable, "manage.py", *args], cwd=BASE_DIR, env=self.env, check=True,
                       stdout=subprocess.DEVNULL)

    def spawn(self, name: str, argv: list[str]) -> None:
        log = open(self.var / f"{name}.log", "w")  # noqa: SIM115 (the process owns it)
        self.procs.append(subprocess.Popen(argv, cwd=BASE_DIR, env=self.env, stdout=log, stderr=subprocess.STDOUT))

    def start(self) -> None:
        import redis

        redis.Redis.from_url(self.args.redis_url).delete("celery")  # stale hints from an earlier run
        self.manage("migrate", "--no-input", "-v0")
        self.manage("seed_demo", "--credentials-out", str(self.var / "credentials.json"))
        self.spawn("web", [str(BIN / "uvicorn"), "hotsauce.asgi:application", "--host", "127.0.0.1", "--port",
                           str(self.port), "--workers", "2", "--no-access-log", "--log-level", "warning"])
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.base}/healthz", trust_env=False).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.3)
        raise SystemExit("the web server did not start: " + (self.var / "web.log").read_text()[-2000:])

    def start_worker(self) -> None:
        # After the endpoints exist: beat's first runs emit events, and those are owed too.
        # Prefetch above 1: with one message per thread, a threads-pool worker on Redis waits
        # for its next poll between tasks and delivers only a few webhooks per second.
        self.spawn("worker", [str(BIN / "celery"), "-A", "hotsauce", "worker", "-B", "--pool", "threads",
                              "--concurrency", str(self.args.worker_threads), "--prefetch-multiplier", "4",
                              "--loglevel", self.env["LOG_LEVEL"], "--without-gossip", "--without-mingle"])

    def stop(self) -> None:
        for proc in self.procs:
            proc.terminate()
        for proc in self.procs:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if self.throwaway_db:
            from django.db import connections

            if "django.apps" in sys.modules:
                connections.close_all()
            psql(f"DROP DATABASE IF EXISTS {self.throwaway_db} WITH (FORCE)")


def token(base: str, creds: dict) -> str:
    response = httpx.post(f"{base}/oauth/token/", data={"grant_type": "client_credentials"},
                          auth=(creds["clientId"], creds["clientSecret"]), trust_env=False)
    response.raise_for_status()
    return response.json()["access_token"]


def subscribe(stack: Stack, receiver: Receiver) -> dict[str, str]:
    """One endpoint per party, all event types; returns tag -> endpoint public id."""
    clients = json.loads((stack.var / "credentials.json").read_text())["clients"]
    parties = {"supplier": ("supplier", "SUP123"), "retailer": ("retailer", "RETAIL456"), "brand": ("brand", None)}
    hooks = {}
    for tag, (kind, partner) in parties.items():
        creds = next(c for c in clients if c["kind"] == kind and c["partnerId"] == partner)
        response = httpx.post(f"{stack.base}/api/v1/webhooks", trust_env=False,
                              headers={"Authorization": f"Bearer {token(stack.base, creds)}"},
                              json={"url": f"{receiver.base}/{tag}", "eventTypes": ["*"]})
        response.raise_for_status()
        hooks[tag] = response.json()["id"]
    return hooks


def run_locust(stack: Stack, args) -> Path:
    prefix = stack.var / "locust"
    env = {**stack.env, "LOADTEST_CREDENTIALS": str(stack.var / "credentials.json"), "LOADTEST_PACE": str(args.pace)}
    subprocess.run([str(BIN / "locust"), "-f", str(BASE_DIR / "bench" / "locustfile.py"), "--headless",
                    "--host", stack.base, "--users", str(args.users), "--spawn-rate", str(args.users),
                    "--run-time", f"{args.seconds}s", "--stop-timeout", "10", "--csv", str(prefix),
                    "--only-summary", "--loglevel", "WARNING", "--exit-code-on-error", "0"],
                   cwd=BASE_DIR, env=env, check=True, timeout=args.seconds + 120)
    return Path(f"{prefix}_stats.csv")


def drain(timeout: float) -> int:
    from webhooks.models import Delivery

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        pending = Delivery.objects.filter(state=Delivery.State.PENDING).count()
        if pending == 0:
            return 0
        time.sleep(1)
    return Delivery.objects.filter(state=Delivery.State.PENDING).count()


def check_no_oversell() -> list[str]:
    from django.db.models import F, Q

    from inventory.models import StockLot
    from orders.models import OrderLine

    bad_lots = StockLot.objects.filter(Q(on_hand__lt=0) | Q(reserved__lt=0) | Q(quarantined__lt=0)
                                       | Q(reserved__gt=F("on_hand")))
    bad_lines = OrderLine.objects.filter(Q(allocated_quantity__gt=F("quantity"))
                                         | Q(shipped_quantity__gt=F("quantity")))
    return ([f"lot {lot.pk}: on hand {lot.on_hand}, reserved {lot.reserved}" for lot in bad_lots[:20]]
            + [f"order line {line.pk}: ordered {line.quantity}, allocated {line.allocated_quantity}, shipped "
               f"{line.shipped_quantity}" for line in bad_lines[:20]])


def owed_events(tag: str, endpoint) -> set[str]:
    """Events the endpoint's owner may see, written after it subscribed (independent of deliveries)."""
    from webhooks.models import Event

    events = Event.objects.filter(timestamp__gte=endpoint.created_at).exclude(type="webhook.test")
    if tag != "brand":
        events = events.filter(audience__partner_kind=endpoint.owner_kind, audience__partner_id=endpoint.owner_id)
    return set(events.values_list("event_id", flat=True))


def check_delivered_once(hooks: dict[str, str], receiver: Receiver) -> tuple[list[str], dict]:
    from webhooks.models import Delivery, Endpoint

    problems, counts = [], {}
    received: dict[str, Counter] = defaultdict(Counter)
    for tag, event_id in list(receiver.log):
        received[tag][event_id] += 1
    for tag, public_id in hooks.items():
        endpoint = Endpoint.objects.get(public_id=public_id)
        owed = owed_events(tag, endpoint)
        rows = dict(Delivery.objects.filter(endpoint=endpoint).values_list("event__event_id", "state"))
        got = received[tag]
        counts[tag] = {"owed": len(owed), "received": sum(got.values()), "distinct": len(got)}
        if set(rows) != owed:
            problems.append(f"{tag}: {len(owed - set(rows))} owed events without a delivery, "
                            f"{len(set(rows) - owed)} deliveries of events not owed")
        if set(got) != owed:
            problems.append(f"{tag}: {len(owed - set(got))} owed events never received, "
                            f"{len(set(got) - owed)} received that were not owed")
        twice = [event_id for event_id, n in got.items() if n > 1]
        if twice:
            problems.append(f"{tag}: {len(twice)} events received more than once (e.g. {twice[:3]})")
        unfinished = Counter(state for state in rows.values() if state != Delivery.State.SUCCEEDED)
        if unfinished:
            problems.append(f"{tag}: deliveries not succeeded: {dict(unfinished)}")
    return problems, counts


def read_stats(path: Path) -> list[dict]:
    with path.open() as handle:
        return list(csv.DictReader(handle))


def report(stats: list[dict], args, invariants: dict, counts: dict, elapsed: float) -> str:
    lines = [f"# Load test {datetime.now(UTC):%Y-%m-%d %H:%M} UTC", "",
             f"{args.users} users at most {args.pace} req/s each for {args.seconds} s; uvicorn 2 workers, "
             f"Celery worker ({args.worker_threads} threads) + beat, PostgreSQL, Redis, DEBUG=0; "
             f"{os.cpu_count()} CPUs. Whole run {elapsed:.0f} s. Load average at the end (1/5/15 min): "
             + " ".join(f"{x:.1f}" for x in os.getloadavg()) + " (other work on the machine counts too).", "",
             "| operation | requests | failures | req/s | p50 ms | p99 ms |", "|---|---:|---:|---:|---:|---:|"]
    for row in stats:
        lines.append(f"| {row['Name']} | {row['Request Count']} | {row['Failure Count']} | "
                     f"{float(row['Requests/s']):.1f} | {row['50%']} | {row['99%']} |")
    lines += ["", "| invariant | result |", "|---|---|"]
    for name, problems in invariants.items():
        lines.append(f"| {name} | {'PASS' if not problems else 'FAIL: ' + '; '.join(problems)[:500]} |")
    lines += ["", "Webhook deliveries per endpoint: " + ", ".join(
        f"{tag} {c['received']} received / {c['owed']} owed" for tag, c in counts.items()), ""]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--users", type=int, default=12)
    parser.add_argument("--pace", type=float, default=2.0, help="requests per second per user, at most")
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--drain-seconds", type=int, default=90)
    parser.add_argument("--worker-threads", type=int, default=8)
    parser.add_argument("--redis-url", default=os.environ.get("LOADTEST_REDIS_URL", "redis://127.0.0.1:6379/12"))
    args = parser.parse_args()
    if urlparse(args.redis_url).hostname not in LOOPBACK:
        raise SystemExit("Redis must be on this machine")
    started = time.monotonic()
    stack = Stack(args)
    try:
        stack.start()
        os.environ.update({k: v for k, v in stack.env.items() if k not in ("PROMETHEUS_MULTIPROC_DIR",)})
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(stack.var / "metrics")
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hotsauce.settings")
        sys.path.insert(0, str(BASE_DIR))
        import django

        django.setup()
        receiver = Receiver()
        hooks = subscribe(stack, receiver)
        stack.start_worker()
        stats = read_stats(run_locust(stack, args))
        pending = drain(args.drain_seconds)
        from inventory.services import reconcile

        drift = reconcile()
        delivered, counts = check_delivered_once(hooks, receiver)
        invariants = {
            "no oversell": check_no_oversell(),
            "reconcile_inventory clean": [f"{len(drift)} lots drifted: {drift[:3]}"] if drift else [],
            "every event delivered once per endpoint": ([f"{pending} deliveries still pending"] if pending else [])
            + delivered,
        }
        text = report(stats, args, invariants, counts, time.monotonic() - started)
        (OUT / "report.md").write_text(text)
        print(text)
        print(f"report: {OUT / 'report.md'}")
        return 1 if any(invariants.values()) else 0
    finally:
        stack.stop()


if __name__ == "__main__":
    sys.exit(main())
