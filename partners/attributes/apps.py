from django.apps import AppConfig


class AttributesConfig(AppConfig):
    name = "partners.attributes"
    label = "attributes"
    verbose_name = "Custom attributes"

    def ready(self) -> None:
        from partners.attributes import schema  # noqa: F401  registers the OpenAPI field extension
