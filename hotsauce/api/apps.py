from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "hotsauce.api"
    label = "api"
    verbose_name = "API plumbing"

    def ready(self) -> None:
        from hotsauce import jobs, observability
        from hotsauce.api import schema  # noqa: F401  registers the OpenAPI auth extensions

        observability.install()
        jobs.install()
