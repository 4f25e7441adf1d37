"""The demo's simulated fleet as `manage.py simfleet` serves it (snmpsim with one recording
per demo printer, and the raw-print listener for test pages): the printer actions of the
guide work on it, each on the printer it was sent to."""

from __future__ import annotations

import io
import os
import signal
from pathlib import Path

import pytest
from django.core.management import call_command

from fmp_snmp.testing import _answers
from fmp_snmp.types import SnmpTarget
from printers.models import Device, DeviceEvent
from printers.polling import fleet_poll_run
from tests import factories
from tests.fixtures_snmp import free_tcp_port, free_udp_port, run, wait_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_fleet(tmp_path, account, site, settings):
    """Three demo printers (community ``fmp-<serial>``) served by `manage.py simfleet --background`."""
    port, raw_port = free_udp_port(), free_tcp_port()
    settings.FMP_RAW_PRINT_PORT = raw_port
    devices = [
        factories.device(
            account,
            site,
            serial=serial,
            ip_address="127.0.0.1",
            snmp_port=port,
            snmp_community=f"fmp-{serial}",
            printer_location="111/1/Webster/NY/USA",
            state="ok",
            total=1000,
        )
        for serial in ("DEMO0001", "DEMO0002", "DEMO0003")
    ]
    out = io.StringIO()
    call_command(
        "simfleet",
        "--background",
        f"--port={port}",
        f"--raw-print-port={raw_port}",
        f"--data-dir={tmp_path}",
        stdout=out,
    )
    try:
        target = SnmpTarget("127.0.0.1", port, community="fmp-DEMO0001", timeout=0.5, retries=0)
        assert wait_for(lambda: run(_answers(target)), 60), (tmp_path / "snmpsim.log").read_text()[-2000:]
        yield {"devices": devices, "dir": tmp_path, "out": out.getvalue()}
    finally:
        for name in ("snmpsim.pid", "rawprint.pid"):
            pid = tmp_path / name
            if pid.exists():
                os.kill(int(pid.read_text()), signal.SIGTERM)


def locations() -> dict[str, str]:
    return dict(Device.objects.values_list("serial_number", "printer_location"))


def test_update_location_changes_that_printer_only_also_after_the_next_poll(manager_client, demo_fleet):
    first, *others = demo_fleet["devices"]
    response = manager_client.post(
        "/printers/location/", {"devices": [first.pk], "location": "Room 204"}, follow=True
    )
    assert any("emplacement mis à jour sur le périphérique" in str(m) for m in response.context["messages"])
    assert locations() == {
        "DEMO0001": "Room 204",
        "DEMO0002": "111/1/Webster/NY/USA",
        "DEMO0003": "111/1/Webster/NY/USA",
    }
    run_ = fleet_poll_run(kind="refresh", respect_backoff=False)
    assert run_.failures == 0
    # What each simulated printer answers now: the new location on the first one only.
    assert locations() == {
        "DEMO0001": "Room 204",
        "DEMO0002": "111/1/Webster/NY/USA",
        "DEMO0003": "111/1/Webster/NY/USA",
    }
    # A second printer moved elsewhere keeps its own value too.
    manager_client.post("/printers/location/", {"devices": [others[0].pk], "location": "Reception"})
    fleet_poll_run(kind="refresh", respect_backoff=False)
    assert locations() == {
        "DEMO0001": "Room 204",
        "DEMO0002": "Reception",
        "DEMO0003": "111/1/Webster/NY/USA",
    }


def test_a_test_page_reaches_the_demos_raw_print_listener(manager_client, demo_fleet):
    device = demo_fleet["devices"][1]
    assert "raw-print listener on tcp://127.0.0.1:" in demo_fleet["out"]
    response = manager_client.post(
        "/printers/actions/", {"action": "test_page", "devices": [device.pk]}, follow=True
    )
    assert [str(m) for m in response.context["messages"]] == ["DEMO0002 : page de test envoyée."]
    assert DeviceEvent.objects.filter(device=device, key="printers.device.test_page").exists()
    log = Path(demo_fleet["dir"]) / "printed" / "received.log"
    assert wait_for(lambda: log.exists() and "DEMO0002" in log.read_text(), 10)
    line = log.read_text().strip().splitlines()[-1]
    assert "test page received for DEMO0002" in line
    job = Path(line.rsplit(": ", 1)[1]).read_bytes()
    assert job.startswith(b"\x1b%-12345X@PJL") and b"Serial:   DEMO0002" in job
