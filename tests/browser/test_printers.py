"""The printers screens in a real browser: filter, detail tabs, actions on a selection."""

import re

import pytest

from printers.models import Device
from tests import factories

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def fleet(account, site):
    colour = factories.device_model("ColorQube 9203")
    mono = factories.device_model("WorkCentre 5665", colour=False)
    return [
        factories.device(
            account,
            site,
            serial="813000305",
            model=colour,
            state="error",
            conditions=["jammed"],
            levels={"black": 12, "cyan": 40, "magenta": 50, "yellow": 60},
            total=681235,
        ),
        factories.device(
            account, site, serial="3634093981", model=mono, state="ok", levels={"black": 70}, total=288145
        ),
        factories.device(
            account, site, serial="WYN433180", model=mono, state="warning", conditions=["noPaper"]
        ),
    ]


def login(page, user):
    from tests.conftest import PASSWORD

    page.goto("/accounts/login/")
    page.locator("#id_username").fill(user.email)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("button[type=submit]").first.click()
    page.wait_for_url(re.compile(r".*/$"))


def open_filters(page):
    """Below 1400 px the grid's filters are folded away behind the Filter button."""
    toggle = page.get_by_test_id("filters-toggle")
    if toggle.is_visible():
        toggle.click()
        page.locator(".offcanvas-xxl.show").wait_for()


def test_filter_open_tabs_and_refresh_status(page, plain_user, fleet, screenshot):
    login(page, plain_user)
    page.get_by_role("link", name="Imprimantes").first.click()
    page.wait_for_url("**/printers/")
    assert page.locator("tbody tr").count() == 3

    open_filters(page)
    page.get_by_label("Erreur").check()
    page.get_by_role("button", name="Appliquer", exact=True).click()
    page.wait_for_url(re.compile(r".*state=error.*"))
    assert page.locator("tbody tr").count() == 1
    screenshot("grid-error")

    page.get_by_role("link", name="813000305").click()
    page.get_by_test_id("overall-state").wait_for()
    for tab in ["supplies", "info", "counters", "features", "diagnostics", "incidents", "status"]:
        page.get_by_test_id(f"tab-{tab}").click()
        page.get_by_test_id(f"tab-content-{tab}").wait_for()
        screenshot(f"tab-{tab}")
    assert "Bourrage papier" in page.get_by_test_id("warnings").inner_text()

    page.get_by_role("link", name="Imprimantes").first.click()
    page.wait_for_url("**/printers/")
    boxes = page.locator('tbody input[name="devices"]')
    boxes.nth(0).check()
    boxes.nth(1).check()
    page.locator("#action-select").select_option("refresh")
    page.get_by_role("button", name="Appliquer aux imprimantes sélectionnées").click()
    page.wait_for_url("**/printers/")
    assert page.get_by_test_id("refresh-pending").count() == 2
    assert page.get_by_text("état demandé").count() == 2
    screenshot("refresh-pending")
    assert Device.objects.filter(refresh_requested_at__isnull=False).count() == 2


def test_hostile_device_text_never_executes_in_the_browser(page, plain_user, hostile, screenshot):
    device = hostile
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    login(page, plain_user)
    page.goto("/printers/")
    for tab in ["status", "info", "diagnostics", "supplies"]:
        page.goto(f"/printers/{device.pk}/?tab={tab}")
        page.get_by_test_id(f"tab-content-{tab}").wait_for()
    screenshot("hostile")
    assert dialogs == []
    # The markup is shown as text, not interpreted.
    assert page.get_by_text("<b>Black</b><script>alert('toner')</script>").count() == 1
