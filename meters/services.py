"""Writes and computations for meter reads: submission, corrections, anomalies, billing, reminders."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from itertools import pairwise

from django.conf import settings
from django.db import transaction
from django.db.models import OuterRef, Q, Subquery
from django.utils import timezone
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext as _

from meters.choices import AnomalyState, ReadSource, ReadStatus
from meters.models import MeterAnomaly, MeterRead, MeterReminder
from printers.choices import CounterType
from printers.models import Device

logger = logging.getLogger(__name__)
COUNTER_LABELS = dict(CounterType.choices)


def counters_for(device: Device) -> list[str]:
    """The counters a user reads on this device: total, and black/colour for colour models."""
    if device.model_id and device.model.is_colour:
        return ["total", "black", "colour"]
    return ["total"]


def latest_reads(device: Device) -> dict[str, MeterRead]:
    """The newest valid read of each counter (any source): one index probe per counter, not
    the device's whole history of reads.

    Of any account: a new read is judged against the device's physical counter, which a
    move to another account does not reset. Only values, dates and sources are shown from
    it; who read and why stay in the history of the account the read was made for."""
    return {read.counter: read for read in MeterRead.objects.filter(pk__in=_reads_at([device.pk], None))}


class MeterReadRefused(Exception):
    def __init__(self, errors: dict[str, str], confirm: list[str]):
        self.errors = errors  # counter → message: refused
        self.confirm = confirm  # messages: accepted only once the user confirms
        super().__init__("; ".join([*errors.values(), *confirm]))


def _fmt(value: int) -> str:
    return number_format(value, force_grouping=True)


@transaction.atomic
def meter_read_submit(
    *,
    device: Device,
    values: dict[str, int],
    by,
    description: str = "",
    allow_equal: bool = False,
    confirmed: bool = False,
    at: datetime | None = None,
) -> list[MeterRead]:
    """Store a manual read of the device's counters, judged against the newest reads.

    The device row is locked, so two submissions at once are judged one after the other:
    the second sees the first. A lower value is refused; an equal one needs ``allow_equal``
    (no page printed); a jump beyond ``FMP_METER_MAX_PAGES_PER_DAY`` needs ``confirmed``.
    """
    Device.objects.select_for_update().get(pk=device.pk)
    # Stamped once the lock is held: a submission that waited for another is also later in
    # time than it, so the history never shows a higher read before a lower one.
    at = at or timezone.now()
    latest = latest_reads(device)
    errors: dict[str, str] = {}
    confirm: list[str] = []
    for counter, value in values.items():
        label = COUNTER_LABELS.get(counter, counter)
        previous = latest.get(counter)
        if value is None:
            continue
        if value < 0:
            errors[counter] = _("The %(counter)s counter cannot be negative.") % {"counter": label}
            continue
        if previous is None:
            continue
        params = {
            "counter": label,
            "previous": _fmt(previous.value),
            "date": date_format(previous.read_at, "SHORT_DATE_FORMAT"),
        }
        if value < previous.value:
            errors[counter] = (
                _("The %(counter)s counter must be greater than the previous read: %(previous)s on %(date)s.")
                % params
            )
        elif value == previous.value and not allow_equal:
            errors[counter] = (
                _(
                    "The %(counter)s counter equals the previous read (%(previous)s on %(date)s). If the device has "
                    "not printed since, tick “No page printed since the previous read”."
                )
                % params
            )
        else:
            days = max(1.0, (at - previous.read_at).total_seconds() / 86400)
            per_day = (value - previous.value) / days
            if per_day > settings.FMP_METER_MAX_PAGES_PER_DAY and not confirmed:
                confirm.append(
                    _(
                        "The %(counter)s counter went up by %(pages)s pages since %(date)s (about %(per_day)s a day): "
                        "check the value, then confirm."
                    )
                    % {**params, "pages": _fmt(value - previous.value), "per_day": _fmt(int(per_day))}
                )
    if errors or confirm:
        raise MeterReadRefused(errors, confirm)
    reads = [
        MeterRead(
            device=device,
            account_id=device.account_id,
            counter=c,
            value=v,
            read_at=at,
            source=ReadSource.MANUAL,
            by=by,
            description=description,
        )
        for c, v in values.items()
        if v is not None
    ]
    MeterRead.objects.bulk_create(reads)
    return reads


def meter_reads_record_automatic(
    *, device_id: int, account_id: int, counter: str, value: int, previous: int | None, at: datetime
) -> MeterRead:
    """A read from polling (called by the history writer), for the device's current account.
    A drop is flagged, never a negative use."""
    below = previous is not None and value < previous
    read = MeterRead(
        device_id=device_id,
        account_id=account_id,
        counter=counter,
        value=value,
        read_at=at,
        source=ReadSource.AUTOMATIC,
        below_previous=below,
    )
    if below:
        MeterAnomaly.objects.create(
            device_id=device_id, counter=counter, previous_value=previous, new_value=value, detected_at=at
        )
    return read


@transaction.atomic
def meter_read_correct(*, original: MeterRead, value: int, by, reason: str) -> MeterRead:
    """The help desk corrects a read: a new read supersedes it; the original stays, with who
    and why. The correction belongs to the original's account (the one billed for it)."""
    if not reason.strip():
        raise ValueError("a correction needs a reason")
    original = MeterRead.objects.select_for_update().get(pk=original.pk)
    correction = MeterRead.objects.create(
        device_id=original.device_id,
        account_id=original.account_id,
        counter=original.counter,
        value=value,
        read_at=original.read_at,
        source=ReadSource.CORRECTION,
        by=by,
        description=reason.strip()[:500],
        corrects=original,
    )
    original.superseded = True
    original.save(update_fields=["superseded"])
    return correction


def meter_anomaly_decide(*, anomaly: MeterAnomaly, replaced: bool, by, note: str = "") -> None:
    anomaly.state = AnomalyState.REPLACED if replaced else AnomalyState.DISMISSED
    anomaly.decided_by = by
    anomaly.decided_at = timezone.now()
    anomaly.note = note[:500]
    anomaly.save(update_fields=["state", "decided_by", "decided_at", "note"])


# --- read status ------------------------------------------------------------------------------


def read_status(*, last_read_at: datetime | None, automatic: bool, now: datetime | None = None) -> str:
    """Up to date, due (no read for a month), overdue (45 days) or unknown (never read).

    Devices collected over the network are up to date while polling brings fresh reads."""
    now = now or timezone.now()
    if last_read_at is None:
        return ReadStatus.UNKNOWN
    age = now - last_read_at
    if automatic and age <= timedelta(days=2):
        return ReadStatus.UP_TO_DATE
    if age <= timedelta(days=settings.FMP_METER_READ_DUE_DAYS):
        return ReadStatus.UP_TO_DATE
    if age <= timedelta(days=settings.FMP_METER_READ_OVERDUE_DAYS):
        return ReadStatus.DUE
    return ReadStatus.OVERDUE


# --- billing ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReadPoint:
    """One read as the billing report shows it (lighter than a model instance: a report
    of 10,000 devices handles hundreds of thousands of reads)."""

    value: int
    read_at: datetime
    source: str

    def get_source_display(self) -> str:
        return str(dict(ReadSource.choices).get(self.source, self.source))


@dataclass
class CounterUsage:
    counter: str
    start: ReadPoint | None = None
    end: ReadPoint | None = None
    pages: int = 0
    check: bool = False  # a drop nobody has explained yet lies in the period


@dataclass
class DeviceUsage:
    device: Device
    counters: dict[str, CounterUsage] = field(default_factory=dict)

    @property
    def mono(self) -> int:
        if "black" in self.counters:
            return self.counters["black"].pages
        return self.counters["total"].pages if "total" in self.counters else 0

    @property
    def colour(self) -> int:
        return self.counters["colour"].pages if "colour" in self.counters else 0

    @property
    def total(self) -> int:
        if "total" in self.counters:
            return self.counters["total"].pages
        return self.mono + self.colour


def billing_report(*, devices, start: datetime, end: datetime, user=None) -> list[DeviceUsage]:
    """Pages used per device between the reads nearest to the period bounds.

    With ``user``, only the reads of the accounts that user sees count: a device moved to
    another account is billed to each account for the pages between its own reads.

    Start: the newest read at or before ``start`` (else the first read in the period);
    end: the newest read at or before ``end``. Pages are the sum of the increases between
    consecutive reads: a drop confirmed as a meter replacement counts from the new meter's
    value; an unexplained drop counts nothing and marks the line to check.
    """
    devices = list(devices)
    ids = [d.pk for d in devices]
    by_device = {d.pk: DeviceUsage(device=d) for d in devices}
    replacements = {
        (a.device_id, a.counter, a.new_value): a.state
        for a in MeterAnomaly.objects.filter(device_id__in=ids, detected_at__lte=end)
    }
    # Only the reads that count: each counter's newest read at or before the start (one
    # index probe per device and counter), and the reads of the period. Loading a whole
    # history took 20 s for 10,000 devices with a year of reads.
    visible = visible_reads(user)
    reads = (
        visible.filter(
            Q(pk__in=_reads_at(ids, start, visible))
            | Q(device_id__in=ids, superseded=False, read_at__gt=start, read_at__lte=end)
        )
        .order_by("device_id", "counter", "read_at", "pk")
        .values_list("device_id", "counter", "value", "read_at", "source")
    )
    series: dict[tuple[int, str], list[ReadPoint]] = {}
    for device_id, counter, value, read_at, source in reads.iterator(chunk_size=5000):
        series.setdefault((device_id, counter), []).append(ReadPoint(value, read_at, source))
    for (device_id, counter), chain in series.items():
        # At most one read at or before the start (the newest): it opens the period;
        # without one, the first read of the period does.
        usage = CounterUsage(counter=counter, start=chain[0], end=chain[-1])
        for prev, cur in pairwise(chain):
            if cur.value >= prev.value:
                usage.pages += cur.value - prev.value
            elif replacements.get((device_id, counter, cur.value)) == AnomalyState.REPLACED:
                usage.pages += cur.value  # the new meter started from zero
            else:
                usage.check = True
        by_device[device_id].counters[counter] = usage
    return [by_device[d.pk] for d in devices]


def visible_reads(user=None):
    """The meter reads ``user`` may see (the reads of their accounts); every read without
    a user (tasks, the help desk's tools)."""
    return MeterRead.objects.all() if user is None else MeterRead.objects.for_user(user)


def _reads_at(device_ids: list[int], moment: datetime | None, reads=None) -> list[int]:
    """Ids of each device's newest read of each counter at or before ``moment`` (None: ever),
    among ``reads`` (default: every read)."""
    base = MeterRead.objects.all() if reads is None else reads

    def newest(counter: str):
        reads = base.filter(device=OuterRef("pk"), counter=counter, superseded=False)
        if moment is not None:
            reads = reads.filter(read_at__lte=moment)
        return Subquery(reads.order_by("-read_at", "-pk").values("pk")[:1])

    counters = CounterType.values
    rows = (
        Device.objects.filter(pk__in=device_ids)
        .annotate(**{f"read_{c}": newest(c) for c in counters})
        .values_list(*[f"read_{c}" for c in counters])
    )
    return [pk for row in rows for pk in row if pk is not None]


def month_bounds(month: date) -> tuple[datetime, datetime]:
    first = month.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    tz = timezone.get_current_timezone()
    return (
        timezone.make_aware(datetime.combine(first, datetime.min.time()), tz),
        timezone.make_aware(datetime.combine(following, datetime.min.time()), tz) - timedelta(microseconds=1),
    )


# --- reminders --------------------------------------------------------------------------------


def meter_reminders_send(*, today: date | None = None) -> int:
    """E-mail a reminder for devices whose manual read is due, once per device and month.

    Sent to the users of the device's account who may submit reads, when the device has
    notifications enabled. Running it twice sends nothing more."""
    from accounts.models import User

    today = today or timezone.localdate()
    month = today.replace(day=1)
    now = timezone.now()
    sent = 0
    devices = (
        Device.objects.monitored()
        .filter(managed_by_snmp=False, notifications_enabled=True)
        .select_related("account", "model")
    )
    for device in devices:
        last = (  # the reads of the device's present account: a device it just received is due
            MeterRead.objects.filter(device=device, account_id=device.account_id, superseded=False)
            .order_by("-read_at")
            .values_list("read_at", flat=True)
            .first()
        )
        if read_status(last_read_at=last, automatic=False, now=now) == ReadStatus.UP_TO_DATE:
            continue
        reminder, created = MeterReminder.objects.get_or_create(device=device, month=month)
        if not created:
            continue
        recipients = [
            u
            for u in User.objects.filter(account=device.account, is_active=True).exclude(email="")
            if u.has_perm("accounts.submit_meter_reads")
        ]
        count = sum(1 for user in recipients if _send_reminder(user, device, last))
        reminder.recipients = count
        reminder.save(update_fields=["recipients"])
        sent += count
    return sent


def _send_reminder(user, device, last) -> bool:
    from django.urls import reverse

    from accounts.notifications import notify

    url = settings.FMP_PUBLIC_URL.rstrip("/") + reverse("meters:meter_enter", args=[device.pk])
    return notify(
        user=user,
        kind="meter_due",
        template="meters/email/reminder",
        context={"device": device, "last": last, "url": url},
        device=device,
    )
