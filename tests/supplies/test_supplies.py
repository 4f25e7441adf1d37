"""Supply orders: catalogue, cart, checkout, hold, processing, forecasts and proactive orders."""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from printers.models import Supply, SupplyLevelSample
from supplies import services
from supplies.forecast import days_left
from supplies.models import CartLine, ConsumableItem, Order
from tests import factories
from tests.conftest import PASSWORD, can_log_in, run_together

pytestmark = pytest.mark.django_db
NOW = timezone.now()


@pytest.fixture
def model():
    return factories.device_model("ColorQube 9203")


@pytest.fixture
def printer(account, site, model):
    return factories.device(
        account, site, serial="813000305", model=model, state="ok", levels={"black": 8, "cyan": 60}
    )


@pytest.fixture
def items(model):
    black = ConsumableItem.objects.create(
        part_number="108R00828", description="ColorQube black ink", type="toner", colour="black"
    )
    black.compatible_models.add(model)
    other = ConsumableItem.objects.create(
        part_number="OTHER-1", description="Other model toner", type="toner", colour="black"
    )
    generic = ConsumableItem.objects.create(
        part_number="GEN-K", description="Generic black toner", type="toner", colour="black", generic=True
    )
    return {"black": black, "other": other, "generic": generic}


def add(client, device, item, quantity=1):
    return client.post(f"/supplies/order/{device.pk}/", {"item": item.pk, "quantity": quantity}, follow=True)


SHIP = {
    "contact_name": "Marta Martinez",
    "contact_phone": "+1 585 555 0100",
    "street": "800 Phillips Road",
    "city": "Webster",
    "country": "USA",
}


def checkout_post(site, ship=SHIP, **changes):
    """The checkout's fields: the contact, and the address of the one site of the cart."""
    ship = {**ship, **changes}
    contact = ("contact_name", "contact_phone", "notes")
    data = {key: value for key, value in ship.items() if key in contact}
    data.update({f"site-{site.pk}-{key}": value for key, value in ship.items() if key not in contact})
    return data


def test_orderable_items_are_the_models_and_the_generic_ones(manager_client, printer, items):
    body = manager_client.get(f"/supplies/order/{printer.pk}/").content.decode()
    assert "108R00828" in body and "GEN-K" in body and "OTHER-1" not in body
    response = add(manager_client, printer, items["other"])
    assert "ne peut pas être commandé pour ce périphérique" in response.content.decode()
    assert not CartLine.objects.exists()


def test_cart_add_change_remove_several_devices_and_it_survives_logout(
    client, manager, printer, items, account, site, model
):
    second = factories.device(account, site, serial="SECOND", model=model)
    client.force_login(manager)
    add(client, printer, items["black"], 2)
    add(client, printer, items["black"], 1)
    add(client, second, items["generic"], 1)
    lines = {
        (line.device.serial_number, line.item.part_number): line
        for line in CartLine.objects.select_related("device", "item")
    }
    assert lines[("813000305", "108R00828")].quantity == 3 and len(lines) == 2
    client.post("/accounts/logout/")
    assert can_log_in(client, manager.email, PASSWORD)
    assert client.get("/supplies/cart/").content.decode().count('data-testid="cart-line"') == 2
    black_line = lines[("813000305", "108R00828")]
    generic_line = lines[("SECOND", "GEN-K")]
    client.post("/supplies/cart/", {f"qty-{black_line.pk}": "5", f"qty-{generic_line.pk}": "1"})
    assert CartLine.objects.get(pk=black_line.pk).quantity == 5
    client.post(
        "/supplies/cart/",
        {f"qty-{black_line.pk}": "5", f"qty-{generic_line.pk}": "1", f"remove-{generic_line.pk}": "1"},
    )
    assert not CartLine.objects.filter(pk=generic_line.pk).exists()
    bad = client.post("/supplies/cart/", {f"qty-{black_line.pk}": "lots"}, follow=True)
    assert "nombres entiers" in bad.content.decode()


def test_checkout_requires_the_starred_fields_then_places_one_order_per_device(
    manager_client, printer, items, site, django_capture_on_commit_callbacks
):
    add(manager_client, printer, items["black"], 2)
    page = manager_client.get("/supplies/checkout/").content.decode()
    assert "Webster" in page and "*" in page  # the address defaults to the device's site
    missing = manager_client.post(
        "/supplies/checkout/", checkout_post(site, contact_name="", contact_phone="call me")
    ).content.decode()
    assert "Ce champ est obligatoire" in missing and "numéro de téléphone" in missing
    assert not Order.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        done = manager_client.post("/supplies/checkout/", checkout_post(site))
    order = Order.objects.get()
    assert (
        order.number in done.content.decode()
        and order.origin == "portal"
        and order.created_by.email == "manager@abc-cars.example"
    )
    assert [(line.item.part_number, line.quantity) for line in order.lines.all()] == [("108R00828", 2)]
    assert not CartLine.objects.exists()
    assert len(mail.outbox) == 1 and order.number in mail.outbox[0].subject


def test_before_ordering_the_page_shows_open_orders_and_levels(manager_client, printer, items, manager):
    CartLine.objects.create(user=manager, device=printer, item=items["black"], quantity=1)
    services.orders_place_from_cart(user=manager, ship_to=SHIP)
    body = manager_client.get(f"/supplies/order/{printer.pk}/").content.decode()
    assert 'data-testid="open-orders"' in body and "8\u202f%" in body


def test_supplies_on_hold_cannot_be_ordered_and_it_says_why(manager_client, printer, items):
    printer.supplies_on_hold = True
    printer.supplies_hold_reason = "Unpaid invoice"
    printer.save()
    body = manager_client.get(f"/supplies/order/{printer.pk}/").content.decode()
    assert "Unpaid invoice" in body and 'data-testid="item-row"' not in body
    add(manager_client, printer, items["black"])
    assert not CartLine.objects.exists()
    detail = manager_client.get(f"/printers/{printer.pk}/").content.decode()
    assert "Unpaid invoice" in detail


def test_plain_users_see_orders_but_cannot_order(user_client, printer, items):
    assert user_client.get("/supplies/orders/").status_code == 200
    assert user_client.get("/supplies/order/").status_code == 403
    assert (
        user_client.post(
            f"/supplies/order/{printer.pk}/", {"item": items["black"].pk, "quantity": 1}
        ).status_code
        == 403
    )


def test_tenancy(outsider_client, manager, printer, items):
    CartLine.objects.create(user=manager, device=printer, item=items["black"], quantity=1)
    order = services.orders_place_from_cart(user=manager, ship_to=SHIP)[0]
    assert outsider_client.get(f"/supplies/orders/{order.number}/").status_code == 404
    assert order.number not in outsider_client.get("/supplies/orders/").content.decode()
    assert outsider_client.get(f"/supplies/order/{printer.pk}/").status_code in (403, 404)


def test_orders_list_honours_the_90_days_setting(manager_client, manager, printer, items):
    CartLine.objects.create(user=manager, device=printer, item=items["black"], quantity=1)
    order = services.orders_place_from_cart(user=manager, ship_to=SHIP)[0]
    Order.objects.filter(pk=order.pk).update(created_at=NOW - timedelta(days=100))
    assert order.number not in manager_client.get("/supplies/orders/").content.decode()
    manager.history_scope = "all"
    manager.save()
    assert order.number in manager_client.get("/supplies/orders/").content.decode()


def test_shipping_swaps_the_generic_item_and_tells_the_customer(
    manager, printer, items, django_capture_on_commit_callbacks
):
    CartLine.objects.create(user=manager, device=printer, item=items["generic"], quantity=1)
    order = services.orders_place_from_cart(user=manager, ship_to=SHIP)[0]
    line = order.lines.get()
    line.shipped_item = items["black"]
    line.save()
    with django_capture_on_commit_callbacks(execute=True):
        services.order_status_change(order=order, status="shipped")
    order.refresh_from_db()
    assert order.status == "shipped" and order.shipped_at is not None
    assert "ColorQube black ink" in mail.outbox[-1].body
    assert order.events.filter(key="supplies.order.shipped").exists()


def series(days_and_levels):
    return [(NOW - timedelta(days=d), level) for d, level in days_and_levels]


def test_forecast_steady_use():
    assert days_left(series([(30, 90), (20, 70), (10, 50), (0, 30)])) == pytest.approx(15, abs=0.5)


def test_forecast_ignores_what_came_before_a_replacement():
    # 80 days at the last reading, 5 days ago: 75 from now.
    assert days_left(series([(40, 40), (30, 10), (25, 100), (15, 90), (5, 80)])) == pytest.approx(75, abs=1)


def test_forecast_idle_device_and_unknown_levels():
    assert days_left(series([(30, 50), (15, 50), (0, 50)])) is None
    assert days_left(series([(30, None), (0, None)])) is None
    assert days_left(series([(1, 50)])) is None


def sample(supply, days_ago, percent):
    SupplyLevelSample.objects.create(
        supply=supply,
        observed_at=NOW - timedelta(days=days_ago),
        level=percent,
        max_capacity=100,
        percent=percent,
    )


def test_proactive_order_when_the_forecast_falls_under_the_lead_time(printer, items, settings):
    settings.FMP_SUPPLY_LEAD_DAYS = 10
    settings.FMP_SUPPLY_ORDER_BELOW_PERCENT = 5
    cyan = Supply.objects.get(device=printer, colour="cyan")
    Supply.objects.filter(pk=cyan.pk).update(percent=20, updated_at=NOW)
    for d, p in [(30, 80), (20, 60), (10, 40), (0, 20)]:
        sample(cyan, d, p)
    cyan_item = ConsumableItem.objects.create(
        part_number="CQ-C", description="ColorQube cyan", type="toner", colour="cyan"
    )
    cyan_item.compatible_models.add(printer.model)
    orders = services.proactive_orders_place()
    assert [(o.origin, o.lines.get().item.part_number) for o in orders] == [("automatic", "CQ-C")]
    assert (
        "10 jours" in orders[0].reason or "about 10 days" in orders[0].reason or "jours" in orders[0].reason
    )


def test_proactive_order_under_the_threshold_once_and_never_on_hold(printer, items, settings):
    settings.FMP_SUPPLY_ORDER_BELOW_PERCENT = 10
    first = services.proactive_orders_place()
    assert len(first) == 1 and first[0].lines.get().item == items["black"]
    assert services.proactive_orders_place() == []  # an open order exists
    first[0].status = "delivered"
    first[0].save()
    printer.supplies_on_hold = True
    printer.save()
    assert services.proactive_orders_place() == []


def test_no_proactive_order_when_the_customer_already_ordered(manager, printer, items):
    CartLine.objects.create(user=manager, device=printer, item=items["black"], quantity=1)
    services.orders_place_from_cart(user=manager, ship_to=SHIP)
    assert services.proactive_orders_place() == []


@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_place_one_automatic_order(account, site):
    model = factories.device_model("WorkCentre 3550", colour=False)
    device = factories.device(account, site, serial="RACE", model=model, state="ok", levels={"black": 3})
    item = ConsumableItem.objects.create(
        part_number="WC-K", description="WC toner", type="toner", colour="black"
    )
    item.compatible_models.add(model)
    supply = Supply.objects.get(device=device)
    outcomes = run_together(
        lambda: services._automatic_order(supply, None), lambda: services._automatic_order(supply, None)
    )
    errors = [o for o in outcomes if isinstance(o, Exception)]
    assert not errors, errors
    assert Order.objects.filter(device=device, origin="automatic").count() == 1


def test_supply_report_sorted_by_days_left_with_csv(user_client, printer):
    black = Supply.objects.get(device=printer, colour="black")
    Supply.objects.filter(pk=black.pk).update(updated_at=NOW)
    for d, p in [(20, 48), (10, 28), (0, 8)]:
        sample(black, d, p)
    body = user_client.get("/supplies/report/").content.decode()
    assert "environ 4 jours" in body or "about 4 days" in body
    csv = b"".join(user_client.get("/supplies/report/?export=csv").streaming_content).decode("utf-8-sig")
    assert "813000305" in csv and ";8;4" in csv


def test_supplies_tab_shows_days_left(user_client, printer):
    black = Supply.objects.get(device=printer, colour="black")
    Supply.objects.filter(pk=black.pk).update(updated_at=NOW)
    for d, p in [(20, 48), (10, 28), (0, 8)]:
        sample(black, d, p)
    assert (
        'data-testid="days-left"' in user_client.get(f"/printers/{printer.pk}/?tab=supplies").content.decode()
    )


def test_order_supplies_action_starts_with_the_device(manager_client, printer):
    response = manager_client.post("/printers/actions/", {"action": "order", "devices": [printer.pk]})
    assert response["Location"] == f"/supplies/order/?device={printer.pk}"
    assert manager_client.get(response["Location"])["Location"] == f"/supplies/order/{printer.pk}/"


def test_a_cart_line_for_a_device_no_longer_visible_is_not_ordered(manager, printer, items, other_account):
    foreign = factories.device(other_account, serial="FOREIGN", model=printer.model)
    CartLine.objects.create(user=manager, device=printer, item=items["black"], quantity=1)
    CartLine.objects.create(user=manager, device=foreign, item=items["black"], quantity=1)
    orders = services.orders_place_from_cart(user=manager, ship_to=SHIP)
    assert [o.device for o in orders] == [printer]
    assert not Order.objects.filter(device=foreign).exists() and not CartLine.objects.exists()


def test_orders_list_pages_and_the_help_desk_sees_each_account(
    client, manager_client, manager, helpdesk, printer, items
):
    for _ in range(52):
        CartLine.objects.create(user=manager, device=printer, item=items["black"], quantity=1)
        services.orders_place_from_cart(user=manager, ship_to=SHIP)
    first = manager_client.get("/supplies/orders/").content.decode()
    assert first.count('data-testid="order-row"') == 50 and "?page=2" in first
    assert "Compte client" not in first
    second = manager_client.get("/supplies/orders/?page=2").content.decode()
    assert second.count('data-testid="order-row"') == 2
    assert manager_client.get("/supplies/orders/?page=99").status_code == 200  # nearest page
    client.force_login(helpdesk)
    body = client.get("/supplies/orders/").content.decode()
    assert "Compte client" in body and "ABC London Pursuit" in body


def test_a_black_and_white_printer_is_not_offered_colour_toner(manager_client, account, site, printer, items):
    mono = factories.device(
        account, site, serial="MONO1", model=factories.device_model("WorkCentre 5665", colour=False)
    )
    cyan = ConsumableItem.objects.create(
        part_number="GEN-C", description="Generic cyan toner", type="toner", colour="cyan", generic=True
    )
    ConsumableItem.objects.create(part_number="GEN-PAPER", description="Paper", type="other", generic=True)
    body = manager_client.get(f"/supplies/order/{mono.pk}/").content.decode()
    assert "GEN-K" in body and "GEN-PAPER" in body and "GEN-C<" not in body
    response = add(manager_client, mono, cyan)
    assert "ne peut pas être commandé pour ce périphérique" in response.content.decode()
    # A colour model is offered it.
    colour_body = manager_client.get(f"/supplies/order/{printer.pk}/").content.decode()
    assert "GEN-C<" in colour_body and "GEN-PAPER" in colour_body


def test_days_left_reads_right_in_both_languages():
    from django.utils import translation

    from supplies.forecast import days_left_label

    with translation.override("en"):
        assert days_left_label(0.3) == "less than a day left"
        assert days_left_label(1.2) == "about 1 day left"
        assert days_left_label(11.6) == "about 12 days left"
        assert days_left_label(1, short=True) == "about 1 day"
        assert days_left_label(None) == ""
    with translation.override("fr"):
        assert days_left_label(0.3) == "moins d’un jour restant"
        assert days_left_label(1.2) == "environ 1 jour restant"
        assert days_left_label(11.6) == "environ 12 jours restants"
        assert days_left_label(4, short=True) == "environ 4 jours"


def test_choosing_the_device_is_paged_and_searchable(manager_client, account, site, other_account):
    model = factories.device_model("WorkCentre 7845", colour=False)
    for i in range(30):
        factories.device(account, site, serial=f"PICK{i:03d}", model=model)
    factories.device(other_account, serial="PICKFOREIGN")
    first = manager_client.get("/supplies/order/").content.decode()
    assert first.count('data-testid="order-device-row"') == 25 and "?page=2" in first
    second = manager_client.get("/supplies/order/?page=2").content.decode()
    assert second.count('data-testid="order-device-row"') == 5
    found = manager_client.get("/supplies/order/?q=pick01").content.decode()
    assert found.count('data-testid="order-device-row"') == 10 and "PICKFOREIGN" not in found
    none = manager_client.get("/supplies/order/?q=nothing-like-this").content.decode()
    assert "Aucun périphérique ne correspond" in none


def test_supply_report_pages_a_large_fleet_and_sorts_across_pages(user_client, account, site):
    model = factories.device_model("ColorQube 8900")
    levels = {}
    for i in range(30):
        device = factories.device(
            account,
            site,
            serial=f"REP{i:03d}",
            model=model,
            state="ok",
            levels={"black": (i * 7) % 100, "cyan": (i * 11) % 100, "magenta": 50, "yellow": -2},
        )
        levels[device.serial_number] = (i * 7) % 100
    rows = 'data-testid="supply-report-row"'
    first = user_client.get("/supplies/report/?sort=level").content.decode()
    second = user_client.get("/supplies/report/?sort=level&page=2").content.decode()
    assert first.count(rows) == 100 and second.count(rows) == 20
    assert "sort=level&amp;page=2" in first  # the next page keeps the order
    # Lowest levels first across the pages; the unknown levels come last.
    cells = re.findall(r'supply-report-row"><td>[^<]*</td><td>[^<]*</td><td>([^<]*)</td>', first + second)
    known = [int(c.split()[0]) for c in cells if c.endswith("%")]
    assert len(cells) == 120 and len(known) == 90
    assert known == sorted(known) and all(c == "Inconnu" for c in cells[90:])  # lowest first, unknown last
    csv_text = b"".join(user_client.get("/supplies/report/?sort=level&export=csv").streaming_content)
    assert csv_text.decode("utf-8-sig").count("REP0") == 120


def test_supply_report_sorts_by_days_left_across_pages(user_client, account, site):
    """The default order: what runs out first, across pages; supplies without a forecast last."""
    model = factories.device_model("WorkCentre 7970")
    expected = {}
    for i in range(110):
        device = factories.device(
            account, site, serial=f"DAY{i:03d}", model=model, state="ok", levels={"black": 50}
        )
        black = Supply.objects.get(device=device)
        Supply.objects.filter(pk=black.pk).update(updated_at=NOW)
        if i % 10:
            use = 1 + (i * 37) % 9  # points a day
            for d in (20, 10, 0):
                sample(black, d, 50 + use * d)
            expected[device.serial_number] = 50 / use
    cells = []
    for page in (1, 2):
        body = user_client.get(f"/supplies/report/?page={page}").content.decode()
        cells += re.findall(r'supply-report-row"><td>[^<]* (DAY\d+)</td>', body)
    assert len(cells) == 110
    with_forecast = [serial for serial in cells if serial in expected]
    assert cells[: len(expected)] == with_forecast  # forecasts first, the 11 idle ones after
    days = [expected[serial] for serial in with_forecast]
    assert days == sorted(days)


def test_the_cart_never_holds_more_than_the_limit_and_a_bad_line_changes_nothing(
    manager_client, printer, items, account, site, model
):
    add(manager_client, printer, items["black"], 15)
    again = add(manager_client, printer, items["black"], 15)
    assert "Le panier contient déjà 15 exemplaire(s) de cet article" in again.content.decode()
    line = CartLine.objects.get(device=printer, item=items["black"])
    assert line.quantity == 15
    second = factories.device(account, site, serial="SECOND", model=model)
    add(manager_client, second, items["generic"], 2)
    other = CartLine.objects.get(device=second)
    response = manager_client.post(
        "/supplies/cart/", {f"qty-{line.pk}": "4", f"qty-{other.pk}": "30"}, follow=True
    )
    assert "de 0 (retirer) à 20" in response.content.decode()
    assert CartLine.objects.get(pk=line.pk).quantity == 15 and CartLine.objects.get(pk=other.pk).quantity == 2


def test_open_orders_on_the_order_page_are_the_accounts_own(
    manager_client, manager, printer, items, other_account
):
    # The device was another customer's before: their open order is not shown to this one.
    Order.objects.create(
        number="SO99999999", account=other_account, device=printer, origin="portal", status="submitted"
    )
    body = manager_client.get(f"/supplies/order/{printer.pk}/").content.decode()
    assert "SO99999999" not in body
