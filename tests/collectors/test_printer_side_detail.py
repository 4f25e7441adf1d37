"""A customer sees which site collector reports a device, when it last did, and what was
asked of the device through it; never its SNMP settings. The grid's data age is the
collector's poll time."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from fmp_snmp.observation import DeviceObservation
from printers.models import DeviceCommand
from printers.services import PollOutcome, observations_store
from tests import factories
from tests.collectors.printer_side import collector, in_english

pytestmark = pytest.mark.django_db


@pytest.fixture
def english(manager, plain_user, outsider, helpdesk):
    in_english(manager, plain_user, outsider, helpdesk)


@pytest.fixture
def office(account):
    return collector(account, "Main office", seen_minutes_ago=3.1)


@pytest.fixture
def remote(account, site, office):
    return factories.device(
        account,
        site,
        serial="REMOTE-1",
        state="ok",
        ip_address="192.0.2.20",
        snmp_community="s3cret-community",
        collector=office,
    )


def text_of(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


@pytest.mark.parametrize("who", ["manager_client", "user_client"])
def test_the_detail_names_the_collector_and_its_last_contact(english, request, remote, who):
    client = request.getfixturevalue(who)
    for tab in ("status", "info", "diagnostics"):
        page = text_of(client.get(f"/printers/{remote.pk}/?tab={tab}"))
        assert "Reported by the site collector Main office — last contact 3 minutes ago" in page
        assert "s3cret-community" not in page
        assert "unresponsive since" not in page


def test_an_unresponsive_or_revoked_collector_is_said_so(english, manager_client, remote, office):
    office.unresponsive_since = timezone.now() - timedelta(hours=2)
    office.save()
    page = text_of(manager_client.get(f"/printers/{remote.pk}/"))
    assert 'data-testid="collector-unresponsive"' in page and "unresponsive since" in page
    office.revoked_at = timezone.now()
    office.save()
    page = text_of(manager_client.get(f"/printers/{remote.pk}/"))
    assert "Reported by the site collector Main office, revoked on" in page
    assert "the device's data is no longer updated" in page


def test_a_centrally_polled_device_shows_no_collector(english, manager_client, account):
    device = factories.device(account, serial="CENTRAL-1", state="ok")
    page = text_of(manager_client.get(f"/printers/{device.pk}/"))
    assert 'data-testid="collector-panel"' not in page


def test_the_commands_show_pending_then_done_or_failed(english, manager_client, remote):
    manager_client.post("/printers/actions/", {"action": "reset", "devices": [remote.pk], "confirmed": "1"})
    manager_client.post("/printers/location/", {"devices": [remote.pk], "location": "Room 204"})
    page = text_of(manager_client.get(f"/printers/{remote.pk}/"))
    rows = re.findall(r'<tr data-testid="command-row" data-status="(\w+)">(.*?)</tr>', page)
    assert [status for status, _ in rows] == ["pending", "pending"]
    assert "Update location: Room 204" in rows[0][1] and "Reset printer" in rows[1][1]
    assert all("Marta Martinez" in row and "Waiting for the collector" in row for _, row in rows)
    assert 'hx-trigger="every 3s"' in page  # the panel updates itself while commands wait

    # What the collectors app records when the collector answers.
    DeviceCommand.objects.filter(kind="reset").update(status="done", completed_at=timezone.now())
    DeviceCommand.objects.filter(kind="location").update(
        status="failed", completed_at=timezone.now(), result="<b>the device refused the value</b>"
    )
    page = text_of(manager_client.get(f"/printers/{remote.pk}/"))
    rows = dict(re.findall(r'data-testid="command-row" data-status="(\w+)">(.*?)</tr>', page))
    assert set(rows) == {"done", "failed"}
    assert 'hx-trigger="every 3s"' not in page
    assert "Done" in rows["done"]
    assert "&lt;b&gt;the device refused the value&lt;/b&gt;" in rows["failed"]  # a device's text, escaped


def test_an_outsider_gets_404_on_a_collector_device(outsider_client, remote):
    assert outsider_client.get(f"/printers/{remote.pk}/").status_code == 404


def test_commands_of_a_previous_account_are_not_shown_after_a_move(
    english, manager_client, remote, other_account, outsider_client
):
    manager_client.post("/printers/actions/", {"action": "reset", "devices": [remote.pk], "confirmed": "1"})
    theirs = collector(other_account, "Other site")
    remote.account, remote.site, remote.collector = other_account, None, theirs
    remote.save()
    page = text_of(outsider_client.get(f"/printers/{remote.pk}/"))
    assert "Reported by the site collector Other site" in page
    assert 'data-testid="command-row"' not in page and "Marta" not in page


def test_the_grid_shows_the_age_of_the_collectors_poll(english, manager_client, remote):
    polled = timezone.now() - timedelta(hours=2, minutes=5)  # the factory state is 3 h old
    observations_store(
        outcomes=[
            PollOutcome(remote, DeviceObservation(reachable=True, overall="ok", serial="REMOTE-1"), polled)
        ]
    )
    remote.state.refresh_from_db()
    assert remote.state.status_at == polled
    page = text_of(manager_client.get("/printers/"))
    row = re.search(rf'<tr[^>]*data-device="{remote.pk}".*?</tr>', page).group(0)
    assert "2 h ago" in row
    # An older upload (the collector's queue after an outage) does not make it look newer.
    observations_store(
        outcomes=[
            PollOutcome(
                remote,
                DeviceObservation(reachable=True, overall="ok", serial="REMOTE-1"),
                polled - timedelta(days=2),
            )
        ]
    )
    row = re.search(rf'<tr[^>]*data-device="{remote.pk}".*?</tr>', text_of(manager_client.get("/printers/")))
    assert "2 h ago" in row.group(0)
