"""An MPS application support ticket through every screen of the guide, in a real browser."""

import re

import pytest
from django.core import mail

from tests import factories
from tests.browser.test_printers import login
from tickets.models import Ticket

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_mps_application_support_ticket(page, plain_user, account, site, screenshot):
    printer = factories.device(
        account, site, serial="813000305", model=factories.device_model("ColorQube 9203")
    )
    existing = factories.ticket(account, printer, summary="Add Supplies")
    login(page, plain_user)
    page.goto("/tickets/new/")
    page.get_by_text(existing.number).wait_for()
    screenshot("open-tickets")
    page.get_by_role("link", name="Suivant").click()

    page.wait_for_url("**/tickets/new/device/")
    page.locator(f'input[name="device"][value="{printer.pk}"]').check()
    screenshot("choose-device")
    page.get_by_role("button", name="Suivant").click()

    page.wait_for_url(re.compile(r".*/tickets/new/details/\?device=\d+"))
    mps_fields = page.locator("[data-fmp-mps-fields]")
    assert not mps_fields.is_visible()
    page.locator("#id_service").select_option(label="Assistance de l’application MPS")
    assert mps_fields.is_visible()
    page.locator("#id_severity").select_option("2")
    page.locator("#id_category").select_option(label="Contrôle des coûts et des accès")
    # The application list follows the category without reloading the page.
    page.locator("#id_application option", has_text="Equitrac").wait_for(state="attached")
    assert page.locator("#id_application option", has_text="RightFax").count() == 0
    page.locator("#id_application").select_option(label="Equitrac")
    page.locator("#id_source_reference").fill("INC-4711")
    page.locator("#id_summary").fill("Equitrac does not release jobs")
    page.locator("#id_description").fill("Since 9:00 nobody can release print jobs at the Webster site.")
    screenshot("details")
    page.get_by_role("button", name="Soumettre").click()

    page.wait_for_url(re.compile(r".*/tickets/[A-Z]{2}\d{6}/$"))
    ticket = Ticket.objects.exclude(pk=existing.pk).get()
    assert page.get_by_text(ticket.number).first.is_visible()
    assert (ticket.severity, ticket.application.name, ticket.source_reference) == (2, "Equitrac", "INC-4711")
    assert len(mail.outbox) == 1 and ticket.number in mail.outbox[0].subject
    screenshot("submitted")


def test_typed_text_survives_previous_another_device_and_the_profile_then_sends_once(
    page, plain_user, account, site, screenshot
):
    first = factories.device(account, site, serial="813000305")
    second = factories.device(account, site, serial="3634093981")
    login(page, plain_user)
    page.goto(f"/tickets/new/details/?device={first.pk}")
    page.locator("#id_service").select_option(label="Assistance de l’application MPS")
    page.locator("#id_summary").fill("Scans never arrive")
    page.locator("#id_description").fill("Scans to e-mail from the second floor never arrive.")
    # Another service after all: the text stays.
    page.locator("#id_service").select_option(index=1)
    assert page.locator("#id_description").input_value().startswith("Scans to e-mail")
    page.locator('button[name="previous"]').click()

    page.wait_for_url("**/tickets/new/device/")
    page.locator(f'input[name="device"][value="{second.pk}"]').check()
    page.get_by_role("button", name="Suivant").click()
    page.wait_for_url(re.compile(rf".*/tickets/new/details/\?device={second.pk}$"))
    assert page.locator("#id_summary").input_value() == "Scans never arrive"
    assert page.get_by_test_id("device-info").get_by_text("3634093981").is_visible()
    assert page.get_by_test_id("draft-notice").is_visible()
    screenshot("draft-back-for-another-device")

    page.locator("#id_description").fill("Scans to e-mail from the second floor never arrive, since Monday.")
    page.get_by_test_id("edit-profile").click()
    page.wait_for_url(re.compile(r".*/accounts/profile/\?next=.*"))
    page.locator("#id_phone").fill("+44 20 7946 0000")
    page.locator('form button[type="submit"].btn-primary').click()
    page.wait_for_url(re.compile(rf".*/tickets/new/details/\?device={second.pk}$"))
    assert page.get_by_test_id("customer-info").get_by_text("+44 20 7946 0000").is_visible()
    assert page.locator("#id_description").input_value().endswith("since Monday.")

    # The same form sent twice (what the back button and Submit again, or a second click on a
    # slow connection, do): first as the browser would send it again, then with the button.
    status = page.evaluate(
        """async () => {
            const data = new FormData(document.getElementById("ticket-details"));
            data.append("submit", "1");
            return (await fetch(location.href, {method: "POST", body: data, redirect: "manual"})).type;
        }"""
    )
    assert status == "opaqueredirect"  # accepted: the ticket exists
    ticket = Ticket.objects.get()
    assert (ticket.device, ticket.summary) == (second, "Scans never arrive")
    page.locator('button[name="submit"]').click()
    page.wait_for_url(re.compile(rf".*/tickets/{ticket.number}/$"))
    assert page.get_by_text(
        f"Cette demande a déjà été envoyée : c’est le ticket {ticket.number}."
    ).is_visible()
    assert Ticket.objects.count() == 1
    screenshot("sent-once")


def test_open_tickets_mark_automatic_ones_and_hide_them(page, plain_user, account, site, screenshot):
    printer = factories.device(account, site, serial="813000305")
    mine = factories.ticket(account, printer, summary="Streaks on every page", requester=plain_user)
    auto = factories.ticket(account, printer, summary="Bourrage papier", origin="monitoring")
    login(page, plain_user)
    page.goto("/tickets/new/")
    row = page.locator("tr", has_text=auto.number)
    assert row.get_by_test_id("automatic-ticket").is_visible()
    assert page.locator("tr", has_text=mine.number).get_by_test_id("automatic-ticket").count() == 0
    screenshot("automatic-marked")
    page.get_by_test_id("toggle-automatic").click()
    page.wait_for_url(re.compile(r".*automatic=hide.*"))
    assert page.get_by_text(mine.number).is_visible() and page.get_by_text(auto.number).count() == 0
    # The other tab keeps the choice.
    page.get_by_test_id("tab-account").click()
    page.wait_for_url(re.compile(r".*tab=account&automatic=hide.*"))
    assert page.get_by_text(auto.number).count() == 0
    page.get_by_test_id("toggle-automatic").click()
    page.get_by_text(auto.number).wait_for()
