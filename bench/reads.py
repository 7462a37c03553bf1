"""Read throughput on loopback: an empty view, the item GET, a list and a feed page, N clients at once.

    python bench/reads.py --base-url http://127.0.0.1:18711 --credentials var/bench/credentials.json

Each target runs for ``--seconds`` with ``--concurrency`` clients, each on its own keep-alive
connection, one request in flight per client (``wrk`` when installed, else httpx in this process);
prints requests/s, p50 and p99 latency and non-2xx answers.
``--serve DIR`` starts ``uvicorn hotsauce.asgi:application`` from that source tree first (DEBUG=0,
the environment's DATABASE_URL/REDIS_URL) and stops it at the end: how README "Serving" was measured.
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
from pathlib import Path

import httpx

TARGETS = {
    "empty view (/healthz)": "/healthz",
    "item GET": "/api/v1/inventory/SUP123/HOTSAUCE789",
    "inventory list (50 rows max)": "/api/v1/inventory?limit=50",
    "ledger list (50 rows)": "/api/v1/inventory/transactions?limit=50",
    "feed page (500 events)": "/api/v1/events?limit=500",
}


def token(base: str, credentials: str, partner: str) -> str:
    clients = json.loads(Path(credentials).read_text())["clients"]
    client = next(c for c in clients if c["partnerId"] == partner or (partner == "brand" and c["kind"] == "brand"))
    response = httpx.post(f"{base}/oauth/token/", data={"grant_type": "client_credentials"},
                          auth=(client["clientId"], client["clientSecret"]), trust_env=False, timeout=60)
    response.raise_for_status()
    return response.json()["access_token"]


async def _client(base: str, path: str, headers: dict, stop_at: float, latencies: list, errors: list) -> None:
    async with httpx.AsyncClient(base_url=base, headers=headers, trust_env=False, timeout=30) as client:
        while time.monotonic() < stop_at:
            started = time.perf_counter()
            try:
                response = await client.get(path)
                if response.status_code != 200:
                    errors.append(response.status_code)
                    continue
            except httpx.HTTPError as exc:
                errors.append(type(exc).__name__)
                continue
            latencies.append(time.perf_counter() - started)


async def measure(base: str, path: str, headers: dict, concurrency: int, seconds: float) -> dict:
    latencies: list[float] = []
    errors: list = []
    started = time.monotonic()
    await asyncio.gather(*(_client(base, path, headers, started + seconds, latencies, errors)
                           for _ in range(concurrency)))
    elapsed = time.monotonic() - started
    ordered = sorted(latencies) or [0.0]
    return {"rps": len(latencies) / elapsed, "p50_ms": statistics.median(ordered) * 1000,
            "p99_ms": ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000, "n": len(latencies),
            "errors": len(errors)}


def measure_wrk(base: str, path: str, headers: dict, concurrency: int, seconds: float) -> dict:
    """The same with ``wrk`` (C, two threads): the load generator then costs the server almost no CPU."""
    command = ["wrk", "-t", "2", "-c", str(concurrency), "-d", f"{int(seconds)}s", "--latency", "--timeout", "30s"]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    out = subprocess.run([*command, base + path], capture_output=True, text=True, check=True).stdout

    def millis(label: str) -> float:
        value = re.search(rf"^\s*{label}\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        number, unit = float(value.group(1)), value.group(2)
        return number / 1000 if unit == "us" else number * 1000 if unit == "s" else number

    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)), "p50_ms": millis("50%"),
            "p99_ms": millis("99%"), "n": int(re.search(r"(\d+) requests in", out).group(1)),
            "errors": int(non_2xx.group(1)) if non_2xx else 0}


def server_cpu_seconds(process: subprocess.Popen | None) -> float:
    """CPU time (user + system) of the server and its workers, from /proc: what each request cost the
    server, which a loaded machine distorts far less than requests per second."""
    if process is None:
        return 0.0
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(entry.name) == process.pid or int(fields[1]) == process.pid:
            total += (int(fields[11]) + int(fields[12])) / tick
    return total


def serve(tree: str, port: int, workers: int, extra_env: dict) -> subprocess.Popen:
    env = {**os.environ, "DEBUG": "0", "SECURE_SSL_REDIRECT": "0", "ALLOWED_HOSTS": "127.0.0.1,localhost",
           "API_RATE_LIMIT": "1000000/min", "SECRET_KEY": os.environ.get("SECRET_KEY", "bench-reads-" + "x" * 40),
           **extra_env}
    uvicorn = str(Path(sys.executable).parent / "uvicorn")
    process = subprocess.Popen([uvicorn, "hotsauce.asgi:application", "--host", "127.0.0.1", "--port", str(port),
                                "--workers", str(workers), "--no-access-log", "--log-level", "warning"],
                               cwd=tree, env=env)
    for _ in range(450):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", trust_env=False).status_code == 200:
                return process
        except httpx.HTTPError:
            time.sleep(0.2)
    process.terminate()
    raise SystemExit("the server did not start")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base-url", default="http://127.0.0.1:18711")
    parser.add_argument("--credentials", default="var/bench/credentials.json")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--only", nargs="*", help="target names (substring match)")
    parser.add_argument("--serve", metavar="DIR", help="start uvicorn from this source tree")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--tool", choices=["wrk", "httpx"], default="wrk" if shutil.which("wrk") else "httpx")
    parser.add_argument("--env", action="append", default=[], metavar="NAME=VALUE", help="for --serve")
    args = parser.parse_args()
    base = args.base_url.rstrip("/")
    process = None
    if args.serve:
        port = int(base.rsplit(":", 1)[1])
        process = serve(args.serve, port, args.workers, dict(item.split("=", 1) for item in args.env))
    try:
        headers = {"Authorization": f"Bearer {token(base, args.credentials, 'SUP123')}"}
        brand = {"Authorization": f"Bearer {token(base, args.credentials, 'brand')}"}
        for name, path in TARGETS.items():
            if args.only and not any(word in name for word in args.only):
                continue
            auth = brand if "feed" in name else headers
            cpu_before = server_cpu_seconds(process)
            if args.tool == "wrk":
                result = measure_wrk(base, path, auth, args.concurrency, args.seconds)
            else:
                result = asyncio.run(measure(base, path, auth, args.concurrency, args.seconds))
            cpu = (server_cpu_seconds(process) - cpu_before) * 1000 / max(result["n"], 1)
            print(f"{name:32s} {result['rps']:8.1f} req/s  p50 {result['p50_ms']:7.1f} ms  "
                  f"p99 {result['p99_ms']:7.1f} ms  n={result['n']} errors={result['errors']}"
                  + (f"  server CPU {cpu:5.1f} ms/request" if process else ""), flush=True)
    finally:
        if process is not None:
            process.terminate()
            process.wait(timeout=30)


if __name__ == "__main__":
    main()
