"""What the provider ships (issue 14): no second order for a cartridge already on its way or
refused, forecasts counted from now, an empty cartridge of unknown capacity is empty."""

from datetime import timedelta

import pytest
from django.utils import timezone

from printers.models import Supply, SupplyLevelSample
from supplies import services
from supplies.forecast import days_left
from supplies.models import CartLine, ConsumableItem, Order
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def printer(account, site):
    model = factories.device_model("WorkCentre 3550", colour=False)
    device = factories.device(account, site, serial="3550001", model=model, state="ok", levels={"black": 8})
    item = ConsumableItem.objects.create(
        part_number="106R01529", description="WorkCentre 3550 toner", type="toner", colour="black"
    )
    item.compatible_models.add(model)
    return device


def black(device) -> Supply:
    return Supply.objects.get(device=device, colour="black")


def reading(supply, percent, *, days_ago=0.0):
    """The poller's record of one reading: a sample, and the supply's latest level."""
    at = timezone.now() - timedelta(days=days_ago)
    SupplyLevelSample.objects.create(
        supply=supply, observed_at=at, level=percent, max_capacity=100, percent=percent
    )
    Supply.objects.filter(pk=supply.pk).update(level=percent, percent=percent, updated_at=at)


def automatic_orders(device):
    return Order.objects.filter(device=device, origin="automatic").order_by("created_at")


def age(order, days):
    """Move an order (and its dates) ``days`` into the past."""
    shift = timedelta(days=days)
    for field in ("created_at", "delivered_at", "cancelled_at"):
        value = getattr(order, field)
        if value is not None:
            setattr(order, field, value - shift)
    Order.objects.filter(pk=order.pk).update(
        created_at=order.created_at, delivered_at=order.delivered_at, cancelled_at=order.cancelled_at
    )


# --- 3. no second automatic order for the same empty cartridge ----------------------------


def test_a_delivered_order_covers_its_cartridge_until_the_new_one_is_seen(printer, settings):
    settings.FMP_SUPPLY_ORDER_BELOW_PERCENT = 10
    reading(black(printer), 8, days_ago=1)
    [order] = services.proactive_orders_place()
    services.order_status_change(order=order, status="delivered")
    # Delivered before the old cartridge is empty (that is the lead time): it still runs down.
    reading(black(printer), 5)
    assert services.proactive_orders_place() == []
    assert services.proactive_orders_place() == []
    # The new cartridge goes in, is used up in its turn: that one is ordered for again.
    reading(black(printer), 100)
    assert services.proactive_orders_place() == []
    Supply.objects.filter(pk=black(printer).pk).update(level=6, percent=6, updated_at=timezone.now())
    assert len(services.proactive_orders_place()) == 1
    assert automatic_orders(printer).count() == 2


def test_a_delivered_order_covers_its_cartridge_for_the_grace_days_at_most(printer, settings):
    settings.FMP_SUPPLY_ORDER_BELOW_PERCENT = 10
    settings.FMP_SUPPLY_DELIVERED_GRACE_DAYS = 30
    [order] = services.proactive_orders_place()
    services.order_status_change(order=order, status="delivered")
    age(order, 29)
    assert services.proactive_orders_place() == []
    age(order, 2)  # delivered 31 days ago and the level never rose: it went elsewhere
    assert len(services.proactive_orders_place()) == 1


def test_a_delivered_portal_order_covers_the_cartridge_too(printer, manager, settings):
    settings.FMP_SUPPLY_ORDER_BELOW_PERCENT = 10
    item = ConsumableItem.objects.get(part_number="106R01529")
    CartLine.objects.create(user=manager, device=printer, item=item, quantity=1)
    [order] = services.orders_place_from_cart(
        user=manager,
        ship_to={
            "contact_name": "M",
            "contact_phone": "0123456",
            "street": "1 Rd",
            "city": "W",
            "country": "US",
        },
    )
    services.order_status_change(order=order, status="delivered")
    assert services.proactive_orders_place() == []


def test_a_cancelled_automatic_order_holds_until_the_help_desk_allows_it(client, helpdesk, printer, settings):
    settings.FMP_SUPPLY_ORDER_BELOW_PERCENT = 10
    [order] = services.proactive_orders_place()
    services.order_status_change(order=order, status="cancelled")
    age(order, 60)  # however long ago
    reading(black(printer), 4)  # and however low it goes: the customer said no
    assert services.proactive_orders_place() == []
    client.force_login(helpdesk)
    response = client.post(
        "/admin/supplies/order/",
        {"action": "allow_reorder", "_selected_action": [order.pk]},
        follow=True,
    )
    assert response.status_code == 200
    order.refresh_from_db()
    assert order.reorder_allowed_at is not None
    assert order.events.filter(key="supplies.order.reorder_allowed", by=helpdesk).exists()
    assert len(services.proactive_orders_place()) == 1


def test_a_cancelled_automatic_order_holds_until_a_new_cartridge_is_seen(printer, settings):
    settings.FMP_SUPPLY_ORDER_BELOW_PERCENT = 10
    reading(black(printer), 8, days_ago=4)
    [order] = services.proactive_orders_place()
    services.order_status_change(order=order, status="cancelled")
    age(order, 3)
    assert services.proactive_orders_place() == []
    reading(black(printer), 95, days_ago=1)  # the customer put in a cartridge of their own
    reading(black(printer), 7)  # and used it up
    assert len(services.proactive_orders_place()) == 1


def test_still_one_open_automatic_order_per_supply(printer, settings):
    settings.FMP_SUPPLY_ORDER_BELOW_PERCENT = 10
    assert len(services.proactive_orders_place()) == 1
    assert services.proactive_orders_place() == []


# --- 9. days left count from now ----------------------------------------------------------


@pytest.fixture
def silent(printer, settings):
    """A printer that used 1 % a day, last read 20 days ago at 15 %: then "15 days left"."""
    settings.FMP_SUPPLY_LEAD_DAYS = 10
    settings.FMP_SUPPLY_ORDER_BELOW_PERCENT = 5
    supply = black(printer)
    for days_ago, percent in [(50, 45), (40, 35), (30, 25), (20, 15)]:
        reading(supply, percent, days_ago=days_ago)
    return printer


def test_a_silent_devices_forecast_counts_the_days_since_its_last_reading(silent):
    assert services.supply_forecasts([black(silent)])[black(silent).pk] == 0  # 15 days, 20 gone


def test_the_forecast_is_counted_from_now():
    now = timezone.now()
    samples = [(now - timedelta(days=d), p) for d, p in [(50, 65), (40, 55), (30, 45), (20, 35)]]
    assert days_left(samples, now=now) == pytest.approx(15, abs=0.1)  # 35 days then, 20 gone
    assert days_left(samples, now=now - timedelta(days=20)) == pytest.approx(35, abs=0.1)


def test_a_silent_device_is_ordered_for_and_the_order_says_the_data_is_old(silent):
    [order] = services.proactive_orders_place()
    assert "20" in order.reason and ("last reading" in order.reason or "relevé" in order.reason)


@pytest.mark.parametrize(
    "url",
    ["/printers/{pk}/?tab=supplies", "/supplies/order/{pk}/", "/supplies/report/"],
)
def test_old_levels_are_said_to_be_old(manager_client, manager, silent, url):
    manager.language = "en"
    manager.save()
    body = manager_client.get(url.format(pk=silent.pk)).content.decode()
    assert "less than a day" in body and "about 15 days" not in body
    assert 'data-testid="level-old"' in body and "20 days ago" in body


def test_a_fresh_level_is_not_said_to_be_old(manager_client, printer):
    reading(black(printer), 40, days_ago=10)
    reading(black(printer), 30)
    body = manager_client.get(f"/supplies/order/{printer.pk}/").content.decode()
    assert 'data-testid="level-old"' not in body


def test_the_report_csv_gives_the_last_reading(user_client, silent):
    csv = b"".join(user_client.get("/supplies/report/?export=csv").streaming_content).decode("utf-8-sig")
    row = next(line for line in csv.splitlines() if "3550001" in line)
    assert ";15;0;" in row and (timezone.now() - timedelta(days=20)).date().isoformat() in row


# --- 13. a level of 0 with an unknown capacity is empty -----------------------------------


@pytest.mark.parametrize("capacity", [-2, -1, None, 0])
def test_a_level_of_0_with_an_unknown_capacity_is_ordered_for(printer, capacity):
    Supply.objects.filter(pk=black(printer).pk).update(level=0, max_capacity=capacity, percent=None)
    [order] = services.proactive_orders_place()
    assert "0 %" in order.reason.replace("\u202f", " ")  # French percent spacing


def test_an_unknown_level_is_not_ordered_for(printer):
    Supply.objects.filter(pk=black(printer).pk).update(level=-2, max_capacity=-2, percent=None)
    assert services.proactive_orders_place() == []


# --- 4. each order ships to its device's site ---------------------------------------------


@pytest.fixture
def two_sites(account, printer):
    """The printer at a complete site in Webster, another device at a complete site in Rochester."""
    from accounts.models import Site

    webster = Site.objects.create(
        account=account,
        name="Webster plant",
        street1="800 Phillips Road",
        postal_code="14580",
        city="Webster",
        country="USA",
        building="111",
    )
    rochester = Site.objects.create(
        account=account,
        name="Rochester office",
        street1="100 Main Street",
        postal_code="14604",
        city="Rochester",
        country="USA",
    )
    printer.site = webster
    printer.save()
    other = factories.device(account, rochester, serial="ROC-1", model=printer.model)
    return webster, rochester, other


def to_cart(user, *devices):
    item = ConsumableItem.objects.get(part_number="106R01529")
    for device in devices:
        CartLine.objects.create(user=user, device=device, item=item, quantity=1)


CONTACT = {"contact_name": "Marta Martinez", "contact_phone": "+1 585 555 0100"}


def address_fields(site, **address):
    return {f"site-{site.pk if site else 'none'}-{key}": value for key, value in address.items()}


def test_each_order_ships_to_its_devices_site(manager_client, manager, printer, two_sites):
    webster, rochester, other = two_sites
    to_cart(manager, printer, other)
    page = manager_client.get("/supplies/checkout/")
    groups = {g.site: g.form.initial for g in page.context["groups"]}
    assert groups[webster]["street"] == "800 Phillips Road" and groups[webster]["city"] == "Webster"
    assert groups[rochester]["street"] == "100 Main Street" and groups[rochester]["city"] == "Rochester"
    assert page.content.decode().count('data-testid="ship-to-group"') == 2
    data = {
        **CONTACT,
        **address_fields(
            webster, street="800 Phillips Road", postal_code="14580", city="Webster", country="USA"
        ),
        # Each address is editable: the Rochester parcel goes to the back door.
        **address_fields(
            rochester, street="2 Back Lane", postal_code="14604", city="Rochester", country="USA"
        ),
    }
    manager_client.post("/supplies/checkout/", data)
    orders = {o.device: o for o in Order.objects.all()}
    assert (orders[printer].site, orders[printer].street, orders[printer].city) == (
        webster,
        "800 Phillips Road",
        "Webster",
    )
    assert (orders[other].site, orders[other].street, orders[other].city) == (
        rochester,
        "2 Back Lane",
        "Rochester",
    )
    assert orders[other].contact_name == "Marta Martinez" and not CartLine.objects.exists()


def test_an_incomplete_site_address_is_asked_never_mixed_with_the_profile(
    manager_client, manager, printer, site
):
    # The printer's site has a city but no street; the user's profile has a whole address.
    manager.street, manager.postal_code, manager.city, manager.country = (
        "1 Home Lane",
        "99999",
        "Homeville",
        "USA",
    )
    manager.language = "en"
    manager.save()
    to_cart(manager, printer)
    page = manager_client.get("/supplies/checkout/")
    body = page.content.decode()
    [group] = page.context["groups"]
    assert group.site == site and group.incomplete and 'data-testid="address-incomplete"' in body
    assert "1 Home Lane" not in body and "99999" not in body
    assert group.form.initial["city"] == "Webster" and not group.form.initial["street"]
    # Without a street, nothing is ordered; with it, the site's address, whole.
    missing = manager_client.post(
        "/supplies/checkout/", {**CONTACT, **address_fields(site, city="Webster", country="USA")}
    )
    assert missing.status_code == 200 and not Order.objects.exists()
    manager_client.post(
        "/supplies/checkout/",
        {**CONTACT, **address_fields(site, street="800 Phillips Road", city="Webster", country="USA")},
    )
    order = Order.objects.get()
    assert (order.street, order.postal_code, order.city) == ("800 Phillips Road", "", "Webster")


def test_devices_without_a_site_take_the_profile_address_whole(manager_client, manager, account, printer):
    loose = factories.device(account, None, serial="LOOSE-1", model=printer.model)
    manager.street, manager.postal_code, manager.city, manager.country = (
        "1 Home Lane",
        "99999",
        "Homeville",
        "USA",
    )
    manager.save()
    to_cart(manager, loose)
    [group] = manager_client.get("/supplies/checkout/").context["groups"]
    assert group.site is None and not group.incomplete
    assert (group.form.initial["street"], group.form.initial["city"]) == ("1 Home Lane", "Homeville")


def test_a_site_of_the_cart_without_an_address_orders_nothing(manager_client, manager, printer, two_sites):
    webster, _rochester, other = two_sites
    to_cart(manager, printer, other)
    # Only Webster's address is sent (the Rochester device came into the cart meanwhile).
    data = {**CONTACT, **address_fields(webster, street="800 Phillips Road", city="Webster", country="USA")}
    assert manager_client.post("/supplies/checkout/", data).status_code == 200
    assert not Order.objects.exists() and CartLine.objects.count() == 2
    with pytest.raises(services.CartChanged):
        services.orders_place_from_cart(
            user=manager,
            ship_to=CONTACT,
            addresses={webster.pk: {"street": "800 Phillips Road", "city": "Webster", "country": "USA"}},
        )
    assert not Order.objects.exists() and CartLine.objects.count() == 2
