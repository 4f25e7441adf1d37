"""Writes for service requests: creation, comments, state changes, automatic tickets."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from fmp.numbers import create_numbered, random_code
from fmp.texts import Text, text_fields
from tickets import texts
from tickets.choices import OPEN_STATES, ConditionAction, EventKind, TicketOrigin, TicketState
from tickets.models import ServiceType, Ticket, TicketCondition, TicketEvent
from tickets.rules import condition_action

logger = logging.getLogger(__name__)
AUTOMATIC_SERVICE = "field-service"


def ticket_number_new() -> str:
    """Two letters and six digits (AQ532755), random: not a sequence anyone can guess."""
    return random_code(2, 6)


def _create_with_number(**fields) -> Ticket:
    return create_numbered(Ticket, ticket_number_new, **fields)


class TicketAlreadySubmitted(Exception):
    """The request form was submitted again (its submission key made a ticket already)."""

    def __init__(self, ticket: Ticket):
        super().__init__(ticket.number)
        self.ticket = ticket


def _submitted(key, requester) -> Ticket | None:
    return Ticket.objects.filter(submission_key=key, requester=requester).first() if key else None


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
    submission_key=None,
) -> Ticket:
    """Open a service request and send its confirmation e-mail once the transaction commits.

    ``submission_key`` comes with the form: a form sent twice (double click, back button)
    makes one ticket, the second raises ``TicketAlreadySubmitted``, even at the same moment."""
    if (done := _submitted(submission_key, requester)) is not None:
        raise TicketAlreadySubmitted(done)
    try:
        # In a savepoint of its own (create_numbered): a duplicate key leaves the rest intact.
        ticket = _create_with_number(
            submission_key=submission_key,
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
    except IntegrityError:
        if (done := _submitted(submission_key, requester)) is None:
            raise
        raise TicketAlreadySubmitted(done) from None
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


@dataclass(frozen=True)
class StateChange:
    """What ``ticket_state_change`` did: true when the state changed; ``emailed`` when an
    e-mail to the requester was queued (so the help desk is told the truth)."""

    changed: bool
    emailed: bool = False

    def __bool__(self) -> bool:
        return self.changed


@transaction.atomic
def ticket_state_change(
    *, ticket: Ticket, state: str, by=None, note: str = "", notify: bool = True
) -> StateChange:
    """Move a ticket to ``state``, record it, and tell the requester by e-mail."""
    locked = Ticket.objects.select_for_update().get(pk=ticket.pk)
    if locked.state == state:
        return StateChange(False)
    old = locked.state
    locked.state = state
    if by is not None and by.is_staff:
        locked.helpdesk_touched = True
    locked.save(update_fields=["state", "helpdesk_touched", "updated_at"])
    ticket.state, ticket.helpdesk_touched = locked.state, locked.helpdesk_touched
    TicketEvent.objects.create(
        ticket=locked, kind=EventKind.STATE, author=by, text=note, old_state=old, new_state=state, public=True
    )
    emailed = ticket_email_send(ticket=locked, template="state_changed") if notify else False
    return StateChange(True, emailed)


def ticket_email_send(*, ticket: Ticket, template: str) -> bool:
    """Tell the requester (ticket created / state changed), if they want this kind of e-mail.
    True when queued (an automatic ticket has no requester: False)."""
    from accounts.notifications import notify

    kind = "ticket_created" if template == "created" else "ticket_state"
    url = _absolute(reverse("tickets:ticket_detail", args=[ticket.number]))
    return notify(
        user=ticket.requester,
        kind=kind,
        template=f"tickets/email/{template}",
        context={"ticket": ticket, "url": url},
    )


def _absolute(path: str) -> str:
    return settings.FMP_PUBLIC_URL.rstrip("/") + path


# --- automatic tickets from monitoring ------------------------------------------------------


def _automatic_open(device) -> Ticket | None:
    """The device's open automatic ticket for its current account (at most one: constraint)."""
    return Ticket.objects.filter(
        device=device, account_id=device.account_id, origin=TicketOrigin.MONITORING, state__in=OPEN_STATES
    ).first()


def _monitored_account(device) -> bool:
    """Automatic tickets and e-mails only for a device of an active customer account."""
    return bool(device.account_id) and device.account.active_in_hierarchy


def ticket_open_for_condition(condition) -> Ticket | None:
    """An error condition of a device opens one automatic ticket for the device's account, or
    joins the device's open one (a note says so): one open automatic ticket per device, which
    the database enforces. Returns the ticket when this call opened it.

    A previous account's open ticket (the device moved since) does not stand for the new
    account's: that one gets its own."""
    device = condition.device
    if not _monitored_account(device):
        return None  # an inactive customer account gets no automatic tickets
    for _attempt in range(2):
        ticket = _automatic_open(device)
        if ticket is not None:
            ticket_condition_join(ticket=ticket, condition=condition)
            return None
        try:
            ticket = _automatic_create(condition)
        except IntegrityError:
            continue  # another worker opened it at the same moment: join that one
        from printers.choices import condition_label

        _automatic_ticket_notify(ticket, device, condition_label(condition.code))
        return ticket
    return None


def _automatic_create(condition) -> Ticket:

    device = condition.device
    with transaction.atomic():
        ticket = _create_with_number(
            account_id=device.account_id,
            site_id=device.site_id,
            device=device,
            service=ServiceType.objects.filter(code=AUTOMATIC_SERVICE).first(),
            # Stored as codes: each reader reads them in their language (fmp.texts).
            **text_fields(
                "summary", Text("tickets.automatic.summary", condition=condition.code), max_length=200
            ),
            **text_fields("description", Text("tickets.automatic.description", condition=condition.code)),
            occurred_at=condition.raised_at,
            origin=TicketOrigin.MONITORING,
            condition_code=condition.code,
        )
        TicketCondition.objects.create(ticket=ticket, condition=condition)
        TicketEvent.objects.create(ticket=ticket, kind=EventKind.CREATED, new_state=ticket.state)
    return ticket


def ticket_condition_join(*, ticket: Ticket, condition) -> bool:
    """Add a condition raised on the device to its open automatic ticket, with a note the
    customer and the help desk read in its history. False when it is already there."""
    if TicketCondition.objects.filter(ticket=ticket, condition=condition).exists():
        return False
    try:
        with transaction.atomic():
            TicketCondition.objects.create(ticket=ticket, condition=condition)
            TicketEvent.objects.create(
                ticket=ticket,
                kind=EventKind.CONDITION_ADDED,
                public=True,
                **text_fields("text", texts.condition_added_text(condition=condition.code)),
            )
    except IntegrityError:
        return False  # another worker added it at the same moment
    return True


def _account_users(device):
    from accounts.models import User

    return (
        User.objects.filter(account_id=device.account_id, is_active=True)
        .exclude(email="")
        .select_related("account__parent__parent")
    )


def _automatic_ticket_notify(ticket: Ticket, device, label) -> None:
    """The account's users who want it hear of an automatic ticket on one of their devices."""
    from accounts.notifications import notify

    url = _absolute(reverse("tickets:ticket_detail", args=[ticket.number]))
    for user in _account_users(device):
        notify(
            user=user,
            kind="auto_ticket",
            template="tickets/email/automatic",
            # The condition's name in each reader's language (as the ticket's summary_shown).
            context={"ticket": ticket, "url": url, "condition": label},
            device=device,
        )


def device_conditions_notify(*, device, conditions) -> int:
    """Conditions the customer fixes themselves (paper, trays, doors): the account's users who
    get device notifications are told by e-mail, in their language, what to do; no ticket.
    One e-mail per device for the conditions raised together. Returns the e-mails queued."""
    from accounts.notifications import notify
    from printers.choices import condition_label

    if not conditions or not _monitored_account(device):
        return 0
    codes = [c.code for c in conditions]
    context = {
        "device": device,
        # Lazy: each recipient reads them in their own language.
        "conditions": [
            {"label": condition_label(code), "hint": texts.condition_hint(code)} for code in codes
        ],
        "url": _absolute(reverse("printers:printer_detail", args=[device.pk])),
        "request_url": _absolute(f"{reverse('tickets:ticket_new')}?device={device.pk}"),
    }
    sent = 0
    for user in _account_users(device):
        sent += notify(
            user=user,
            kind="device_condition",
            template="tickets/email/condition",
            context=context,
            device=device,
        )
    logger.info("Device %s: %s, customer told (%d e-mails), no ticket", device.pk, ",".join(codes), sent)
    return sent


def ticket_condition_cleared(condition, *, clearing: frozenset[int] = frozenset()) -> None:
    """The device left the condition: note it on its automatic tickets; once all of a
    ticket's conditions have cleared, say so and close it if nobody handled it yet.

    ``clearing``: ids of the other conditions clearing at the same moment."""
    gone = {condition.pk, *clearing}
    for ticket in Ticket.objects.filter(
        # Only the current account's: a moved device's telemetry tells the previous
        # account nothing more (its tickets stay for the help desk to close).
        account_id=condition.device.account_id,
        condition_links__condition=condition,
        origin=TicketOrigin.MONITORING,
        state__in=OPEN_STATES,
    ).distinct():
        TicketEvent.objects.create(
            ticket=ticket,
            kind=EventKind.CONDITION_CLEARED,
            public=True,
            **text_fields("text", texts.condition_cleared_text(condition=condition.code)),
        )
        still_open = (
            TicketCondition.objects.filter(ticket=ticket, condition__cleared_at__isnull=True)
            .exclude(condition_id__in=gone)
            .exists()
        )
        if still_open:
            continue
        TicketEvent.objects.create(
            ticket=ticket,
            kind=EventKind.CONDITION_CLEARED,
            public=True,
            **text_fields("text", texts.all_conditions_cleared_text()),
        )
        if settings.FMP_TICKET_AUTOCLOSE and not ticket.helpdesk_touched:
            ticket_state_change(ticket=ticket, state=TicketState.DONE, notify=False)


def _bit_order(condition) -> tuple[int, int]:
    """Unreachable first, then the printer's error-state bits in their order: the first
    condition of a device names its ticket."""
    from printers.choices import UNREACHABLE, PrinterCondition

    if condition.code == UNREACHABLE:
        return (0, 0)
    bits = PrinterCondition.values  # in bit order
    return (1, bits.index(condition.code) if condition.code in bits else len(bits))


def monitoring_conditions_handle(raised, cleared) -> None:
    """Handler registered with printers.conditions: what the default rules (``tickets.rules``)
    say for each raised condition (one ticket per device, or an e-mail to the customer), and
    the notes of those that cleared."""
    by_device: dict[int, list] = {}
    for condition in raised:
        by_device.setdefault(condition.device_id, []).append(condition)
    for conditions in by_device.values():
        conditions.sort(key=_bit_order)
        to_notify = []
        for condition in conditions:
            action = condition_action(condition.code, condition.severity)
            if action == ConditionAction.TICKET:
                ticket_open_for_condition(condition)
            elif action == ConditionAction.NOTIFY:
                to_notify.append(condition)
        if to_notify:
            device_conditions_notify(device=to_notify[0].device, conditions=to_notify)
    clearing = frozenset(c.pk for c in cleared)
    for condition in cleared:
        ticket_condition_cleared(condition, clearing=clearing - {condition.pk})
