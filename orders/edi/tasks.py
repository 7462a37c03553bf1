from celery import shared_task

from orders.edi import services


@shared_task(name="edi.inventory_advice_all")
def inventory_advice_all() -> int:
    """The scheduled 846s (settings.CELERY_BEAT_SCHEDULE["edi-inventory-advice"])."""
    return services.inventory_advice_all()
