"""Time the periodic forecast run over many items (prints; asserts nothing).

    DATABASE_URL=postgres://... .venv/bin/python manage.py migrate
    DATABASE_URL=postgres://... .venv/bin/python bench/forecast_bench.py [--suppliers 100 --products 100 --every 1]

Builds the fixture of tests/test_forecast_scale.py (suppliers × products items, 90 days of
sales) inside a transaction, runs ``forecasts_recompute`` a few times, prints the wall time
and query count of each run, and rolls everything back.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hotsauce.settings")


class RollbackError(Exception):
    pass


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--suppliers", type=int, default=100)
    parser.add_argument("--products", type=int, default=100)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--every", type=int, default=1, help="a sale every N-th day (1 = daily)")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    import django

    django.setup()
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from inventory import forecasting
    from tests.test_forecast_scale import build_scale_fixture

    if connection.vendor != "postgresql":
        sys.exit("The forecast run needs PostgreSQL: set DATABASE_URL.")
    try:
        with transaction.atomic():
            started = time.perf_counter()
            build_scale_fixture(suppliers=args.suppliers, products=args.products, days=args.days, every=args.every)
            items = args.suppliers * args.products
            rows = items * len(range(0, args.days, args.every))
            print(f"fixture: {items} items, {rows} ledger rows in {time.perf_counter() - started:.1f} s")
            for run in range(1, args.runs + 1):
                with CaptureQueriesContext(connection) as queries:
                    started = time.perf_counter()
                    result = forecasting.forecasts_recompute()
                    elapsed = time.perf_counter() - started
                print(f"run {run}: {result.items} items in {elapsed:.2f} s, {len(queries)} queries, "
                      f"{len(result.opened)} alerts opened, {len(result.resolved)} resolved")
            raise RollbackError
    except RollbackError:
        print("rolled back")


if __name__ == "__main__":
    main()
