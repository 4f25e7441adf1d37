"""Django's admin for the help desk, entered only through the portal's login (password,
then the second factor) and only by a session that has passed the second factor its user
needs (``accounts.otp.otp_satisfied``)."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils.translation import gettext_lazy as _


class PortalAdminSite(admin.AdminSite):
    def has_permission(self, request):
        from accounts.otp import otp_satisfied

        return super().has_permission(request) and otp_satisfied(request)

    def login(self, request, extra_context=None):
        # The admin's own login form would skip the second factor and the portal's
        # lock-out rules: send the visitor to the portal's login page instead.
        if request.user.is_authenticated:
            raise PermissionDenied
        return redirect_to_login(request.GET.get("next") or reverse("admin:index"), reverse("accounts:login"))


class EventKeyListFilter(admin.SimpleListFilter):
    """Filter by an event's key (``supplies.order.placed``), each shown by its translated
    label ("Order placed"): the keys present in the table, in the reader's language."""

    title = _("event")
    parameter_name = "key"

    def lookups(self, request, model_admin):
        from fmp.texts import event_label

        keys = model_admin.get_queryset(request).order_by().values_list("key", flat=True).distinct()
        return sorted(((key, event_label(key)) for key in keys), key=lambda choice: str(choice[1]))

    def queryset(self, request, queryset):
        return queryset.filter(key=self.value()) if self.value() else queryset
