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


class Severity(models.IntegerChoices):
    CRITICAL = 1, _("1 - Critical: Very High Business Impact")
    SEVERE = 2, _("2 - Severe: High Business Impact")
    MODERATE = 3, _("3 - Moderate: Moderate Business Impact")
    MINIMAL = 4, _("4 - Minimal: Minimal Business Impact")


class EventKind(models.TextChoices):
    CREATED = "created", _("Created")
    STATE = "state", _("State changed")
    COMMENT = "comment", _("Comment")
    CONDITION_ADDED = "condition_added", _("Condition added")
    CONDITION_CLEARED = "condition_cleared", _("Condition cleared")
    ASSIGNED = "assigned", _("Assigned")


class ConditionAction(models.TextChoices):
    """What monitoring does when a device condition is raised (``tickets.rules``)."""

    TICKET = "ticket", _("Automatic ticket for the help desk")
    NOTIFY = "notify", _("E-mail to the customer's users")
    NOTHING = "nothing", _("Nothing (shown on the device only)")
