from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "orders"
    verbose_name = "Orders, shipments and returns"

    def ready(self) -> None:
        from inventory.services import stock_arrival_hook_set
        from orders.tasks import enqueue_backorder_allocation

        # The one trigger for backorder allocation: the stock core calls it on commit of every
        # change that may have freed units (receipts, restocked returns, releases, cancellations).
        stock_arrival_hook_set(enqueue_backorder_allocation)
