from axes.apps import AppConfig as DjangoAxesConfig
from django.contrib.admin.apps import AdminConfig
from django.utils.translation import gettext_lazy as _


class PortalAdminConfig(AdminConfig):
    """Django's admin app with the portal's admin site (``fmp.admin_site``)."""

    default_site = "fmp.admin_site.PortalAdminSite"


class AxesConfig(DjangoAxesConfig):
    """django-axes (login lock-out) under a name the help desk reads in its language: the
    package gives none, and the admin showed its label, "AXES"."""

    verbose_name = _("Login security")
