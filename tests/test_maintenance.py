"""The sandbox loader and the periodic maintenance tasks."""

import io
from datetime import timedelta

import pytest
from django.conf import settings
from django.core.management import call_command
from django.utils import timezone

from hotsauce.api.models import IdempotencyRecord
from hotsauce.api.tasks import idempotency_purge_task
from hotsauce.celery import app
from inventory.models import Batch, InventoryItem, InventoryTransaction, Product, StockLot
from inventory.tasks import reconcile_task
from partners.models import ApiClient, RetailPartner, Supplier, TradingRelationship


def _counts():
    return [model.objects.count() for model in (Supplier, RetailPartner, TradingRelationship, Product, Batch,
                                                InventoryItem, StockLot, InventoryTransaction, ApiClient)]


def test_seed_demo_twice_duplicates_nothing_and_rotates_sandbox_secrets(db, tmp_path):
    out = tmp_path / "creds.json"
    call_command("seed_demo", "--credentials-out", str(out), stdout=io.StringIO())
    first = _counts()
    first_creds = out.read_text()
    call_command("seed_demo", "--credentials-out", str(out), stdout=io.StringIO())
    assert _counts() == first
    assert out.read_text() != first_creds  # old secrets are hashed: new ones are issued and written
    suppliers, retailers, _, products, *_ = first
    assert suppliers >= 3 and retailers >= 4 and Product.objects.filter(kind="finished_sauce").count() >= 12
    assert {c.kind for c in ApiClient.objects.all()} == {"supplier", "retailer", "brand"}


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
