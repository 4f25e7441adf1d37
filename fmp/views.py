"""Project-level pages: the home page with its panes, and the health probe."""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib.auth.mixins import LoginRequiredMixin
from django.db import connection
from django.http import JsonResponse
from django.urls import reverse
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView

from documents.models import Document, ExternalLink
from meters.selectors import meter_summary
from printers.selectors import fleet_summary
from supplies.selectors import order_summary
from supplies.views import ORDER_PERMISSION
from tickets.selectors import ticket_summary
from tickets.views import REQUEST_PERMISSION

logger = logging.getLogger(__name__)


class HomeView(LoginRequiredMixin, TemplateView):
    """Three tabs and six panes of the guide, with the account's real figures."""

    template_name = "home.html"

    def get_panes(self) -> list[dict]:
        """The six panes, in the guide's order. A part not built yet says so honestly.
        A pane links only to what the user may do (the permission its views require)."""
        may = self.request.user.has_perm
        panes = [
            {
                "key": "printers",
                "title": _("Printers"),
                "icon": "printer",
                "template": "panes/printers.html",
                "empty_text": _("No printer is monitored for your account yet."),
                "links": [{"url": reverse("printers:printer_list"), "text": _("Printers")}],
            },
            {
                "key": "meters",
                "title": _("Meter reads"),
                "icon": "speedometer2",
                "template": "panes/meters.html",
                "empty_text": _("No device to read."),
                "links": [
                    {"url": reverse("meters:meter_list"), "text": _("Submit meter reads")},
                    {"url": reverse("meters:meter_report"), "text": _("Billing period report")},
                ],
            },
            {
                "key": "supplies",
                "title": _("Supply orders"),
                "icon": "box-seam",
                "template": "panes/supplies.html",
                "empty_text": _("No open supply order."),
                "links": [
                    {"url": reverse("supplies:order_list"), "text": _("View supply orders")},
                    {
                        "url": reverse("supplies:order_start"),
                        "text": _("Order supplies"),
                        "permission": ORDER_PERMISSION,
                    },
                ],
            },
            {
                "key": "tickets",
                "title": _("Service requests"),
                "icon": "tools",
                "template": "panes/tickets.html",
                "empty_text": _("No open service request."),
                "links": [
                    {"url": reverse("tickets:ticket_list"), "text": _("View service requests")},
                    {
                        "url": reverse("tickets:ticket_new"),
                        "text": _("Request service"),
                        "permission": REQUEST_PERMISSION,
                    },
                ],
            },
            {
                "key": "links",
                "title": _("External links"),
                "icon": "link-45deg",
                "template": "panes/external_links.html",
            },
            {
                "key": "documents",
                "title": _("My documents"),
                "icon": "file-earmark-text",
                "template": "panes/documents.html",
                "empty_text": _("Your provider has not shared any document yet."),
                "links": [{"url": reverse("documents:document_list"), "text": _("All my documents")}],
            },
        ]
        for pane in panes:
            pane["links"] = [
                link
                for link in pane.get("links", [])
                if not link.get("permission") or may(link["permission"])
            ]
        return panes

    def get_context_data(self, **kwargs):
        user = self.request.user
        return super().get_context_data(
            panes=self.get_panes(),
            fleet=fleet_summary(user),
            tickets=ticket_summary(user),
            meters=meter_summary(user),
            orders=order_summary(user),
            external_links=list(ExternalLink.objects.for_user(user)[:10]),
            documents=list(Document.objects.for_user(user).published()[:5]),
            **kwargs,
        )


def _check_database() -> dict:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        return {"status": "ok", "vendor": connection.vendor}
    except Exception as exc:  # any failure is "down", and says why
        return {"status": "error", "error": str(exc)[:200]}


def _check_broker() -> dict:
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return {"status": "ok", "mode": "eager (no broker configured)"}
    from kombu import Connection

    try:
        with Connection(settings.CELERY_BROKER_URL, connect_timeout=2) as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
        return {"status": "ok", "mode": "broker"}
    except Exception as exc:
        return {"status": "error", "mode": "broker", "error": str(exc)[:200]}


def _health_details_allowed(request) -> bool:
    """Staff, or a monitoring system that presents ``FMP_HEALTHZ_TOKEN``."""
    from accounts.otp import otp_satisfied

    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated and user.is_staff and otp_satisfied(request):
        return True  # staff past the second factor they must use
    token = settings.FMP_HEALTHZ_TOKEN
    given = request.headers.get("Authorization", "")
    return bool(token) and constant_time_compare(given, f"Bearer {token}")


def healthz(request):
    checks = {"database": _check_database(), "broker": _check_broker()}
    healthy = all(check["status"] == "ok" for check in checks.values())
    if not _health_details_allowed(request):
        # Anonymous callers (load balancers, docker) learn only what is up.
        checks = {name: {"status": check["status"]} for name, check in checks.items()}
    return JsonResponse(
        {"status": "ok" if healthy else "error", "checks": checks}, status=200 if healthy else 503
    )
