"""Load test: concurrent authenticated, idempotent reservations and item reads.

Runs against a live server (see bench/run.sh for the production-like start on PostgreSQL).
Prints requests/s, p50/p99 latency and error counts per operation. Bounded: it stops after
--requests requests or --seconds seconds, whichever comes first, and only talks to --base-url.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
import uuid
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from urllib.parse import urlparse

import httpx


def percentile(values: list[float], pct: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, int(round(pct / 100 * (len(ordered) - 1)))))
    return ordered[index]


async def token(client: httpx.AsyncClient, creds: dict) -> str:
    response = await client.post("/oauth/token/", data={"grant_type": "client_credentials"},
                                 auth=(creds["clientId"], creds["clientSecret"]))
    response.raise_for_status()
    return response.json()["access_token"]


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--base-url", default="http://127.0.0.1:8000")
    parser.add_argument("--credentials", default="var/sandbox-credentials.json")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--requests", type=int, default=4000)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--items", type=int, default=1,
                        help="spread load over this many SUP123 items (1 = one hot row, the worst case)")
    parser.add_argument("--read-ratio", type=float, default=0.5, help="share of GETs among requests")
    args = parser.parse_args()
    host = urlparse(args.base_url).hostname
    if host not in ("127.0.0.1", "localhost", "::1"):
        raise SystemExit("bench only targets this machine (127.0.0.1/localhost)")

    clients = json.load(open(args.credentials))["clients"]
    supplier = next(c for c in clients if c["kind"] == "supplier" and c["partnerId"] == "SUP123")
    limits = httpx.Limits(max_connections=args.concurrency, max_keepalive_connections=args.concurrency)
    async with httpx.AsyncClient(base_url=args.base_url, limits=limits, timeout=30) as client:
        bearer = {"Authorization": f"Bearer {await token(client, supplier)}"}
        skus = ["HOTSAUCE102", "HOTSAUCE101", "HOTSAUCE103", "HOTSAUCE105", "HOTSAUCE104", "HOTSAUCE789"]
        items = [f"/api/v1/inventory/SUP123/{sku}" for sku in skus[:max(1, min(args.items, len(skus)))]]
        expiry = (datetime.now(UTC) + timedelta(days=365)).strftime("%Y-%m-%dT00:00:00Z")
        for item in items:
            stock = await client.post(item, headers={**bearer, "Idempotency-Key": f"bench-stock-{uuid.uuid4()}"},
                                      json={"type": "receipt", "quantity": args.requests * 2,
                                            "warehouseLocation": "Warehouse_A", "batchNumber": "BENCH-LOT",
                                            "expirationDate": expiry, "reason": "bench stock"})
            if stock.status_code not in (201, 400):
                raise SystemExit(f"could not stock the bench item: {stock.status_code} {stock.text}")

        latencies: dict[str, list[float]] = defaultdict(list)
        statuses: dict[str, Counter] = defaultdict(Counter)
        issued = 0
        deadline = time.monotonic() + args.seconds

        async def worker(worker_id: int) -> None:
            nonlocal issued
            n = 0
            while issued < args.requests and time.monotonic() < deadline:
                issued += 1
                n += 1
                read = (n * 7919 + worker_id) % 100 < args.read_ratio * 100
                item = items[(n + worker_id) % len(items)]
                started = time.perf_counter()
                try:
                    if read:
                        op = "GET item"
                        response = await client.get(item, headers=bearer)
                    else:
                        op = "POST reservation"
                        response = await client.post(item, json={"type": "reservation", "quantity": 1},
                                                     headers={**bearer, "Idempotency-Key": str(uuid.uuid4())})
                    statuses[op][response.status_code] += 1
                except httpx.HTTPError as exc:
                    statuses[op][type(exc).__name__] += 1
                latencies[op].append((time.perf_counter() - started) * 1000)

        began = time.perf_counter()
        await asyncio.gather(*(worker(i) for i in range(args.concurrency)))
        elapsed = time.perf_counter() - began

    total = sum(len(v) for v in latencies.values())
    print(f"{total} requests in {elapsed:.1f} s with concurrency {args.concurrency}: {total / elapsed:.0f} req/s")
    print(f"{'operation':<18}{'count':>7}{'req/s':>8}{'p50 ms':>9}{'p99 ms':>9}{'mean ms':>9}  statuses")
    for op, values in sorted(latencies.items()):
        errors = {k: v for k, v in statuses[op].items() if not (isinstance(k, int) and k < 300)}
        print(f"{op:<18}{len(values):>7}{len(values) / elapsed:>8.0f}{percentile(values, 50):>9.1f}"
              f"{percentile(values, 99):>9.1f}{statistics.fmean(values):>9.1f}  "
              f"{dict(statuses[op])} errors={sum(errors.values())}")


if __name__ == "__main__":
    asyncio.run(main())
