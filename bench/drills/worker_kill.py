"""Drill: a Celery worker killed (SIGKILL) in the middle of a fleet poll.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/fmp_drill .venv/bin/python bench/drills/worker_kill.py

Runs everything of its own on 127.0.0.1: snmpd agents (one port per printer), a Redis
server on a free port, two worker processes one after the other. The broker's visibility
timeout is shortened to 10 s (FMP_CELERY_VISIBILITY_TIMEOUT) so that the drill does not
wait an hour. Checks that the task is delivered again by the broker (late
acknowledgement), that the second worker takes the same run over and finishes it, that
every printer was polled exactly once (what the dead worker stored is not polled again)
and that no printer has duplicate history. Exits non-zero when one of these fails.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fmp.settings")
DEVICES = 400


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> int:
    import poll as bench_poll

    port = free_port()
    redis = subprocess.Popen(
        [
            shutil.which("redis-server") or "redis-server",
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ],
        stdout=subprocess.DEVNULL,
    )
    broker = f"redis://127.0.0.1:{port}/0"
    os.environ.update(
        {
            "CELERY_BROKER_URL": broker,
            "FMP_CELERY_VISIBILITY_TIMEOUT": "10",
            "FMP_CELERY_RESTORE_INTERVAL": "2",
            "FMP_CELERY_RESTORE_THROTTLE": "1",
            "FMP_POLL_BATCH": "40",
            "FMP_POLL_CONCURRENCY": "4",
            "FMP_POLL_CLAIM_SECONDS": "30",
        }
    )
    import django

    django.setup()
    from django.core.management import call_command

    from accounts.models import Account
    from printers.models import CounterSample, Device, PollAttempt, PollRun
    from printers.tasks import fleet_poll

    call_command("migrate", verbosity=0)
    workdir = Path(tempfile.mkdtemp(prefix="fmp-drill-"))
    agents = bench_poll.start_agents(DEVICES, workdir)
    account, _ = Account.objects.get_or_create(name="Drill", parent=None)
    Device.objects.filter(account=account).delete()
    PollRun.objects.all().delete()
    Device.objects.bulk_create(
        [
            Device(
                account=account,
                serial_number=f"D{i:05d}",
                ip_address="127.0.0.1",
                snmp_port=bench_poll.FIRST_PORT + i,
            )
            for i in range(DEVICES)
        ]
    )
    ids = list(Device.objects.filter(account=account).values_list("pk", flat=True))
    worker_cmd = [
        str(Path(sys.executable).with_name("celery")),
        "-A",
        "fmp",
        "worker",
        "--pool",
        "prefork",
        "--concurrency",
        "1",
        "--loglevel",
        "WARNING",
        "-n",
        "drill@%h",
    ]
    failures = []
    try:
        first = subprocess.Popen(worker_cmd, cwd=ROOT, env=os.environ.copy(), start_new_session=True)
        fleet_poll.delay()
        deadline = time.monotonic() + 120
        while (
            PollAttempt.objects.filter(device_id__in=ids).count() < DEVICES // 4
            and time.monotonic() < deadline
        ):
            time.sleep(0.2)
        polled_before = PollAttempt.objects.filter(device_id__in=ids).count()
        os.killpg(first.pid, signal.SIGKILL)  # the worker and its pool process, at once
        first.wait(10)
        killed_at = time.monotonic()
        print(f"worker 1 killed after {polled_before} of {DEVICES} printers")
        rc = subprocess.run(
            ["redis-cli", "-p", str(port), "hlen", "unacked"], capture_output=True, text=True
        ).stdout.strip()
        print(f"unacked messages in the broker: {rc}")
        second = subprocess.Popen(worker_cmd, cwd=ROOT, env=os.environ.copy())
        deadline = time.monotonic() + 45
        while (
            not PollRun.objects.filter(kind="fleet", finished_at__isnull=False).exists()
            and time.monotonic() < deadline
        ):
            time.sleep(0.5)
        redelivered = PollRun.objects.filter(kind="fleet", finished_at__isnull=False).exists()
        print(
            f"task delivered again by the broker and finished within 45 s: {redelivered}"
            f" ({time.monotonic() - killed_at:.1f} s after the kill)"
        )
        second.send_signal(signal.SIGTERM)
        second.wait(30)
        runs = list(PollRun.objects.filter(kind="fleet"))
        polled = Device.objects.filter(pk__in=ids, state__last_attempt_at__isnull=False).count()
        duplicates = (
            CounterSample.objects.filter(device_id__in=ids, counter="total").count()
            - CounterSample.objects.filter(device_id__in=ids, counter="total")
            .values("device_id")
            .distinct()
            .count()
        )
        attempts = PollAttempt.objects.filter(device_id__in=ids).count()
        print(f"runs: {[(r.token[:8], r.finished_at is not None, r.devices) for r in runs]}")
        print(
            f"printers polled: {polled}/{DEVICES}; poll attempts: {attempts}; duplicate counter samples: {duplicates}"
        )
        if not redelivered:
            failures.append("the task was not delivered again and finished within 45 s")
        if len(runs) != 1:
            failures.append(f"{len(runs)} fleet runs instead of one taken over")
        if attempts != DEVICES:
            failures.append(f"{attempts} poll attempts for {DEVICES} printers: some were polled twice")
        if polled != DEVICES:
            failures.append("some printers were never polled")
        if duplicates:
            failures.append("duplicate history")
    finally:
        for agent in agents:
            agent.terminate()
        redis.terminate()
        shutil.rmtree(workdir, ignore_errors=True)
    print("DRILL FAILED: " + "; ".join(failures) if failures else "drill passed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
