"""The sandbox's 90 days of demand history: weekly seasonality, a slow swell, noise.

Each day's figure is drawn from a generator seeded by the product and the date, so the same
date always gets the same number: a re-run of ``seed_demo`` the same day rewrites identical
rows, and one a week later adds the new days without changing the old ones. The rates are
chosen so the sandbox shows every state right away: most items comfortably stocked,
HOTSAUCE103 and HOTSAUCE104 below their reorder point (open restock alerts).
"""

from __future__ import annotations

import math
import random
from datetime import date, timedelta

from inventory.replenishment.services import demand_history_import

DAYS = 90
# Units per average day, per (supplier, product).
RATES = {
    ("SUP123", "HOTSAUCE789"): 14, ("SUP123", "HOTSAUCE101"): 9, ("SUP123", "HOTSAUCE102"): 6,
    ("SUP123", "HOTSAUCE103"): 11, ("SUP123", "HOTSAUCE104"): 3, ("SUP123", "HOTSAUCE105"): 20,
    ("SUP400", "HOTSAUCE106"): 5, ("SUP400", "HOTSAUCE107"): 7, ("SUP400", "HOTSAUCE108"): 4,
    ("SUP400", "HOTSAUCE109"): 6,
}
# Monday … Sunday: sauces sell on Fridays and Saturdays (grilling weekends).
WEEKDAY = (0.85, 0.8, 0.9, 1.0, 1.2, 1.35, 0.9)
NOISE = 0.2  # relative standard deviation of a day's figure


def daily_demand(sku: str, rate: float, day: date) -> int:
    rng = random.Random(f"{sku}:{day.isoformat()}")
    swell = 1 + 0.15 * math.sin(2 * math.pi * day.toordinal() / 91)  # a quarter-long wave
    return max(0, round(rate * WEEKDAY[day.weekday()] * swell * rng.gauss(1, NOISE)))


def demand_history_seed(*, suppliers: dict, products: dict, today: date) -> None:
    """Import the last ``DAYS`` complete days for every seeded (supplier, product)."""
    days = [today - timedelta(days=back) for back in range(DAYS, 0, -1)]
    for (supplier, sku), rate in RATES.items():
        demand_history_import(supplier=suppliers[supplier], product=products[sku], source="sandbox",
                              days=[(day, daily_demand(sku, rate, day)) for day in days])
