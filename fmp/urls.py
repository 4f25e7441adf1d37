from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from accounts.views import SettingsView
from fmp import views

admin.site.site_header = _("FMP help desk")
admin.site.site_title = _("FMP help desk")
admin.site.index_title = _("Fleet administration")

urlpatterns = [
    path("", views.HomeView.as_view(), name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("settings/", SettingsView.as_view(), name="settings"),
    path("accounts/", include("accounts.urls")),
    path("printers/", include("printers.urls")),
    path("tickets/", include("tickets.urls")),
    path("meters/", include("meters.urls")),
    path("supplies/", include("supplies.urls")),
    path("documents/", include("documents.urls")),
    path("collector/v1/", include("collectors.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
]
