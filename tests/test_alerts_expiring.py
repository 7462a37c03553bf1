"""batch.expiring: once per batch, product.expiry_warning_days before it expires."""

from inventory import forecasting, services
from inventory.models import Batch, Product
from inventory.tasks import forecasts_recompute_task
from partners.models import Supplier
from webhooks.models import Event, EventAudience


def expiring_batches() -> list[str]:
    return sorted(e.data["batchNumber"] for e in Event.objects.filter(type="batch.expiring"))


def test_a_batch_inside_its_warning_window_is_announced_once(sandbox):
    # The sandbox's B102-02 (HOTSAUCE102) expires in 25 days; the default warning is 30.
    forecasting.forecasts_recompute()
    assert expiring_batches() == ["B102-02"]
    event = Event.objects.get(type="batch.expiring")
    assert event.data["supplierId"] == "SUP123" and event.data["productId"] == "HOTSAUCE102"
    assert event.data["inventoryLevel"] == 240 and event.data["daysUntilExpiry"] in (24, 25)
    assert EventAudience.objects.filter(event=event, partner_kind="supplier",
                                        partner_id=Supplier.objects.get(code="SUP123").pk).exists()
    assert Batch.objects.get(batch_number="B102-02").expiring_notified_at is not None

    forecasting.forecasts_recompute()
    assert expiring_batches() == ["B102-02"]


def test_the_warning_window_is_the_products_own(sandbox):
    Product.objects.filter(sku="HOTSAUCE101").update(expiry_warning_days=50)  # B101-00 expires in 45 days
    Product.objects.filter(sku="HOTSAUCE102").update(expiry_warning_days=10)  # B102-02 in 25: not yet
    forecasts_recompute_task()
    assert expiring_batches() == ["B101-00"]


def test_a_held_batch_is_not_announced(sandbox):
    services.batch_set_status(batch=Batch.objects.get(batch_number="B102-02"), status="quarantined", reason="lab")
    forecasting.forecasts_recompute()
    assert expiring_batches() == []


def test_an_empty_batch_is_not_announced(sandbox):
    services.stock_remove(supplier=Supplier.objects.get(code="SUP123"), product=Product.objects.get(sku="HOTSAUCE102"),
                          type="writeOff", quantity=240, actor=None, batch_number="B102-02")
    forecasting.forecasts_recompute()
    assert expiring_batches() == []
