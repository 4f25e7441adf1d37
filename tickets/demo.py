"""The open tickets of the guide's screenshots, for the demo (idempotent, by ticket number)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils import timezone

from tickets.models import ServiceType, Ticket, TicketEvent

GUIDE_TICKETS = [
    ("AQ532755", "non-standard-consumable", "Add Supplies", 2),
    ("AQ516886", "non-standard-consumable", "Add Supplies", 3),
    ("AO757234", "field-service", "Device Service Request", 12),
    ("AQ286604", "field-service", "Device Service Request", 25),
    ("AQ283219", "non-standard-consumable", "Add Supplies", 26),
]


def demo_tickets_build(*, account, requester, now: datetime | None = None) -> int:
    now = now or timezone.now()
    devices = list(account.devices.order_by("pk")[: len(GUIDE_TICKETS)])
    created = 0
    for (number, code, summary, days), device in zip(GUIDE_TICKETS, devices, strict=False):
        if Ticket.objects.filter(number=number).exists():
            continue
        ticket = Ticket.objects.create(
            number=number,
            account=account,
            site=device.site,
            device=device,
            service=ServiceType.objects.filter(code=code).first(),
            summary=summary,
            description=summary,
            occurred_at=now - timedelta(days=days, hours=3),
            requester=requester,
        )
        TicketEvent.objects.create(ticket=ticket, kind="created", author=requester, new_state="new")
        created += 1
    return created
