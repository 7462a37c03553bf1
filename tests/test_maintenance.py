"""The sandbox loader and the periodic maintenance tasks."""

import io
import json
from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.auth.hashers import check_password
from django.core.management import call_command
from django.utils import timezone

from hotsauce.api.models import IdempotencyRecord
from hotsauce.api.tasks import idempotency_purge_task
from hotsauce.celery import app
from inventory.models import Batch, Forecast, InventoryItem, InventoryTransaction, Product, RestockAlert, StockLot
from inventory.replenishment.models import DemandHistory
from inventory.tasks import reconcile_task
from partners.models import ApiClient, RetailPartner, Supplier, TradingRelationship


def _counts():
    return [model.objects.count() for model in (Supplier, RetailPartner, TradingRelationship, Product, Batch,
                                                InventoryItem, StockLot, InventoryTransaction, ApiClient)]


def test_seed_demo_twice_duplicates_nothing_and_keeps_the_sandbox_credentials(db, tmp_path):
    out = tmp_path / "creds.json"
    call_command("seed_demo", "--no-history", "--credentials-out", str(out), stdout=io.StringIO())
    first = _counts()
    first_creds = json.loads(out.read_text())["clients"]
    call_command("seed_demo", "--no-history", "--credentials-out", str(out), stdout=io.StringIO())
    assert _counts() == first
    again = json.loads(out.read_text())["clients"]
    assert again == first_creds  # same clientId and secret: a partner's copy keeps working
    for cred in again:  # and the stored (hashed) secret is still the one written
        client = ApiClient.objects.get(client_id=cred["clientId"])
        assert check_password(cred["clientSecret"], client.client_secret)
    suppliers, retailers, _, products, *_ = first
    assert suppliers >= 3 and retailers >= 4 and Product.objects.filter(kind="finished_sauce").count() >= 12
    assert {c.kind for c in ApiClient.objects.all()} == {"supplier", "retailer", "brand"}


def test_a_credentials_file_that_no_longer_proves_a_secret_gets_a_fresh_one_written(db, tmp_path):
    out = tmp_path / "creds.json"
    call_command("seed_demo", "--no-history", "--credentials-out", str(out), stdout=io.StringIO())
    clients = json.loads(out.read_text())["clients"]
    clients[0]["clientSecret"] = "edited-by-hand"
    out.write_text(json.dumps({"clients": clients}))
    call_command("seed_demo", "--no-history", "--credentials-out", str(out), stdout=io.StringIO())
    again = json.loads(out.read_text())["clients"]
    assert again[0]["clientId"] == clients[0]["clientId"]
    assert again[0]["clientSecret"] != "edited-by-hand"
    assert check_password(again[0]["clientSecret"], ApiClient.objects.get(client_id=again[0]["clientId"]).client_secret)
    assert again[1:] == clients[1:]


def test_a_fresh_database_beside_an_old_credentials_file_reuses_its_ids_and_secrets(db, tmp_path):
    out = tmp_path / "creds.json"
    call_command("seed_demo", "--no-history", "--credentials-out", str(out), stdout=io.StringIO())
    clients = json.loads(out.read_text())["clients"]
    ApiClient.objects.filter(name__startswith="sandbox ").delete()
    call_command("seed_demo", "--no-history", "--credentials-out", str(out), stdout=io.StringIO())
    assert json.loads(out.read_text())["clients"] == clients


def test_seed_demo_loads_ninety_days_of_seasonal_demand_and_opens_restock_alerts(db):
    call_command("seed_demo", stdout=io.StringIO())
    history = DemandHistory.objects.filter(product__sku="HOTSAUCE789")
    assert history.count() == 90
    by_weekday = {}
    for row in history:
        by_weekday.setdefault(row.date.weekday(), []).append(row.quantity)
    mean = {day: sum(q) / len(q) for day, q in by_weekday.items()}
    assert mean[5] > mean[1]  # Saturdays sell more than Tuesdays
    assert len({row.quantity for row in history}) > 5  # noise, not a flat line
    assert Forecast.objects.filter(average_daily_demand__gt=0).count() >= 10
    open_alerts = set(RestockAlert.objects.filter(status="open").values_list("item__product__sku", flat=True))
    assert open_alerts and open_alerts <= {"HOTSAUCE103", "HOTSAUCE104"}
    before = list(history.order_by("date").values_list("date", "quantity"))
    call_command("seed_demo", stdout=io.StringIO())  # deterministic: the same days get the same figures
    assert list(history.order_by("date").values_list("date", "quantity")) == before


def test_every_beat_entry_names_a_registered_task():
    app.loader.import_default_modules()
    missing = [entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values() if entry["task"] not in app.tasks]
    assert missing == []


def test_the_reconcile_task_finds_no_drift_in_the_sandbox(sandbox):
    assert reconcile_task() == 0


def test_the_reconcile_command_reports_drift_when_a_balance_is_tampered_with(sandbox):
    lot = StockLot.objects.filter(on_hand__gt=0).first()
    StockLot.objects.filter(pk=lot.pk).update(on_hand=lot.on_hand + 1)  # simulate a bug outside the services
    assert reconcile_task() == 1
    out = io.StringIO()
    with pytest.raises(SystemExit) as exit_info:
        call_command("reconcile_inventory", stdout=out)
    assert exit_info.value.code == 1
    assert f"lot {lot.pk}" in out.getvalue()


def test_idempotency_records_are_purged_after_their_retention(db):
    now = timezone.now()
    old = IdempotencyRecord.objects.create(client_key="client:1", key="old", fingerprint="x", method="POST",
                                           path="/p", locked_until=now)
    IdempotencyRecord.objects.filter(pk=old.pk).update(
        created_at=now - timedelta(seconds=settings.IDEMPOTENCY_TTL_SECONDS + 60))
    IdempotencyRecord.objects.create(client_key="client:1", key="new", fingerprint="x", method="POST", path="/p",
                                     locked_until=now)
    assert idempotency_purge_task() == 1
    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["new"]
