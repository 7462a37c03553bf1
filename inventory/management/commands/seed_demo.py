"""Load the sandbox: the brief's SUP123 / RETAIL456 / HOTSAUCE789 / Warehouse_A / BATCH202406 and friends.

Running it again adds nothing: partners, products and stock are created only if missing,
and the sandbox clients keep their credentials. Secrets are stored hashed, so the only copy
of one is the credentials file: a client whose secret the file still proves keeps it, any
other gets a fresh one (written to the file). The demand history (``demand.py``) is the
same numbers for the same dates, so a re-run replaces nothing it did not write itself.
"""

import json
import secrets
from datetime import timedelta
from pathlib import Path

from django.apps import apps
from django.contrib.auth.hashers import check_password
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import connection, transaction
from django.utils import timezone
from stdnum import ean

from inventory import services
from inventory.forecasting import forecasts_recompute
from inventory.management.commands._demand import demand_history_seed
from inventory.models import InventoryItem, Product, RestockAlert, Warehouse
from partners.models import ApiClient, RetailPartner, Supplier, TradingRelationship
from partners.services import api_client_create

SUPPLIERS = [
    ("SUP123", "Scoville Brothers Co-Packing", "co_packer", "US"),
    ("SUP200", "Pepper Valley Farms", "ingredient", "MX"),
    ("SUP300", "Clearline Glass & Bottling", "packaging", "US"),
    ("SUP400", "Bayou Fire Sauce Works", "co_packer", "US"),
]
RETAILERS = [
    ("RETAIL456", "FreshMart Grocery", "grocery", 30),
    ("RETAIL500", "Chili Corner Specialty Foods", "specialty", 45),
    ("RETAIL600", "HotSauceHub Online", "online", 60),
    ("RETAIL700", "Main Street Market", "grocery", 30),
]
TRADING = [("SUP123", "RETAIL456"), ("SUP123", "RETAIL500"), ("SUP123", "RETAIL600"),
           ("SUP400", "RETAIL600"), ("SUP400", "RETAIL700")]
WAREHOUSES = [
    ("SUP123", "Warehouse_A", "Austin DC", "1200 Capsaicin Way, Austin TX"),
    ("SUP123", "Warehouse_B", "Reno overflow", "77 Desert Rd, Reno NV"),
    ("SUP200", "WH_FARM", "Farm cold store", "Km 12 Carretera, Sinaloa"),
    ("SUP300", "WH_GLASS", "Bottle yard", "9 Furnace St, Toledo OH"),
    ("SUP400", "WH_BAYOU", "New Orleans DC", "400 Levee Ave, New Orleans LA"),
]
# (sku, name, flavor, SHU, ml, ingredients)
SAUCES = [
    ("HOTSAUCE789", "Ghost Pepper Inferno", "ghost pepper & garlic", 855000, 148,
     ["ghost pepper", "vinegar", "garlic", "salt"]),
    ("HOTSAUCE101", "Habanero Mango Tango", "habanero mango", 100000, 148, ["habanero", "mango", "lime", "vinegar"]),
    ("HOTSAUCE102", "Smoky Chipotle Classic", "chipotle", 8000, 148, ["chipotle", "tomato", "vinegar", "onion"]),
    ("HOTSAUCE103", "Green Jalapeño Verde", "jalapeño & tomatillo", 5000, 148, ["jalapeño", "tomatillo", "lime"]),
    ("HOTSAUCE104", "Carolina Reaper Rage", "reaper", 1500000, 60, ["carolina reaper", "vinegar", "salt"]),
    ("HOTSAUCE105", "Sriracha Sunrise", "red jalapeño garlic", 2500, 250, ["red jalapeño", "garlic", "sugar"]),
    ("HOTSAUCE106", "Scotch Bonnet Jerk", "scotch bonnet & allspice", 200000, 148,
     ["scotch bonnet", "allspice", "thyme"]),
    ("HOTSAUCE107", "Peri-Peri Lemon", "bird's eye & lemon", 120000, 148, ["bird's eye chili", "lemon", "garlic"]),
    ("HOTSAUCE108", "Honey Habanero Glaze", "habanero honey", 90000, 250, ["habanero", "honey", "vinegar"]),
    ("HOTSAUCE109", "Louisiana Cayenne Original", "cayenne", 40000, 350, ["cayenne", "vinegar", "salt"]),
    ("HOTSAUCE110", "Serrano Cilantro Lime", "serrano", 15000, 148, ["serrano", "cilantro", "lime"]),
    ("HOTSAUCE111", "Trinidad Scorpion Gold", "scorpion & pineapple", 1200000, 60,
     ["trinidad scorpion", "pineapple", "vinegar"]),
]


def gtin_for(index: int) -> str:
    body = f"0860001{index:05d}"  # 12 digits; GS1 US-style company prefix
    return body + ean.calc_check_digit(body)


def analyze_after_bulk_load() -> None:
    """Fresh statistics for the planner after a bulk load (PostgreSQL): without them it plans the
    first queries on tables it still believes empty. Skipped inside a transaction (tests)."""
    if connection.vendor == "postgresql" and not connection.in_atomic_block:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


class Command(BaseCommand):
    help = "Load the sandbox data and write API client credentials as JSON."

    def add_arguments(self, parser):
        parser.add_argument("--credentials-out", help="write the sandbox clients' credentials to this file")
        parser.add_argument("--no-history", action="store_true",
                            help="skip the 90 days of demand history (and so the forecasts and alerts it opens)")

    @transaction.atomic
    def handle(self, *args, **opts):
        suppliers = {}
        for code, name, kind, country in SUPPLIERS:
            suppliers[code], _ = Supplier.objects.get_or_create(
                code=code, defaults={"name": name, "kind": kind, "country": country,
                                     "contact_email": f"ops@{code.lower()}.example"})
        retailers = {}
        for code, name, channel, shelf in RETAILERS:
            retailers[code], _ = RetailPartner.objects.get_or_create(
                code=code, defaults={"name": name, "channel": channel, "minimum_shelf_life_days": shelf,
                                     "contact_email": f"buying@{code.lower()}.example"})
        for sup, ret in TRADING:
            TradingRelationship.objects.get_or_create(supplier=suppliers[sup], retail_partner=retailers[ret])
        warehouses = {}
        for sup, code, name, address in WAREHOUSES:
            warehouses[code], _ = Warehouse.objects.get_or_create(
                supplier=suppliers[sup], code=code, defaults={"name": name, "address": address})
        products = {}
        for index, (sku, name, flavor, shu, ml, ingredients) in enumerate(SAUCES, start=1):
            products[sku], _ = Product.objects.get_or_create(
                sku=sku, defaults={"name": name, "flavor": flavor, "heat_level_shu": shu, "bottle_size_ml": ml,
                                   "ingredients": ingredients, "gtin": gtin_for(index)})
        for sku, name, kind in [("ING-HABANERO-MASH", "Habanero mash (20 kg pail)", "ingredient"),
                                ("PKG-WOOZY-148", "Woozy bottle 148 ml (case of 24)", "packaging")]:
            products[sku], _ = Product.objects.get_or_create(sku=sku, defaults={"name": name, "kind": kind})
        self._seed_stock(suppliers, retailers, products)
        if not opts.get("no_history"):
            demand_history_seed(suppliers=suppliers, products=products, today=timezone.now().date())
            # Forecasts, days of cover and restock alerts are there when `make run` starts,
            # not 15 minutes later when the beat's first run comes round.
            forecasts_recompute()
        active = RestockAlert.objects.filter(status__in=RestockAlert.ACTIVE).count()
        if apps.is_installed("orders.edi"):
            # The sandbox's X12 profiles (ZZ / partner code), kept by the EDI app (inventory never imports orders).
            call_command("edi_seed_profiles", stdout=self.stdout)
        self.stdout.write(self.style.SUCCESS(
            f"Sandbox: {len(suppliers)} suppliers, {len(retailers)} retail partners, {len(products)} products, "
            f"{'no' if opts.get('no_history') else '90 days of'} demand history, {active} active restock alert(s)."))
        path = Path(opts["credentials_out"]) if opts.get("credentials_out") else None
        creds = self._clients(_known_secrets(path))
        analyze_after_bulk_load()
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps({"clients": creds}, indent=2))
            self.stdout.write(f"Sandbox API credentials written to {path}")
        for c in creds:
            self.stdout.write(f"  {c['kind']:<9} {c['partnerId'] or '-':<10} client_id={c['clientId']} "
                              f"secret={c['clientSecret']}")

    def _seed_stock(self, suppliers, retailers, products):
        now = timezone.now()
        sup = suppliers["SUP123"]
        if not InventoryItem.objects.filter(supplier=sup, product=products["HOTSAUCE789"]).exists():
            # The brief's item: 500 on hand, 50 reserved, 450 available.
            services.stock_receive(supplier=sup, product=products["HOTSAUCE789"], quantity=500, actor=None,
                                   warehouse_code="Warehouse_A", batch_number="BATCH202406",
                                   expiration_date=(now + timedelta(days=210)).replace(hour=0, minute=0, second=0,
                                                                                      microsecond=0),
                                   reason="sandbox opening stock", reference="PO-881")
            services.stock_reserve(supplier=sup, product=products["HOTSAUCE789"], quantity=50, actor=None,
                                   retail_partner=retailers["RETAIL456"], reason="sandbox reservation",
                                   reference="SANDBOX-RES-1")
        plan = [("HOTSAUCE101", "Warehouse_A", 320, 45), ("HOTSAUCE101", "Warehouse_B", 120, 160),
                ("HOTSAUCE102", "Warehouse_A", 240, 25), ("HOTSAUCE103", "Warehouse_A", 60, 90),
                ("HOTSAUCE104", "Warehouse_B", 18, 300), ("HOTSAUCE105", "Warehouse_A", 900, 120)]
        for index, (sku, wh, qty, days) in enumerate(plan):
            product = products[sku]
            batch = f"B{sku[-3:]}-{index:02d}"
            if product.batches.filter(batch_number=batch).exists():
                continue
            services.stock_receive(supplier=sup, product=product, quantity=qty, actor=None,
                                   warehouse_code=wh, batch_number=batch,
                                   expiration_date=(now + timedelta(days=days)).replace(microsecond=0),
                                   reason="sandbox opening stock", reference=f"PO-{900 + index}")
        bayou = suppliers["SUP400"]
        for index, sku in enumerate(["HOTSAUCE106", "HOTSAUCE107", "HOTSAUCE108", "HOTSAUCE109"]):
            product = products[sku]
            batch = f"BY{sku[-3:]}-01"
            if product.batches.filter(batch_number=batch).exists():
                continue
            services.stock_receive(supplier=bayou, product=product, quantity=150 + 50 * index, actor=None,
                                   warehouse_code="WH_BAYOU", batch_number=batch,
                                   expiration_date=(now + timedelta(days=180 + 30 * index)).replace(microsecond=0),
                                   reason="sandbox opening stock", reference=f"BY-PO-{index}")

    def _clients(self, known: dict[tuple[str, str | None], tuple[str, str]]):
        wanted = [("supplier", "SUP123"), ("retailer", "RETAIL456"), ("brand", None),
                  ("supplier", "SUP400"), ("retailer", "RETAIL600")]
        creds = []
        for kind, partner in wanted:
            name = f"sandbox {kind} {partner or 'brand'}"
            client = ApiClient.objects.filter(name=name).first()
            client_id, secret = known.get((kind, partner), (None, None))
            if client is None:
                client, c = api_client_create(kind=kind, partner_code=partner, name=name)
                if client_id and not ApiClient.objects.filter(client_id=client_id).exists():
                    # A fresh database beside an old credentials file: the partner's copy still works.
                    client.client_id, client.client_secret = client_id, secret
                    client.save()
                    c.update(clientId=client_id, clientSecret=secret)
                creds.append(c)
                continue
            if client.client_id != client_id or not secret or not check_password(secret, client.client_secret):
                secret = secrets.token_urlsafe(40)
                client.client_secret = secret
                client.save()
            creds.append({"kind": kind, "partnerId": partner, "clientId": client.client_id,
                          "clientSecret": secret, "scopes": sorted(client.scope_set)})
        return creds


def _known_secrets(path: Path | None) -> dict[tuple[str, str | None], tuple[str, str]]:
    """(kind, partner) → (clientId, clientSecret) from an earlier run's credentials file, if readable."""
    if path is None or not path.exists():
        return {}
    try:
        clients = json.loads(path.read_text())["clients"]
        return {(c["kind"], c["partnerId"]): (c["clientId"], c["clientSecret"]) for c in clients}
    except (ValueError, KeyError, TypeError):
        return {}
