from django.db import models
from django.utils.translation import gettext_lazy as _


class Language(models.TextChoices):
    # Each language is named in itself, so that anyone can find their own.
    FRENCH = "fr", "Français"
    ENGLISH = "en", "English"


class HistoryScope(models.TextChoices):
    LAST_90_DAYS = "90", _("Only the last 90 days")
    ALL = "all", _("All")
