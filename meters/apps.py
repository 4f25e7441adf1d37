from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MetersConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "meters"
    verbose_name = _("Meter reads")
