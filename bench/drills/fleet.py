"""What the drills share: a fleet of printers on snmpd agents on 127.0.0.1, in an account
of its own, and the end-of-drill report."""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fmp.settings")


@contextlib.contextmanager
def drill_fleet(devices: int) -> Iterator[list[int]]:
    """Set Django up (set the environment first), migrate, start one agent per printer and
    yield the ids of ``devices`` printers pointing at them; stop the agents afterwards."""
    import django

    django.setup()
    import poll as bench_poll
    from django.core.management import call_command

    from accounts.models import Account
    from printers.models import Device, PollRun

    call_command("migrate", verbosity=0)
    workdir = Path(tempfile.mkdtemp(prefix="fmp-drill-"))
    agents = bench_poll.start_agents(devices, workdir)
    try:
        account, _ = Account.objects.get_or_create(name="Drill", parent=None)
        Device.objects.filter(account=account).delete()
        PollRun.objects.all().delete()
        Device.objects.bulk_create(
            [
                Device(
                    account=account,
                    serial_number=bench_poll.AGENT_SERIAL,
                    ip_address="127.0.0.1",
                    snmp_port=bench_poll.FIRST_PORT + i,
                )
                for i in range(devices)
            ]
        )
        yield list(Device.objects.filter(account=account).values_list("pk", flat=True))
    finally:
        for agent in agents:
            agent.terminate()
        shutil.rmtree(workdir, ignore_errors=True)


def wait_until(condition: Callable[[], bool], seconds: float, step: float = 0.2) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(step)
    return condition()


def report(failures: list[str]) -> int:
    print("DRILL FAILED: " + "; ".join(failures) if failures else "drill passed")
    return 1 if failures else 0
