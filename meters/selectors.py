"""Permission-aware reads of meter data."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import (
    BooleanField,
    Count,
    ExpressionWrapper,
    Max,
    OuterRef,
    Q,
    Subquery,
    Value,
)
from django.db.models.functions import TruncMonth
from django.utils import timezone

from accounts.tenancy import visible_account_ids
from meters.choices import ReadStatus
from meters.services import read_status, visible_reads
from printers.models import Device


def last_read_subquery(user=None):
    """When the device was last read, among the reads ``user`` may see (see ``visible_reads``)."""
    return Subquery(
        visible_reads(user)
        .filter(device=OuterRef("pk"), superseded=False)
        .order_by("-read_at")
        .values("read_at")[:1]
    )


def meter_list_rows(user):
    """The user's devices annotated with ``last_read_at`` and ``last_total`` (a queryset)."""
    return (
        Device.objects.for_user(user)
        .select_related("model", "site", "account")
        .annotate(
            last_read_at=last_read_subquery(user),
            last_total=Subquery(
                visible_reads(user)
                .filter(device=OuterRef("pk"), superseded=False, counter="total")
                .order_by("-read_at")
                .values("value")[:1]
            ),
        )
        .order_by("serial_number", "pk")
    )


def read_status_filters(now: datetime | None = None) -> dict[str, Q]:
    """Each read status as a filter on ``last_read_at`` (the rules of
    ``meters.services.read_status``, for the database to apply)."""
    now = now or timezone.now()
    fresh = Q(managed_by_snmp=True, last_read_at__gte=now - timedelta(days=2)) | Q(
        last_read_at__gte=now - timedelta(days=settings.FMP_METER_READ_DUE_DAYS)
    )
    not_overdue = Q(last_read_at__gte=now - timedelta(days=settings.FMP_METER_READ_OVERDUE_DAYS))
    return {
        ReadStatus.UP_TO_DATE: fresh,
        ReadStatus.DUE: ~fresh & not_overdue,
        ReadStatus.OVERDUE: ~fresh & ~not_overdue & Q(last_read_at__isnull=False),
        ReadStatus.UNKNOWN: Q(last_read_at__isnull=True),
    }


def devices_with_read_status(user) -> list[Device]:
    """The user's devices, each with ``last_read_at``, ``last_total`` and ``read_status``."""
    devices = list(meter_list_rows(user))
    now = timezone.now()
    for device in devices:
        device.read_status = read_status(
            last_read_at=device.last_read_at, automatic=device.managed_by_snmp, now=now
        )
    return devices


def monthly_volumes(*, devices, end: datetime, months: int = 12, user=None):
    """Total pages per month over the last ``months`` months, for the account (sum of devices),
    from the reads ``user`` may see (see ``visible_reads``).

    A month's volume is the increase of the device's highest total read in that month over
    the previous month's. Only the reads of those months (and the one before) are read."""
    first = timezone.localtime(end).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    year, month = divmod(first.year * 12 + first.month - 1 - months, 12)
    since = first.replace(year=year, month=month + 1)  # the month before the first one shown
    rows = (
        visible_reads(user)
        .filter(device__in=devices, counter="total", superseded=False, read_at__gte=since, read_at__lte=end)
        .annotate(month=TruncMonth("read_at"))
        .values("device_id", "month")
        .annotate(top=Max("value"))
        .order_by("device_id", "month")
    )
    per_device: dict[int, dict[datetime, int]] = {}
    for row in rows:
        per_device.setdefault(row["device_id"], {})[row["month"]] = row["top"]
    all_months = sorted({m for series in per_device.values() for m in series})[-(months + 1) :]
    volumes = dict.fromkeys(all_months[1:], 0)
    for series in per_device.values():
        previous = None
        for month in all_months:
            value = series.get(month)
            if value is None:
                continue
            if previous is not None and month in volumes and value >= previous:
                volumes[month] += value - previous
            previous = value
    shown = sorted(volumes)
    return shown, per_device, [volumes[m] for m in shown]


def meter_summary(user, search: str = "") -> dict:
    """Read status counts (home pane, list filters), counted by the database: no device
    list is loaded."""
    filters = read_status_filters()
    return (
        Device.objects.for_user(user)
        .search(search)
        .annotate(last_read_at=last_read_subquery(user))
        .aggregate(
            total=Count("pk"), **{status.value: Count("pk", filter=q) for status, q in filters.items()}
        )
    )


def billed_devices(user, start: datetime, end: datetime):
    """The devices of a billing report: the user's, and those moved to another account
    since that still have reads of the user's accounts in the period (the pages printed
    before the move are theirs). Each has ``moved_away``: its site is no longer theirs to see."""
    ids = visible_account_ids(user)
    if not ids:  # the help desk (every device) or nobody
        return Device.objects.for_user(user).annotate(moved_away=Value(False))
    moved = (
        visible_reads(user)
        .filter(read_at__gt=start, read_at__lte=end)
        .exclude(device__account_id__in=ids)
        .values("device_id")
    )
    return Device.objects.filter(Q(account_id__in=ids) | Q(pk__in=moved)).annotate(
        moved_away=ExpressionWrapper(~Q(account_id__in=ids), output_field=BooleanField())
    )
