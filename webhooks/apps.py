from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "webhooks"
    verbose_name = "Events and webhooks"

    def ready(self) -> None:
        from webhooks.delivery import deliveries_create_for_event
        from webhooks.services import register_after_emit

        register_after_emit(deliveries_create_for_event)
