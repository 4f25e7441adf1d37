"""Service requests (tickets). The full portal flow builds on this model."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.models import Account, Site
from accounts.tenancy import TenantManager
from tickets.choices import TicketOrigin, TicketState


class Ticket(models.Model):
    """A service request on a device (or a user service without device)."""

    tenant_path = "account"

    number = models.CharField(_("ticket number"), max_length=8, unique=True)
    account = models.ForeignKey(
        Account, verbose_name=_("account"), on_delete=models.PROTECT, related_name="tickets"
    )
    site = models.ForeignKey(
        Site, verbose_name=_("site"), null=True, blank=True, on_delete=models.SET_NULL, related_name="tickets"
    )
    device = models.ForeignKey(
        "printers.Device",
        verbose_name=_("device"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="tickets",
    )
    state = models.CharField(
        _("ticket state"), max_length=20, choices=TicketState.choices, default=TicketState.NEW, db_index=True
    )
    summary = models.CharField(_("summary"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    occurred_at = models.DateTimeField(_("date of occurrence"))
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requester"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="tickets",
    )
    origin = models.CharField(
        _("origin"), max_length=20, choices=TicketOrigin.choices, default=TicketOrigin.PORTAL
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = TenantManager()

    class Meta:
        verbose_name = _("service request")
        verbose_name_plural = _("service requests")
        ordering = ["-occurred_at"]
        indexes = [models.Index(fields=["device", "-occurred_at"])]

    def __str__(self) -> str:
        return self.number
