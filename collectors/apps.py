from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CollectorsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "collectors"
    verbose_name = _("Site collectors")
