"""Traps sent by net-snmp's snmptrap to the receiver on 127.0.0.1: matched to the device at the
sender's address, recorded, the condition raised at once, a poll of the device to confirm."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone

from fmp_snmp.aio import LoopThread
from fmp_snmp.traps import serve
from printers.models import Device, DeviceCondition, DeviceEvent, PollAttempt, TrapSender
from printers.traps import traps_store
from tests import factories
from tests.conftest import run_manage
from tests.fixtures_snmp import free_udp_port, sim_device
from tickets.models import Ticket

ALERT = "1.3.6.1.2.1.43.18.1.1"
JAM = [
    f"{ALERT}.2.1.7", "i", "3",
    f"{ALERT}.4.1.7", "i", "13",
    f"{ALERT}.5.1.7", "i", "1",
    f"{ALERT}.7.1.7", "i", "8",
    f"{ALERT}.8.1.7", "s", "Paper jam in the fuser",
]  # fmt: skip


def snmptrap(port: int, *varbinds: str, trap_oid: str = "1.3.6.1.2.1.43.18.2.0.1") -> None:
    done = subprocess.run(
        ["snmptrap", "-v", "2c", "-c", "public", f"127.0.0.1:{port}", "", trap_oid, *varbinds],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.returncode == 0, done.stderr


def received(count: int, send) -> list:
    """Start a receiver, ``send(port)``, and return the first ``count`` (trap, source, at)."""
    got: queue.Queue = queue.Queue()
    port = free_udp_port()
    with LoopThread() as runner:
        transport, _ = runner.run(
            serve(lambda trap, source: got.put((trap, source, timezone.now())), "127.0.0.1", port)
        )
        try:
            send(port)
            return [got.get(timeout=5) for _ in range(count)]
        finally:
            runner.loop.call_soon_threadsafe(transport.close)


@pytest.mark.django_db
def test_a_jam_trap_raises_the_condition_at_once_and_the_confirming_poll_clears_it(
    account, simulator, django_capture_on_commit_callbacks
):
    # The printer at 127.0.0.1 (the simulator's address) sends a trap; its polls find no jam.
    device = sim_device(account, simulator, "sim-xerox-colour", serial="813000305")
    before = PollAttempt.objects.filter(device=device).count()

    traps = received(1, lambda port: snmptrap(port, *JAM))
    with django_capture_on_commit_callbacks(execute=True) as handed_over:
        stored = traps_store(traps)
    assert len(handed_over) == 1  # the tickets' handler, once the conditions are committed
    assert Ticket.objects.filter(device=device, condition_code="jammed").count() == 1

    assert (stored.matched, stored.unknown, stored.raised, stored.polls) == (1, 0, 1, 1)
    condition = DeviceCondition.objects.get(device=device, code="jammed")
    assert condition.cleared_at is None and condition.severity == "error"
    event = DeviceEvent.objects.get(device=device, key="printers.device.trap")
    assert event.data["alert"]["code_name"] == "jam" and event.data["source"] == "127.0.0.1"
    assert event.data["alert"]["description"] == "Paper jam in the fuser"
    # The trap had the device polled (no broker in the tests: at once); the printer says no
    # jam, so the condition counts one answer without it and clears at the next.
    assert PollAttempt.objects.filter(device=device).count() == before + 1
    condition.refresh_from_db()
    assert condition.absent_polls == 1 and condition.cleared_at is None
    from printers.polling import fleet_poll_run

    fleet_poll_run(device_ids=[device.pk])
    condition.refresh_from_db()
    assert condition.cleared_at is not None

    # A second trap within FMP_TRAP_POLL_SECONDS records the trap and raises, but polls no more.
    stored = traps_store(received(1, lambda port: snmptrap(port, *JAM)))
    assert (stored.matched, stored.raised, stored.polls) == (1, 1, 0)


@pytest.mark.django_db
def test_traps_from_an_unknown_sender_are_counted_and_create_nothing(account):
    factories.device(account, ip_address="127.0.0.2")  # another address
    devices = Device.objects.count()

    traps_store(
        received(2, lambda port: (snmptrap(port, *JAM), snmptrap(port, trap_oid="1.3.6.1.6.3.1.1.5.1")))
    )
    traps_store(received(1, lambda port: snmptrap(port, trap_oid="1.3.6.1.6.3.1.1.5.3")))

    sender = TrapSender.objects.get(address="127.0.0.1")
    assert (sender.traps, sender.last_kind) == (3, "link_down")
    assert sender.first_seen_at <= sender.last_seen_at
    assert Device.objects.count() == devices
    assert not DeviceEvent.objects.filter(key="printers.device.trap").exists()


@pytest.mark.django_db
def test_a_device_of_a_site_collector_is_not_matched_by_the_central_receiver(account):
    from collectors.models import Collector

    collector = Collector.objects.create(account=account, name="Site A")
    theirs = factories.device(account, ip_address="127.0.0.1", collector=collector)
    stored = traps_store(received(1, lambda port: snmptrap(port, *JAM)))
    assert (stored.matched, stored.unknown) == (0, 1)
    assert not DeviceCondition.objects.filter(device=theirs).exists()


@pytest.mark.django_db(transaction=True)
def test_the_trap_receiver_command_stores_what_snmptrap_sends(account):
    device = factories.device(
        account, ip_address="127.0.0.1", snmp_port=free_udp_port()
    )  # nothing answers polls
    port = free_udp_port()
    db = connection.settings_dict
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env["DATABASE_URL"] = (
        f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    )
    env.pop("CELERY_BROKER_URL", None)
    process = subprocess.Popen(
        [sys.executable, "manage.py", "trap_receiver", "--bind", f"127.0.0.1:{port}"],
        cwd=Path(__file__).resolve().parents[2],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert "Receiving traps on 127.0.0.1" in process.stdout.readline()
        snmptrap(port, *JAM)
        deadline = time.monotonic() + 20
        while not DeviceCondition.objects.filter(device=device, code="jammed").exists():
            assert time.monotonic() < deadline, "the trap was not stored within 20 s"
            time.sleep(0.1)
        assert DeviceEvent.objects.filter(device=device, key="printers.device.trap").count() == 1
    finally:
        process.send_signal(signal.SIGTERM)
        _out, err = process.communicate(timeout=30)
    assert process.returncode == 0, err


@pytest.mark.django_db
def test_the_receiver_refuses_bad_settings_with_a_clear_message():
    done = run_manage("trap_receiver", "--bind", "127.0.0.1:99999")
    assert done.returncode != 0 and "port 99999 is outside 1..65535" in done.stderr
    done = run_manage(
        "trap_receiver", "--bind", "127.0.0.1:1162", FMP_TRAP_V3_USERS="fmp:SHA:short:AES:alsoshort"
    )
    assert done.returncode != 0 and "at least 8 characters" in done.stderr
    done = run_manage(
        "trap_receiver", "--bind", "127.0.0.1:1162", FMP_TRAP_V3_USERS="fmp:ROT13:secret123:AES:secret456"
    )
    assert done.returncode != 0 and "authentication is one of" in done.stderr
