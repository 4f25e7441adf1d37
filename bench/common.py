"""Helpers shared by the benchmarks that run the production web server (load.py, collector.py)."""

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

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def production_env(**extra: str) -> dict:
    """The environment of a production-settings process (gunicorn, Celery) on 127.0.0.1."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "fmp.settings",
        "FMP_PRODUCTION": "true",
        "FMP_SECURE_SSL_REDIRECT": "false",
        "FMP_SECRET_KEY": "bench-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
        "CELERY_BROKER_URL": os.environ.get("CELERY_BROKER_URL", "redis://127.0.0.1:6379/14"),
        "FMP_LOG_LEVEL": "WARNING",
        **extra,
    }


def wait_port(port: int, seconds: float = 15.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port}")


class Gunicorn:
    """gunicorn serving fmp.wsgi with production settings on 127.0.0.1 (as in docker-compose.yml:
    sync workers). ``cpus``: the cores it may run on (taskset), None for any."""

    def __init__(self, env: dict, *, workers: int = 3, cpus: str | None = None, static: bool = True):
        self.static = Path(tempfile.mkdtemp(prefix="fmp-static-"))
        self.env = {**env, "FMP_STATIC_ROOT": str(self.static)}
        if static:
            subprocess.run(
                [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
                cwd=ROOT,
                env=self.env,
                check=True,
            )
        self.port = free_port()
        command = [
            str(Path(sys.executable).with_name("gunicorn")),
            "fmp.wsgi:application",
            "--bind",
            f"127.0.0.1:{self.port}",
            "--workers",
            str(workers),
            "--log-level",
            "warning",
        ]
        if cpus is not None:
            command = ["taskset", "-c", cpus, *command]
        self.process = subprocess.Popen(command, cwd=ROOT, env=self.env)
        wait_port(self.port)
        self.url = f"http://127.0.0.1:{self.port}"

    def pids(self) -> list[int]:
        """The master and its workers."""
        pid = self.process.pid
        try:
            children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        except OSError:
            children = []
        return [pid, *(int(c) for c in children)]

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(20)
        except subprocess.TimeoutExpired:
            self.process.kill()
        shutil.rmtree(self.static, ignore_errors=True)

    def __enter__(self) -> Gunicorn:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()
