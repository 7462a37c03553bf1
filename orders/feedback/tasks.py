from celery import shared_task

from orders.feedback import services


@shared_task(name="feedback.stock_reconcile")
def stock_reconcile_task() -> int:
    """Beat: compare retailers' latest stock reports with shipped − sold − returned."""
    return len(services.stock_reports_reconcile())
