"""The portal's own poller, its "Get printer status" task and its discovery leave a site
collector's devices and ranges alone: a listener at their address hears nothing (and hears
the portal as soon as the same device is polled centrally)."""

from __future__ import annotations

import pytest

from printers.discovery import discovery_run
from printers.models import Device, DiscoveryRange, PollAttempt
from printers.polling import fleet_poll_run
from printers.tasks import device_status_refresh
from tests import factories
from tests.collectors.printer_side import UdpListener, collector
from tests.fixtures_snmp import sim_device

pytestmark = pytest.mark.django_db


@pytest.fixture
def udp_listener():
    with UdpListener() as listener:
        yield listener


@pytest.fixture
def fast(settings):
    settings.FMP_SNMP_TIMEOUT = 0.3
    settings.FMP_SNMP_RETRIES = 0
    settings.FMP_DISCOVERY_TIMEOUT = 0.3


@pytest.fixture
def remote(account, site, udp_listener):
    return factories.device(
        account,
        site,
        serial="REMOTE-1",
        ip_address=udp_listener.host,
        snmp_port=udp_listener.port,
        collector=collector(account),
    )


def test_the_fleet_poll_skips_collector_devices(fast, account, site, remote, udp_listener, simulator):
    central = sim_device(account, simulator, "sim-paper-out", site=site, serial="3634093981")
    run = fleet_poll_run()
    assert run.devices == 1 and run.failures == 0
    assert udp_listener.received() == []
    assert not PollAttempt.objects.filter(device=remote).exists()
    assert PollAttempt.objects.filter(device=central, ok=True).exists()


def test_the_status_refresh_task_and_poll_fleet_by_id_skip_a_collector_device(fast, remote, udp_listener):
    device_status_refresh.apply(args=[[remote.pk]])
    run = fleet_poll_run(kind="refresh", device_ids=[remote.pk], respect_backoff=False)
    assert run.devices == 0
    assert udp_listener.received() == []
    assert not PollAttempt.objects.filter(device=remote).exists()


def test_the_listener_hears_the_portal_once_the_device_is_polled_centrally(fast, remote, udp_listener):
    """The control of the tests above: the same device, without its collector, is polled."""
    Device.objects.filter(pk=remote.pk).update(collector=None)
    run = fleet_poll_run()
    assert run.devices == 1 and run.failures == 1  # the listener does not answer
    assert udp_listener.received() != []


def test_central_discovery_skips_the_ranges_of_site_collectors(fast, account, site, udp_listener):
    swept = UdpListener("127.0.0.1")
    try:
        mine = DiscoveryRange.objects.create(
            account=account,
            site=site,
            cidr="127.0.0.1/32",
            snmp_port=udp_listener.port,
            collector=collector(account),
        )
        central = DiscoveryRange.objects.create(account=account, cidr="127.0.0.1/32", snmp_port=swept.port)
        discovery_run()
        assert udp_listener.received() == []
        assert swept.received() != []  # the portal's own range was swept
        mine.refresh_from_db()
        central.refresh_from_db()
        assert mine.last_run_at is None and mine.last_outcome == {}
        assert central.last_run_at is not None
        discovery_run(range_ids=[mine.pk])  # asked by id (the admin's "Sweep now"): still not
        assert udp_listener.received() == []
    finally:
        swept.close()
