from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "webhooks"
    verbose_name = "Events and webhooks"

    def ready(self) -> None:
        from hotsauce import metrics
        from webhooks.metrics import OutboxCollector

        metrics.state_collector_register(OutboxCollector())
