from celery import shared_task

from inventory.services_reconcile import reconcile


@shared_task(name="inventory.reconcile")
def reconcile_task() -> int:
    return len(reconcile())
