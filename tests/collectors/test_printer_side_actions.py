"""The printers menu on a site collector's devices: commands are queued for the collector,
the portal never contacts the device (a listener at the device's address proves it), a
mixed selection acts on each device its own way, a revoked collector is refused, and a
refresh stays pending until the collector reports a poll newer than the request."""

from __future__ import annotations

import base64
from datetime import timedelta

import pytest
from django.utils import timezone

from fmp_snmp.observation import DeviceObservation
from printers.models import Device, DeviceCommand, DeviceEvent
from printers.services import PollOutcome, observations_store
from tests import factories
from tests.collectors.printer_side import TcpListener, UdpListener, collector, in_english
from tests.fixtures_snmp import sim_device

pytestmark = pytest.mark.django_db


@pytest.fixture
def english(manager, plain_user, outsider, helpdesk):
    in_english(manager, plain_user, outsider, helpdesk)


@pytest.fixture
def udp_listener():
    with UdpListener() as listener:
        yield listener


def act(client, action, devices, **extra):
    # ``confirmed``: a reset is sent once the user confirms the selected printers.
    data = {
        "action": action,
        "devices": [d.pk for d in devices],
        "next": "/printers/",
        "confirmed": "1",
        **extra,
    }
    return client.post("/printers/actions/", data, follow=True)


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


@pytest.fixture
def office(account):
    return collector(account, "Main office")


@pytest.fixture
def remote(account, site, office, udp_listener):
    """A device of the collector "Main office", at an address where a listener waits."""
    return factories.device(
        account,
        site,
        serial="REMOTE-1",
        state="ok",
        ip_address=udp_listener.host,
        snmp_port=udp_listener.port,
        collector=office,
    )


QUEUED = (
    "REMOTE-1: queued for the site collector “Main office”: it runs at its next contact (within seconds)."
)


def test_reset_test_page_and_location_of_a_collector_device_are_queued_not_sent(
    english, manager_client, manager, remote, udp_listener, settings
):
    raw = TcpListener(udp_listener.host)
    settings.FMP_RAW_PRINT_PORT = raw.port
    try:
        assert QUEUED in messages_of(act(manager_client, "reset", [remote]))
        assert QUEUED in messages_of(act(manager_client, "test_page", [remote]))
        done = manager_client.post(
            "/printers/location/", {"devices": [remote.pk], "location": "Room 204"}, follow=True
        )
        assert QUEUED in messages_of(done)
        # Nothing reached the device: neither SNMP (reset, location) nor its raw print port.
        assert udp_listener.received() == []
        assert raw.received() == b""
    finally:
        raw.close()
    commands = {c.kind: c for c in DeviceCommand.objects.filter(device=remote)}
    assert set(commands) == {"reset", "test_page", "location"}
    assert all(c.status == "pending" and c.collector.name == "Main office" for c in commands.values())
    assert all(c.created_by == manager for c in commands.values())
    assert commands["location"].args == {"location": "Room 204"}
    page = commands["test_page"].args
    assert page["port"] == raw.port
    job = base64.b64decode(page["payload"])
    assert job.startswith(b"\x1b%-12345X@PJL") and b"REMOTE-1" in job
    remote.refresh_from_db()
    assert remote.device_location == "Room 204"  # stored in the portal as for any device
    assert DeviceEvent.objects.filter(device=remote, key="printers.device.command_queued").count() == 3
    assert not DeviceEvent.objects.filter(device=remote, key="printers.device.reset").exists()


def test_get_printer_status_of_a_collector_device_queues_a_refresh_and_shows_it_pending(
    english, user_client, remote, udp_listener, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        msgs = messages_of(act(user_client, "refresh", [remote]))
    assert (
        "REMOTE-1: status requested from the site collector “Main office”: it polls the device at its "
        "next contact (within seconds); the grid shows the request as pending until then."
    ) in msgs
    assert udp_listener.received() == []  # no Celery poll of it either (eager in the tests)
    command = DeviceCommand.objects.get(device=remote)
    assert (command.kind, command.status, command.args) == ("refresh", "pending", {})
    remote.refresh_from_db()
    assert remote.refresh_requested_at is not None
    assert user_client.get("/printers/").content.decode().count('data-testid="refresh-pending"') == 1
    # Asked again while the first is waiting: still one command for the collector.
    act(user_client, "refresh", [remote])
    assert DeviceCommand.objects.filter(device=remote, kind="refresh").count() == 1


@pytest.mark.django_db(transaction=True)  # without a broker the poll runs in a thread: committed rows
def test_a_mixed_selection_acts_on_the_central_printer_and_queues_for_the_collector_one(
    english,
    manager_client,
    account,
    site,
    remote,
    udp_listener,
    simulator,
    settings,
):
    from printers.tasks import background_refreshes_wait

    settings.FMP_STATUS_REFRESH_BACKGROUND = True

    central = sim_device(account, simulator, "sim-paper-out", site=site, serial="CENTRAL-1", state="ok")
    msgs = messages_of(act(manager_client, "reset", [central, remote]))
    assert "CENTRAL-1: reset sent; the device restarts." in msgs
    assert QUEUED in msgs
    assert DeviceEvent.objects.filter(device=central, key="printers.device.reset").exists()
    assert list(DeviceCommand.objects.values_list("device_id", "kind")) == [(remote.pk, "reset")]

    before = central.state.last_attempt_at
    msgs = messages_of(act(manager_client, "refresh", [central, remote]))
    assert any(m.startswith("CENTRAL-1: status requested; the grid shows it") for m in msgs), msgs
    assert any(m.startswith("REMOTE-1: status requested from the site collector") for m in msgs), msgs
    assert background_refreshes_wait(30)
    central.state.refresh_from_db()
    assert central.state.last_attempt_at > before  # polled by the portal (no broker: beside the request)
    assert not Device.objects.select_related("state").get(pk=central.pk).refresh_pending
    assert Device.objects.select_related("state").get(pk=remote.pk).refresh_pending
    assert udp_listener.received() == []


def test_a_device_of_a_revoked_collector_is_refused_and_nothing_is_queued(
    english, manager_client, account, remote, udp_listener
):
    remote.collector.revoked_at = timezone.now()
    remote.collector.save()
    for action in ("reset", "refresh", "test_page"):
        msgs = messages_of(act(manager_client, action, [remote]))
        assert (
            "REMOTE-1: its site collector “Main office” has been revoked: nothing was sent. Ask the help "
            "desk to assign the device to another collector or to have it polled by the portal."
        ) in msgs, msgs
    assert not DeviceCommand.objects.exists()
    remote.refresh_from_db()
    assert remote.refresh_requested_at is None  # not shown as pending forever
    assert udp_listener.received() == []


def test_a_collector_out_of_contact_is_named_in_the_message(english, manager_client, account, site):
    silent = collector(account, "Warehouse", seen_minutes_ago=90, unresponsive_since=timezone.now())
    never = collector(account, "New branch", seen_minutes_ago=None)
    a = factories.device(account, site, serial="SILENT-1", ip_address="192.0.2.10", collector=silent)
    b = factories.device(account, site, serial="NEVER-1", ip_address="192.0.2.11", collector=never)
    msgs = messages_of(act(manager_client, "reset", [a, b]))
    assert any(
        m.startswith(
            "SILENT-1: queued for the site collector “Warehouse”, which has not been in contact since"
        )
        and m.endswith("it runs when the collector is back.")
        for m in msgs
    ), msgs
    assert (
        "NEVER-1: queued for the site collector “New branch”, which has not connected yet: it runs at "
        "the collector's first contact."
    ) in msgs
    assert DeviceCommand.objects.filter(status="pending").count() == 2


def test_a_collector_device_off_the_network_is_not_commanded(english, manager_client, account, office):
    offline = factories.device(account, serial="NOADDR", collector=office)
    msgs = messages_of(act(manager_client, "reset", [offline]))
    assert "NOADDR: the device is not on the network: it cannot be reset remotely." in msgs
    assert not DeviceCommand.objects.exists()


def test_an_outsider_cannot_queue_a_command_for_another_accounts_collector_device(outsider_client, remote):
    act(outsider_client, "refresh", [remote])
    assert not DeviceCommand.objects.exists()
    remote.refresh_from_db()
    assert remote.refresh_requested_at is None


def _observation(**fields) -> DeviceObservation:
    return DeviceObservation(
        reachable=True,
        overall="ok",
        serial="REMOTE-1",
        counters={"total": 1234},
        trigger="refresh",
        duration_ms=80,
        **fields,
    )


def test_the_refresh_stays_pending_until_the_collector_reports_a_poll_made_after_the_request(
    english, user_client, remote
):
    act(user_client, "refresh", [remote])
    requested = Device.objects.get(pk=remote.pk).refresh_requested_at
    pending = user_client.get(f"/printers/refresh-status/?devices={remote.pk}")
    assert pending.status_code == 200 and "HX-Refresh" not in pending

    # A poll the collector made before the request (its queue catching up) does not answer it.
    observations_store(outcomes=[PollOutcome(remote, _observation(), requested - timedelta(seconds=30))])
    assert Device.objects.select_related("state").get(pk=remote.pk).refresh_pending

    # The poll the refresh command asked for, at the collector's poll time.
    remote.refresh_from_db()
    observations_store(outcomes=[PollOutcome(remote, _observation(), requested + timedelta(seconds=3))])
    device = Device.objects.select_related("state").get(pk=remote.pk)
    assert not device.refresh_pending
    assert device.state.status_at == requested + timedelta(seconds=3)
    assert device.state.total_pages == 1234
    done = user_client.get(f"/printers/refresh-status/?devices={remote.pk}")
    assert done["HX-Refresh"] == "true"
    assert 'data-testid="refresh-pending"' not in user_client.get("/printers/").content.decode()
    assert device.poll_attempts.filter(trigger="refresh").count() == 2


def test_a_test_page_to_a_central_printer_still_goes_directly(
    english, manager_client, account, site, settings
):
    """The portal's own printers keep today's behaviour beside a collector's."""
    raw = TcpListener("127.0.0.1")
    settings.FMP_RAW_PRINT_PORT = raw.port
    central = factories.device(account, site, serial="CENTRAL-2", ip_address="127.0.0.1")
    try:
        msgs = messages_of(act(manager_client, "test_page", [central]))
        assert "CENTRAL-2: test page sent." in msgs
        assert b"CENTRAL-2" in raw.received()
    finally:
        raw.close()
    assert not DeviceCommand.objects.exists()
