from django.apps import AppConfig


class ProductionConfig(AppConfig):
    name = "inventory.production"
    label = "production"
    verbose_name = "Production runs and genealogy"
