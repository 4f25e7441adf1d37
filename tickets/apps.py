from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TicketsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "tickets"
    verbose_name = _("Service requests")

    def ready(self) -> None:
        from printers.conditions import CONDITION_HANDLERS
        from tickets.services import monitoring_conditions_handle

        if monitoring_conditions_handle not in CONDITION_HANDLERS:
            CONDITION_HANDLERS.append(monitoring_conditions_handle)
