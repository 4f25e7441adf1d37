from django.db import models
from django.utils.translation import gettext_lazy as _


class TicketState(models.TextChoices):
    NEW = "new", _("New")
    IN_PROGRESS = "in_progress", _("In progress")
    DONE = "done", _("Done")

    @classmethod
    def badge(cls, value: str) -> str:
        return {"new": "primary", "in_progress": "warning", "done": "success"}.get(value, "secondary")


OPEN_STATES = (TicketState.NEW, TicketState.IN_PROGRESS)


class TicketOrigin(models.TextChoices):
    PORTAL = "portal", _("Portal")
    MONITORING = "monitoring", _("Monitoring")
    HELP_DESK = "helpdesk", _("Help desk")
