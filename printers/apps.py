from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PrintersConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "printers"
    verbose_name = _("Printers")
