from celery import shared_task

from inventory.forecasting import forecasts_recompute
from inventory.services.reconcile import reconcile


@shared_task(name="inventory.reconcile")
def reconcile_task() -> int:
    return len(reconcile())


@shared_task(name="inventory.forecasts_recompute")
def forecasts_recompute_task() -> int:
    """Recompute forecasts, open and resolve restock alerts, warn of expiring batches (beat: hourly)."""
    return forecasts_recompute().items
