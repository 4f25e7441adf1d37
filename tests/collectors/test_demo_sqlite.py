"""The demo's site collector on the embedded default (SQLite, no broker), as scripts/demo
runs it: the portal under runserver, the collector enrolled with the demo's code, one cycle
stored, and a second `demo_collector` keeps the enrolled collector."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from fmp_snmp.testing import free_tcp_port
from tests.conftest import run_manage

ROOT = Path(__file__).resolve().parents[2]
COLLECTOR = [sys.executable, "-m", "fmp_collector"]


def test_demo_collector_enrolls_and_reports_on_sqlite(tmp_path):
    env = {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'demo.sqlite3'}",
        "CELERY_BROKER_URL": "",
        "FMP_DEMO_PASSWORD": "Demo-Fleet-2026",
    }
    for args in (("migrate", "--noinput", "-v0"), ("demo", "--devices", "8")):
        done = run_manage(*args, timeout=300, **env)
        assert done.returncode == 0, done.stderr[-2000:]
    state = tmp_path / "collector"
    first = run_manage("demo_collector", "--state", str(state), **env)
    assert first.returncode == 0, first.stderr[-2000:]
    assert "2 of 6 demo printers" in first.stdout  # 8 printers: the guide's, 2 of them special recordings
    kind, code = first.stdout.strip().splitlines()[-1].split(" ", 1)
    assert kind == "ENROLL"

    port = free_tcp_port()
    base = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    web = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env={**base, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        portal = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(portal + "/healthz", timeout=2)  # noqa: S310 (http://127.0.0.1)
                break
            except urllib.error.HTTPError:
                break
            except OSError:
                time.sleep(0.3)
        collector_env = {**base, "FMP_COLLECTOR_SNMP_TIMEOUT": "0.2", "FMP_COLLECTOR_SNMP_RETRIES": "0"}
        enrolled = subprocess.run(
            [*COLLECTOR, "enroll", portal, code, "--state", str(state)],
            cwd=ROOT,
            env=collector_env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert enrolled.returncode == 0, enrolled.stderr
        once = subprocess.run(
            [*COLLECTOR, "run", "--once", "--state", str(state)],
            cwd=ROOT,
            env=collector_env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert once.returncode == 0, once.stderr[-2000:]
    finally:
        web.terminate()
        web.wait(10)

    shown = run_manage(
        "shell",
        "-c",
        "import json; from collectors.models import Collector, CollectorBatch; c = Collector.objects.get(); "
        "print(json.dumps({'polled': c.devices.filter(state__last_attempt_at__isnull=False).count(), "
        "'stored': CollectorBatch.objects.filter(status='stored').count(), 'seen': bool(c.last_seen_at)}))",
        **env,
    )
    assert shown.returncode == 0, shown.stderr[-2000:]
    # The simulated fleet is not running here: each device was asked and reported as not answering.
    assert json.loads(shown.stdout.strip().splitlines()[-1]) == {"polled": 2, "stored": 1, "seen": True}
    again = run_manage("demo_collector", "--state", str(state), **env)
    assert again.stdout.strip().splitlines()[-1] == "ENROLLED"
