"""The help desk assigns devices and discovery ranges to site collectors in the admin: a
collector polls only its own account's devices (a clear error otherwise), one by one or in
bulk, and back to the portal."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from printers.models import Device, DeviceCommand, DeviceEvent, DiscoveryRange
from tests import factories
from tests.collectors.printer_side import collector, in_english
from tests.security.test_device_moved import _FormFields

pytestmark = pytest.mark.django_db


@pytest.fixture
def desk(helpdesk):
    in_english(helpdesk)
    client = Client()
    client.force_login(helpdesk)
    return client


@pytest.fixture
def office(account):
    return collector(account, "Main office")


@pytest.fixture
def theirs(other_account):
    return collector(other_account, "Other site")


def post_change(client, url: str, changes: dict):
    """The admin form as shown, with ``changes``, saved."""
    parser = _FormFields()
    parser.feed(client.get(url).content.decode())
    data: dict[str, list[str]] = {}
    for name, value in parser.data:
        data.setdefault(name, []).append(value)
    data.update({k: [str(v)] for k, v in changes.items()})
    return client.post(url, data)


def test_a_device_takes_a_collector_of_its_account_in_the_admin(desk, account, office):
    device = factories.device(account, serial="A1", ip_address="192.0.2.1")
    url = f"/admin/printers/device/{device.pk}/change/"
    assert 'name="collector"' in desk.get(url).content.decode()
    response = post_change(desk, url, {"collector": office.pk})
    assert response.status_code == 302
    device.refresh_from_db()
    assert device.collector == office
    event = DeviceEvent.objects.get(device=device, key="printers.device.collector_changed")
    assert event.data == {"old": "", "new": "Main office"}


def test_a_collector_of_another_account_is_refused_with_a_clear_error(desk, account, theirs):
    device = factories.device(account, serial="A1", ip_address="192.0.2.1")
    response = post_change(desk, f"/admin/printers/device/{device.pk}/change/", {"collector": theirs.pk})
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors["collector"]
    assert errors == [
        "The site collector “Other site” belongs to the account Other Industries: choose a collector "
        "of this account, or none (polled by the portal)."
    ]
    device.refresh_from_db()
    assert device.collector is None
    with pytest.raises(ValidationError) as refused:
        Device(account=account, collector=theirs).clean()
    assert "collector" in refused.value.message_dict


def test_a_revoked_collector_cannot_be_chosen(desk, account, office):
    from django.utils import timezone

    office.revoked_at = timezone.now()
    office.save()
    device = factories.device(account, serial="A1", ip_address="192.0.2.1")
    response = post_change(desk, f"/admin/printers/device/{device.pk}/change/", {"collector": office.pk})
    assert response.status_code == 200
    assert "has been revoked" in str(response.context["adminform"].form.errors["collector"])


def test_bulk_assign_to_a_collector_refuses_the_devices_of_another_account(
    desk, account, other_account, office, theirs
):
    mine = [factories.device(account, serial=f"A{i}", ip_address=f"192.0.2.{i}") for i in (1, 2)]
    foreign = factories.device(other_account, serial="SN-FOREIGN-01", ip_address="192.0.2.9")
    ids = [d.pk for d in [*mine, foreign]]
    page = desk.post("/admin/printers/device/", {"action": "assign_collector", "_selected_action": ids})
    assert page.status_code == 200
    body = page.content.decode()
    assert "Assign to a site collector" in body and "Main office" in body and "Other site" in body
    done = desk.post(
        "/admin/printers/device/",
        {"action": "assign_collector", "_selected_action": ids, "apply": "1", "collector": office.pk},
        follow=True,
    )
    texts = [str(m) for m in done.context["messages"]]
    assert "2 device(s) now polled by the site collector “Main office”." in texts
    assert any(
        t.startswith("1 device(s) refused: they belong to another account than the collector's (ABC London")
        and "SN-FOREIGN-01" in t
        for t in texts
    ), texts
    assert {d.collector_id for d in Device.objects.filter(pk__in=[d.pk for d in mine])} == {office.pk}
    assert Device.objects.get(pk=foreign.pk).collector is None

    # The list filters by collector.
    listing = desk.get(f"/admin/printers/device/?collector__id__exact={office.pk}").content.decode()
    assert "A1" in listing and "SN-FOREIGN-01" not in listing


def test_poll_centrally_takes_devices_back_and_their_waiting_commands_expire(desk, account, office):
    device = factories.device(account, serial="A1", ip_address="192.0.2.1", collector=office)
    DeviceCommand.objects.create(device=device, collector=office, kind="reset")
    done = desk.post(
        "/admin/printers/device/",
        {"action": "poll_centrally", "_selected_action": [device.pk]},
        follow=True,
    )
    assert "1 device(s) now polled by the portal." in [str(m) for m in done.context["messages"]]
    device.refresh_from_db()
    assert device.collector is None
    assert DeviceCommand.objects.get(device=device).status == "expired"


def test_no_collector_for_the_selection_says_so(desk, account):
    device = factories.device(account, serial="A1")
    done = desk.post(
        "/admin/printers/device/",
        {"action": "assign_collector", "_selected_action": [device.pk]},
        follow=True,
    )
    assert any("No site collector can poll these devices" in str(m) for m in done.context["messages"])


def test_a_discovery_range_takes_only_a_collector_of_its_account(desk, account, office, theirs):
    rng = DiscoveryRange.objects.create(account=account, cidr="10.1.20.0/24")
    url = f"/admin/printers/discoveryrange/{rng.pk}/change/"
    refused = post_change(desk, url, {"collector": theirs.pk})
    assert refused.status_code == 200
    assert "belongs to the account Other Industries" in str(refused.context["adminform"].form.errors)
    assert post_change(desk, url, {"collector": office.pk}).status_code == 302
    rng.refresh_from_db()
    assert rng.collector == office
    swept = desk.post(
        "/admin/printers/discoveryrange/", {"action": "sweep_now", "_selected_action": [rng.pk]}, follow=True
    )
    assert any("swept by their site collector" in str(m) for m in swept.context["messages"])
