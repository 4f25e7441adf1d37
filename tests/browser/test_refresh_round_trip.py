"""“Get printer status” in the browser: pending, then the new values without a manual reload."""

import re

import pytest

from tests import factories
from tests.browser.test_printers import login
from tests.fixtures_snmp import sim_device

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_refresh_shows_pending_then_the_new_levels(
    page, plain_user, account, site, simulator, celery_worker, screenshot
):
    device = sim_device(
        account,
        simulator,
        "sim-xerox-colour",
        site=site,
        serial="813000305",
        state="ok",
        levels={"black": 5},
        total=1,
        model=factories.device_model("ColorQube 9203"),
    )
    login(page, plain_user)
    page.goto("/printers/")
    row = page.locator(f'tr[data-device="{device.pk}"]')
    assert "5\u202f%" in row.inner_text()  # "5 %": narrow no-break space
    row.locator('input[name="devices"]').check()
    page.locator("#action-select").select_option("refresh")
    page.get_by_role("button", name="Appliquer aux imprimantes sélectionnées").click()
    page.wait_for_url(re.compile(r".*/printers/.*"))
    screenshot("pending")
    # The worker polls the simulated printer; htmx notices and reloads the page by itself.
    page.locator(f'tr[data-device="{device.pk}"]').get_by_text("80 %").wait_for(timeout=30_000)
    assert page.get_by_test_id("refresh-pending").count() == 0
    assert "681" in page.locator(f'tr[data-device="{device.pk}"]').inner_text()
    screenshot("refreshed")
