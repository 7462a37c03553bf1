from celery import shared_task

from hotsauce.api.idempotency import idempotency_purge


@shared_task(name="api.idempotency_purge")
def idempotency_purge_task() -> int:
    return idempotency_purge()
