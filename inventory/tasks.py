import logging

from celery import shared_task
from django.conf import settings

from inventory import services
from inventory.forecasting import forecasts_recompute


@shared_task(name="inventory.reconcile")
def reconcile_task() -> int:
    return len(services.reconcile())


@shared_task(name="inventory.forecasts_recompute")
def forecasts_recompute_task() -> int:
    """Recompute forecasts, open and resolve restock alerts, warn of expiring batches (beat: hourly)."""
    return forecasts_recompute().items


@shared_task(name="inventory.reservations_expire")
def reservations_expire_task() -> int:
    return services.reservations_expire()


logger = logging.getLogger("hotsauce.inventory")


@shared_task(name="inventory.forecasts_recompute_items")
def forecasts_recompute_items_task(item_ids: list[int]) -> int:
    return forecasts_recompute(item_ids=sorted(set(item_ids))).items


def forecasts_refresh_enqueue(item_ids: list[int]) -> None:
    """On commit of a change that leaves orders waiting: those items' alerts follow now (docs/supply.md)."""
    try:
        if getattr(settings, "CELERY_TASK_ALWAYS_EAGER", False):
            forecasts_recompute_items_task.apply(args=(list(item_ids),))
        else:
            forecasts_recompute_items_task.delay(list(item_ids))
    except Exception:  # the broker is down: the periodic run (every 15 minutes) catches up
        logger.exception("Could not enqueue a forecast of items %s", item_ids)
