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

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from fleet import ROOT, drill_fleet, report, wait_until

DEVICES = 400


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> int:
    port = free_port()
    redis = subprocess.Popen(
        [
            shutil.which("redis-server") or "redis-server",
            *("--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"),
        ],
        stdout=subprocess.DEVNULL,
    )
    os.environ.update(
        {
            "CELERY_BROKER_URL": f"redis://127.0.0.1:{port}/0",
            "FMP_CELERY_VISIBILITY_TIMEOUT": "10",
            "FMP_CELERY_RESTORE_INTERVAL": "2",
            "FMP_CELERY_RESTORE_THROTTLE": "1",
            "FMP_POLL_BATCH": "40",
            "FMP_POLL_CONCURRENCY": "4",
            "FMP_POLL_CLAIM_SECONDS": "30",
        }
    )
    try:
        with drill_fleet(DEVICES) as ids:
            return report(drill(ids, port))
    finally:
        redis.terminate()


def drill(ids: list[int], port: int) -> list[str]:
    from printers.models import CounterSample, Device, PollAttempt, PollRun
    from printers.tasks import fleet_poll

    worker_cmd = [
        str(Path(sys.executable).with_name("celery")),
        *("-A", "fmp", "worker", "--pool", "prefork", "--concurrency", "1"),
        *("--loglevel", "WARNING", "-n", "drill@%h"),
    ]
    failures = []
    first = subprocess.Popen(worker_cmd, cwd=ROOT, env=os.environ.copy(), start_new_session=True)
    second = None
    try:
        fleet_poll.delay()
        wait_until(lambda: PollAttempt.objects.filter(device_id__in=ids).count() >= DEVICES // 4, 120)
        polled_before = PollAttempt.objects.filter(device_id__in=ids).count()
        os.killpg(first.pid, signal.SIGKILL)  # the worker and its pool process, at once
        first.wait(10)
        killed_at = time.monotonic()
        print(f"worker 1 killed after {polled_before} of {DEVICES} printers")
        unacked = subprocess.run(
            ["redis-cli", "-p", str(port), "hlen", "unacked"], capture_output=True, text=True
        ).stdout.strip()
        print(f"unacked messages in the broker: {unacked}")
        second = subprocess.Popen(worker_cmd, cwd=ROOT, env=os.environ.copy())
        finished = PollRun.objects.filter(kind="fleet", finished_at__isnull=False)
        redelivered = wait_until(finished.exists, 45, 0.5)
        print(
            f"task delivered again by the broker and finished within 45 s: {redelivered}"
            f" ({time.monotonic() - killed_at:.1f} s after the kill)"
        )
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(first.pid, signal.SIGKILL)
        if second is not None:
            second.send_signal(signal.SIGTERM)
            second.wait(30)
    runs = list(PollRun.objects.filter(kind="fleet"))
    polled = Device.objects.filter(pk__in=ids, state__last_attempt_at__isnull=False).count()
    totals = CounterSample.objects.filter(device_id__in=ids, counter="total")
    duplicates = totals.count() - totals.values("device_id").distinct().count()
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
    return failures


if __name__ == "__main__":
    sys.exit(main())
