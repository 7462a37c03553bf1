from django.apps import AppConfig


class PromotionsConfig(AppConfig):
    name = "inventory.promotions"
    label = "promotions"
    verbose_name = "Promotions"
