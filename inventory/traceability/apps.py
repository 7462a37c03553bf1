from django.apps import AppConfig


class TraceabilityConfig(AppConfig):
    name = "inventory.traceability"
    label = "traceability"
    verbose_name = "Traceability (FSMA 204)"
