"""A real Celery worker with the Redis broker polls simulated devices (no eager mode here)."""

import pytest

from printers.models import Device, PollRun
from printers.tasks import device_status_refresh, fleet_poll
from tests.fixtures_snmp import sim_device, wait_for


@pytest.mark.django_db(transaction=True)
def test_worker_polls_the_fleet_through_redis(account, simulator, celery_worker):
    devices = [
        sim_device(account, simulator, c, serial=serial)
        for c, serial in [
            ("sim-xerox-colour", "813000305"),
            ("sim-hp-mono", "JPBF123456"),
            ("sim-encodings", ""),
        ]
    ]
    fleet_poll.delay()
    assert wait_for(lambda: PollRun.objects.filter(kind="fleet", finished_at__isnull=False).exists())
    states = {
        d.serial_number: d.state
        for d in Device.objects.filter(pk__in=[d.pk for d in devices]).select_related("state")
    }
    assert states["813000305"].total_pages == 681235 and states["813000305"].level_cyan == 70
    assert states["JPBF123456"].level_black == 8 and states["JPBF123456"].overall == "warning"
    assert states["BRO8360ENC"].level_yellow == 40  # recorded without a serial: it takes the answered one


@pytest.mark.django_db(transaction=True)
def test_get_printer_status_round_trip_through_the_worker(
    account, simulator, celery_worker, client, plain_user
):
    device = sim_device(account, simulator, "sim-paper-out", serial="3634093981")
    client.force_login(plain_user)
    response = client.post("/printers/actions/", {"action": "refresh", "devices": [device.pk]}, follow=True)
    assert "état demandé" in response.content.decode()
    assert wait_for(lambda: not Device.objects.get(pk=device.pk).refresh_pending)
    device.refresh_from_db()
    assert device.state.overall == "error" and "noPaper" in device.state.conditions
    status = client.get(f"/printers/refresh-status/?devices={device.pk}")
    assert status["HX-Refresh"] == "true"


@pytest.mark.django_db(transaction=True)
def test_refresh_task_is_idempotent_when_delivered_twice(account, simulator, celery_worker):
    device = sim_device(account, simulator, "sim-hp-mono", serial="JPBF123456")
    device_status_refresh.delay([device.pk])
    device_status_refresh.delay([device.pk])
    assert wait_for(lambda: PollRun.objects.filter(kind="refresh", finished_at__isnull=False).count() == 2)
    assert device.counter_samples.filter(counter="total").count() == 1
    assert device.status_history.count() == 1
