"""The guide's supply order in a real browser: device → add supplies → cart → checkout → placed."""

import re

import pytest
from django.core import mail

from supplies.models import ConsumableItem, Order
from tests import factories
from tests.browser.test_printers import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_order_from_device_to_placed_order(page, manager, account, site, screenshot):
    model = factories.device_model("WorkCentre 5665", colour=False)
    device = factories.device(
        account, site, serial="3634093981", model=model, state="ok", levels={"black": 12}
    )
    toner = ConsumableItem.objects.create(
        part_number="006R01146", description="WorkCentre 5665 toner", type="toner", colour="black"
    )
    toner.compatible_models.add(model)
    ConsumableItem.objects.create(
        part_number="GEN-STAPLES", description="Staple cartridge", type="staples", generic=True
    )
    login(page, manager)
    page.goto("/supplies/orders/")
    page.get_by_role("link", name="Commander des consommables").first.click()
    page.wait_for_url("**/supplies/order/")
    page.locator('[data-testid="order-device-row"]', has_text="3634093981").get_by_role(
        "link", name="Ajouter des consommables"
    ).click()
    page.wait_for_url(f"**/supplies/order/{device.pk}/")
    screenshot("add-supplies")
    row = page.locator('[data-testid="item-row"]', has_text="006R01146")
    row.locator('input[name="quantity"]').fill("2")
    row.get_by_role("button", name="Ajouter au panier").click()
    page.get_by_test_id("cart-count").get_by_text("1").wait_for()
    page.locator('[data-testid="item-row"]', has_text="GEN-STAPLES").get_by_role(
        "button", name="Ajouter au panier"
    ).click()
    page.get_by_test_id("cart-count").get_by_text("2").wait_for()
    page.get_by_role("link", name="Caisse").first.click()
    page.wait_for_url("**/supplies/checkout/")
    # The site has a city but no street: it is asked for, not taken from the profile.
    group = page.get_by_test_id("ship-to-group")
    assert group.locator('input[name$="-city"]').input_value() == "Webster"
    assert group.locator('input[name$="-street"]').input_value() == ""
    assert group.get_by_test_id("address-incomplete").is_visible()
    page.locator("#id_contact_name").fill("")
    page.locator("#id_contact_phone").fill("+1 585 555 0100")
    page.get_by_role("button", name="Passer la commande").click()
    page.get_by_text("Ce champ est obligatoire").first.wait_for()
    screenshot("checkout-missing")
    page.locator("#id_contact_name").fill("Marta Martinez")
    group.locator('input[name$="-street"]').fill("800 Phillips Road")
    page.get_by_role("button", name="Passer la commande").click()
    page.get_by_test_id("order-placed").wait_for()
    order = Order.objects.get()
    assert page.get_by_text(order.number).first.is_visible()
    assert sorted((line.item.part_number, line.quantity) for line in order.lines.all()) == [
        ("006R01146", 2),
        ("GEN-STAPLES", 1),
    ]
    assert re.match(r"SO\d{8}", order.number) and len(mail.outbox) == 1
    screenshot("placed")


def test_a_cart_of_two_sites_ships_each_order_to_its_site(page, manager, account, screenshot):
    from accounts.models import Site

    model = factories.device_model("WorkCentre 5665", colour=False)
    toner = ConsumableItem.objects.create(
        part_number="006R01146", description="WorkCentre 5665 toner", type="toner", colour="black"
    )
    toner.compatible_models.add(model)
    webster = Site.objects.create(
        account=account, name="Webster plant", street1="800 Phillips Road", city="Webster", country="USA"
    )
    rochester = Site.objects.create(
        account=account, name="Rochester office", street1="100 Main Street", city="Rochester", country="USA"
    )
    first = factories.device(account, webster, serial="WEB-1", model=model)
    second = factories.device(account, rochester, serial="ROC-1", model=model)
    login(page, manager)
    for device in (first, second):
        page.goto(f"/supplies/order/{device.pk}/")
        page.locator('[data-testid="item-row"]', has_text="006R01146").get_by_role(
            "button", name="Ajouter au panier"
        ).click()
        page.get_by_text("ajouté au panier").first.wait_for()
    page.goto("/supplies/checkout/")
    groups = page.get_by_test_id("ship-to-group")
    assert groups.count() == 2
    roc = groups.filter(has_text="Rochester office")
    web = groups.filter(has_text="Webster plant")
    assert web.locator('input[name$="-street"]').input_value() == "800 Phillips Road"
    assert roc.locator('input[name$="-street"]').input_value() == "100 Main Street"
    roc.locator('input[name$="-building_floor_room"]').fill("Reception")
    page.locator("#id_contact_phone").fill("+1 585 555 0100")
    screenshot("two-sites")
    page.get_by_role("button", name="Passer la commande").click()
    page.get_by_test_id("order-placed").wait_for()
    orders = {o.device.serial_number: o for o in Order.objects.select_related("device")}
    assert (orders["WEB-1"].city, orders["WEB-1"].building_floor_room) == ("Webster", "")
    assert (orders["ROC-1"].city, orders["ROC-1"].building_floor_room) == ("Rochester", "Reception")
