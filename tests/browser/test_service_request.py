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
