"""Celery entry points: ids in, a service call, nothing else."""

from celery import shared_task

from webhooks import delivery, services


@shared_task(name="webhooks.delivery_send", ignore_result=True)
def delivery_send(delivery_id: int) -> None:
    delivery.delivery_attempt(delivery_id=delivery_id)


@shared_task(name="webhooks.deliveries_sweep", ignore_result=True)
def deliveries_sweep() -> None:
    delivery.deliveries_sweep()


@shared_task(name="webhooks.events_purge", ignore_result=True)
def events_purge() -> None:
    services.events_purge()
