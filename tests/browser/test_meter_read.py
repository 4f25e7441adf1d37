"""A manual meter read in the browser: a lower value is refused with its message, then accepted."""

from datetime import timedelta

import pytest
from django.utils import timezone

from meters.models import MeterRead
from tests import factories
from tests.browser.test_printers import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_manual_read_refused_then_accepted(page, plain_user, account, site, screenshot):
    device = factories.device(
        account,
        site,
        serial="VMA647999",
        model=factories.device_model("WorkCentre 3550", colour=False),
        managed_by_snmp=False,
    )
    MeterRead.objects.create(
        device=device,
        counter="total",
        value=46848,
        read_at=timezone.now() - timedelta(days=33),
        source="manual",
    )
    login(page, plain_user)
    page.goto("/meters/")
    row = page.locator(f'tr[data-device="{device.pk}"]')
    assert row.get_by_test_id("read-status").inner_text().strip() == "À faire"
    row.get_by_role("link", name="Entrer les compteurs").click()
    page.locator("#id_counter_total").fill("40000")
    page.get_by_role("button", name="Soumettre les compteurs").click()
    page.get_by_text("doit être supérieur à la lecture précédente").wait_for()
    screenshot("refused")
    assert MeterRead.objects.count() == 1
    page.locator("#id_counter_total").fill("47900")
    page.locator("#id_description").fill("Relevé de novembre")
    page.get_by_role("button", name="Soumettre les compteurs").click()
    page.get_by_test_id("submitted-reads").wait_for()
    assert "47" in page.get_by_test_id("latest-reads").inner_text()
    screenshot("accepted")
    assert MeterRead.objects.get(value=47900).description == "Relevé de novembre"
