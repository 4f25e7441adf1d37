"""scripts/: finding Python says nothing about a version manager's shims of versions that are
not installed (pyenv's "command not found"), and picks a Python 3.11+."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

PYENV_SHIM = """#!/bin/sh
# What a pyenv shim does for a version that is not installed.
echo "pyenv: $(basename "$0"): command not found" >&2
echo >&2
echo "The \\`$(basename "$0")' command exists in these Python versions:" >&2
echo "  3.13.1" >&2
exit 127
"""


def test_finding_python_is_quiet_about_shims_of_missing_versions(tmp_path):
    shims = tmp_path / "shims"
    shims.mkdir()
    for name in ("python3.13", "python3.12"):
        (shims / name).write_text(PYENV_SHIM)
        (shims / name).chmod(0o755)
    (shims / "python3").symlink_to(sys.executable)  # the one that works (3.11+, this test's)
    bash = next(p for p in ("/usr/bin/bash", "/bin/bash") if Path(p).exists())
    env = {k: v for k, v in os.environ.items() if k != "PYTHON"}
    env["PATH"] = f"{shims}:/usr/bin:/bin"
    # python3.11 may exist in /usr/bin: hide it too, so that the shims are really asked.
    (shims / "python3.11").write_text(PYENV_SHIM)
    (shims / "python3.11").chmod(0o755)
    done = subprocess.run(
        [bash, str(ROOT / "scripts" / "find-python")], capture_output=True, text=True, env=env, timeout=60
    )
    assert done.returncode == 0 and done.stdout.strip() == "python3"
    assert done.stderr == ""
    # No usable Python: one clear message, and still none of the shims' noise.
    (shims / "python3").unlink()
    env["PATH"] = str(shims)
    none = subprocess.run(
        [bash, str(ROOT / "scripts" / "find-python")], capture_output=True, text=True, env=env, timeout=60
    )
    assert none.returncode == 1
    assert (
        none.stderr.strip()
        == "FMP needs Python 3.11 or newer (set PYTHON=/path/to/python3.11 to choose one)."
    )


def test_the_demo_servers_log_leaves_out_routine_requests(tmp_path):
    """A site collector asks for commands every 5 s and the grid checks "pending" every 2 s:
    the console keeps what people do (and every error), not those."""
    import time
    import urllib.error
    import urllib.request

    from fmp_snmp.testing import free_tcp_port
    from tests.conftest import run_manage

    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'demo.sqlite3'}", "CELERY_BROKER_URL": ""}
    assert run_manage("migrate", "--noinput", "-v0", timeout=300, **env).returncode == 0
    port = free_tcp_port()
    base = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    web = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env={**base, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:

        def get(path: str) -> int:
            try:
                return urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5).status
            except urllib.error.HTTPError as exc:
                return exc.code

        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                get("/healthz")
                break
            except OSError:
                time.sleep(0.3)
        assert get("/collector/v1/commands/") == 401  # refused: an error, so it is logged
        assert get("/healthz") == 200
        assert get("/accounts/login/") == 200
        time.sleep(1)  # the server logs a request once its answer is sent
    finally:
        web.terminate()
        log = web.communicate(timeout=20)[1]
    requests = [line for line in log.splitlines() if '"GET ' in line]
    assert any('GET /accounts/login/ HTTP/1.1" 200' in line for line in requests), log
    assert any('GET /collector/v1/commands/ HTTP/1.1" 401' in line for line in requests), log
    assert not any("GET /healthz" in line for line in requests), log
