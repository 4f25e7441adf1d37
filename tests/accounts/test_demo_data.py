"""The demo world shows the product: the fleet it says it built, printers off the network
(manual meter reads), history older than 90 days, tickets at every state, charts with data
on the guide's printers, and a catalogue whose cartridges fit the printers they are for."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from accounts.models import User
from printers.models import CounterSample, Device, SupplyLevelSample
from supplies.models import ConsumableItem, Order
from supplies.services import _matching_item, orderable_items
from tickets.models import Ticket

pytestmark = pytest.mark.django_db

GUIDE_SERIALS = [
    "813000305",
    "3634093981",
    "3643605014",
    "WYN433180",
    "3661862474",
    "821000341",
    "2232514186",
    "2232361762",
    "3634555578",
]


def demo(devices: int = 40) -> str:
    out = io.StringIO()
    call_command("demo", "--devices", str(devices), stdout=out)
    return out.getvalue()


def client_for(email: str, **fields) -> Client:
    user = User.objects.get(username=email)
    User.objects.filter(pk=user.pk).update(**fields)
    client = Client()
    client.force_login(user)
    return client


def test_the_demo_says_how_many_devices_it_built_and_builds_them_once():
    first = demo(40)
    pursuit = Device.objects.filter(account__name="ABC London Pursuit")
    other = Device.objects.filter(account__name="Other Industries")
    assert pursuit.count() == 40 and other.count() == 4
    offline = pursuit.filter(managed_by_snmp=False).count()
    assert (
        f"Demo fleet of ABC Cars / ABC London Pursuit: 40 devices (40 new this time): 10 of the client "
        f"guide, 6 special recordings of the simulator, 24 generated; {offline} of them not on the network"
    ) in first
    assert "Demo fleet of Other Industries: 4 devices (4 new this time)." in first
    again = demo(40)
    assert "40 devices (0 new this time)" in again and "4 devices (0 new this time)" in again
    assert (pursuit.count(), other.count()) == (40, 4)
    assert {*GUIDE_SERIALS, "VMA647999"} <= set(pursuit.values_list("serial_number", flat=True))


def test_some_printers_are_off_the_network_and_read_by_hand():
    demo(40)
    offline = Device.objects.filter(account__name="ABC London Pursuit", managed_by_snmp=False)
    assert offline.count() >= 2 and offline.filter(serial_number="VMA647999").exists()
    assert not offline.exclude(ip_address=None).exists()  # nothing to poll
    for device in offline:
        assert device.meter_reads.filter(source="manual").exists()
        assert not device.meter_reads.filter(source="automatic").exists()
    page = client_for("user@abc-cars.example").get("/meters/?q=VMA647999").content.decode()
    assert "VMA647999" in page and "Entrer les compteurs" in page


def test_history_goes_back_beyond_90_days_and_tickets_are_at_every_state():
    demo(40)
    states = set(Ticket.objects.values_list("state", flat=True))
    assert states == {"new", "in_progress", "done"}
    old = timezone.now() - timedelta(days=90)
    assert Ticket.objects.filter(state="done", occurred_at__lt=old).count() >= 2
    assert Order.objects.filter(created_at__lt=old).count() >= 2
    for url in ("/tickets/", "/supplies/orders/"):
        recent = client_for("manager@abc-cars.example", history_scope="90").get(url).content.decode()
        everything = client_for("manager@abc-cars.example", history_scope="all").get(url).content.decode()
        old_numbers = {"AL302298", "AK118840"} if url == "/tickets/" else {"SO20260004", "SO20260005"}
        assert not any(n in recent for n in old_numbers), url
        assert all(n in everything for n in old_numbers), url


def test_the_guides_printers_have_a_year_of_counters_and_six_months_of_levels():
    demo(40)
    now = timezone.now()
    for serial in GUIDE_SERIALS:
        device = Device.objects.get(serial_number=serial)
        counters = CounterSample.objects.filter(device=device, counter="total").order_by("observed_at")
        levels = SupplyLevelSample.objects.filter(supply__device=device)
        assert counters.count() >= 50 and counters.first().observed_at <= now - timedelta(days=360), serial
        assert levels.filter(observed_at__lte=now - timedelta(days=175)).exists(), serial
        assert levels.filter(observed_at__gte=now - timedelta(days=8)).exists(), serial
        values = list(counters.values_list("value", flat=True))
        assert values == sorted(values), serial  # a counter never goes down in the demo's history
    # The printer of the guide's screenshot: a year ending under what the simulator answers.
    colour = Device.objects.get(serial_number="813000305")
    assert CounterSample.objects.filter(device=colour, counter="total").latest("observed_at").value <= 681235
    chart = client_for("user@abc-cars.example").get(f"/printers/{colour.pk}/?tab=supplies").content.decode()
    assert "<svg" in chart and "<polyline" in chart


def test_the_catalogue_has_part_numbers_yields_and_cartridges_that_fit():
    demo(40)
    items = ConsumableItem.objects.all()
    assert items.count() > 40
    assert not items.filter(part_number="").exists() and not items.filter(yield_pages=None).exists()
    # Generic items are named once: the page adds "generic", not the name.
    for item in items.filter(generic=True):
        assert not re.search("generi|générique", item.description, re.IGNORECASE), item.description
    for device in Device.objects.filter(managed_by_snmp=True).exclude(model=None).select_related("model"):
        for supply in device.supplies.filter(type="toner"):
            item = _matching_item(device, supply)
            assert item is not None and not item.generic, (device.serial_number, supply.description)
            assert item.compatible_models.filter(pk=device.model_id).exists()
        for item in orderable_items(device).filter(generic=False):
            assert item.compatible_models.filter(pk=device.model_id).exists(), (device.model.name, item.name)
    wc5665 = Device.objects.get(serial_number="3634093981")
    names = [i.name for i in orderable_items(wc5665)]
    assert "WorkCentre 5600/5700 Toner Cartridge" in names
    assert not any("3550" in n or "ColorQube" in n for n in names), names
    for order in Order.objects.select_related("device__model").prefetch_related(
        "lines__item__compatible_models"
    ):
        for line in order.lines.all():
            assert order.device.model in line.item.compatible_models.all(), order.number


@pytest.mark.parametrize(
    ("language", "generic", "wrong"),
    [("fr", "Toner noir", "Black toner"), ("en", "Black toner", "Toner noir")],
)
def test_generic_items_are_named_in_the_readers_language(language, generic, wrong):
    demo(40)
    device = Device.objects.get(serial_number="3634093981")
    page = client_for("manager@abc-cars.example", language=language).get(f"/supplies/order/{device.pk}/")
    body = page.content.decode()
    assert generic in body and wrong not in body
    assert "WorkCentre 5600/5700 Toner Cartridge" in body  # the maker's name, as it is
    assert "Generic" not in body
