"""Faults survived: a printer that stops answering half-way, the broker going away."""

import shutil
import socket
import subprocess
import time

import pytest
from django.test import Client

from printers.models import Device, SupplyLevelSample
from printers.polling import fleet_poll_run
from tests import factories


@pytest.mark.django_db
def test_half_a_table_then_silence_is_not_stored_as_zeros(account, simulator, settings):
    device = factories.device(
        account,
        serial="HALF",
        ip_address="127.0.0.1",
        snmp_port=simulator["port"],
        snmp_community="sim-xerox-colour",
    )
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
    from fmp.celery import app

    port = free_port()
    redis = start_redis(port)
    url = f"redis://127.0.0.1:{port}/0"
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.CELERY_BROKER_URL = url
    old = app.conf.broker_url
    app.conf.broker_url = url
    app.conf.broker_connection_timeout = 1
    app.conf.broker_transport_options = {"socket_connect_timeout": 1, "socket_timeout": 1, "max_retries": 0}
    app._pool = None
    app.amqp._producer_pool = None
    device = factories.device(account, site, serial="BROKER", state="ok")
    client = Client()
    client.force_login(plain_user)
    try:
        ok = client.post("/printers/actions/", {"action": "refresh", "devices": [device.pk]}, follow=True)
        assert "état demandé ; la grille" in ok.content.decode()
        redis.kill()
        redis.wait(5)
        app._pool = None
        app.amqp._producer_pool = None
        assert client.get("/printers/").status_code == 200
        assert client.get(f"/printers/{device.pk}/").status_code == 200
        assert client.get("/healthz").status_code == 503
        started = time.monotonic()
        down = client.post("/printers/actions/", {"action": "refresh", "devices": [device.pk]}, follow=True)
        assert time.monotonic() - started < 15  # the user is not kept waiting
        assert "file d’attente" in down.content.decode() or "indisponible" in down.content.decode()
        device.refresh_from_db()
        assert device.refresh_pending  # kept: the next poll answers it
        redis = start_redis(port)
        app._pool = None
        app.amqp._producer_pool = None
        assert client.get("/healthz").status_code == 200
    finally:
        redis.kill()
        app.conf.broker_url = old
        app._pool = None
        app.amqp._producer_pool = None
