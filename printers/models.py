"""The fleet: device catalogue, devices, their latest state and their history.

History is kept per kind (status observations, supply levels, page counters); the latest
values live in ``DeviceState`` and ``Supply`` so that the grid never scans history.
Writes go through ``printers.services.device_record_observation``.
"""

from __future__ import annotations

from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from accounts.models import Account, Site
from accounts.tenancy import TenantQuerySet
from fmp.l10n import format_percent
from fmp.texts import StoredText, event_detail, event_label, local_datetime
from printers.choices import Colour, CounterType, PrinterState, ScannerState, SnmpVersion, SupplyType


class Manufacturer(models.Model):
    """A device maker (Xerox, HP, ...)."""

    name = models.CharField(_("name"), max_length=100, unique=True)

    class Meta:
        verbose_name = _("manufacturer")
        verbose_name_plural = _("manufacturers")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class DeviceModel(models.Model):
    """A printer model of the catalogue and its features."""

    manufacturer = models.ForeignKey(
        Manufacturer, verbose_name=_("manufacturer"), on_delete=models.PROTECT, related_name="models"
    )
    name = models.CharField(_("model"), max_length=150)
    is_colour = models.BooleanField(_("colour"), default=False)
    duplex = models.BooleanField(_("duplex"), default=False)
    fax = models.BooleanField(_("fax"), default=False)
    scan = models.BooleanField(_("scan"), default=False)
    copy = models.BooleanField(_("copy"), default=False)
    staple = models.BooleanField(_("stapling"), default=False)
    a3 = models.BooleanField(_("A3"), default=False)
    pages_per_minute = models.PositiveIntegerField(_("pages per minute"), null=True, blank=True)

    class Meta:
        verbose_name = _("device model")
        verbose_name_plural = _("device models")
        ordering = ["manufacturer__name", "name"]
        constraints = [
            models.UniqueConstraint("manufacturer", Lower("name"), name="devicemodel_unique_name"),
        ]

    def __str__(self) -> str:
        return self.name

    FEATURES = ["is_colour", "duplex", "fax", "scan", "copy", "staple", "a3"]

    def feature_list(self) -> list[tuple[str, bool]]:
        return [(self._meta.get_field(f).verbose_name, getattr(self, f)) for f in self.FEATURES]


def collector_refusal(collector, account_id: int | None) -> str | None:
    """Why ``collector`` may not poll a device (or sweep a range) of that account, or None.
    A collector reports only its own account's devices (see collectors)."""
    if collector is None or account_id is None:
        return None
    if collector.account_id != account_id:
        return _(
            "The site collector “%(name)s” belongs to the account %(account)s: choose a collector "
            "of this account, or none (polled by the portal)."
        ) % {"name": collector.name, "account": collector.account.name}
    return None


class DeviceQuerySet(TenantQuerySet):
    def monitored(self) -> DeviceQuerySet:
        """Devices whose account is active (see ``AccountQuerySet.inactive_ids``): only these
        are polled, raise automatic tickets and get automatic orders and reminders."""
        from accounts.models import Account

        inactive = Account.objects.inactive_ids()
        return self.exclude(account_id__in=inactive) if inactive else self

    def search(self, text: str) -> DeviceQuerySet:
        """Devices whose serial, model, manufacturer, locations, system name, address, asset
        number or site contain ``text`` (the grid's and the lists' search box)."""
        text = text.strip()[:100]
        if not text:
            return self
        return self.filter(
            models.Q(serial_number__icontains=text)
            | models.Q(model__name__icontains=text)
            | models.Q(model__manufacturer__name__icontains=text)
            | models.Q(printer_location__icontains=text)
            | models.Q(device_location__icontains=text)
            | models.Q(system_name__icontains=text)
            | models.Q(ip_address__icontains=text)
            | models.Q(asset_number__icontains=text)
            | models.Q(site__name__icontains=text)
        )


class Device(models.Model):
    """A printer or multifunction device of a customer account."""

    tenant_path = "account"

    account = models.ForeignKey(
        Account, verbose_name=_("account"), on_delete=models.PROTECT, related_name="devices"
    )
    site = models.ForeignKey(
        Site, verbose_name=_("site"), null=True, blank=True, on_delete=models.SET_NULL, related_name="devices"
    )
    model = models.ForeignKey(
        DeviceModel,
        verbose_name=_("model"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="devices",
    )
    serial_number = models.CharField(_("serial number"), max_length=100, blank=True, db_index=True)
    asset_number = models.CharField(_("asset number"), max_length=100, blank=True)
    customer_asset_number = models.CharField(_("customer asset number"), max_length=100, blank=True)
    dns_name = models.CharField(_("DNS name"), max_length=255, blank=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    system_name = models.CharField(_("system name"), max_length=255, blank=True)
    printer_location = models.CharField(_("printer location"), max_length=255, blank=True)
    device_location = models.CharField(_("device location"), max_length=255, blank=True)
    under_contract = models.BooleanField(_("under contract"), default=True)
    discovered_at = models.DateTimeField(_("discovery date"), null=True, blank=True)
    newly_discovered = models.BooleanField(
        _("newly discovered"), default=False, help_text=_("Until the help desk acknowledges the device.")
    )
    supplies_on_hold = models.BooleanField(_("supplies on hold"), default=False)
    supplies_hold_reason = models.CharField(_("supplies hold reason"), max_length=255, blank=True)
    notifications_enabled = models.BooleanField(_("notifications enabled"), default=False)
    primary_contact_email = models.EmailField(_("primary contact e-mail"), blank=True)
    managed_by_snmp = models.BooleanField(
        _("collected over the network"),
        default=True,
        help_text=_("Untick for devices whose counters are read by hand (not on the network)."),
    )
    # SNMP settings: the help desk's business, never shown to customers.
    snmp_version = models.CharField(
        _("SNMP version"), max_length=2, choices=SnmpVersion.choices, default="2c"
    )
    snmp_port = models.PositiveIntegerField(_("SNMP port"), default=161)
    snmp_community = models.CharField(_("SNMP community"), max_length=100, default="public", blank=True)
    snmp_v3_user = models.CharField(_("SNMPv3 user"), max_length=100, blank=True)
    snmp_v3_auth_protocol = models.CharField(_("SNMPv3 auth protocol"), max_length=10, blank=True)
    snmp_v3_auth_key = models.CharField(_("SNMPv3 auth key"), max_length=200, blank=True)
    snmp_v3_priv_protocol = models.CharField(_("SNMPv3 privacy protocol"), max_length=10, blank=True)
    snmp_v3_priv_key = models.CharField(_("SNMPv3 privacy key"), max_length=200, blank=True)
    collector = models.ForeignKey(
        "collectors.Collector",
        verbose_name=_("site collector"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="devices",
        help_text=_("Polled by this collector on the customer's site; empty: polled by the portal."),
    )
    refresh_requested_at = models.DateTimeField(_("status refresh requested"), null=True, blank=True)
    poll_claimed_until = models.DateTimeField(_("being polled until"), null=True, blank=True)
    poll_claim_token = models.CharField(_("poll claim"), max_length=64, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = models.Manager.from_queryset(DeviceQuerySet)()

    class Meta:
        verbose_name = _("device")
        verbose_name_plural = _("devices")
        ordering = ["serial_number"]
        indexes = [
            models.Index(fields=["account", "serial_number"]),
            models.Index(fields=["account", "under_contract"]),
        ]

    def __str__(self) -> str:
        return self.system_name or self.serial_number or f"#{self.pk}"

    def clean(self):
        from django.core.exceptions import ValidationError

        errors = {}
        # A device moved to another account cannot keep the previous account's site (its
        # name and address would show to the new account, and its orders ship there).
        if self.site_id and self.account_id and self.site.account_id != self.account_id:
            errors["site"] = _("Choose a site of the device's account.")
        collector_problem = collector_refusal(self.collector, self.account_id)
        if collector_problem:
            errors["collector"] = collector_problem
        if errors:
            raise ValidationError(errors)

    @property
    def refresh_pending(self) -> bool:
        state = getattr(self, "state", None)
        if self.refresh_requested_at is None:
            return False
        return (
            state is None
            or state.last_attempt_at is None
            or state.last_attempt_at < self.refresh_requested_at
        )


class DeviceState(models.Model):
    """The latest known state of a device: what the grid and the Status tab show."""

    device = models.OneToOneField(
        Device, verbose_name=_("device"), on_delete=models.CASCADE, related_name="state", primary_key=True
    )
    overall = models.CharField(
        _("printer state"),
        max_length=10,
        choices=PrinterState.choices,
        default=PrinterState.OTHER,
        db_index=True,
    )
    conditions = models.JSONField(_("warnings"), default=list, blank=True)
    device_status = models.PositiveSmallIntegerField(_("hrDeviceStatus"), null=True, blank=True)
    printer_status = models.PositiveSmallIntegerField(_("hrPrinterStatus"), null=True, blank=True)
    uptime_seconds = models.BigIntegerField(_("device uptime"), null=True, blank=True)
    fax_state = models.CharField(_("analog fax state"), max_length=50, blank=True)
    scanner_state = models.CharField(
        _("scanner state"), max_length=10, choices=ScannerState.choices, blank=True
    )
    reachable = models.BooleanField(_("reachable"), default=True)
    status_at = models.DateTimeField(_("status date"), null=True, blank=True, db_index=True)
    last_attempt_at = models.DateTimeField(_("last status attempt"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)
    # Denormalised for the grid: toner percent per colour (None: unknown or no such colour).
    level_black = models.SmallIntegerField(_("black level"), null=True, blank=True)
    level_cyan = models.SmallIntegerField(_("cyan level"), null=True, blank=True)
    level_magenta = models.SmallIntegerField(_("magenta level"), null=True, blank=True)
    level_yellow = models.SmallIntegerField(_("yellow level"), null=True, blank=True)
    colours_present = models.JSONField(_("colours present"), default=list, blank=True)
    total_pages = models.BigIntegerField(_("total page count"), null=True, blank=True, db_index=True)
    # Bookkeeping of the history writer, so that a poll never has to scan history.
    status_sampled_at = models.DateTimeField(_("status sampled"), null=True, blank=True)
    counters_last = models.JSONField(_("last counters"), default=dict, blank=True)
    consecutive_failures = models.PositiveIntegerField(_("consecutive failed polls"), default=0)
    backoff_until = models.DateTimeField(_("next poll not before"), null=True, blank=True)

    class Meta:
        verbose_name = _("device state")
        verbose_name_plural = _("device states")

    def __str__(self) -> str:
        return f"{self.device_id}: {self.overall}"


class StatusObservation(models.Model):
    """History: the device's state each time it changed, plus a periodic sample."""

    device = models.ForeignKey(
        Device, verbose_name=_("device"), on_delete=models.CASCADE, related_name="status_history"
    )
    observed_at = models.DateTimeField(_("observed at"))
    overall = models.CharField(_("printer state"), max_length=10, choices=PrinterState.choices)
    conditions = models.JSONField(_("warnings"), default=list, blank=True)
    device_status = models.PositiveSmallIntegerField(_("hrDeviceStatus"), null=True, blank=True)
    printer_status = models.PositiveSmallIntegerField(_("hrPrinterStatus"), null=True, blank=True)
    uptime_seconds = models.BigIntegerField(_("device uptime"), null=True, blank=True)
    fax_state = models.CharField(_("analog fax state"), max_length=50, blank=True)
    scanner_state = models.CharField(_("scanner state"), max_length=10, blank=True)
    reachable = models.BooleanField(_("reachable"), default=True)

    class Meta:
        verbose_name = _("status observation")
        verbose_name_plural = _("status observations")
        ordering = ["-observed_at"]
        indexes = [models.Index(fields=["device", "-observed_at"])]
        constraints = [models.UniqueConstraint("device", "observed_at", name="status_obs_unique_time")]

    def __str__(self) -> str:
        return f"{self.device_id} {local_datetime(self.observed_at)} {self.overall}"


class Supply(models.Model):
    """A supply of a device (toner, drum, fuser, waste, kit...) with its latest level."""

    device = models.ForeignKey(
        Device, verbose_name=_("device"), on_delete=models.CASCADE, related_name="supplies"
    )
    index = models.PositiveIntegerField(_("index"))
    description = models.CharField(_("description"), max_length=255, blank=True)
    type = models.CharField(_("type"), max_length=20, choices=SupplyType.choices, default=SupplyType.OTHER)
    colour = models.CharField(_("colour"), max_length=20, choices=Colour.choices, blank=True)
    level = models.IntegerField(
        _("level"), null=True, blank=True, help_text=_("-1 other, -2 unknown, -3 some remaining")
    )
    max_capacity = models.IntegerField(_("max capacity"), null=True, blank=True)
    percent = models.SmallIntegerField(_("percent"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated"), null=True, blank=True)
    sampled_at = models.DateTimeField(_("sampled"), null=True, blank=True)

    class Meta:
        verbose_name = _("supply")
        verbose_name_plural = _("supplies")
        ordering = ["device", "index"]
        constraints = [models.UniqueConstraint("device", "index", name="supply_unique_index")]

    def __str__(self) -> str:
        return self.description or f"{self.get_type_display()} {self.index}"

    @property
    def level_label(self) -> str:
        if self.percent is not None:
            return format_percent(self.percent)
        return {-1: _("Other"), -2: _("Unknown"), -3: _("Some remaining")}.get(self.level, _("Unknown"))


class SupplyLevelSample(models.Model):
    """History of a supply's level: each change, plus a periodic sample."""

    supply = models.ForeignKey(
        Supply, verbose_name=_("supply"), on_delete=models.CASCADE, related_name="samples"
    )
    observed_at = models.DateTimeField(_("observed at"))
    level = models.IntegerField(_("level"), null=True)
    max_capacity = models.IntegerField(_("max capacity"), null=True)
    percent = models.SmallIntegerField(_("percent"), null=True)

    class Meta:
        verbose_name = _("supply level sample")
        verbose_name_plural = _("supply level samples")
        ordering = ["-observed_at"]
        indexes = [models.Index(fields=["supply", "-observed_at"])]
        constraints = [models.UniqueConstraint("supply", "observed_at", name="supply_sample_unique_time")]

    def __str__(self) -> str:
        return f"{self.supply_id} {local_datetime(self.observed_at)} {self.level}"


class CounterSample(models.Model):
    """History of a page counter (total, black, colour...): each change, plus a periodic sample."""

    device = models.ForeignKey(
        Device, verbose_name=_("device"), on_delete=models.CASCADE, related_name="counter_samples"
    )
    counter = models.CharField(_("counter"), max_length=20, choices=CounterType.choices)
    observed_at = models.DateTimeField(_("observed at"))
    value = models.BigIntegerField(_("value"))

    class Meta:
        verbose_name = _("counter sample")
        verbose_name_plural = _("counter samples")
        ordering = ["-observed_at"]
        indexes = [models.Index(fields=["device", "counter", "-observed_at"])]
        constraints = [
            models.UniqueConstraint("device", "counter", "observed_at", name="counter_sample_unique_time"),
        ]

    def __str__(self) -> str:
        return f"{self.device_id} {self.counter}={self.value} at {local_datetime(self.observed_at)}"


class PollAttempt(models.Model):
    """One status attempt on a device (Remote diagnostics tab); pruned after a retention period."""

    device = models.ForeignKey(
        Device, verbose_name=_("device"), on_delete=models.CASCADE, related_name="poll_attempts"
    )
    started_at = models.DateTimeField(_("started"))
    duration_ms = models.PositiveIntegerField(_("duration (ms)"), null=True, blank=True)
    ok = models.BooleanField(_("answered"), default=True)
    error = models.CharField(_("error"), max_length=500, blank=True)
    trigger = models.CharField(_("trigger"), max_length=20, blank=True)

    class Meta:
        verbose_name = _("poll attempt")
        verbose_name_plural = _("poll attempts")
        ordering = ["-started_at"]
        indexes = [models.Index(fields=["device", "-started_at"])]
        constraints = [models.UniqueConstraint("device", "started_at", name="poll_attempt_unique_time")]

    def __str__(self) -> str:
        outcome = _("answered") if self.ok else self.error_shown
        return f"{self.device_id} {local_datetime(self.started_at)} {outcome}"

    @property
    def error_shown(self) -> str:
        """Why the poll failed, in the reader's language (printers.texts.poll_error)."""
        from printers.texts import poll_error

        return str(poll_error(self.error)) if self.error else ""


class DeviceEvent(models.Model):
    """Audit of what was done to a device (`printers.device.contract_changed`, ...)."""

    device = models.ForeignKey(
        Device, verbose_name=_("device"), on_delete=models.CASCADE, related_name="events"
    )
    at = models.DateTimeField(_("at"), auto_now_add=True)
    key = models.CharField(_("event"), max_length=60)
    user = models.ForeignKey(
        "accounts.User",
        verbose_name=_("user"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    data = models.JSONField(_("details"), default=dict, blank=True)

    class Meta:
        verbose_name = _("device event")
        verbose_name_plural = _("device events")
        ordering = ["-at"]
        indexes = [models.Index(fields=["device", "-at"])]

    def __str__(self) -> str:
        return f"{self.label} ({self.device_id})"

    @property
    def label(self) -> str:
        """The event's name in the reader's language ("Location changed")."""
        return event_label(self.key)

    @property
    def detail(self) -> str:
        """What the event's data says, in the reader's language ("From “A” to “B”")."""
        return event_detail(self.key, self.data)


class DeviceCommand(models.Model):
    """An action on a device that the portal cannot reach itself, waiting for the site
    collector that polls the device: queued here, delivered at the collector's next contact,
    its result recorded when the collector answers."""

    class Kind(models.TextChoices):
        REFRESH = "refresh", _("Get printer status")
        RESET = "reset", _("Reset printer")
        TEST_PAGE = "test_page", _("Print test page")
        LOCATION = "location", _("Update location")

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for the collector")
        DELIVERED = "delivered", _("Sent to the collector")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")
        EXPIRED = "expired", _("No answer from the collector")

    device = models.ForeignKey(
        Device, verbose_name=_("device"), on_delete=models.CASCADE, related_name="commands"
    )
    collector = models.ForeignKey(
        "collectors.Collector",
        verbose_name=_("site collector"),
        on_delete=models.CASCADE,
        related_name="commands",
        editable=False,
    )
    kind = models.CharField(_("command"), max_length=20, choices=Kind.choices)
    args = models.JSONField(_("arguments"), default=dict, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(_("requested"), auto_now_add=True)
    created_by = models.ForeignKey(
        "accounts.User",
        verbose_name=_("requested by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)
    completed_at = models.DateTimeField(_("completed"), null=True, blank=True)
    result = models.CharField(_("result"), max_length=500, blank=True)
    result_code = models.JSONField(_("generated text"), null=True, blank=True, editable=False)  # fmp.texts
    result_shown = StoredText("result")

    class Meta:
        verbose_name = _("device command")
        verbose_name_plural = _("device commands")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["collector", "status"])]

    def __str__(self) -> str:
        return f"{self.kind} ({self.device_id})"


class PollRun(models.Model):
    """One run of the poller (fleet poll, status refresh or discovery), for the help desk."""

    KINDS = [("fleet", _("Fleet poll")), ("refresh", _("Status refresh")), ("discovery", _("Discovery"))]

    kind = models.CharField(_("kind"), max_length=20, choices=KINDS)
    started_at = models.DateTimeField(_("started"), auto_now_add=True, db_index=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    devices = models.PositiveIntegerField(_("devices"), default=0)
    failures = models.PositiveIntegerField(_("failures"), default=0)
    skipped = models.PositiveIntegerField(_("skipped (claimed or backed off)"), default=0)
    note = models.CharField(_("note"), max_length=500, blank=True)
    note_code = models.JSONField(_("generated text"), null=True, blank=True, editable=False)  # fmp.texts
    note_shown = StoredText("note")
    token = models.CharField(
        _("task id"),
        max_length=64,
        blank=True,
        db_index=True,
        help_text=_("Celery task id: a redelivery reuses it"),
    )
    heartbeat_at = models.DateTimeField(_("last sign of life"), null=True, blank=True)

    class Meta:
        verbose_name = _("poll run")
        verbose_name_plural = _("poll runs")
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {local_datetime(self.started_at)}"

    @property
    def duration(self):
        return (self.finished_at - self.started_at) if self.finished_at else None


class DeviceCondition(models.Model):
    """An error or warning condition of a device, from when it was raised until it cleared.

    At most one open condition per device and code: the database guarantees it.
    """

    device = models.ForeignKey(
        Device, verbose_name=_("device"), on_delete=models.CASCADE, related_name="conditions"
    )
    code = models.CharField(_("condition"), max_length=40)
    severity = models.CharField(_("severity"), max_length=10, choices=PrinterState.choices)
    raised_at = models.DateTimeField(_("raised"))
    cleared_at = models.DateTimeField(_("cleared"), null=True, blank=True)
    # Answers in a row that reported the error state without this condition (it clears at
    # FMP_CONDITION_CLEAR_AFTER; back to 0 when the condition shows again).
    absent_polls = models.PositiveSmallIntegerField(_("polls without it"), default=0)

    class Meta:
        verbose_name = _("device condition")
        verbose_name_plural = _("device conditions")
        ordering = ["-raised_at"]
        constraints = [
            models.UniqueConstraint(
                "device",
                "code",
                condition=models.Q(cleared_at__isnull=True),
                name="condition_one_open_per_code",
            )
        ]

    def __str__(self) -> str:
        return f"{self.device_id} {self.code} ({'open' if self.cleared_at is None else 'cleared'})"


class DeviceAlert(models.Model):
    """One row of the printer's own alert table (Printer-MIB prtAlertTable) as last polled:
    what the printer itself currently complains about. Replaced when a poll reads a
    different table; a row that stays keeps when it was first seen."""

    device = models.ForeignKey(
        Device, verbose_name=_("device"), on_delete=models.CASCADE, related_name="alerts"
    )
    index = models.PositiveBigIntegerField(_("index"))
    severity = models.CharField(_("severity"), max_length=20)
    training = models.CharField(_("who should act"), max_length=20)
    group = models.PositiveIntegerField(_("group"), null=True, blank=True)
    group_index = models.PositiveIntegerField(_("group index"), null=True, blank=True)
    location = models.PositiveIntegerField(_("location"), null=True, blank=True)
    code = models.PositiveIntegerField(_("code"), null=True, blank=True)
    description = models.CharField(_("description"), max_length=255, blank=True)
    raised_at = models.DateTimeField(_("raised"), null=True, blank=True)
    first_seen_at = models.DateTimeField(_("first seen"))

    class Meta:
        verbose_name = _("printer alert")
        verbose_name_plural = _("printer alerts")
        ordering = ["device", "index"]
        constraints = [models.UniqueConstraint("device", "index", name="device_alert_unique_index")]

    def __str__(self) -> str:
        return self.description or f"{self.group}/{self.code}"

    def key(self) -> tuple:
        """What makes it the same alert from one poll to the next."""
        return (self.index, self.code, self.group, self.group_index, self.description)


class TrapSender(models.Model):
    """An address that sent traps matching no device: counted for the help desk, never a
    device by itself (discovery or the help desk adds printers)."""

    address = models.GenericIPAddressField(_("address"), unique=True)
    traps = models.PositiveBigIntegerField(_("traps"), default=0)
    first_seen_at = models.DateTimeField(_("first seen"))
    last_seen_at = models.DateTimeField(_("last seen"))
    last_kind = models.CharField(_("last trap"), max_length=40, blank=True)
    last_serial = models.CharField(_("serial it gave"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("unknown trap sender")
        verbose_name_plural = _("unknown trap senders")
        ordering = ["-last_seen_at"]

    def __str__(self) -> str:
        return self.address


class DiscoveryRange(models.Model):
    """An address range (CIDR) the engine sweeps for printers, for an account and site."""

    account = models.ForeignKey(
        Account, verbose_name=_("account"), on_delete=models.CASCADE, related_name="+"
    )
    site = models.ForeignKey(Site, verbose_name=_("site"), null=True, blank=True, on_delete=models.SET_NULL)
    cidr = models.CharField(_("address range (CIDR)"), max_length=50, help_text=_("e.g. 10.1.20.0/24"))
    snmp_version = models.CharField(
        _("SNMP version"), max_length=2, choices=SnmpVersion.choices, default="2c"
    )
    snmp_port = models.PositiveIntegerField(_("SNMP port"), default=161)
    snmp_community = models.CharField(_("SNMP community"), max_length=100, default="public")
    collector = models.ForeignKey(
        "collectors.Collector",
        verbose_name=_("site collector"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="discovery_ranges",
        help_text=_("Swept by this collector on the customer's site; empty: swept by the portal."),
    )
    enabled = models.BooleanField(_("enabled"), default=True)
    last_run_at = models.DateTimeField(_("last sweep"), null=True, blank=True)
    # What the last sweep found ({"answered", "new", "moved"}) or why it could not run
    # ({"error"}): stored as figures, shown in the reader's language.
    last_outcome = models.JSONField(_("last result"), default=dict, blank=True, editable=False)

    MAX_HOSTS = 4096

    class Meta:
        verbose_name = _("discovery range")
        verbose_name_plural = _("discovery ranges")
        ordering = ["account__name", "cidr"]

    def __str__(self) -> str:
        return f"{self.cidr} ({self.account})"

    def network(self):
        """The range as an address network; ValueError when it is not one."""
        import ipaddress

        return ipaddress.ip_network(self.cidr.strip(), strict=False)

    def problem(self) -> str | None:
        """Why the range cannot be swept ("invalid", "too_large"), or None."""
        try:
            network = self.network()
        except ValueError:
            return "invalid"
        return "too_large" if network.num_addresses > self.MAX_HOSTS else None

    def clean(self):
        from django.core.exceptions import ValidationError

        collector_problem = collector_refusal(self.collector, self.account_id)
        if collector_problem:
            raise ValidationError({"collector": collector_problem})
        problem = self.problem()
        if problem == "invalid":
            raise ValidationError({"cidr": _("Enter a network such as 10.1.20.0/24.")})
        if problem == "too_large":
            raise ValidationError(
                {
                    "cidr": _("At most %(max)d addresses per range: split larger networks.")
                    % {"max": self.MAX_HOSTS}
                }
            )
        self.cidr = str(self.network())

    def last_result(self) -> str:
        outcome = self.last_outcome or {}
        if outcome.get("error") == "too_large":
            return _("Not swept: the range has more than %(max)d addresses") % {"max": self.MAX_HOSTS}
        if "error" in outcome:
            return _("Not swept: this is not a valid address range")
        if "answered" not in outcome:
            return ""
        return _("%(answered)d printer(s) answered, %(new)d new, %(moved)d moved") % {
            "answered": outcome["answered"],
            "new": outcome.get("new", 0),
            "moved": outcome.get("moved", 0),
        }

    last_result.short_description = _("last result")
