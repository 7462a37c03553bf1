from django.apps import AppConfig


class EdiConfig(AppConfig):
    name = "orders.edi"
    label = "edi"
    verbose_name = "EDI and GS1 logistics"
