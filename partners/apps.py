from django.apps import AppConfig
from django.db.models.signals import post_migrate


class PartnersConfig(AppConfig):
    name = "partners"
    verbose_name = "Partners and API clients"

    def ready(self) -> None:
        from partners.staff_roles import sync_after_migrate

        # Staff groups follow the models: apps migrated later still get the auditor's view rights.
        post_migrate.connect(sync_after_migrate, dispatch_uid="partners.staff_groups")
