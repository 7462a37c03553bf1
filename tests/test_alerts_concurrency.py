"""Two runs at once still open one alert: the advisory lock and the partial unique constraint."""

import threading

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from inventory import forecasting
from inventory.models import RestockAlert
from tests import factories
from tests.test_forecast_support import item_with_history
from webhooks.models import Event

pytestmark = pytest.mark.postgres


@pytest.fixture
def low_item(db):
    sup, prod = factories.supplier(), factories.product()
    factories.warehouse(sup)
    item_with_history(sup, prod, [10] * 20, stock=250)  # 50 left, reorder point 70
    return sup, prod


def test_a_second_active_alert_for_an_item_is_refused_by_the_database(low_item):
    forecasting.forecasts_recompute()
    alert = RestockAlert.objects.get()
    with pytest.raises(IntegrityError), transaction.atomic():
        RestockAlert.objects.create(item=alert.item, status="acknowledged", available_quantity=1, reorder_point=2,
                                    opened_at=timezone.now())
    RestockAlert.objects.filter(pk=alert.pk).update(status="resolved")
    RestockAlert.objects.create(item=alert.item, available_quantity=1, reorder_point=2, opened_at=timezone.now())


@pytest.mark.django_db(transaction=True)
def test_concurrent_runs_open_one_alert_and_one_event(low_item):
    barrier = threading.Barrier(4)
    errors = []

    def run():
        try:
            barrier.wait()
            forecasting.forecasts_recompute()
        except Exception as exc:  # surfaced by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert RestockAlert.objects.count() == 1
    assert Event.objects.filter(type="alert.restock").count() == 1
