from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class TicketsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "tickets"
    verbose_name = _("Service requests")

    def ready(self) -> None:
        from printers.conditions import CONDITION_HANDLERS
        from tickets import checks  # noqa: F401  (registers the settings checks)
        from tickets.catalogue import catalogue_seed
        from tickets.services import monitoring_conditions_handle

        post_migrate.connect(catalogue_seed, sender=self, dispatch_uid="tickets.catalogue_seed")
        if monitoring_conditions_handle not in CONDITION_HANDLERS:
            CONDITION_HANDLERS.append(monitoring_conditions_handle)
