"""Writes for service requests: creation, comments, state changes, automatic tickets."""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from fmp.numbers import create_numbered, random_code
from fmp.texts import Text, text_fields
from tickets.choices import OPEN_STATES, EventKind, TicketOrigin, TicketState
from tickets.models import ServiceType, Ticket, TicketEvent

logger = logging.getLogger(__name__)
AUTOMATIC_SERVICE = "field-service"


def ticket_number_new() -> str:
    """Two letters and six digits (AQ532755), random: not a sequence anyone can guess."""
    return random_code(2, 6)


def _create_with_number(**fields) -> Ticket:
    return create_numbered(Ticket, ticket_number_new, **fields)


@transaction.atomic
def ticket_create(
    *,
    account,
    requester,
    service: ServiceType,
    summary: str,
    description: str,
    device=None,
    site=None,
    severity: int | None = None,
    application=None,
    source_reference: str = "",
    contact_name: str = "",
    contact_email: str = "",
    contact_phone: str = "",
    origin: str = TicketOrigin.PORTAL,
) -> Ticket:
    """Open a service request and send its confirmation e-mail once the transaction commits."""
    ticket = _create_with_number(
        account=account,
        site=site or (device.site if device else None),
        device=device,
        service=service,
        summary=summary[:200],
        description=description,
        occurred_at=timezone.now(),
        requester=requester,
        origin=origin,
        severity=severity if service.is_application_support else None,
        application=application if service.is_application_support else None,
        source_reference=source_reference if service.is_application_support else "",
        contact_name=contact_name,
        contact_email=contact_email,
        contact_phone=contact_phone,
    )
    TicketEvent.objects.create(
        ticket=ticket, kind=EventKind.CREATED, author=requester, new_state=ticket.state
    )
    ticket_email_send(ticket=ticket, template="created")
    return ticket


def ticket_comment_add(*, ticket: Ticket, author, text: str | Text, public: bool = True) -> TicketEvent:
    """A comment typed by someone (``str``), or a note the portal writes (``Text``: stored as
    its code, read in each reader's language)."""
    event = TicketEvent.objects.create(
        ticket=ticket, kind=EventKind.COMMENT, author=author, public=public, **text_fields("text", text)
    )
    if author is not None and author.is_staff:
        Ticket.objects.filter(pk=ticket.pk).update(helpdesk_touched=True)
    return event


@transaction.atomic
def ticket_state_change(*, ticket: Ticket, state: str, by=None, note: str = "", notify: bool = True) -> bool:
    """Move a ticket to ``state``, record it, and tell the requester by e-mail."""
    locked = Ticket.objects.select_for_update().get(pk=ticket.pk)
    if locked.state == state:
        return False
    old = locked.state
    locked.state = state
    if by is not None and by.is_staff:
        locked.helpdesk_touched = True
    locked.save(update_fields=["state", "helpdesk_touched", "updated_at"])
    ticket.state, ticket.helpdesk_touched = locked.state, locked.helpdesk_touched
    TicketEvent.objects.create(
        ticket=locked, kind=EventKind.STATE, author=by, text=note, old_state=old, new_state=state, public=True
    )
    if notify:
        ticket_email_send(ticket=locked, template="state_changed")
    return True


def ticket_email_send(*, ticket: Ticket, template: str) -> None:
    """Tell the requester (ticket created / state changed), if they want this kind of e-mail."""
    from accounts.notifications import notify

    kind = "ticket_created" if template == "created" else "ticket_state"
    url = _absolute(reverse("tickets:ticket_detail", args=[ticket.number]))
    notify(
        user=ticket.requester,
        kind=kind,
        template=f"tickets/email/{template}",
        context={"ticket": ticket, "url": url},
    )


def _absolute(path: str) -> str:
    return settings.FMP_PUBLIC_URL.rstrip("/") + path


# --- automatic tickets from monitoring ------------------------------------------------------


def ticket_open_for_condition(condition) -> Ticket | None:
    """An error condition of a device opens one ticket for the device's account; the database
    refuses a second while open. A previous account's open ticket (the device moved since)
    does not stand for the new account's: that one gets its own."""
    device = condition.device
    if device.account_id and not device.account.active_in_hierarchy:
        return None  # an inactive customer account gets no automatic tickets
    if Ticket.objects.filter(
        device=device,
        account_id=device.account_id,
        condition_code=condition.code,
        origin=TicketOrigin.MONITORING,
        state__in=OPEN_STATES,
    ).exists():
        return None
    service = ServiceType.objects.filter(code=AUTOMATIC_SERVICE).first()
    from printers.choices import condition_label

    label = condition_label(condition.code)
    try:
        with transaction.atomic():
            ticket = _create_with_number(
                account_id=device.account_id,
                site_id=device.site_id,
                device=device,
                service=service,
                # Stored as codes: each reader reads them in their language (fmp.texts).
                **text_fields(
                    "summary", Text("tickets.automatic.summary", condition=condition.code), max_length=200
                ),
                **text_fields("description", Text("tickets.automatic.description", condition=condition.code)),
                occurred_at=condition.raised_at,
                origin=TicketOrigin.MONITORING,
                condition_code=condition.code,
            )
            TicketEvent.objects.create(ticket=ticket, kind=EventKind.CREATED, new_state=ticket.state)
    except IntegrityError:
        return None  # another worker opened it at the same moment
    _automatic_ticket_notify(ticket, device, label)
    return ticket


def _automatic_ticket_notify(ticket: Ticket, device, label) -> None:
    """The account's users who want it hear of an automatic ticket on one of their devices."""
    from accounts.models import User
    from accounts.notifications import notify

    url = _absolute(reverse("tickets:ticket_detail", args=[ticket.number]))
    for user in (
        User.objects.filter(account_id=device.account_id, is_active=True)
        .exclude(email="")
        .select_related("account__parent__parent")
    ):
        notify(
            user=user,
            kind="auto_ticket",
            template="tickets/email/automatic",
            # The condition's name in each reader's language (as the ticket's summary_shown).
            context={"ticket": ticket, "url": url, "condition": label},
            device=device,
        )


def ticket_condition_cleared(condition) -> None:
    """The device left the condition: note it, and close the ticket if nobody handled it yet."""
    for ticket in Ticket.objects.filter(
        device_id=condition.device_id,
        # Only the current account's: a moved device's telemetry tells the previous
        # account nothing more (its tickets stay for the help desk to close).
        account_id=condition.device.account_id,
        condition_code=condition.code,
        origin=TicketOrigin.MONITORING,
        state__in=OPEN_STATES,
    ):
        TicketEvent.objects.create(ticket=ticket, kind=EventKind.CONDITION_CLEARED, public=True)
        if settings.FMP_TICKET_AUTOCLOSE and not ticket.helpdesk_touched:
            ticket_state_change(ticket=ticket, state=TicketState.DONE, notify=False)


def monitoring_conditions_handle(raised, cleared) -> None:
    """Handler registered with printers.conditions: tickets for error conditions."""
    for condition in raised:
        if condition.severity == "error":
            ticket_open_for_condition(condition)
    for condition in cleared:
        ticket_condition_cleared(condition)
