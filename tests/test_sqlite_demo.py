"""The SQLite demo (the embedded default) takes two submissions at the same moment: the
second waits for the first instead of failing with "database is locked" (typed data lost)."""

import json
import os
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parent / "scripts" / "sqlite_submissions.py"


def test_two_meter_reads_at_once_are_both_stored_on_sqlite(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'demo.sqlite3'}"
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "10"], capture_output=True, text=True, env=env, timeout=300, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    outcome = json.loads(done.stdout.strip().splitlines()[-1])
    assert outcome["errors"] == [] and outcome["stored"] == 20
    assert outcome["journal_mode"] == "wal"
