"""“Get printer status” on the embedded default (no broker, as in the demo): the request
answers at once and the grid shows the printer as pending; the poll runs beside it, and the
grid's next refresh shows the new status."""

from __future__ import annotations

import time

import pytest

from fmp_snmp.simfleet import SPECIAL_DEVICES, recording
from printers.tasks import background_refreshes_wait
from tests import factories
from tests.fixtures_snmp import free_udp_port, start_simulator, wait_for

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def slow_printer(tmp_path, account, site, settings):
    """The guide's ColorQube, answering after 3 s (a real printer waking up), last seen at 5 % black."""
    settings.FMP_SNMP_TIMEOUT = 6.0  # it does answer, late
    settings.FMP_STATUS_REFRESH_BACKGROUND = True  # the web process polls in a thread of its own
    port = free_udp_port()
    text = recording(SPECIAL_DEVICES[0]).replace(
        "1.3.6.1.2.1.1.3.0|67|", "1.3.6.1.2.1.1.3.0|67:delay|wait=3000,value="
    )
    process = start_simulator(tmp_path, [f"127.0.0.1:{port}"], {"slow": text})
    device = factories.device(
        account,
        site,
        serial="813000305",
        model=factories.device_model("ColorQube 9203"),
        ip_address="127.0.0.1",
        snmp_port=port,
        snmp_community="slow",
        state="ok",
        levels={"black": 5},
        total=1,
    )
    yield device
    background_refreshes_wait(60)
    process.terminate()
    process.wait(10)


def test_get_printer_status_without_a_broker_is_pending_then_updated(settings, user_client, slow_printer):
    assert settings.CELERY_TASK_ALWAYS_EAGER
    device = slow_printer
    started = time.monotonic()
    response = user_client.post(
        "/printers/actions/", {"action": "refresh", "devices": [device.pk], "next": "/printers/"}
    )
    assert response.status_code == 302 and time.monotonic() - started < 2.5  # not waiting for the printer
    grid = user_client.get("/printers/").content.decode()
    assert grid.count('data-testid="refresh-pending"') == 1
    banner = user_client.get(f"/printers/refresh-status/?devices={device.pk}")
    assert 'data-testid="refresh-banner"' in banner.content.decode()
    # The page's htmx check, every 2 s: once the poll is stored, it tells the page to reload.
    assert wait_for(
        lambda: user_client.get(f"/printers/refresh-status/?devices={device.pk}").get("HX-Refresh") == "true",
        30,
    )
    row = user_client.get("/printers/").content.decode()
    assert 'data-testid="refresh-pending"' not in row
    row = row.replace("\u202f", " ").replace("\xa0", " ")  # French digit grouping and percent spacing
    assert "80 %" in row and "681 235" in row
    assert background_refreshes_wait(10)
