"""`make bench`: the production-like server against the database's own limits, side by side.

A fresh database (``<DATABASE_URL's name>_bench``, PostgreSQL on 127.0.0.1 only), migrated and
seeded with 50 stocked items and 10,000 feed events (``bench/prepare.py``); uvicorn serving
``hotsauce.asgi:application`` with DEBUG=0 and 2 workers on 127.0.0.1. Then, each phase bounded
to ``--seconds`` with ``--clients`` concurrent clients:

- reservations over HTTP on 1 item and spread over 50 items, against pgbench running the same
  writes as plain SQL on the same tables (``var/bench/floor.sql``: locks, reservation, hold,
  lot, version, ledger row, event and audience, idempotency record) — the database floor — and
  pgbench running the fast path's two function calls (``var/bench/fast.sql``, 5 s at most) — the
  fast path's database-only ceiling;
- item GET and a 100-row inventory list, against an empty view (``/healthz``) on the same server;
- catching up on the 10,000 events through the changes feed (500 per page), one client.

Prints one table (and writes it to ``var/bench/report.md``). Figures depend on the machine's
load: compare runs made minutes apart.

``--code REV`` runs the same HTTP phases against an older commit instead (issue 19's "before"):
a throwaway ``git worktree`` of REV under ``var/bench/``, a fresh ``<name>_bench_before``
database migrated and seeded by that code (``bench/before_seed.py``: its ``seed_demo``, 50
stocked items, 10,000 feed events), its server started the same way from that tree with this
venv; no pgbench rows. The table goes to ``var/bench/report-before.md``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import urlparse

import httpx

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(pct / 100 * (len(ordered) - 1))))] if ordered else 0.0


def database(suffix: str = "_bench") -> tuple[str, str]:
    base = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/hotsauce")
    url = urlparse(base)
    if url.scheme not in ("postgres", "postgresql") or url.hostname not in ("127.0.0.1", "localhost"):
        raise SystemExit("bench needs PostgreSQL on 127.0.0.1 (DATABASE_URL)")
    name = f"{url.path.lstrip('/')}{suffix}"
    admin = ["-h", url.hostname, "-p", str(url.port or 5432), "-U", url.username or "postgres"]
    subprocess.run(["psql", *admin, "-q", "-c", f"DROP DATABASE IF EXISTS {name} WITH (FORCE)", "postgres"],
                   check=True)
    subprocess.run(["psql", *admin, "-q", "-c", f"CREATE DATABASE {name}", "postgres"], check=True)
    return base.rsplit("/", 1)[0] + "/" + name, name


def environment(db_url: str, var: Path) -> dict:
    env = dict(os.environ)
    env.update(DATABASE_URL=db_url, DEBUG="0", SECURE_SSL_REDIRECT="0", ALLOWED_HOSTS="127.0.0.1,localhost",
               API_RATE_LIMIT="1000000/min", SECRET_KEY=env.get("SECRET_KEY") or uuid.uuid4().hex * 2,
               HOTSAUCE_VAR_DIR=str(var), DATABASE_POOL_MAX_SIZE=env.get("DATABASE_POOL_MAX_SIZE", "16"))
    return env


class Connection:
    """One keep-alive HTTP/1.1 connection, written by hand so that the load generator, which shares the
    machine's cores with the server and the database, costs a fraction of what a full client does
    (httpx spent 2.2–2.8 ms of CPU per request on the 2-core machine, as much as an empty view; this
    spends about a tenth). Requests are pre-encoded bytes; a response is read by its
    ``Content-Length`` (or chunks) and only its status and body are kept."""

    def __init__(self, host: str, port: int):
        self.host, self.port = host, port
        self.reader = self.writer = None

    async def send(self, method: str, path: str, headers: dict[str, str] | None = None,
                   body: bytes = b"") -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        head = f"{method} {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
        for name, value in (headers or {}).items():
            head += f"{name}: {value}\r\n"
        if body or method in ("POST", "PUT", "PATCH"):
            head += f"Content-Length: {len(body)}\r\n"
        self.writer.write(head.encode("latin-1") + b"\r\n" + body)
        status_line = await self.reader.readuntil(b"\r\n")
        status = int(status_line.split(b" ", 2)[1])
        length, chunked, close = None, False, False
        while (line := await self.reader.readuntil(b"\r\n")) != b"\r\n":
            name, _, value = line.partition(b":")
            name, value = name.strip().lower(), value.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"transfer-encoding" and b"chunked" in value:
                chunked = True
            elif name == b"connection" and value == b"close":
                close = True
        if chunked:
            parts = []
            while (size := int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)):
                parts.append(await self.reader.readexactly(size))
                await self.reader.readexactly(2)
            await self.reader.readuntil(b"\r\n")  # no trailers are sent
            content = b"".join(parts)
        else:
            content = await self.reader.readexactly(length or 0)
        if close:
            self.close()
        return status, content

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


async def load(base: tuple[str, int], clients: int, seconds: float, request) -> dict:
    """``clients`` workers, each on its own keep-alive connection, sending ``request(connection, w, n)``
    (which returns the status) back to back until ``seconds`` have passed."""
    latencies, errors = [], 0
    deadline = time.monotonic() + seconds

    async def worker(w: int) -> None:
        nonlocal errors
        connection, n = Connection(*base), 0
        try:
            while time.monotonic() < deadline:
                n += 1
                started = time.perf_counter()
                status = await request(connection, w, n)
                latencies.append((time.perf_counter() - started) * 1000)
                errors += status >= 300
        finally:
            connection.close()

    began = time.perf_counter()
    await asyncio.gather(*(worker(w) for w in range(clients)))
    elapsed = time.perf_counter() - began
    return {"rate": len(latencies) / elapsed, "p50": percentile(latencies, 50), "p99": percentile(latencies, 99),
            "mean": statistics.fmean(latencies) if latencies else 0, "count": len(latencies), "errors": errors}


def pgbench(db_name: str, script: Path, items: int, clients: int, seconds: float) -> float:
    url = urlparse(os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/x"))
    out = subprocess.run(["pgbench", "-n", "-h", url.hostname, "-p", str(url.port or 5432), "-U",
                          url.username or "postgres", "-c", str(clients), "-j", str(min(clients, 2)), "-T",
                          str(int(seconds)), "-D", f"items={items}", "-f", str(script), db_name],
                         capture_output=True, text=True, check=True).stdout
    return float(re.search(r"tps = ([\d.]+)", out).group(1))


CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def cpu_ticks(server_pid: int) -> dict[str, int]:
    """CPU ticks used so far by the database (every ``postgres`` process), the server (uvicorn and its
    workers) and this client, from ``/proc`` (Linux; zeros elsewhere)."""
    totals = {"database": 0, "server": 0, "client": 0}
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue  # gone meanwhile
        comm, fields = stat[stat.index("(") + 1:stat.rindex(")")], stat[stat.rindex(")") + 2:].split()
        pid, ppid, ticks = int(entry.name), int(fields[1]), int(fields[11]) + int(fields[12])
        if comm == "postgres":
            totals["database"] += ticks
        elif server_pid in (pid, ppid):
            totals["server"] += ticks
        elif pid == os.getpid():
            totals["client"] += ticks
    return totals


async def measured(base, args, request, server_pid: int) -> dict:
    """``load``, with the CPU each side spent per request (ms) while it ran."""
    before = cpu_ticks(server_pid)
    result = await load(base, args.clients, args.seconds, request)
    after = cpu_ticks(server_pid)
    result["cpu"] = {side: (after[side] - before[side]) * 1000 / CLOCK_TICKS / max(result["count"], 1)
                     for side in before}
    return result


async def http_phases(args, base: str, prepared: dict, server_pid: int) -> dict:
    creds = json.load(open(prepared["credentials"]))["clients"]
    supplier = next(c for c in creds if c["kind"] == "supplier" and c["partnerId"] == "SUP123")
    token = httpx.post(f"{base}/oauth/token/", data={"grant_type": "client_credentials"},
                       auth=(supplier["clientId"], supplier["clientSecret"])).json()["access_token"]
    auth = {"Authorization": f"Bearer {token}"}
    skus = prepared["skus"]
    address = ("127.0.0.1", args.port)
    body = json.dumps({"type": "reservation", "quantity": 1}).encode()

    def reserve(spread: int):
        async def request(c, w, n):
            sku = skus[(w * 7 + n) % spread]
            return (await c.send("POST", f"/api/v1/inventory/SUP123/{sku}", {
                **auth, "Content-Type": "application/json", "Idempotency-Key": str(uuid.uuid4())}, body))[0]
        return request

    def get(path):
        async def request(c, w, n):
            return (await c.send("GET", path, auth))[0]
        return request

    results = {}
    # First, one client catching up on the bulk events (sequences events_after + 1 … + events), and
    # no further: the pgbench floor run before the server adds its own events after them.
    feed = Connection(*address)
    started, after, seen = time.perf_counter(), prepared["events_after"], 0
    last = prepared["events_after"] + prepared["events"]
    while True:
        status, content = await feed.send("GET", f"/api/v1/events?after={after}&limit=500", auth)
        if status != 200:
            raise SystemExit(f"feed page after {after}: {status} {content[:300]!r}")
        page = json.loads(content)
        seen += len(page["results"])
        after = page["nextAfter"]
        if not page["hasMore"] or after >= last:
            break
    feed.close()
    results["feed"] = {"seconds": time.perf_counter() - started, "events": seen}
    for name, request in (("reserve1", reserve(1)), ("reserve50", reserve(50)),
                          ("item", get("/api/v1/inventory/SUP123/BENCH001")),
                          ("list", get("/api/v1/inventory?limit=100")), ("empty", get("/healthz"))):
        await load(address, args.clients, 2, request)  # warm-up
        results[name] = await measured(address, args, request, server_pid)
    return results


def report(http: dict, floor: dict | None, fast: dict | None, args) -> str:
    """The table; ``floor``/``fast`` None (a ``--code`` run) prints their columns as n/a."""
    def row(label, r, against, against_label):
        ratio = f"{r['rate'] / against:.3f}" if against else "n/a"
        return (f"| {label} | {r['rate']:.0f} | {r['p50']:.0f} | {r['p99']:.0f} | {r['errors']} | "
                f"{against_label} | {ratio} |")

    def ceiling(n: int) -> str:
        served = http[f"reserve{n}"]["rate"]
        return (f"| fast-path ceiling, {n} item{'s' if n > 1 else ''} (pgbench: its 2 function calls) | "
                f"{fast[n]:.0f} | | | | HTTP reservation {served:.0f} req/s | {served / fast[n]:.3f} |")

    def reservation(n: int) -> str:
        label = f"POST reservation, {n} item{'s' if n > 1 else ''}"
        if floor is None:
            return row(label, http[f"reserve{n}"], None, "SQL floor n/a")
        return row(label, http[f"reserve{n}"], floor[n], f"SQL floor {floor[n]:.0f} tx/s")

    empty = http["empty"]["rate"]
    code = f"code {args.code}, " if args.code else ""
    lines = [f"{code}{args.clients} clients, {args.seconds:.0f} s per phase, uvicorn {args.workers} workers, DEBUG=0",
             "", "| phase | req/s | p50 ms | p99 ms | errors | against | ratio |", "|---|---:|---:|---:|---:|---|---:|",
             reservation(1), reservation(50),
             *((ceiling(n) for n in (1, 50)) if fast else ["| (fast-path ceiling) | n/a | | | | n/a | n/a |"]),
             row("GET item", http["item"], empty, f"empty view {empty:.0f} req/s"),
             row("GET inventory?limit=100", http["list"], empty, f"empty view {empty:.0f} req/s"),
             f"| feed catch-up | {http['feed']['events']} events in {http['feed']['seconds']:.2f} s | | | | "
             f"{http['feed']['events'] / http['feed']['seconds']:.0f} events/s | |"]
    return "\n".join(lines + ["", *cpu_table(http)])


def cpu_table(http: dict) -> list[str]:
    """Where each request's CPU went: the machine's cores are shared by all three sides."""
    lines = ["CPU per request, ms (from /proc, during each phase):", "",
             "| phase | database | server | client | total |", "|---|---:|---:|---:|---:|"]
    for name, label in (("reserve1", "POST reservation, 1 item"), ("reserve50", "POST reservation, 50 items"),
                        ("item", "GET item"), ("list", "GET inventory?limit=100"), ("empty", "empty view")):
        cpu = http[name]["cpu"]
        lines.append(f"| {label} | {cpu['database']:.2f} | {cpu['server']:.2f} | {cpu['client']:.2f} | "
                     f"{sum(cpu.values()):.2f} |")
    return lines


def prepare(env: dict, cwd: Path, script: Path) -> dict:
    """Run a seeding script (its last stdout line is JSON: skus, events_after, credentials)."""
    done = subprocess.run([PY, str(script)], env=env, cwd=cwd, capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"{script.name} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def serve_and_measure(args, env: dict, cwd: Path, prepared: dict) -> dict:
    """uvicorn (``hotsauce.asgi`` of the tree at ``cwd``) on 127.0.0.1, the HTTP phases, then stop it."""
    server = subprocess.Popen([str(Path(PY).parent / "uvicorn"), "hotsauce.asgi:application", "--host", "127.0.0.1",
                               "--port", str(args.port), "--workers", str(args.workers), "--no-access-log",
                               "--log-level", "warning", "--app-dir", str(cwd)], env=env, cwd=cwd)
    try:
        base = f"http://127.0.0.1:{args.port}"
        for _ in range(100):
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        return asyncio.run(http_phases(args, base, prepared, server.pid))
    finally:
        server.terminate()
        server.wait(timeout=30)


def bench_current(args) -> tuple[str, Path]:
    db_url, db_name = database()
    var = ROOT / "var" / "bench"
    env = environment(db_url, var)
    prepared = prepare(env, ROOT, ROOT / "bench" / "prepare.py")
    floor = {n: pgbench(db_name, var / "floor.sql", n, args.clients, args.seconds) for n in (1, 50)}
    # The fast path's two function calls, short: what the server could reach with no Python at all.
    fast = {n: pgbench(db_name, var / "fast.sql", n, args.clients, min(args.seconds, 5)) for n in (1, 50)}
    http = serve_and_measure(args, env, ROOT, prepared)
    return report(http, floor, fast, args), var / "report.md"


def requirements_missing(code: str) -> list[str]:
    """Pins of ``code``'s requirements.txt this venv does not have at that exact version."""
    from importlib.metadata import PackageNotFoundError, version

    pins = subprocess.run(["git", "show", f"{code}:requirements.txt"], cwd=ROOT, capture_output=True, text=True,
                          check=True).stdout
    missing = []
    for line in pins.splitlines():
        match = re.match(r"\s*([A-Za-z0-9_.-]+)(?:\[[^]]*\])?==(\S+)", line)
        if not match:
            continue
        try:
            installed = version(match.group(1))
        except PackageNotFoundError:
            installed = None
        if installed != match.group(2):
            missing.append(f"{match.group(1)}=={match.group(2)} (installed: {installed})")
    return missing


def bench_before(args) -> tuple[str, Path]:
    """The same HTTP phases against commit ``args.code``, from a throwaway worktree, with this venv."""
    missing = requirements_missing(args.code)
    if missing:
        raise SystemExit(f"this venv lacks {args.code}'s requirements: {', '.join(missing)}")
    var = ROOT / "var" / "bench"
    tree = var / ("before-" + re.sub(r"[^A-Za-z0-9._-]", "_", args.code))
    subprocess.run(["git", "worktree", "remove", "--force", str(tree)], cwd=ROOT, capture_output=True)
    shutil.rmtree(tree, ignore_errors=True)  # a crashed run's leftovers
    subprocess.run(["git", "worktree", "prune"], cwd=ROOT, check=True)
    subprocess.run(["git", "worktree", "add", "--detach", "--quiet", str(tree), args.code], cwd=ROOT, check=True)
    try:
        db_url, _ = database("_bench_before")
        env = environment(db_url, var / "before")
        env.pop("PYTHONPATH", None)
        prepared = prepare(env, tree, ROOT / "bench" / "before_seed.py")
        http = serve_and_measure(args, env, tree, prepared)
    finally:
        subprocess.run(["git", "worktree", "remove", "--force", str(tree)], cwd=ROOT, check=True)
    return report(http, None, None, args), var / "report-before.md"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--port", type=int, default=int(os.environ.get("BENCH_PORT", 8765)))
    parser.add_argument("--code", help="a commit to bench instead of this tree (HTTP phases only), e.g. ca1f5e8")
    args = parser.parse_args()
    text, out = bench_before(args) if args.code else bench_current(args)
    print(text)
    out.write_text(text + "\n")


if __name__ == "__main__":
    main()
