from django.apps import AppConfig


class ReplenishmentConfig(AppConfig):
    name = "inventory.replenishment"
    label = "replenishment"
    verbose_name = "Replenishment inputs"
