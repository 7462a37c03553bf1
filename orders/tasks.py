import logging

from celery import shared_task
from django.conf import settings

from orders import services

logger = logging.getLogger("hotsauce.orders")


@shared_task(name="orders.allocate_backorders")
def allocate_backorders(item_id: int) -> int:
    return services.backorders_allocate(item_id=item_id)


@shared_task(name="orders.allocate_all_backorders")
def allocate_all_backorders() -> int:
    """Safety net for a lost trigger (broker down at commit): try every item with open backorders."""
    return sum(services.backorders_allocate(item_id=item_id) for item_id in services.items_with_backorders())


def enqueue_backorder_allocation(item_id: int) -> None:
    """Stock-arrival hook, run on commit: hand the allocation to a worker."""
    try:
        # Celery reads its settings once; honour a later override too (tests, single-process runs).
        if getattr(settings, "CELERY_TASK_ALWAYS_EAGER", False):
            allocate_backorders.apply(args=(item_id,))
        else:
            allocate_backorders.delay(item_id)
    except Exception:  # the broker is down: the periodic sweep picks the item up later
        logger.exception("Could not enqueue backorder allocation for item %s", item_id)
