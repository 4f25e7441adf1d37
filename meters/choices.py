from django.db import models
from django.utils.translation import gettext_lazy as _


class ReadSource(models.TextChoices):
    AUTOMATIC = "automatic", _("Automatic (polling)")
    MANUAL = "manual", _("Manual")
    ESTIMATED = "estimated", _("Estimated")
    CORRECTION = "correction", _("Correction by the help desk")


class ReadStatus(models.TextChoices):
    UP_TO_DATE = "up_to_date", _("Up to date")
    DUE = "due", _("Due")
    OVERDUE = "overdue", _("Overdue")
    UNKNOWN = "unknown", _("Unknown")

    @classmethod
    def badge(cls, value: str) -> str:
        return {"up_to_date": "success", "due": "warning", "overdue": "danger"}.get(value, "secondary")


class AnomalyState(models.TextChoices):
    OPEN = "open", _("To check")
    REPLACED = "replaced", _("Meter replacement confirmed")
    DISMISSED = "dismissed", _("Dismissed")
