"""Service requests (tickets), their catalogue of services and applications, and their history."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from accounts.models import Account, Site
from accounts.tenancy import DeviceHistoryRecord, TenantManager
from fmp.texts import StoredText, local_datetime
from tickets.choices import EventKind, Severity, TicketOrigin, TicketState


class ServiceType(models.Model):
    """A service users can request ("Submit a Field Service Request"...), edited by the help desk."""

    code = models.SlugField(_("code"), unique=True)
    name = models.CharField(_("name (French)"), max_length=150)
    name_en = models.CharField(_("name (English)"), max_length=150)
    requires_device = models.BooleanField(
        _("needs a device"),
        default=False,
        help_text=_("Untick for services a user may request without a device."),
    )
    is_application_support = models.BooleanField(
        _("MPS application support"),
        default=False,
        help_text=_("Asks for severity, application category and application."),
    )
    active = models.BooleanField(_("active"), default=True)
    order = models.PositiveIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("service")
        verbose_name_plural = _("services")
        ordering = ["order", "name"]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        return self.name_en if translation.get_language() == "en" else self.name


class ApplicationCategory(models.Model):
    """A family of MPS applications ("Scanning & Faxing"), named in both languages like the
    services (the applications themselves are product names: one name)."""

    name = models.CharField(_("name (French)"), max_length=100, unique=True)
    name_en = models.CharField(_("name (English)"), max_length=100, blank=True)
    order = models.PositiveIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("application category")
        verbose_name_plural = _("application categories")
        ordering = ["order", "name"]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        """The name in the reader's language (the French one when no English is given)."""
        if translation.get_language() == "en" and self.name_en:
            return self.name_en
        return self.name


class Application(models.Model):
    category = models.ForeignKey(
        ApplicationCategory, verbose_name=_("category"), on_delete=models.CASCADE, related_name="applications"
    )
    name = models.CharField(_("name"), max_length=100)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("application")
        verbose_name_plural = _("applications")
        ordering = ["category__order", "name"]
        constraints = [models.UniqueConstraint("category", "name", name="application_unique_per_category")]

    def __str__(self) -> str:
        return self.name


class Ticket(DeviceHistoryRecord):
    """A service request on a device (or a user service without device), of the account the
    device had when it was opened (a device moved to another account leaves it behind)."""

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
    service = models.ForeignKey(
        ServiceType,
        verbose_name=_("service"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    state = models.CharField(
        _("ticket state"), max_length=20, choices=TicketState.choices, default=TicketState.NEW, db_index=True
    )
    summary = models.CharField(_("summary"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    # Written by the portal (automatic tickets): code and parameters, worded for each
    # reader (fmp.texts); empty for what a person typed.
    summary_code = models.JSONField(_("generated text"), null=True, blank=True, editable=False)
    description_code = models.JSONField(_("generated text"), null=True, blank=True, editable=False)
    occurred_at = models.DateTimeField(_("date of occurrence"))
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requester"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="tickets",
    )
    contact_name = models.CharField(_("other contact: name"), max_length=150, blank=True)
    contact_email = models.EmailField(_("other contact: e-mail"), blank=True)
    contact_phone = models.CharField(_("other contact: phone"), max_length=40, blank=True)
    origin = models.CharField(
        _("origin"), max_length=20, choices=TicketOrigin.choices, default=TicketOrigin.PORTAL
    )
    severity = models.PositiveSmallIntegerField(
        _("severity"), choices=Severity.choices, null=True, blank=True
    )
    application = models.ForeignKey(
        Application,
        verbose_name=_("application"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    source_reference = models.CharField(_("source system reference #"), max_length=100, blank=True)
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assigned to"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_tickets",
        limit_choices_to={"is_staff": True},
    )
    condition_code = models.CharField(_("monitoring condition"), max_length=40, blank=True)
    # The device conditions of an automatic ticket: the one that opened it, then those raised
    # while it was open. It says so when all of them have cleared.
    conditions = models.ManyToManyField(
        "printers.DeviceCondition",
        verbose_name=_("device conditions"),
        through="TicketCondition",
        related_name="tickets",
        blank=True,
    )
    # Sent by the service-request form once: a second submission of the same form (double
    # click, back button) finds the ticket the first one made.
    submission_key = models.UUIDField(_("submission key"), null=True, blank=True, unique=True, editable=False)
    helpdesk_touched = models.BooleanField(_("handled by the help desk"), default=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = TenantManager()

    class Meta:
        verbose_name = _("service request")
        verbose_name_plural = _("service requests")
        ordering = ["-occurred_at"]
        indexes = [
            models.Index(fields=["device", "-occurred_at"]),
            models.Index(fields=["account", "-occurred_at"]),
        ]
        constraints = [
            # One open automatic ticket per device and account (its incident), whatever the
            # workers do: later conditions join it; a device moved to another account opens
            # the new account's own.
            models.UniqueConstraint(
                "device",
                "account",
                condition=Q(origin="monitoring") & Q(state__in=["new", "in_progress"]),
                name="ticket_one_open_automatic_per_device",
            )
        ]

    summary_shown = StoredText("summary")
    description_shown = StoredText("description")

    def __str__(self) -> str:
        return self.number

    @property
    def state_badge(self) -> str:
        return TicketState.badge(self.state)

    @property
    def is_automatic(self) -> bool:
        """Opened by monitoring, not by a person (no requester)."""
        return self.origin == TicketOrigin.MONITORING


class TicketCondition(models.Model):
    """A device condition that belongs to an automatic ticket (raised while it was open)."""

    ticket = models.ForeignKey(
        Ticket, verbose_name=_("ticket"), on_delete=models.CASCADE, related_name="condition_links"
    )
    condition = models.ForeignKey(
        "printers.DeviceCondition", verbose_name=_("condition"), on_delete=models.CASCADE, related_name="+"
    )
    added_at = models.DateTimeField(_("added"), auto_now_add=True)

    class Meta:
        verbose_name = _("condition of the ticket")
        verbose_name_plural = _("conditions of the ticket")
        ordering = ["added_at", "pk"]
        constraints = [
            models.UniqueConstraint("ticket", "condition", name="ticket_condition_once"),
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.condition_id}"


class TicketEvent(models.Model):
    """History of a ticket: creation, state changes, comments (public or internal)."""

    ticket = models.ForeignKey(
        Ticket, verbose_name=_("ticket"), on_delete=models.CASCADE, related_name="events"
    )
    at = models.DateTimeField(_("at"), auto_now_add=True, db_index=True)
    kind = models.CharField(_("kind"), max_length=20, choices=EventKind.choices, default=EventKind.COMMENT)
    public = models.BooleanField(
        _("visible to the customer"), default=True, help_text=_("Internal notes never reach the portal.")
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("author"), null=True, blank=True, on_delete=models.SET_NULL
    )
    text = models.TextField(_("text"), blank=True)
    text_code = models.JSONField(
        _("generated text"), null=True, blank=True, editable=False
    )  # a note the portal wrote
    old_state = models.CharField(_("previous state"), max_length=20, blank=True, choices=TicketState.choices)
    new_state = models.CharField(_("new state"), max_length=20, blank=True, choices=TicketState.choices)

    class Meta:
        verbose_name = _("ticket history entry")
        verbose_name_plural = _("ticket history")
        ordering = ["at", "pk"]

    text_shown = StoredText("text")

    def __str__(self) -> str:
        # The admin's title of each history row: in the reader's language and time zone.
        return f"{self.get_kind_display()} · {local_datetime(self.at)}"
