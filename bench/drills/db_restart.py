"""Drill: the database connections of a running poller are cut in the middle of a fleet poll
(as a PostgreSQL restart does); the poller reconnects and its next run completes.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/fmp_drill .venv/bin/python bench/drills/db_restart.py

Everything on 127.0.0.1: snmpd agents, `manage.py poll_fleet --loop 3` as the poller. The
drill terminates the poller's PostgreSQL backends (pg_terminate_backend, what a restart
does to clients) while it polls, then checks that a later run finishes and that every
printer was polled. Exits non-zero when that fails.
"""

from __future__ import annotations

import os
import shutil
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


def main() -> int:
    import poll as bench_poll

    os.environ.update({"FMP_POLL_BATCH": "40", "FMP_POLL_CONCURRENCY": "4"})
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from accounts.models import Account
    from printers.models import Device, PollAttempt, PollRun

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
    poller = subprocess.Popen(
        [sys.executable, "manage.py", "poll_fleet", "--loop", "3"], cwd=ROOT, env=os.environ.copy()
    )
    failures = []
    try:
        deadline = time.monotonic() + 120
        while (
            PollAttempt.objects.filter(device_id__in=ids).count() < DEVICES // 4
            and time.monotonic() < deadline
        ):
            time.sleep(0.2)
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
            cut = cursor.fetchone()[0]
        cut_at = timezone.now()
        print(
            f"cut {cut} connection(s) of the poller after {PollAttempt.objects.filter(device_id__in=ids).count()} attempts"
        )
        deadline = time.monotonic() + 400
        while time.monotonic() < deadline:
            done = PollRun.objects.filter(kind="fleet", finished_at__gt=cut_at).first()
            if done:
                break
            time.sleep(1)
        polled = Device.objects.filter(pk__in=ids, state__last_attempt_at__isnull=False).count()
        print(f"run finished after the cut: {bool(done)}; printers polled: {polled}/{DEVICES}")
        if not done:
            failures.append("no run finished after the cut")
        if polled != DEVICES:
            failures.append("some printers were never polled")
        if poller.poll() is not None:
            failures.append("the poller process died")
    finally:
        poller.terminate()
        poller.wait(20)
        for agent in agents:
            agent.terminate()
        shutil.rmtree(workdir, ignore_errors=True)
    print("DRILL FAILED: " + "; ".join(failures) if failures else "drill passed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
