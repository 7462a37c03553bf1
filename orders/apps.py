from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "orders"
    verbose_name = "Orders, shipments and returns"

    def ready(self) -> None:
        from inventory.services import register_stock_arrival_hook
        from orders.tasks import enqueue_backorder_allocation

        # Receipts, restocked returns and releases may serve waiting backorders.
        register_stock_arrival_hook(enqueue_backorder_allocation)
