"""Celery entry points: ids in, a service call, nothing else."""

from celery import shared_task
from django.db import InterfaceError, OperationalError

from webhooks import delivery, services

# A lost database connection (restart, failover, a killed backend) is worth a quick second
# try; after these the claim lease and the sweeper are the backstop.
DATABASE_RETRIES = 5
DATABASE_RETRY_SECONDS = 2


@shared_task(name="webhooks.delivery_send", ignore_result=True, bind=True, max_retries=DATABASE_RETRIES)
def delivery_send(self, delivery_id: int) -> None:
    try:
        delivery.delivery_attempt(delivery_id=delivery_id)
    except (OperationalError, InterfaceError) as exc:
        raise self.retry(exc=exc, countdown=DATABASE_RETRY_SECONDS) from exc


@shared_task(name="webhooks.deliveries_sweep", ignore_result=True)
def deliveries_sweep() -> None:
    delivery.deliveries_sweep()


@shared_task(name="webhooks.events_purge", ignore_result=True)
def events_purge() -> None:
    services.events_purge()
