"""The poller end to end: simulated devices → claims → history in PostgreSQL → conditions."""

import subprocess
import sys
import time

import pytest
from django.utils import timezone

from printers.models import CounterSample, Device, DeviceCondition, PollRun, StatusObservation
from printers.polling import fleet_poll_run
from tests import factories
from tests.fixtures_snmp import free_udp_port, sim_device

pytestmark = pytest.mark.django_db


def test_fleet_poll_stores_levels_counters_and_identity(account, simulator):
    xerox = sim_device(account, simulator, "sim-xerox-colour")
    hp = sim_device(account, simulator, "sim-hp-mono")
    run = fleet_poll_run()
    assert (run.devices, run.failures) == (2, 0) and run.finished_at
    xerox.refresh_from_db()
    assert xerox.serial_number == "813000305" and xerox.system_name == "EC2-25L-WJ50"
    assert (xerox.state.level_black, xerox.state.level_yellow, xerox.state.total_pages) == (80, 50, 681235)
    assert xerox.supplies.count() == 6
    assert set(CounterSample.objects.filter(device=xerox).values_list("counter", "value")) == {
        ("total", 681235),
        ("black", 500000),
        ("colour", 181235),
    }
    hp.refresh_from_db()
    assert hp.state.overall == "warning" and hp.state.conditions == ["lowToner"]
    assert hp.state.colours_present == ["black"] and hp.state.level_black == 8


def test_a_silent_device_never_stops_the_batch(account, simulator, settings):
    settings.FMP_SNMP_TIMEOUT = 0.2
    settings.FMP_SNMP_RETRIES = 0
    silent = factories.device(account, serial="SILENT", ip_address="127.0.0.1", snmp_port=free_udp_port())
    ok = sim_device(account, simulator, "sim-paper-out")
    run = fleet_poll_run()
    assert (run.devices, run.failures) == (2, 1)
    silent.refresh_from_db()
    ok.refresh_from_db()
    assert silent.state.last_error.startswith("no answer") and silent.state.consecutive_failures == 1
    assert silent.poll_attempts.get().ok is False
    assert ok.state.overall == "error"


def test_failing_devices_are_backed_off_but_a_refresh_ignores_it(account, settings):
    settings.FMP_SNMP_TIMEOUT = 0.2
    settings.FMP_SNMP_RETRIES = 0
    silent = factories.device(account, serial="SILENT", ip_address="127.0.0.1", snmp_port=free_udp_port())
    fleet_poll_run()
    assert fleet_poll_run().devices == 0  # backed off
    assert fleet_poll_run(kind="refresh", device_ids=[silent.pk], respect_backoff=False).devices == 1


def test_devices_claimed_by_another_worker_are_skipped(account, simulator):
    device = sim_device(account, simulator, "sim-xerox-colour")
    Device.objects.filter(pk=device.pk).update(
        poll_claimed_until=timezone.now() + timezone.timedelta(minutes=5), poll_claim_token="other-worker"
    )
    assert fleet_poll_run(token="me").devices == 0
    # The same task redelivered takes its own claim back.
    assert fleet_poll_run(token="other-worker").devices == 1
    device.refresh_from_db()
    assert device.poll_claimed_until is None


def test_a_fleet_run_still_going_makes_the_next_skip(account, simulator):
    sim_device(account, simulator, "sim-xerox-colour")
    PollRun.objects.create(kind="fleet")
    assert fleet_poll_run() is None
    assert fleet_poll_run(kind="refresh") is not None


def test_polling_twice_adds_no_duplicate_history(account, simulator):
    device = sim_device(account, simulator, "sim-xerox-colour")
    fleet_poll_run()
    counts = (StatusObservation.objects.count(), CounterSample.objects.count())
    fleet_poll_run()
    assert (StatusObservation.objects.count(), CounterSample.objects.count()) == counts
    assert device.poll_attempts.count() == 2


def test_conditions_are_raised_once_and_cleared(account, simulator):
    device = sim_device(account, simulator, "sim-paper-out")
    fleet_poll_run()
    fleet_poll_run()
    open_codes = set(
        DeviceCondition.objects.filter(device=device, cleared_at__isnull=True).values_list("code", flat=True)
    )
    assert open_codes == {"noPaper", "inputTrayEmpty", "serviceRequested"}
    assert DeviceCondition.objects.filter(device=device).count() == 3
    Device.objects.filter(pk=device.pk).update(snmp_community="sim-paper-refilled")  # the paper was refilled
    fleet_poll_run()  # debounced: one answer without them does not clear them yet
    assert DeviceCondition.objects.filter(device=device, cleared_at__isnull=True).count() == 3
    fleet_poll_run()
    assert not DeviceCondition.objects.filter(device=device, cleared_at__isnull=True).exists()


def test_an_unreachable_condition_needs_two_failed_polls(account, simulator, settings):
    settings.FMP_SNMP_TIMEOUT = 0.2
    settings.FMP_SNMP_RETRIES = 0
    settings.FMP_UNREACHABLE_AFTER = 2
    device = sim_device(account, simulator, "sim-xerox-colour")
    fleet_poll_run()
    Device.objects.filter(pk=device.pk).update(snmp_port=free_udp_port())
    fleet_poll_run(kind="refresh", respect_backoff=False)
    assert not DeviceCondition.objects.filter(device=device, code="unreachable").exists()
    fleet_poll_run(kind="refresh", respect_backoff=False)
    assert DeviceCondition.objects.filter(device=device, code="unreachable", cleared_at__isnull=True).exists()
    device.refresh_from_db()
    assert device.state.level_black == 80  # the last known levels are kept


def test_snmp_probe_command_prints_the_contract_json_and_stores_nothing(simulator):
    out = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "snmp_probe",
            "127.0.0.1",
            "--port",
            str(simulator["port"]),
            "--community",
            "sim-hp-mono",
            "--json",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    import json

    data = json.loads(out.stdout)
    assert data["status"] == "warning" and data["errors"] == ["lowToner"] and data["serial"] == "JPBF123456"
    assert not Device.objects.exists()


def test_snmp_probe_exits_non_zero_when_the_device_does_not_answer():
    out = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "snmp_probe",
            "127.0.0.1",
            "--port",
            str(free_udp_port()),
            "--timeout",
            "0.2",
            "--retries",
            "0",
            "--json",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert out.returncode != 0
    assert '"status": "unreachable"' in out.stdout


def test_an_error_seen_by_the_poller_opens_one_automatic_ticket(account, simulator):
    from tickets.models import Ticket

    device = sim_device(account, simulator, "sim-xerox-toner-empty")
    fleet_poll_run()
    fleet_poll_run()
    tickets = Ticket.objects.filter(device=device, origin="monitoring")
    assert list(tickets.values_list("condition_code", flat=True)) == ["noToner"]
    Device.objects.filter(pk=device.pk).update(snmp_community="sim-xerox-colour")  # a new cartridge
    fleet_poll_run(kind="refresh", device_ids=[device.pk], respect_backoff=False)
    fleet_poll_run(kind="refresh", device_ids=[device.pk], respect_backoff=False)
    assert tickets.get().state == "done"


def test_a_dead_fleet_run_stops_blocking_after_a_claim_lease(account, simulator, settings):
    sim_device(account, simulator, "sim-xerox-colour")
    stale = PollRun.objects.create(kind="fleet")
    PollRun.objects.filter(pk=stale.pk).update(
        started_at=timezone.now() - timezone.timedelta(seconds=settings.FMP_POLL_CLAIM_SECONDS + 5)
    )
    run = fleet_poll_run()
    assert run is not None and run.devices == 1
    assert run.heartbeat_at is not None or PollRun.objects.get(pk=run.pk).heartbeat_at is not None


def test_a_redelivered_run_takes_itself_over_without_polling_twice(account, simulator):
    devices = [sim_device(account, simulator, c) for c in ("sim-xerox-colour", "sim-hp-mono")]
    first = fleet_poll_run(token="task-1")
    PollRun.objects.filter(pk=first.pk).update(finished_at=None)  # as if the worker died before the end
    again = fleet_poll_run(token="task-1")
    assert again.pk == first.pk and again.finished_at is not None
    assert all(d.poll_attempts.count() == 1 for d in devices)


def test_a_delivery_of_a_run_still_going_elsewhere_is_dropped(account, simulator):
    """The broker may deliver a task again while its first delivery still runs (visibility
    timeout shorter than the run): the run's lock is held by that worker's session, so the
    second delivery polls nothing; once the first is over, a late delivery does nothing either."""
    import psycopg2
    from django.db import connection

    from fmp.db import advisory_lock, advisory_lock_key

    device = sim_device(account, simulator, "sim-xerox-colour")
    db = connection.settings_dict
    other = psycopg2.connect(
        dbname=db["NAME"], user=db["USER"], host=db["HOST"] or "127.0.0.1", port=db["PORT"] or 5432
    )
    try:
        other.autocommit = True
        with other.cursor() as cursor:  # the first delivery's worker, holding the run
            cursor.execute("SELECT pg_try_advisory_lock(%s)", [advisory_lock_key("fmp.poll-run:task-9")])
            assert cursor.fetchone()[0]
        assert fleet_poll_run(token="task-9") is None
        assert device.poll_attempts.count() == 0 and not PollRun.objects.exists()
        with advisory_lock("fmp.poll-run:task-9") as alone:
            assert not alone
    finally:
        other.close()  # that worker dies: its lock goes with its session
    deadline = time.monotonic() + 10  # the server ends that session a moment after the close
    while time.monotonic() < deadline:
        with advisory_lock("fmp.poll-run:task-9") as free:
            if free:
                break
        time.sleep(0.05)
    run = fleet_poll_run(token="task-9")
    assert run is not None and run.devices == 1
    assert fleet_poll_run(token="task-9") is None  # delivered again after it finished
    assert device.poll_attempts.count() == 1 and PollRun.objects.count() == 1
