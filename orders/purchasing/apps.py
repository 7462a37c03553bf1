from django.apps import AppConfig


class PurchasingConfig(AppConfig):
    name = "orders.purchasing"
    label = "purchasing"
    verbose_name = "Purchasing"

    def ready(self) -> None:
        from inventory.forecasting import backorders_provider_set
        from orders.purchasing.demand import backorder_demand

        # The one source of "units open orders still wait for" that the forecast counts as demand.
        backorders_provider_set(backorder_demand)
