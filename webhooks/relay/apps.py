from django.apps import AppConfig


class RelayConfig(AppConfig):
    name = "webhooks.relay"
    label = "webhooks_relay"
    verbose_name = "Event relay to RabbitMQ"
    default_auto_field = "django.db.models.BigAutoField"
