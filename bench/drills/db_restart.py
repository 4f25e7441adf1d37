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
import subprocess
import sys

from fleet import ROOT, drill_fleet, report, wait_until

DEVICES = 400


def main() -> int:
    os.environ.update({"FMP_POLL_BATCH": "40", "FMP_POLL_CONCURRENCY": "4"})
    with drill_fleet(DEVICES) as ids:
        return report(drill(ids))


def drill(ids: list[int]) -> list[str]:
    from django.db import connection
    from django.utils import timezone

    from printers.models import Device, PollAttempt, PollRun

    poller = subprocess.Popen(
        [sys.executable, "manage.py", "poll_fleet", "--loop", "3"], cwd=ROOT, env=os.environ.copy()
    )
    failures = []
    try:
        wait_until(lambda: PollAttempt.objects.filter(device_id__in=ids).count() >= DEVICES // 4, 120)
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
        done = wait_until(
            lambda: PollRun.objects.filter(kind="fleet", finished_at__gt=cut_at).exists(), 400, 1
        )
        polled = Device.objects.filter(pk__in=ids, state__last_attempt_at__isnull=False).count()
        print(f"run finished after the cut: {done}; printers polled: {polled}/{DEVICES}")
        if not done:
            failures.append("no run finished after the cut")
        if polled != DEVICES:
            failures.append("some printers were never polled")
        if poller.poll() is not None:
            failures.append("the poller process died")
    finally:
        poller.terminate()
        poller.wait(20)
    return failures


if __name__ == "__main__":
    sys.exit(main())
