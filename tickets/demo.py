"""The demo's service requests (idempotent, by ticket number): the open tickets of the
guide's screenshots on the guide's printers, and tickets in progress and done, some of them
older than 90 days, so that the "last 90 days / all" setting visibly changes the lists."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils import timezone

from tickets.models import ServiceType, Ticket, TicketEvent

# (number, service code, summary as the requester typed it, days ago, state, serial of the
# guide's printer it is about)
DEMO_TICKETS = [
    ("AQ532755", "non-standard-consumable", "Add Supplies", 2, "new", "2232514186"),
    ("AQ516886", "non-standard-consumable", "Add Supplies", 3, "new", "2232514186"),
    ("AO757234", "field-service", "Device Service Request", 12, "new", "813000305"),
    ("AQ286604", "field-service", "Device Service Request", 25, "new", "813000305"),
    ("AO283218", "non-standard-consumable", "Add Supplies", 26, "new", "VMA647999"),
    ("AP410273", "field-service", "Bourrage papier dans le bac 2", 6, "in_progress", "3634555578"),
    ("AP398114", "equipment-change", "Remplacer le module de finition", 41, "in_progress", "3643605014"),
    ("AN905512", "field-service", "Traces sur les copies", 18, "done", "821000341"),
    ("AM771046", "physical-move", "Déplacement au 2e étage", 130, "done", "WYN433180"),
    ("AL302298", "field-service", "Device Service Request", 210, "done", "3661862474"),
    ("AK118840", "non-standard-consumable", "Add Supplies", 300, "done", "2232361762"),
]
OLD_DAYS = 90


def demo_tickets_build(*, account, requester, helpdesk=None, now: datetime | None = None) -> int:
    """Create the demo tickets of ``account`` that do not exist yet; returns how many."""
    now = now or timezone.now()
    devices = {d.serial_number: d for d in account.devices.all()}
    fallback = list(account.devices.order_by("pk")[:1])
    created = 0
    for number, code, summary, days, state, serial in DEMO_TICKETS:
        device = devices.get(serial) or (fallback[0] if fallback else None)
        if device is None or Ticket.objects.filter(number=number).exists():
            continue
        occurred = now - timedelta(days=days, hours=3)
        ticket = Ticket.objects.create(
            number=number,
            account=account,
            site=device.site,
            device=device,
            service=ServiceType.objects.filter(code=code).first()
            or ServiceType.objects.filter(code="field-service").first(),
            summary=summary,
            description=summary,
            occurred_at=occurred,
            requester=requester,
            state=state,
        )
        events = [(occurred, TicketEvent(ticket=ticket, kind="created", author=requester, new_state="new"))]
        if state in ("in_progress", "done"):
            events.append(
                (
                    occurred + timedelta(hours=4),
                    TicketEvent(
                        ticket=ticket, kind="state", author=helpdesk, old_state="new", new_state="in_progress"
                    ),
                )
            )
        if state == "done":
            events.append(
                (
                    occurred + timedelta(days=2),
                    TicketEvent(
                        ticket=ticket,
                        kind="state",
                        author=helpdesk,
                        old_state="in_progress",
                        new_state="done",
                    ),
                )
            )
        for at, event in events:
            event.save()
            TicketEvent.objects.filter(pk=event.pk).update(at=at)  # ``at`` is set on creation
        created += 1
    return created
