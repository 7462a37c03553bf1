from celery import shared_task

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
