"""The service requests list, a ticket's page, help-desk processing in the admin."""

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from accounts.models import User
from printers.models import DeviceCondition
from tests import factories
from tests.conftest import run_together
from tickets import services
from tickets.models import Ticket, TicketEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def printer(account, site):
    return factories.device(account, site, serial="813000305")


def numbers(response):
    return {row.record.number for row in response.context["table"].paginated_rows}


def test_list_is_scoped_and_honours_the_90_days_setting(
    user_client, plain_user, account, other_account, printer
):
    recent = factories.ticket(account, printer, state="done")
    old = factories.ticket(
        account, printer, state="done", occurred_at=timezone.now() - timezone.timedelta(days=120)
    )
    theirs = factories.ticket(other_account)
    assert numbers(user_client.get("/tickets/")) == {recent.number}
    User.objects.filter(pk=plain_user.pk).update(history_scope="all")
    assert numbers(user_client.get("/tickets/")) == {recent.number, old.number}
    assert theirs.number not in user_client.get("/tickets/").content.decode()


@pytest.mark.parametrize("state", ["new", "in_progress"])
def test_the_90_days_setting_never_hides_an_open_ticket(user_client, account, printer, state):
    months_ago = timezone.now() - timezone.timedelta(days=200)
    still_open = factories.ticket(account, printer, state=state, occurred_at=months_ago)
    closed = factories.ticket(account, printer, state="done", occurred_at=months_ago)
    listed = numbers(user_client.get("/tickets/"))
    assert still_open.number in listed and closed.number not in listed
    home = user_client.get("/").context["tickets"]
    assert home[state] == 1 and home["done"] == 0


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("state=new", {"A"}),
        ("state=done", {"B"}),
        ("origin=monitoring", {"B"}),
        ("device=8130", {"A"}),
        ("device=zzz", set()),
    ],
)
def test_list_filters(user_client, account, printer, query, expected):
    a = factories.ticket(account, printer, state="new")
    b = factories.ticket(account, None, state="done", origin="monitoring")
    names = {a.number: "A", b.number: "B"}
    assert {names[n] for n in numbers(user_client.get(f"/tickets/?{query}"))} == expected


def test_detail_shows_public_history_only_and_takes_comments(user_client, account, printer, helpdesk):
    ticket = factories.ticket(account, printer)
    services.ticket_comment_add(ticket=ticket, author=helpdesk, text="Engineer booked for Tuesday")
    services.ticket_comment_add(ticket=ticket, author=helpdesk, text="Customer is difficult", public=False)
    body = user_client.get(f"/tickets/{ticket.number}/").content.decode()
    assert "Engineer booked for Tuesday" in body and "Customer is difficult" not in body
    user_client.post(f"/tickets/{ticket.number}/", {"text": "Thanks, Tuesday is fine"})
    assert TicketEvent.objects.filter(ticket=ticket, text="Thanks, Tuesday is fine", public=True).exists()
    empty = user_client.post(f"/tickets/{ticket.number}/", {"text": "   "})
    assert (
        "Écrivez quelque chose" in empty.content.decode()
        or "Ce champ est obligatoire" in empty.content.decode()
    )


def test_another_accounts_ticket_is_a_404(outsider_client, account, printer):
    ticket = factories.ticket(account, printer)
    assert outsider_client.get(f"/tickets/{ticket.number}/").status_code == 404
    assert outsider_client.post(f"/tickets/{ticket.number}/", {"text": "hi"}).status_code == 404


def test_helpdesk_changes_state_in_the_admin_and_the_requester_is_told(
    client, helpdesk, plain_user, account, printer, django_capture_on_commit_callbacks
):
    ticket = factories.ticket(account, printer, requester=plain_user)
    client.force_login(helpdesk)
    page = client.get(f"/admin/tickets/ticket/{ticket.pk}/change/")
    assert page.status_code == 200
    form = page.context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None}
    data.update(
        {
            "state": "in_progress",
            "assigned_to": helpdesk.pk,
            "account": account.pk,
            "occurred_at_0": ticket.occurred_at.strftime("%d/%m/%Y"),
            "occurred_at_1": ticket.occurred_at.strftime("%H:%M:%S"),
            "events-TOTAL_FORMS": "1",
            "events-INITIAL_FORMS": "0",
            "events-MIN_NUM_FORMS": "0",
            "events-MAX_NUM_FORMS": "1000",
            "events-0-public": "",
            "events-0-text": "Internal: waiting for parts",
        }
    )
    data = {k: ("" if v is None else v.pk if hasattr(v, "pk") else v) for k, v in data.items()}
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/admin/tickets/ticket/{ticket.pk}/change/", data)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    ticket.refresh_from_db()
    assert ticket.state == "in_progress" and ticket.assigned_to == helpdesk and ticket.helpdesk_touched
    assert TicketEvent.objects.filter(ticket=ticket, kind="state", new_state="in_progress").exists()
    assert TicketEvent.objects.get(ticket=ticket, text="Internal: waiting for parts").public is False
    assert len(mail.outbox) == 1 and ticket.number in mail.outbox[0].subject
    assert "En cours de traitement" in mail.outbox[0].subject
    # The requester reads the new state in their language in the ticket's history.
    user_client = Client()
    user_client.force_login(plain_user)
    history = user_client.get(f"/tickets/{ticket.number}/").content.decode()
    assert "Nouvel état : En cours de traitement" in history and "in_progress" not in history


def condition(device, code="jammed"):
    return DeviceCondition.objects.create(
        device=device, code=code, severity="error", raised_at=timezone.now()
    )


def test_an_error_condition_opens_one_automatic_ticket(printer):
    c = condition(printer)
    services.monitoring_conditions_handle([c], [])
    services.monitoring_conditions_handle([c], [])
    ticket = Ticket.objects.get(device=printer)
    assert (ticket.origin, ticket.condition_code, ticket.summary) == (
        "monitoring",
        "jammed",
        "Bourrage papier",
    )


def test_warnings_do_not_open_tickets(printer):
    c = DeviceCondition.objects.create(
        device=printer, code="lowToner", severity="warning", raised_at=timezone.now()
    )
    services.monitoring_conditions_handle([c], [])
    assert not Ticket.objects.exists()


def test_cleared_conditions_close_an_untouched_ticket_and_note_a_touched_one(printer, site, helpdesk):
    a = condition(printer, "jammed")
    other = factories.device(printer.account, site, serial="OTHER1")
    b = condition(other, "offline")
    services.monitoring_conditions_handle([a, b], [])
    touched = Ticket.objects.get(device=other)
    services.ticket_comment_add(ticket=touched, author=helpdesk, text="On it")
    services.monitoring_conditions_handle([], [a, b])
    assert Ticket.objects.get(device=printer).state == "done"
    touched.refresh_from_db()
    assert touched.state == "new"
    assert touched.events.filter(kind="condition_cleared").exists()


def test_autoclose_can_be_turned_off(printer, settings):
    settings.FMP_TICKET_AUTOCLOSE = False
    c = condition(printer)
    services.monitoring_conditions_handle([c], [])
    services.monitoring_conditions_handle([], [c])
    assert Ticket.objects.get().state == "new"


@pytest.mark.django_db(transaction=True)
def test_two_workers_raising_the_same_condition_at_once_make_one_ticket(account, site):
    device = factories.device(account, site, serial="RACE1")
    c = condition(device)
    # Both transactions start together; each passes the "already open?" check before the
    # other commits, so only the database constraint can stop the second.
    outcomes = run_together(
        lambda: services.ticket_open_for_condition(c), lambda: services.ticket_open_for_condition(c)
    )
    errors = [o for o in outcomes if isinstance(o, Exception)]
    results = [o for o in outcomes if not isinstance(o, Exception)]
    assert not errors, errors
    assert Ticket.objects.filter(device=device, condition_code="jammed").count() == 1
    assert sorted(r is None for r in results) == [False, True]


def test_the_help_desk_sees_each_tickets_account(client, user_client, helpdesk, account, other_account):
    from tests import factories

    factories.ticket(account, summary="Ours")
    factories.ticket(other_account, summary="Theirs")
    assert "Compte client" not in user_client.get("/tickets/").content.decode()
    client.force_login(helpdesk)
    body = client.get("/tickets/").content.decode()
    assert "Compte client" in body and "Other Industries" in body and "ABC London Pursuit" in body


def test_a_page_number_out_of_range_shows_the_nearest_page(user_client, account):
    from tests import factories

    factories.ticket(account, summary="Only one")
    for bad in ("999", "abc", "0"):
        response = user_client.get(f"/tickets/?page={bad}")
        assert response.status_code == 200 and "Only one" in response.content.decode()
