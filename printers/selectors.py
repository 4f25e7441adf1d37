"""Permission-aware reads of the fleet."""

from __future__ import annotations

from django.db.models import Case, Count, IntegerField, OuterRef, Q, QuerySet, Subquery, Value, When

from printers.models import Device, DeviceCommand
from tickets.choices import TicketState
from tickets.models import Ticket

STATE_RANK = Case(
    When(state__overall="error", then=Value(3)),
    When(state__overall="warning", then=Value(2)),
    When(state__overall="other", then=Value(1)),
    When(state__overall="ok", then=Value(0)),
    default=Value(1),
    output_field=IntegerField(),
)


def incident_state_subquery(user):
    """State of the device's most relevant ticket that ``user`` may see (not a previous
    account's): an open one first, then the newest."""
    tickets = (
        Ticket.objects.for_user(user)
        .filter(device=OuterRef("pk"))
        .annotate(closed=Case(When(state=TicketState.DONE, then=Value(1)), default=Value(0)))
        .order_by("closed", "-occurred_at")
        .values("state")[:1]
    )
    return Subquery(tickets)


def device_grid_annotate(queryset: QuerySet[Device], user) -> QuerySet[Device]:
    """What each grid row shows to ``user``, joined in one query (no per-row queries)."""
    return (
        queryset.select_related("model", "state", "account")
        .only(*GRID_FIELDS)
        .annotate(
            state_rank=STATE_RANK,
            incident_state=incident_state_subquery(user),
            last_read_at=_last_read(user),
        )
    )


def _last_read(user):
    from meters.selectors import last_read_subquery

    return last_read_subquery(user)


# The columns the grid and its CSV read; the rest of a device row stays in the database.
GRID_FIELDS = (
    "id",
    "account_id",
    "site_id",
    "model_id",
    "serial_number",
    "printer_location",
    "ip_address",
    "under_contract",
    "newly_discovered",
    "refresh_requested_at",
    "managed_by_snmp",
    "model__name",
    "model__is_colour",
    "account__name",
    "state__overall",
    "state__conditions",
    "state__reachable",
    "state__status_at",
    "state__last_attempt_at",
    "state__level_black",
    "state__level_cyan",
    "state__level_magenta",
    "state__level_yellow",
    "state__colours_present",
    "state__total_pages",
)


def fleet_summary(user) -> dict:
    """Counts by printer state for the home pane."""
    qs = Device.objects.for_user(user)
    return qs.aggregate(
        total=Count("pk"),
        error=Count("pk", filter=Q(state__overall="error")),
        warning=Count("pk", filter=Q(state__overall="warning")),
        ok=Count("pk", filter=Q(state__overall="ok")),
        other=Count("pk", filter=Q(state__overall="other") | Q(state__isnull=True)),
        new=Count("pk", filter=Q(newly_discovered=True)),
    )


def device_commands_recent(device: Device, *, limit: int = 10) -> list[DeviceCommand]:
    """The latest commands queued for ``device``'s site collectors, newest first: those of
    its current account only (a collector belongs to one account; a device moved to another
    account does not show who did what before)."""
    return list(
        DeviceCommand.objects.filter(device=device, collector__account_id=device.account_id)
        .select_related("created_by", "collector")
        .order_by("-created_at", "-pk")[:limit]
    )
