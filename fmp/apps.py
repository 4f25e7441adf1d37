from django.contrib.admin.apps import AdminConfig


class PortalAdminConfig(AdminConfig):
    """Django's admin app with the portal's admin site (``fmp.admin_site``)."""

    default_site = "fmp.admin_site.PortalAdminSite"
