"""Faults survived: a printer that stops answering half-way, the broker going away."""

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection
from django.test import Client

from printers.models import Device, SupplyLevelSample
from printers.polling import fleet_poll_run
from tests import factories
from tests.fixtures_snmp import celery_broker, celery_reconnect, sim_device, wait_for


@pytest.mark.django_db
def test_half_a_table_then_silence_is_not_stored_as_zeros(account, simulator, settings):
    device = sim_device(account, simulator, "sim-xerox-colour", serial="813000305")
    fleet_poll_run()
    device.refresh_from_db()
    levels = {s.index: s.level for s in device.supplies.all()}
    samples = SupplyLevelSample.objects.count()
    settings.FMP_SNMP_TIMEOUT, settings.FMP_SNMP_RETRIES = 0.5, 0
    Device.objects.filter(pk=device.pk).update(snmp_community="sim-half-table")
    run = fleet_poll_run(kind="refresh", respect_backoff=False)
    assert run.failures == 1
    device.refresh_from_db()
    assert {s.index: s.level for s in device.supplies.all()} == levels  # nothing half-written
    assert SupplyLevelSample.objects.count() == samples
    assert device.state.level_black == 80 and device.state.last_error


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_redis(port: int) -> subprocess.Popen:
    exe = shutil.which("redis-server") or "/usr/bin/redis-server"
    process = subprocess.Popen(
        [exe, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(50):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return process
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("redis did not start")


@pytest.mark.django_db(transaction=True)
def test_broker_down_pages_serve_and_refresh_requests_are_kept(account, site, plain_user, settings):
    port = free_port()
    redis = start_redis(port)
    url = f"redis://127.0.0.1:{port}/0"
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.CELERY_BROKER_URL = url
    device = factories.device(account, site, serial="BROKER", state="ok")
    client = Client()
    client.force_login(plain_user)
    with celery_broker(
        url,
        broker_connection_timeout=1,
        broker_transport_options={"socket_connect_timeout": 1, "socket_timeout": 1, "max_retries": 0},
    ) as app:
        try:
            ok = client.post("/printers/actions/", {"action": "refresh", "devices": [device.pk]}, follow=True)
            assert "état demandé ; la grille" in ok.content.decode()
            redis.kill()
            redis.wait(5)
            celery_reconnect(app)
            assert client.get("/printers/").status_code == 200
            assert client.get(f"/printers/{device.pk}/").status_code == 200
            assert client.get("/healthz").status_code == 503
            started = time.monotonic()
            down = client.post(
                "/printers/actions/", {"action": "refresh", "devices": [device.pk]}, follow=True
            )
            assert time.monotonic() - started < 15  # the user is not kept waiting
            assert "file d’attente" in down.content.decode() or "indisponible" in down.content.decode()
            device.refresh_from_db()
            assert device.refresh_pending  # kept: the next poll answers it
            redis = start_redis(port)
            celery_reconnect(app)
            assert client.get("/healthz").status_code == 200
        finally:
            redis.kill()


def start_worker_process(env: dict) -> subprocess.Popen:
    """A real `celery worker` (prefork, one pool process) in its own process group."""
    return subprocess.Popen(
        [
            str(Path(sys.executable).with_name("celery")),
            *("-A", "fmp", "worker", "--pool", "prefork", "--concurrency", "1"),
            *("--loglevel", "WARNING", "--without-mingle", "--without-gossip"),
        ],
        cwd=Path(__file__).resolve().parents[2],
        env=env,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def stop_process_group(process: subprocess.Popen, sig=signal.SIGTERM) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, sig)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(30)


@pytest.mark.django_db(transaction=True)
def test_worker_killed_mid_poll_the_broker_delivers_the_run_again(account, simulator):
    """SIGKILL a real worker (and its pool process) half-way through a fleet poll: the broker
    delivers the task again (late acknowledgement), a second worker takes the same run over,
    polls only what the first did not store, and no printer has duplicate history."""
    from printers.models import CounterSample, PollAttempt, PollRun
    from printers.tasks import fleet_poll

    devices = 24
    Device.objects.bulk_create(
        [
            Device(
                account=account,
                serial_number="813000305",  # sim-slow is sim-xerox-colour, slower
                ip_address="127.0.0.1",
                snmp_port=simulator["port"],
                snmp_community="sim-slow",
            )
            for i in range(devices)
        ]
    )
    port = free_port()
    redis = start_redis(port)
    url = f"redis://127.0.0.1:{port}/0"
    db = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
        "CELERY_BROKER_URL": url,
        "FMP_CELERY_VISIBILITY_TIMEOUT": "3",
        "FMP_CELERY_RESTORE_INTERVAL": "1",
        "FMP_CELERY_RESTORE_THROTTLE": "1",
        "FMP_POLL_BATCH": "4",
        "FMP_POLL_CONCURRENCY": "1",
    }
    first = start_worker_process(env)
    second = None
    try:
        with celery_broker(url):
            fleet_poll.delay()
        # Kill once a third of the fleet is stored, well before the end (each answer takes 250 ms).
        assert wait_for(lambda: PollAttempt.objects.count() >= devices // 3, 90), (
            "the first worker never polled"
        )
        stop_process_group(first, signal.SIGKILL)
        stored_before = PollAttempt.objects.count()
        assert stored_before < devices, "the poll finished before the worker was killed"
        assert not PollRun.objects.filter(finished_at__isnull=False).exists()
        second = start_worker_process(env)
        assert wait_for(lambda: PollRun.objects.filter(finished_at__isnull=False).exists(), 90), (
            "the task was not delivered again: " + (second.stderr.read() if second.poll() is not None else "")
        )
        run = PollRun.objects.get()  # the same run, taken over, not a second one
        assert run.kind == "fleet" and run.finished_at
        assert PollAttempt.objects.count() == devices  # each printer polled exactly once
        assert not Device.objects.filter(state__last_attempt_at__isnull=True).exists()
        per_device = CounterSample.objects.filter(counter="total").values("device_id").distinct().count()
        assert CounterSample.objects.filter(counter="total").count() == per_device == devices
    finally:
        stop_process_group(first, signal.SIGKILL)
        if second:
            stop_process_group(second)
        redis.kill()
