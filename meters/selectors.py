"""Permission-aware reads of meter data."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.conf import settings
from django.db.models import (
    BooleanField,
    Count,
    DateTimeField,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    Subquery,
    Value,
    Window,
)
from django.db.models.functions import Lag, Lead, TruncMonth
from django.utils import timezone

from accounts.tenancy import visible_account_ids
from meters.choices import ReadStatus
from meters.services import (
    CounterDrops,
    ReadPoint,
    _reads_at,
    counter_usage,
    last_good_values,
    month_bounds,
    read_status,
    visible_reads,
)
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
    """Total pages per month over the last ``months`` months up to the one holding ``end``,
    for the account (sum of devices), from the reads ``user`` may see: each month billed
    as the billing report bills it (:func:`meters.services.counter_usage` on the month's
    chain, month bounds of :func:`meters.services.month_bounds`), so the chart and the
    report agree, across meter replacements and counter glitches too.

    Read from the database: each device's newest read at or before the first month (an
    index probe), then of the months' reads only those that end a steady climb (the first
    one, the last of each month, the reads on either side of a drop), selected by the
    database with window functions: the pages of a steady climb depend only on its ends.

    Returns the months shown (from the first one with a read), the pages per device and
    month, and the account's pages per month."""
    last = timezone.localtime(end - timedelta(microseconds=1)).date().replace(day=1)
    firsts = [_add_months(last, -i) for i in range(months - 1, -1, -1)]
    bounds = [month_bounds(m) for m in firsts]
    since = bounds[0][0]
    ids = (
        list(devices.values_list("pk", flat=True))
        if hasattr(devices, "values_list")
        else [d.pk for d in devices]
    )
    visible = visible_reads(user)
    order = [F("read_at").asc(), F("pk").asc()]
    month_of = TruncMonth(
        ExpressionWrapper(F("read_at") - timedelta(microseconds=1), output_field=DateTimeField())
    )

    def along(expression):  # one window (one sort) for every neighbour looked at
        return Window(expression, partition_by=[F("device_id")], order_by=order)

    window = (
        visible.filter(
            device_id__in=ids, counter="total", superseded=False, read_at__gt=since, read_at__lte=end
        )
        .annotate(
            month=month_of,
            before=along(Lag("value")),
            after=along(Lead("value")),
            next_month=along(Lead(month_of)),
        )
        .filter(
            Q(before__isnull=True)  # the device's first read of the months shown
            | Q(next_month__isnull=True)  # its last
            | Q(next_month__gt=F("month"))  # the last of a month
            | Q(value__lt=F("before"))  # a drop
            | Q(after__lt=F("value"))  # the read before a drop
        )
        .order_by("device_id", "read_at", "pk")
        .values_list("device_id", "value", "read_at", "source")
    )
    openings = visible.filter(pk__in=_reads_at(ids, since, visible, counters=["total"])).values_list(
        "device_id", "value", "read_at", "source"
    )
    chains: dict[int, list[ReadPoint]] = {}
    for device_id, value, read_at, source in openings:
        chains.setdefault(device_id, []).append(ReadPoint(value, read_at, source))
    for device_id, value, read_at, source in window.iterator(chunk_size=5000):
        chains.setdefault(device_id, []).append(ReadPoint(value, read_at, source))
    drops = CounterDrops.load(ids, end)
    # Each month's chain of each device: its opening read (the newest at or before the
    # month's start), then the month's reads; walked once per device.
    pieces: list[dict[tuple[int, str], list[ReadPoint]]] = [{} for _ in bounds]
    for device_id, chain in chains.items():
        i, opening, inside = 0, None, []
        for read in [*chain, None]:
            while i < months and (read is None or read.read_at > bounds[i][1]):
                if opening is not None or inside:
                    pieces[i][(device_id, "total")] = ([opening] if opening else []) + inside
                opening, inside = (inside[-1] if inside else opening), []
                i += 1
            if read is None or i >= months:
                break
            if read.read_at <= bounds[i][0]:
                opening = read
            else:
                inside.append(read)
    per_device: dict[int, dict[datetime, int]] = {}
    volumes = [0] * months
    shown_from = months
    for i, piece in enumerate(pieces):
        if piece:
            shown_from = min(shown_from, i)
        last_good = last_good_values({k: c[0] for k, c in piece.items()}, drops=drops, reads=visible)
        for (device_id, counter), chain in piece.items():
            pages = counter_usage(
                counter,
                chain,
                drops=drops.of(device_id, counter),
                last_good=last_good.get((device_id, counter)),
            ).pages
            per_device.setdefault(device_id, {})[bounds[i][0]] = pages
            volumes[i] += pages
    shown = [b[0] for b in bounds[shown_from:]]
    return shown, per_device, volumes[shown_from:]


def _add_months(month: date, count: int) -> date:
    year, index = divmod(month.year * 12 + month.month - 1 + count, 12)
    return date(year, index + 1, 1)


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
    return (Device.objects.for_user(user) | Device.objects.filter(pk__in=moved)).annotate(
        moved_away=ExpressionWrapper(~Q(account_id__in=ids), output_field=BooleanField())
    )
