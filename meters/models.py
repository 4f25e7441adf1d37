"""Meter reads: what customers are billed on. Never lost, never silently changed."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.models import Account
from accounts.tenancy import DeviceHistoryRecord, TenantManager
from fmp.texts import local_date
from meters.choices import AnomalyState, ReadSource
from printers.choices import CounterType


class MeterRead(DeviceHistoryRecord):
    """One read of one counter of a device: automatic (polling), manual, estimated or a correction.

    A correction never edits a read: it is a new read that supersedes the original, with
    who made it and why; the original stays. Every read belongs to the account the device
    had when it was made (the one billed for it): a device moved to another account starts
    a new history there.
    """

    device = models.ForeignKey(
        "printers.Device", verbose_name=_("device"), on_delete=models.CASCADE, related_name="meter_reads"
    )
    account = models.ForeignKey(
        Account,
        verbose_name=_("account"),
        on_delete=models.PROTECT,
        related_name="meter_reads",
        db_index=False,  # reads are always reached through their device (indexes below)
    )
    counter = models.CharField(_("counter"), max_length=20, choices=CounterType.choices)
    value = models.BigIntegerField(_("value"))
    read_at = models.DateTimeField(_("read on"), db_index=True)
    source = models.CharField(_("source"), max_length=20, choices=ReadSource.choices)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    description = models.CharField(_("description"), max_length=500, blank=True)
    below_previous = models.BooleanField(
        _("lower than the previous read"),
        default=False,
        help_text=_("A counter that went backwards: see anomalies."),
    )
    corrects = models.ForeignKey(
        "self",
        verbose_name=_("corrects"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="corrections",
    )
    superseded = models.BooleanField(_("superseded by a correction"), default=False)
    created_at = models.DateTimeField(_("recorded"), auto_now_add=True)

    objects = TenantManager()

    class Meta:
        verbose_name = _("meter read")
        verbose_name_plural = _("meter reads")
        ordering = ["-read_at", "-pk"]
        indexes = [
            models.Index(fields=["device", "counter", "-read_at"]),
            # The newest read of each device (read status on the lists and home, 10,000 at once).
            models.Index(
                fields=["device", "-read_at"], condition=Q(superseded=False), name="meter_read_latest"
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(value__gte=0), name="meter_read_not_negative"),
            models.CheckConstraint(
                condition=Q(source="correction", corrects__isnull=False) | ~Q(source="correction"),
                name="meter_correction_names_its_read",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.device_id} {self.counter}={self.value} ({local_date(self.read_at)})"


class MeterAnomaly(models.Model):
    """A counter that went backwards in polling (device swapped, board replaced, a reboot
    that read 0, or a manual read above the device's own counter: ``previous_value`` is
    then that manual read's).

    A drop itself never bills. Once a meter replacement is confirmed, billing continues
    from the new meter; otherwise (undecided: the billing line is to check, or dismissed)
    the counter's last good value is kept and, when the counter is back in its range, only
    the pages above that value bill (``meters.services.counter_usage``).
    """

    tenant_path = "device__account"

    device = models.ForeignKey(
        "printers.Device", verbose_name=_("device"), on_delete=models.CASCADE, related_name="meter_anomalies"
    )
    counter = models.CharField(_("counter"), max_length=20, choices=CounterType.choices)
    previous_value = models.BigIntegerField(_("previous value"))
    new_value = models.BigIntegerField(_("new value"))
    detected_at = models.DateTimeField(_("detected"))
    state = models.CharField(
        _("state"), max_length=20, choices=AnomalyState.choices, default=AnomalyState.OPEN
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=500, blank=True)

    objects = TenantManager()

    class Meta:
        verbose_name = _("meter anomaly")
        verbose_name_plural = _("meter anomalies")
        ordering = ["-detected_at"]

    def __str__(self) -> str:
        return f"{self.device_id} {self.counter}: {self.previous_value} → {self.new_value}"


class MeterReminder(models.Model):
    """A "meter read due" reminder sent for a device and month (so a task run twice sends once)."""

    device = models.ForeignKey(
        "printers.Device", verbose_name=_("device"), on_delete=models.CASCADE, related_name="+"
    )
    month = models.DateField(_("month"))
    sent_at = models.DateTimeField(_("sent"), auto_now_add=True)
    recipients = models.PositiveIntegerField(_("recipients"), default=0)

    class Meta:
        verbose_name = _("meter read reminder")
        verbose_name_plural = _("meter read reminders")
        constraints = [models.UniqueConstraint("device", "month", name="meter_reminder_once_a_month")]

    def __str__(self) -> str:
        return f"{self.device_id} {self.month:%Y-%m}"
