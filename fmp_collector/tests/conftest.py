"""The collector's tests run without Django: ``pytest -p no:django fmp_collector/tests``."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from fmp_collector.cli import main
from fmp_collector.tests.fakeportal import FakePortal, make_tls

pytest_plugins = ["fmp_snmp.testing"]

ROOT = Path(__file__).resolve().parents[2]
UNSET = (
    "REQUESTS_CA_BUNDLE",
    "CURL_CA_BUNDLE",
    "SSL_CERT_FILE",
    "HTTPS_PROXY",
    "https_proxy",
    "HTTP_PROXY",
    "http_proxy",
)


@pytest.fixture(scope="session")
def tls(tmp_path_factory):
    return make_tls(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def portal():
    with FakePortal() as server:
        yield server


@pytest.fixture
def tls_portal(tls):
    with FakePortal(tls=tls) as server:
        yield server


def clean_env(**extra) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FMP_COLLECTOR_")}
    for name in UNSET:
        env.pop(name, None)
    env["NO_PROXY"] = "127.0.0.1,localhost"
    env.update(extra)
    return env


@dataclass
class Outcome:
    returncode: int
    stdout: str
    stderr: str


@pytest.fixture
def cli(monkeypatch, capsys):
    """``fmp-collector ARGS`` in this process (fast): its exit status and what it printed."""

    def run(*args, env=None):
        with monkeypatch.context() as m:
            for name in os.environ:
                if name.startswith("FMP_COLLECTOR_") or name in UNSET:
                    m.delenv(name)
            m.setenv("NO_PROXY", "127.0.0.1,localhost")
            for name, value in (env or {}).items():
                m.setenv(name, value)
            capsys.readouterr()
            try:
                code = main([str(a) for a in args])
            except SystemExit as exc:
                code = exc.code
            finally:
                for handler in list(logging.getLogger().handlers):
                    if getattr(handler, "fmp_collector", False):  # it writes to this test's capture
                        logging.getLogger().removeHandler(handler)
                        handler.close()
            captured = capsys.readouterr()
        return Outcome(code, captured.out, captured.err)

    return run


@pytest.fixture
def cli_process():
    """Run ``python -m fmp_collector`` as the site would, in a subprocess."""

    def run(*args, env=None, timeout=60):
        return subprocess.run(
            [sys.executable, "-m", "fmp_collector", *map(str, args)],
            cwd=ROOT,
            env=clean_env(**(env or {})),
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    return run
