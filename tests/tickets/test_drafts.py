"""What a user types in a new service request: kept across "Previous" and "Edit my profile",
not brought back days later, and never sent twice."""

import uuid

import pytest
from django.utils import timezone

from tests import factories
from tests.conftest import run_together
from tickets import services
from tickets.models import ServiceType, Ticket
from tickets.views import DRAFT_KEY

pytestmark = pytest.mark.django_db


@pytest.fixture
def printers(account, site):
    return (
        factories.device(account, site, serial="813000305"),
        factories.device(account, site, serial="3634093981"),
    )


def details_url(device=None):
    return f"/tickets/new/details/?device={device.pk}" if device else "/tickets/new/details/?user_service=1"


def typed(device, **extra):
    return {
        "device": device.pk,
        "service": ServiceType.objects.get(code="field-service").pk,
        "summary": "Streaks on every page",
        "description": "Grey streaks down every page since Monday.",
        **extra,
    }


def form_initial(response):
    return {name: response.context["form"].initial.get(name) for name in ("summary", "description")}


KEPT = {"summary": "Streaks on every page", "description": "Grey streaks down every page since Monday."}


def test_previous_keeps_the_text_for_another_device_or_a_user_service(user_client, printers):
    first, second = printers
    response = user_client.post(details_url(first), typed(first, previous="1"))
    assert response["Location"] == "/tickets/new/device/"
    # Back at step 1 and on again: still there.
    user_client.get("/tickets/new/")
    assert user_client.post("/tickets/new/device/", {"device": second.pk})["Location"] == details_url(second)
    page = user_client.get(details_url(second))
    assert form_initial(page) == KEPT
    assert 'data-testid="draft-notice"' in page.content.decode()
    assert form_initial(user_client.get(details_url())) == KEPT


def test_edit_my_profile_comes_back_to_the_ticket_with_its_text(user_client, printers, plain_user):
    device = printers[0]
    response = user_client.post(details_url(device), typed(device, profile="1"))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/profile/?next=")
    profile = user_client.get(response["Location"])
    assert profile.context["next"] == details_url(device)
    saved = user_client.post(
        response["Location"],
        {
            "next": details_url(device),
            "first_name": "Peter",
            "last_name": "Norman",
            "email": plain_user.email,
            "phone": "+44 20 7946 0000",
            "default_site": device.site_id,
        },
    )
    assert saved["Location"] == details_url(device)
    page = user_client.get(details_url(device))
    assert form_initial(page) == KEPT and "+44 20 7946 0000" in page.content.decode()


def age_draft(client, hours):
    session = client.session
    draft = session[DRAFT_KEY]
    draft["saved_at"] = (timezone.now() - timezone.timedelta(hours=hours)).isoformat()
    session[DRAFT_KEY] = draft
    session.save()


def test_a_draft_older_than_a_day_does_not_come_back(user_client, printers, settings):
    device = printers[0]
    user_client.post(details_url(device), typed(device, previous="1"))
    age_draft(user_client, 23)
    assert form_initial(user_client.get(details_url(device))) == KEPT
    age_draft(user_client, settings.FMP_TICKET_DRAFT_HOURS + 1)
    page = user_client.get(details_url(device))
    assert form_initial(page) == {"summary": None, "description": None}
    assert 'data-testid="draft-notice"' not in page.content.decode()
    assert DRAFT_KEY not in user_client.session


def test_a_draft_can_be_discarded_and_cancel_discards_it(user_client, printers):
    device = printers[0]
    user_client.post(details_url(device), typed(device, previous="1"))
    response = user_client.post(details_url(device), {"device": device.pk, "discard": "1"})
    assert response["Location"] == details_url(device)
    assert form_initial(user_client.get(details_url(device))) == {"summary": None, "description": None}
    user_client.post(details_url(device), typed(device, previous="1"))
    assert user_client.post(details_url(device), typed(device, cancel="1"))["Location"] == "/tickets/"
    assert DRAFT_KEY not in user_client.session and not Ticket.objects.exists()


def test_the_same_form_sent_twice_makes_one_ticket(user_client, printers, plain_user):
    device = printers[0]
    key = user_client.get(details_url(device)).context["submission_key"]
    first = user_client.post(details_url(device), typed(device, submission_key=key))
    ticket = Ticket.objects.get()
    assert first["Location"] == f"/tickets/{ticket.number}/"
    # The back button and Submit again.
    again = user_client.post(details_url(device), typed(device, submission_key=key), follow=True)
    assert Ticket.objects.count() == 1
    assert again.redirect_chain[-1][0] == f"/tickets/{ticket.number}/"
    assert f"Cette demande a déjà été envoyée : c’est le ticket {ticket.number}." in again.content.decode()
    # A new form is a new request.
    key2 = user_client.get(details_url(device)).context["submission_key"]
    assert key2 != key
    user_client.post(details_url(device), typed(device, submission_key=key2))
    assert Ticket.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_a_double_click_at_the_same_moment_makes_one_ticket(account, site, plain_user):
    device = factories.device(account, site, serial="DOUBLE1")
    key = uuid.uuid4()
    field = ServiceType.objects.get(code="field-service")

    def submit():
        return services.ticket_create(
            account=account,
            requester=plain_user,
            service=field,
            summary="Jam",
            description="Jammed in tray 2",
            device=device,
            submission_key=key,
        )

    outcomes = run_together(submit, submit)
    assert Ticket.objects.filter(device=device).count() == 1
    assert sorted(type(o).__name__ for o in outcomes) == ["Ticket", "TicketAlreadySubmitted"]
