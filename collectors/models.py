"""Site collectors: programs on a customer's network that poll its printers with the FMP
engine and send what they found over outbound HTTPS (see fmp_collector/PROTOCOL.md).

A collector belongs to one account (optionally one site). It authenticates every request
with its own Ed25519 key; the portal keeps only the public half.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.models import Account, Site
from accounts.tenancy import TenantQuerySet


class CollectorQuerySet(TenantQuerySet):
    pass


class Collector(models.Model):
    tenant_path = "account"

    uid = models.UUIDField(_("collector id"), default=uuid.uuid4, unique=True, editable=False)
    account = models.ForeignKey(
        Account, verbose_name=_("account"), on_delete=models.CASCADE, related_name="collectors"
    )
    site = models.ForeignKey(
        Site, verbose_name=_("site"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    name = models.CharField(_("name"), max_length=100)
    public_key = models.CharField(_("public key"), max_length=64, blank=True, editable=False)
    enrolled_at = models.DateTimeField(_("enrolled"), null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    poll_interval = models.PositiveIntegerField(
        _("poll interval (seconds)"), default=300, help_text=_("How often the collector polls each device.")
    )
    # Health, as the collector last reported it.
    last_seen_at = models.DateTimeField(_("last contact"), null=True, blank=True, editable=False)
    last_address = models.GenericIPAddressField(_("last address"), null=True, blank=True, editable=False)
    version = models.CharField(_("version"), max_length=50, blank=True, editable=False)
    hostname = models.CharField(_("host name"), max_length=255, blank=True, editable=False)
    devices_polled = models.PositiveIntegerField(_("devices polled"), default=0, editable=False)
    queue_depth = models.PositiveIntegerField(_("queue depth"), default=0, editable=False)
    dropped = models.PositiveBigIntegerField(_("results dropped"), default=0, editable=False)
    traps_unknown = models.PositiveBigIntegerField(
        _("traps from unknown senders"), default=0, editable=False, help_text=_("since the collector started")
    )
    last_error = models.CharField(_("last error"), max_length=500, blank=True, editable=False)
    unresponsive_since = models.DateTimeField(_("unresponsive since"), null=True, blank=True, editable=False)

    objects = models.Manager.from_queryset(CollectorQuerySet)()

    class Meta:
        verbose_name = _("site collector")
        verbose_name_plural = _("site collectors")
        ordering = ["account__name", "name"]
        constraints = [models.UniqueConstraint("account", "name", name="collector_name_unique_per_account")]

    def __str__(self) -> str:
        return f"{self.name} ({self.account})"


class EnrollmentCode(models.Model):
    """A one-time code that lets a collector register its key. Only its digest is stored."""

    collector = models.ForeignKey(
        Collector, verbose_name=_("site collector"), on_delete=models.CASCADE, related_name="enrollment_codes"
    )
    digest = models.CharField(_("digest"), max_length=64, unique=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires"))
    used_at = models.DateTimeField(_("used"), null=True, blank=True)

    class Meta:
        verbose_name = _("enrollment code")
        verbose_name_plural = _("enrollment codes")

    def __str__(self) -> str:
        return f"code {self.pk} of {self.collector_id}"


class CollectorNonce(models.Model):
    """Nonces seen from a collector within the allowed clock skew: a replay is refused."""

    collector = models.ForeignKey(
        Collector, verbose_name=_("site collector"), on_delete=models.CASCADE, related_name="+"
    )
    nonce = models.CharField(_("nonce"), max_length=64)
    seen_at = models.DateTimeField(_("seen"), db_index=True)

    class Meta:
        verbose_name = _("collector nonce")
        verbose_name_plural = _("collector nonces")
        constraints = [models.UniqueConstraint("collector", "nonce", name="collector_nonce_unique")]

    def __str__(self) -> str:
        return self.nonce


class CollectorBatch(models.Model):
    """One results upload. Its id makes a re-sent batch store nothing new."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        STORED = "stored", _("Stored")
        FAILED = "failed", _("Failed")

    collector = models.ForeignKey(
        Collector, verbose_name=_("site collector"), on_delete=models.CASCADE, related_name="batches"
    )
    batch_id = models.UUIDField(_("upload id"))
    received_at = models.DateTimeField(_("received"), auto_now_add=True)
    stored_at = models.DateTimeField(_("stored"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    observations = models.PositiveIntegerField(_("observations"), default=0)
    # The validated upload, kept until a worker has stored it (the task takes the row's id).
    payload = models.JSONField(_("content"), default=dict, blank=True)
    error = models.CharField(_("error"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("collector upload")
        verbose_name_plural = _("collector uploads")
        constraints = [models.UniqueConstraint("collector", "batch_id", name="collector_batch_unique")]
        indexes = [models.Index(fields=["status", "received_at"])]

    def __str__(self) -> str:
        return str(self.batch_id)


class CollectorConflict(models.Model):
    """A collector reported a device it does not own (owned by another collector or polled
    centrally): the report was ignored. Shown to the help desk."""

    collector = models.ForeignKey(
        Collector, verbose_name=_("site collector"), on_delete=models.CASCADE, related_name="conflicts"
    )
    device = models.ForeignKey(
        "printers.Device", verbose_name=_("device"), on_delete=models.CASCADE, related_name="+"
    )
    first_seen_at = models.DateTimeField(_("first reported"), auto_now_add=True)
    last_seen_at = models.DateTimeField(_("last reported"), auto_now=True)
    reports = models.PositiveIntegerField(_("reports"), default=0)

    class Meta:
        verbose_name = _("collector conflict")
        verbose_name_plural = _("collector conflicts")
        constraints = [models.UniqueConstraint("collector", "device", name="collector_conflict_unique")]

    def __str__(self) -> str:
        return f"{self.collector_id} / device {self.device_id}"
