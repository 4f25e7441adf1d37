"""The printers grid and the service-requests list fit a laptop and a phone, in English and in
French (longer labels), with long cells (long model names, incident texts and site names):
no horizontal scrolling, long texts cut with the whole text on hover and focus."""

import re

import pytest

from accounts import roles
from accounts.models import Site
from tests import factories
from tests.browser.test_printers import login
from tests.conftest import make_user
from tickets.models import ServiceType

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LAPTOP = {"width": 1366, "height": 768}
SMALL_LAPTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}

LONG_CONDITIONS = [
    "noPaper",
    "inputTrayEmpty",
    "serviceRequested",
    "markerSupplyMissing",
    "overduePreventMaint",
    "doorOpen",
    "jammed",
]
LONG_SUMMARY = (
    "Paper jam in the duplex unit after the last firmware update, the front panel asks for a "
    "technician and the second tray does not feed any more"
)
LONG_SITE = "XPS Hosting Site — Building 111, Floor 3, Room 3.14 (Webster, New York)"


@pytest.fixture
def long_cells(account, site):
    """Demo-like rows with the longest cells the demo shows, in both accounts of the tree."""
    long_site = Site.objects.create(account=account, name=LONG_SITE, city="Webster", country="USA")
    colour = factories.device_model("Color LaserJet Enterprise Flow MFP M880z", maker="HP")
    canon = factories.device_model("imageRUNNER ADVANCE DX C5870i", maker="Canon")
    mono = factories.device_model("WorkCentre 5665", colour=False)
    field = ServiceType.objects.get(code="field-service")
    requester = make_user(
        "requester@abc-cars.example",
        account=account,
        role=roles.USER,
        first_name="Jean-Christophe",
        last_name="Vandenberghe-Lemaire",
    )
    devices = []
    for index in range(12):
        model = (colour, canon, mono)[index % 3]
        levels = (
            {"black": 12 + index}
            if not model.is_colour
            else {"black": 7, "cyan": 45, "magenta": 100, "yellow": 3}
        )
        devices.append(
            factories.device(
                account if index % 2 else account.parent,
                long_site if index % 2 else site,
                serial=f"{7347461600031 + index}",  # 13 characters, as the demo's
                model=model,
                state=("error", "warning", "ok")[index % 3],
                conditions=LONG_CONDITIONS[: 3 + index % 5],
                levels=levels,
                total=12_345_678 + index,
                newly_discovered=index % 4 == 0,
            )
        )
    for index, device in enumerate(devices):
        factories.ticket(
            device.account,
            device,
            state=("new", "in_progress", "done")[index % 3],
            summary=LONG_SUMMARY,
            service=field,
            requester=requester,
        )
    return devices


@pytest.fixture
def several_accounts_user(account):
    """A fleet manager of the parent account: sees both accounts, so the lists add the
    customer-account column (the widest case), with a long name in the header."""

    def make(language):
        return make_user(
            f"manager-{language}@abc-cars.example",
            account=account.parent,
            role=roles.FLEET_MANAGER,
            language=language,
            first_name="Alexandrine-Marie",
            last_name="de La Rochefoucauld-Montmorency",
        )

    return make


def widths(page) -> dict:
    return page.evaluate(
        """() => {
          const table = document.querySelector('main table');
          return {
            table: table.scrollWidth,
            box: table.parentElement.clientWidth,
            page: document.scrollingElement.scrollWidth,
            viewport: window.innerWidth,
          };
        }"""
    )


def visible_headers(page) -> list[str]:
    return page.evaluate(
        """() => Array.from(document.querySelectorAll('main table thead th'))
              .filter(th => th.offsetWidth > 0).map(th => th.innerText.trim())"""
    )


@pytest.mark.parametrize("language", ["en", "fr"])
def test_the_lists_fit_a_laptop_and_a_phone_without_scrolling_sideways(
    page, long_cells, several_accounts_user, language, screenshot
):
    user = several_accounts_user(language)
    login(page, user)
    for viewport in (LAPTOP, SMALL_LAPTOP, PHONE):
        page.set_viewport_size(viewport)
        for path, rows in (("/printers/", 12), ("/tickets/", 12)):
            page.goto(path)
            assert page.locator("main tbody tr").count() == rows
            screenshot(f"{path.strip('/')}-{viewport['width']}")
            size = widths(page)
            where = f"{path} at {viewport['width']} px in {language}"
            assert size["table"] <= size["box"], f"the table scrolls sideways: {where} {size}"
            assert size["page"] <= size["viewport"], f"the page scrolls sideways: {where} {size}"


def test_every_column_shows_on_a_laptop(page, long_cells, several_accounts_user):
    login(page, several_accounts_user("en"))
    page.set_viewport_size(SMALL_LAPTOP)
    page.goto("/printers/")
    assert visible_headers(page)[1:] == [
        "State",
        "Incident",
        "Customer account",
        "Model",
        "Serial number",
        "Black",
        "Cyan",
        "Magenta",
        "Yellow",
        "Total page count",
    ]
    page.goto("/tickets/")
    assert visible_headers(page) == [
        "Hardware: serial number",
        "Hardware: manufacturer",
        "Hardware: model name",
        "Customer account",
        "Hardware: site name",
        "Ticket: ticket number",
        "Ticket: date of occurrence",
        "Ticket: service",
        "Ticket: ticket state",
        "Ticket: summary",
        "Customer: last name",
        "Customer: first name",
    ]


def test_a_phone_shows_the_grid_first_and_the_filters_from_a_button(page, long_cells, several_accounts_user):
    login(page, several_accounts_user("en"))
    page.set_viewport_size(PHONE)
    page.goto("/printers/")
    headers = visible_headers(page)
    for needed in ("State", "Model", "Serial number", "Black"):
        assert needed in headers
    filters = page.get_by_test_id("printer-filters")
    assert not filters.is_visible()
    table_top = page.locator("main table").bounding_box()["y"]
    assert table_top < PHONE["height"], "the grid starts on the first screen"
    page.get_by_test_id("filters-toggle").click()
    filters.wait_for(state="visible")
    page.get_by_label("Error").check()
    filters.get_by_role("button", name="Apply", exact=True).click()
    page.wait_for_url(re.compile(r".*state=error.*"))
    assert page.locator("main tbody tr").count() == 4
    assert page.get_by_test_id("filters-count").inner_text() == "1"

    page.goto("/tickets/")
    assert not page.get_by_test_id("ticket-filters").is_visible()
    page.get_by_test_id("filters-toggle").click()
    page.get_by_test_id("ticket-filters").wait_for(state="visible")


def test_a_long_text_is_cut_and_shown_whole_on_hover_and_focus(page, long_cells, several_accounts_user):
    login(page, several_accounts_user("en"))
    page.set_viewport_size(LAPTOP)
    for path, testid, whole in (
        ("/printers/", "incident-text", None),
        ("/tickets/", "ticket-summary", LONG_SUMMARY),
    ):
        page.goto(path)
        cell = page.get_by_test_id(testid).first
        text = cell.inner_text()
        cut = cell.evaluate("e => e.scrollWidth > e.clientWidth && getComputedStyle(e).textOverflow")
        assert cut == "ellipsis", f"{path}: the long text is not cut"
        if whole is None:  # the incident: its conditions, in the reader's language
            whole = text
            assert whole.count(",") >= 2
        cell.focus()  # the keyboard reaches it, and the tooltip says it all
        tooltip = page.get_by_role("tooltip")
        tooltip.wait_for(state="visible")
        assert tooltip.inner_text() == whole
        page.mouse.click(5, 5)
        cell.blur()
        tooltip.wait_for(state="hidden")
        page.get_by_test_id(testid).nth(1).hover()
        page.get_by_role("tooltip").wait_for(state="visible")


def test_without_javascript_the_filters_show_under_the_list(
    browser, live_server, long_cells, several_accounts_user
):
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False, viewport=LAPTOP)
    page = context.new_page()
    login(page, several_accounts_user("en"))
    page.goto("/printers/")
    assert not page.get_by_test_id("filters-toggle").is_visible()  # it would open nothing
    filters = page.get_by_test_id("printer-filters")
    assert filters.is_visible()
    assert filters.bounding_box()["y"] > page.locator("main table").bounding_box()["y"]
    page.get_by_label("Error").check()
    filters.get_by_role("button", name="Apply", exact=True).click()
    page.wait_for_url(re.compile(r".*state=error.*"))
    assert page.locator("main tbody tr").count() == 4
    context.close()
