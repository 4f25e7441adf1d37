"""The whole client guide, end to end, in a real browser, in French and in English."""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from accounts.models import User
from accounts.notifications import background_wait
from documents.models import Document
from meters.models import MeterRead
from supplies.models import ConsumableItem, Order
from tests import factories
from tests.browser.test_printers import open_filters
from tickets.models import Ticket

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TEXT = {
    "fr": {
        "send": "Envoyer",
        "login": "Se connecter",
        "change": "Changer mon mot de passe",
        "error": "Erreur",
        "apply": "Appliquer",
        "refused": "doit être supérieur",
        "logout": "Se déconnecter",
        "saved": "Vos paramètres",
    },
    "en": {
        "send": "Send",
        "login": "Log in",
        "change": "Change my password",
        "error": "Error",
        "apply": "Apply",
        "refused": "must be greater",
        "logout": "Log out",
        "saved": "Your settings",
    },
}


@pytest.fixture
def world(account, site, manager, settings, tmp_path):
    settings.FMP_DOCUMENTS_ROOT = tmp_path
    from documents.models import private_storage

    private_storage._setup()
    colour = factories.device_model("ColorQube 9203")
    printer = factories.device(
        account,
        site,
        serial="813000305",
        model=colour,
        state="error",
        conditions=["jammed"],
        levels={"black": 9, "cyan": 40, "magenta": 50, "yellow": 60},
        total=681235,
        managed_by_snmp=False,
    )
    factories.device(
        account,
        site,
        serial="3634093981",
        model=factories.device_model("WorkCentre 5665", colour=False),
        state="ok",
    )
    MeterRead.objects.create(
        device=printer,
        counter="total",
        value=681235,
        read_at=timezone.now() - timedelta(days=35),
        source="manual",
    )
    item = ConsumableItem.objects.create(
        part_number="108R00828", description="ColorQube black ink", type="toner", colour="black"
    )
    item.compatible_models.add(colour)
    doc = Document.objects.create(
        title="Guide FMP",
        file=SimpleUploadedFile("guide.pdf", b"%PDF-1.4 guide"),
        original_name="guide.pdf",
        all_accounts=True,
    )
    return {"printer": printer, "document": doc}


@pytest.mark.parametrize("language", ["fr", "en"])
def test_the_whole_guide(page, browser, live_server, manager, world, language, screenshot):
    t = TEXT[language]
    User.objects.filter(pk=manager.pk).update(language=language)
    page.context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
    printer = world["printer"]

    # First login: forgot password → temporary password → forced change → home.
    page.goto("/accounts/password/forgot/")
    page.locator("#id_username").fill(manager.email)
    page.get_by_role("button", name=t["send"]).click()
    page.wait_for_url("**/accounts/login/")
    background_wait()  # the e-mail is sent off the request path
    temp = re.search(r":\s+([A-Za-z0-9]{12})\s", mail.outbox[-1].body).group(1)
    page.locator("#id_username").fill(manager.email)
    page.locator("#id_password").fill(temp)
    page.get_by_role("button", name=t["login"]).click()
    page.wait_for_url("**/accounts/password/change/")
    page.locator("#id_new_password1").fill("Walk-Through-9")
    page.locator("#id_new_password2").fill("Walk-Through-9")
    page.get_by_role("button", name=t["change"]).click()
    page.get_by_test_id("pane-printers").wait_for()
    screenshot(f"{language}-home")

    # Printers grid and filters, a printer's tabs, refresh status.
    page.goto("/printers/")
    open_filters(page)
    page.get_by_label(t["error"]).check()
    page.get_by_role("button", name=t["apply"], exact=True).click()
    page.wait_for_url(re.compile(r".*state=error.*"))
    assert page.locator("tbody tr").count() == 1
    screenshot(f"{language}-grid")
    for tab in ["status", "supplies", "info", "counters", "features", "diagnostics", "incidents"]:
        page.goto(f"/printers/{printer.pk}/?tab={tab}")
        page.get_by_test_id(f"tab-content-{tab}").wait_for()
    screenshot(f"{language}-detail")
    page.goto("/printers/")
    page.locator(f'tr[data-device="{printer.pk}"] input[name="devices"]').check()
    page.locator("#action-select").select_option("refresh")
    page.locator('#printer-actions button[type="submit"]').click()
    page.get_by_test_id("refresh-pending").first.wait_for()

    # Meter read: a lower value is refused, then a good one accepted.
    page.goto(f"/meters/{printer.pk}/")
    page.locator("#id_counter_total").fill("600000")
    page.locator('#meter-form button[type="submit"]').click()
    page.get_by_text(t["refused"]).first.wait_for()
    page.locator("#id_counter_total").fill("690000")
    page.locator("#id_counter_black").fill("500000")
    page.locator("#id_counter_colour").fill("190000")
    page.locator('#meter-form button[type="submit"]').click()
    page.get_by_test_id("submitted-reads").wait_for()
    screenshot(f"{language}-meter")

    # Supply order to checkout.
    page.goto(f"/supplies/order/{printer.pk}/")
    page.locator('[data-testid="item-row"] button[type="submit"]').first.click()
    page.get_by_test_id("cart-count").get_by_text("1").wait_for()
    page.goto("/supplies/checkout/")
    page.locator("#id_contact_name").fill("Marta Martinez")
    page.locator("#id_contact_phone").fill("+1 585 555 0100")
    page.locator('[data-testid="ship-to-group"] input[name$="-street"]').fill("800 Phillips Road")
    page.locator('#checkout-form button[type="submit"]').click()
    page.get_by_test_id("order-placed").wait_for()
    screenshot(f"{language}-order")

    # MPS application support ticket.
    page.goto(f"/tickets/new/details/?device={printer.pk}")
    page.locator("#id_service").select_option(
        value=str(
            __import__("tickets.models", fromlist=["ServiceType"])
            .ServiceType.objects.get(code="mps-application-support")
            .pk
        )
    )
    page.locator("#id_severity").select_option("3")
    page.locator("#id_category").select_option(  # named in the page's language
        value=str(
            __import__("tickets.models", fromlist=["ApplicationCategory"])
            .ApplicationCategory.objects.get(name_en="Cost Control & Access")
            .pk
        )
    )
    page.locator("#id_application option", has_text="Equitrac").wait_for(state="attached")
    page.locator("#id_application").select_option(label="Equitrac")
    page.locator("#id_summary").fill("Equitrac")
    page.locator("#id_description").fill("Nobody can release print jobs.")
    page.locator('button[name="submit"]').click()
    page.wait_for_url(re.compile(r".*/tickets/[A-Z]{2}\d{6}/$"))
    screenshot(f"{language}-ticket")

    # Document download.
    page.goto("/documents/")
    with page.expect_download() as download:
        page.get_by_role("link", name="Guide FMP").click()
    assert download.value.suggested_filename == "guide.pdf"

    # Settings, then log out.
    page.goto("/settings/")
    page.locator('input[name="history_scope"][value="all"]').check()
    page.locator('main form input[type="submit"], main form button[type="submit"]').first.click()
    page.get_by_text(t["saved"]).wait_for()
    screenshot(f"{language}-settings")
    page.get_by_role("button", name=t["logout"]).click()
    page.wait_for_url("**/accounts/login/")
    assert Order.objects.count() == 1 and Ticket.objects.filter(application__name="Equitrac").count() == 1
    assert MeterRead.objects.filter(value=690000).exists()
