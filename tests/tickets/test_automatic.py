"""Automatic tickets: one open ticket per device, later conditions added to it, and the
conditions the customer fixes themselves e-mailed to the customer instead of a ticket."""

import pytest
from django.core import mail
from django.utils import timezone

from accounts.models import User
from printers.conditions import device_conditions_sync
from printers.models import DeviceCondition
from printers.polling import fleet_poll_run
from tests import factories
from tests.conftest import make_user
from tests.fixtures_snmp import sim_device
from tickets import services
from tickets.models import Ticket

pytestmark = pytest.mark.django_db


def poll(device):
    fleet_poll_run(kind="refresh", device_ids=[device.pk], respect_backoff=False)


def history(ticket):
    return [(e.kind, e.text) for e in ticket.events.order_by("at", "pk")]


def test_a_printer_with_every_error_gets_one_ticket_and_the_customer_one_email(
    account, simulator, django_capture_on_commit_callbacks
):
    make_user("fm@abc-cars.example", account=account, language="en")
    device = sim_device(account, simulator, "sim-every-error", notifications_enabled=True)
    with django_capture_on_commit_callbacks(execute=True):
        poll(device)
        poll(device)
    (ticket,) = Ticket.objects.filter(device=device)
    assert ticket.origin == "monitoring" and ticket.state == "new"
    # The help desk's conditions are in the ticket; paper, trays and doors are not.
    assert set(ticket.conditions.values_list("code", flat=True)) == {
        "noToner",
        "jammed",
        "offline",
        "outputTrayMissing",
        "markerSupplyMissing",
    }
    assert ticket.condition_code == "noToner"  # the first in the printer's bit order names it
    notes = [text for kind, text in history(ticket) if kind == "condition_added"]
    assert notes == [
        "Le périphérique signale aussi : Bourrage papier",
        "Le périphérique signale aussi : Hors ligne",
        "Le périphérique signale aussi : Bac de sortie absent",
        "Le périphérique signale aussi : Consommable d’impression manquant",
    ]
    subjects = sorted(m.subject for m in mail.outbox)
    assert len(subjects) == 2, subjects  # the ticket, and what the customer can fix
    assert subjects[0] == f"Automatic ticket {ticket.number}: Toner empty"
    (customer,) = [m for m in mail.outbox if "needs you" in m.subject]
    for label in ("Paper out", "Door open", "Input tray missing", "Output tray full", "Input tray empty"):
        assert label in customer.subject and label in customer.body
    assert "Close the printer's doors and covers." in customer.body
    assert "No ticket has been opened for the help desk" in customer.body
    assert f"/tickets/new/?device={device.pk}" in customer.body


def test_paper_out_opens_no_ticket(account, simulator):
    device = sim_device(account, simulator, "sim-paper-out")
    poll(device)
    poll(device)
    assert set(DeviceCondition.objects.filter(device=device).values_list("code", flat=True)) == {
        "noPaper",
        "inputTrayEmpty",
        "serviceRequested",
    }
    assert not Ticket.objects.exists()


def test_the_customer_conditions_are_a_setting(account, simulator, settings):
    settings.FMP_CUSTOMER_CONDITIONS = ["noPaper"]  # doors are the help desk's here
    device = sim_device(account, simulator, "sim-door-open", serial="DOOR00042")
    poll(device)
    assert Ticket.objects.get(device=device).condition_code == "doorOpen"


def sync(device, conditions, *, reachable=True):
    state = device.state
    state.conditions, state.reachable, state.status_at = conditions, reachable, timezone.now()
    state.save()
    return device_conditions_sync(states=[state], at=timezone.now())


def test_later_conditions_join_the_open_ticket_which_says_when_all_cleared(
    account, site, settings, user_client
):
    settings.FMP_CONDITION_CLEAR_AFTER = 1
    device = factories.device(account, site, serial="JOIN1", state="error")
    sync(device, ["jammed"])
    sync(device, ["jammed", "offline", "doorOpen"])
    (ticket,) = Ticket.objects.filter(device=device)
    assert set(ticket.conditions.values_list("code", flat=True)) == {"jammed", "offline"}
    sync(device, ["offline"])  # the jam is cleared: the ticket stays open for the rest
    ticket.refresh_from_db()
    assert ticket.state == "new"
    page = user_client.get(f"/tickets/{ticket.number}/").content.decode()
    assert "Bourrage papier · rétablie" in page and "Hors ligne</span>" in page
    sync(device, [])
    ticket.refresh_from_db()
    assert ticket.state == "done"
    assert [(kind, text) for kind, text in history(ticket) if kind != "created"] == [
        ("condition_added", "Le périphérique signale aussi : Hors ligne"),
        ("condition_cleared", "Le périphérique ne signale plus : Bourrage papier"),
        ("condition_cleared", "Le périphérique ne signale plus : Hors ligne"),
        (
            "condition_cleared",
            "Toutes les conditions de ce ticket sont rétablies : le périphérique fonctionne à nouveau.",
        ),
        ("state", ""),
    ]
    # The next incident is a new ticket.
    sync(device, ["jammed"])
    assert Ticket.objects.filter(device=device, state="new").count() == 1
    assert Ticket.objects.filter(device=device).count() == 2


def test_a_ticket_the_help_desk_handles_stays_open_and_keeps_collecting(account, site, helpdesk, settings):
    settings.FMP_CONDITION_CLEAR_AFTER = 1
    device = factories.device(account, site, serial="JOIN2", state="error")
    sync(device, ["jammed"])
    ticket = Ticket.objects.get(device=device)
    services.ticket_state_change(ticket=ticket, state="in_progress", by=helpdesk)
    sync(device, [])
    sync(device, ["offline"])
    ticket.refresh_from_db()
    assert ticket.state == "in_progress"
    assert Ticket.objects.filter(device=device).count() == 1
    assert "offline" in ticket.conditions.values_list("code", flat=True)


def test_the_customer_email_follows_the_device_flag_and_the_users_choice(
    account, site, django_capture_on_commit_callbacks
):
    wants = make_user("wants@abc-cars.example", account=account, language="en")
    make_user("no@abc-cars.example", account=account, language="en", email_opt_out=["device_condition"])
    quiet = factories.device(account, site, serial="QUIET", state="warning", notifications_enabled=False)
    loud = factories.device(account, site, serial="LOUD", state="warning", notifications_enabled=True)
    with django_capture_on_commit_callbacks(execute=True):
        sync(quiet, ["noPaper"])
        sync(loud, ["noPaper"])
    assert [(m.to, "LOUD" in m.subject) for m in mail.outbox] == [([wants.email], True)]
    assert not Ticket.objects.exists()


def test_no_customer_email_for_an_inactive_account(account, site, django_capture_on_commit_callbacks):
    make_user("fm@abc-cars.example", account=account, language="en")
    device = factories.device(account, site, serial="OFF1", state="warning", notifications_enabled=True)
    account.is_active = False
    account.save()
    with django_capture_on_commit_callbacks(execute=True):
        sync(device, ["noPaper", "jammed"])
    assert not mail.outbox and not Ticket.objects.exists()
    assert User.objects.filter(account=account).exists()


def test_the_open_tickets_screens_mark_automatic_tickets_and_can_hide_them(
    user_client, client, helpdesk, account, site, plain_user
):
    device = factories.device(account, site, serial="MARK1")
    mine = factories.ticket(account, device, summary="Streaks on every page", requester=plain_user)
    auto = factories.ticket(account, device, summary="Paper jam", origin="monitoring")

    def listed(response):
        return {row.record.number for row in response.context["table"].paginated_rows}

    step_one = user_client.get("/tickets/new/?tab=account")
    assert listed(step_one) == {mine.number, auto.number}
    body = step_one.content.decode()
    assert body.count('data-testid="automatic-ticket"') == 1 and "Automatique" in body
    # Below 1200 px the customer's column is hidden: the summary carries the mark there.
    assert body.count('data-testid="automatic-ticket-narrow"') == 1
    assert "Masquer le ticket automatique (1)" in body
    hidden = user_client.get("/tickets/new/?tab=account&automatic=hide")
    assert listed(hidden) == {mine.number}
    assert "Afficher le ticket automatique (1)" in hidden.content.decode()
    # The service requests list and the help desk's admin list have the same filter.
    assert listed(user_client.get("/tickets/?hide_automatic=on")) == {mine.number}
    assert listed(user_client.get("/tickets/")) == {mine.number, auto.number}
    client.force_login(helpdesk)
    admin_list = client.get("/admin/tickets/ticket/?automatic=hide").content.decode()
    assert mine.number in admin_list and auto.number not in admin_list
    assert auto.number in client.get("/admin/tickets/ticket/?automatic=only").content.decode()


def test_the_admin_does_not_claim_an_email_for_an_automatic_ticket(
    client, helpdesk, account, site, django_capture_on_commit_callbacks
):
    from django.contrib.messages import get_messages

    from tests.supplies.test_shipping_email import change_form_data

    device = factories.device(account, site, serial="ADM1")
    ticket = factories.ticket(account, device, summary="Bourrage papier", origin="monitoring")
    client.force_login(helpdesk)
    url = f"/admin/tickets/ticket/{ticket.pk}/change/"
    data = change_form_data(client.get(url))
    data["state"] = "in_progress"
    local = timezone.localtime(ticket.occurred_at)
    data.update(occurred_at_0=local.strftime("%d/%m/%Y"), occurred_at_1=local.strftime("%H:%M:%S"))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, data)
    assert response.status_code == 302, response.context["errors"]
    notes = [str(m) for m in get_messages(response.wsgi_request)]
    assert "Aucun e-mail n’a été envoyé : ce ticket n’a pas de demandeur (ticket automatique)." in notes
    assert not any("informé" in note for note in notes) and not mail.outbox
    ticket.refresh_from_db()
    assert ticket.state == "in_progress"
