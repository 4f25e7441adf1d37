"""The guide's "Request service" flow at /tickets/new/, step by step."""

import re

import pytest
from django.core import mail

from tests import factories
from tickets.models import Application, ApplicationCategory, ServiceType, Ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def printer(account, site):
    return factories.device(
        account,
        site,
        serial="813000305",
        model=factories.device_model("ColorQube 9203"),
        asset_number="65732245",
    )


@pytest.fixture
def foreign(other_account, other_site):
    return factories.device(other_account, other_site, serial="FOREIGN1")


def details_url(device=None):
    return f"/tickets/new/details/?device={device.pk}" if device else "/tickets/new/details/?user_service=1"


def service(code):
    return ServiceType.objects.get(code=code)


def test_the_catalogue_is_seeded_from_the_guide():
    assert ServiceType.objects.count() == 6
    assert ServiceType.objects.get(code="mps-application-support").is_application_support
    assert set(
        Application.objects.filter(category__name_en="Cost Control & Access").values_list("name", flat=True)
    ) == {"Cirrato", "Equitrac", "Safecom"}


def test_step_one_shows_open_tickets_of_the_site_and_of_the_account(user_client, account, site, printer):
    other_site = factories.device(account, None, serial="NOSITE")
    mine = factories.ticket(account, printer, summary="Add Supplies")
    elsewhere = factories.ticket(account, other_site, summary="Elsewhere")
    factories.ticket(account, printer, state="done", summary="Closed one")
    site_tab = user_client.get("/tickets/new/").content.decode()
    assert mine.number in site_tab and elsewhere.number not in site_tab and "Closed one" not in site_tab
    account_tab = user_client.get("/tickets/new/?tab=account").content.decode()
    assert mine.number in account_tab and elsewhere.number in account_tab
    for column in [
        "Numéro de série",
        "Fabricant",
        "Numéro de ticket",
        "Date d’occurrence",
        "État du ticket",
        "Récapitulatif",
    ]:
        assert column in site_tab, column


def test_open_tickets_of_another_account_never_show(user_client, foreign, other_account):
    theirs = factories.ticket(other_account, foreign)
    assert theirs.number not in user_client.get("/tickets/new/?tab=account").content.decode()


def test_step_two_lists_the_users_devices_with_asset_columns(user_client, printer, foreign):
    body = user_client.get("/tickets/new/device/").content.decode()
    assert "813000305" in body and "65732245" in body and "FOREIGN1" not in body
    assert "E-mail du contact client principal" in body
    response = user_client.post("/tickets/new/device/", {"device": printer.pk})
    assert response["Location"] == details_url(printer)
    assert user_client.post("/tickets/new/device/", {"device": "user"})["Location"] == details_url()
    refused = user_client.post("/tickets/new/device/", {"device": foreign.pk}, follow=True)
    assert "Choisissez un périphérique" in refused.content.decode()


def test_details_show_customer_device_address_and_open_tickets(user_client, printer, account, plain_user):
    open_one = factories.ticket(account, printer)
    body = user_client.get(details_url(printer)).content.decode()
    assert "Webster" in body and "XPS Hosting Site" in body and "65732245" in body
    assert open_one.number in body
    assert plain_user.email in body
    assert 'name="profile"' in body  # "Edit my profile" keeps the text typed (tests/tickets/test_drafts.py)


def test_another_accounts_device_is_a_404(user_client, foreign):
    assert user_client.get(details_url(foreign)).status_code == 404


def test_submit_a_field_service_request_sends_a_confirmation(
    user_client, printer, plain_user, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = user_client.post(
            details_url(printer),
            {
                "device": printer.pk,
                "service": service("field-service").pk,
                "summary": "Lines on every page",
                "description": "Black lines down every page since this morning.",
            },
        )
    ticket = Ticket.objects.get()
    assert response["Location"] == f"/tickets/{ticket.number}/"
    assert re.fullmatch(r"[A-Z]{2}\d{6}", ticket.number)
    assert (ticket.device, ticket.site, ticket.requester, ticket.origin) == (
        printer,
        printer.site,
        plain_user,
        "portal",
    )
    assert len(mail.outbox) == 1 and ticket.number in mail.outbox[0].subject
    page = user_client.get(response["Location"]).content.decode()
    assert ticket.number in page and "Lines on every page" in page


def test_mps_application_support_needs_severity_category_and_application(user_client, printer):
    mps = service("mps-application-support")
    response = user_client.post(
        details_url(printer),
        {
            "device": printer.pk,
            "service": mps.pk,
            "summary": "Equitrac down",
            "description": "Nobody can release jobs.",
        },
    )
    body = response.content.decode()
    assert (
        "Choisissez la gravité" in body
        and "Choisissez la catégorie" in body
        and "Choisissez l’application" in body
    )
    assert not Ticket.objects.exists()


def test_application_must_belong_to_the_category(user_client, printer):
    mps = service("mps-application-support")
    scanning = ApplicationCategory.objects.get(name_en="Scanning & Faxing")
    equitrac = Application.objects.get(name="Equitrac")
    response = user_client.post(
        details_url(printer),
        {
            "device": printer.pk,
            "service": mps.pk,
            "severity": 2,
            "category": scanning.pk,
            "application": equitrac.pk,
            "summary": "x",
            "description": "Scanning does not work.",
        },
    )
    assert (
        "Sélectionnez un choix valide" in response.content.decode()
        or "pas dans la catégorie" in response.content.decode()
    )
    assert not Ticket.objects.exists()


def test_mps_ticket_is_stored_with_its_fields(user_client, printer):
    mps = service("mps-application-support")
    cost = ApplicationCategory.objects.get(name_en="Cost Control & Access")
    equitrac = Application.objects.get(name="Equitrac")
    user_client.post(
        details_url(printer),
        {
            "device": printer.pk,
            "service": mps.pk,
            "severity": 1,
            "category": cost.pk,
            "application": equitrac.pk,
            "source_reference": "INC-42",
            "summary": "Equitrac down",
            "description": "Nobody can release jobs.",
        },
    )
    ticket = Ticket.objects.get()
    assert (ticket.severity, ticket.application, ticket.source_reference) == (1, equitrac, "INC-42")


def test_application_list_follows_the_category(user_client):
    cost = ApplicationCategory.objects.get(name_en="Cost Control & Access")
    body = user_client.get(f"/tickets/new/applications/?category={cost.pk}").content.decode()
    assert "Equitrac" in body and "Safecom" in body and "RightFax" not in body
    assert "<option" in user_client.get("/tickets/new/applications/?category=abc").content.decode()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"summary": "x", "description": "short"}, "10 caractères"),
        ({"summary": "", "description": "A long enough description."}, "Ce champ est obligatoire"),
        (
            {"summary": "x", "description": "A long enough description.", "contact_email": "nope"},
            "adresse e-mail valide",
        ),
        (
            {"summary": "x", "description": "A long enough description.", "contact_phone": "123"},
            "Indiquez le nom",
        ),
    ],
)
def test_validation_messages(user_client, printer, data, message):
    body = user_client.post(
        details_url(printer), {"device": printer.pk, "service": service("field-service").pk, **data}
    ).content.decode()
    assert message in body
    assert not Ticket.objects.exists()


def test_missing_service_is_refused(user_client, printer):
    body = user_client.post(
        details_url(printer), {"device": printer.pk, "summary": "x", "description": "A long description"}
    ).content.decode()
    assert "Choisissez le service" in body


def test_user_service_offers_only_services_without_device(user_client):
    body = user_client.get(details_url()).content.decode()
    assert "Consommable non standard" in body and "Demande d’intervention sur site" not in body


def test_previous_keeps_what_was_typed(user_client, printer):
    response = user_client.post(
        details_url(printer),
        {
            "device": printer.pk,
            "service": service("field-service").pk,
            "summary": "Keep me",
            "description": "Half typed",
            "previous": "1",
        },
    )
    assert response["Location"] == "/tickets/new/device/"
    assert "Keep me" in user_client.get(details_url(printer)).content.decode()


def test_request_service_from_the_printers_actions_lands_on_details(user_client, printer):
    response = user_client.post("/printers/actions/", {"action": "service", "devices": [printer.pk]})
    assert response["Location"] == f"/tickets/new/?device={printer.pk}"
    assert user_client.get(response["Location"])["Location"] == details_url(printer)


def test_users_without_the_right_cannot_request(client, account, printer):
    from tests.conftest import make_user

    reader = make_user("reader@abc-cars.example", account=account)
    client.force_login(reader)
    assert client.get("/tickets/new/").status_code == 403
    assert client.post(details_url(printer), {"device": printer.pk}).status_code == 403


def test_helpdesk_without_account_is_told_to_use_the_admin_for_a_user_service(client, helpdesk):
    client.force_login(helpdesk)
    body = client.post(
        "/tickets/new/details/?user_service=1",
        {
            "user_service": "1",
            "service": service("non-standard-consumable").pk,
            "summary": "x",
            "description": "Long enough text.",
        },
    ).content.decode()
    assert not Ticket.objects.exists()
    assert "bureau d’assistance" in body.lower() or "help desk" in body.lower()


def test_the_device_step_searches_the_users_devices(user_client, account, site, other_account):
    factories.device(account, site, serial="FINDME01")
    factories.device(
        account, site, serial="OTHER002", model=factories.device_model("M3655idn", maker="Kyocera")
    )
    factories.device(other_account, serial="FINDMEFOREIGN")
    body = user_client.get("/tickets/new/device/?q=findme").content.decode()
    assert "FINDME01" in body and "OTHER002" not in body and "FINDMEFOREIGN" not in body
    assert 'value="findme"' in body
    by_maker = user_client.get(
        "/tickets/new/device/?q=kyocera"
    ).content.decode()  # the manufacturer counts too
    assert "OTHER002" in by_maker and "FINDME01" not in by_maker
