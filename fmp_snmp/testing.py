"""Test fixtures of the SNMP engine, without Django: free ports, a private event loop, a
simulated fleet (snmpsim on 127.0.0.1) and net-snmp's snmpd with SNMPv3 users. The
engine's own tests, the collector's and the portal's use the same ones."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from fmp_snmp.aio import run_sync
from fmp_snmp.client import SnmpClient
from fmp_snmp.simfleet import SPECIAL_DEVICES, later_recordings, recording, snmpsim_start
from fmp_snmp.types import SnmpTarget

ROOT = Path(__file__).resolve().parents[1]
SHARED_SNMP = ROOT.parent / "shared" / "snmp"
V3 = {"user": "fmpv3", "auth": "SHA", "auth_key": "authpass123", "priv": "AES", "priv_key": "privpass123"}


def free_udp_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def free_tcp_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(condition, seconds: float = 30, step: float = 0.2) -> bool:
    """Poll ``condition`` until it holds or ``seconds`` pass; the last answer is returned."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(step)
    return bool(condition())


def run(coro):
    """Run a coroutine on a private loop (the test thread may already run Playwright's)."""
    return run_sync(lambda: coro)


async def _answers(target: SnmpTarget) -> bool:
    async with SnmpClient() as client:
        try:
            await client.get(target, [(1, 3, 6, 1, 2, 1, 1, 5, 0)])
            return True
        except Exception:
            return False


_ANSWERS_IN = """
import sys
from fmp_snmp.aio import run_sync
from fmp_snmp.client import SnmpClient
from fmp_snmp.types import SnmpTarget

async def main():
    async with SnmpClient() as client:
        target = SnmpTarget(sys.argv[1], int(sys.argv[2]), community=sys.argv[3], timeout=0.5, retries=0)
        await client.get(target, [(1, 3, 6, 1, 2, 1, 1, 5, 0)])

run_sync(main)
"""


def _answers_from(prefix, target: SnmpTarget) -> bool:
    """Does the agent answer a GET sent from where ``prefix`` runs commands (a namespace)?"""
    try:
        done = subprocess.run(
            [*prefix, sys.executable, "-c", _ANSWERS_IN, target.host, str(target.port), target.community],
            cwd=ROOT,
            capture_output=True,
            timeout=20,
        )
    except subprocess.TimeoutExpired:
        return False
    return done.returncode == 0


def start_simulator(tmp: Path, endpoints: list[str], recordings: dict[str, str], extra_args=(), prefix=()):
    """snmpsim serving ``recordings`` (community -> snmprec text) on ``endpoints``, once it
    answers. ``prefix`` runs it elsewhere (``["ip", "netns", "exec", NAME]``); it is then
    asked from there too."""
    data = tmp / "data"
    data.mkdir(parents=True, exist_ok=True)
    for name, text in recordings.items():
        (data / f"{name}.snmprec").write_text(text)
    process = snmpsim_start(
        data, tmp / "cache", endpoints, tmp / "snmpsim.log", extra_args=list(extra_args), prefix=prefix
    )
    host, port = endpoints[0].split(":")
    first = next(iter(recordings))
    target = SnmpTarget(host, int(port), community=first, timeout=0.5, retries=0)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("snmpsim exited: " + (tmp / "snmpsim.log").read_text()[-2000:])
        if _answers_from(prefix, target) if prefix else run(_answers(target)):
            return process
        time.sleep(0.3)
    process.terminate()
    raise RuntimeError("snmpsim did not answer in 60 s: " + (tmp / "snmpsim.log").read_text()[-2000:])


@pytest.fixture(scope="session")
def simulator(tmp_path_factory):
    """snmpsim serving the special devices (and the shared real-printer recordings when present)."""
    tmp = tmp_path_factory.mktemp("snmpsim")
    port = free_udp_port()
    recordings = {dev.community: recording(dev) for dev in SPECIAL_DEVICES}
    recordings.update(later_recordings())  # the same printers at another moment
    # A printer that answers the first rows of its supplies table, then goes silent.
    half = recordings["sim-xerox-colour"].replace(
        "1.3.6.1.2.1.43.11.1.1.9.1.5|2|", "1.3.6.1.2.1.43.11.1.1.9.1.5|2:delay|wait=4000,value="
    )
    assert half != recordings["sim-xerox-colour"]
    recordings["sim-half-table"] = half
    # A printer that takes a quarter of a second to answer (a poll long enough to interrupt).
    slow = recordings["sim-xerox-colour"].replace(
        "1.3.6.1.2.1.1.3.0|67|", "1.3.6.1.2.1.1.3.0|67:delay|wait=250,value="
    )
    assert slow != recordings["sim-xerox-colour"]
    recordings["sim-slow"] = slow
    if (SHARED_SNMP / "recordings").is_dir():
        for path in (SHARED_SNMP / "recordings").glob("*.snmprec"):
            recordings[path.stem] = path.read_text(errors="surrogateescape")
    process = start_simulator(tmp, [f"127.0.0.1:{port}"], recordings)
    yield {"host": "127.0.0.1", "port": port, "dir": tmp}
    process.terminate()
    process.wait(10)
    shutil.rmtree(tmp, ignore_errors=True)


@pytest.fixture
def sim_target(simulator):
    def make(community: str, **kwargs) -> SnmpTarget:
        return SnmpTarget(simulator["host"], simulator["port"], community=community, **kwargs)

    return make


SNMPD_CONF = ROOT / "bench" / "agent" / "snmpd_printer.conf"


@pytest.fixture(scope="session")
def snmpd_agent(tmp_path_factory):
    """net-snmp's snmpd serving a static printer, with SNMPv3 users (authPriv)."""
    snmpd = shutil.which("snmpd") or "/usr/sbin/snmpd"
    if not Path(snmpd).exists():
        pytest.fail("snmpd is not installed (Debian package snmpd; .ci/run installs it)")
    tmp = tmp_path_factory.mktemp("snmpd")
    port = free_udp_port()
    conf = tmp / "snmpd.conf"
    conf.write_text(
        f"agentAddress udp:127.0.0.1:{port}\n"
        "rocommunity public 127.0.0.1\n"
        f"createUser {V3['user']} {V3['auth']} {V3['auth_key']} {V3['priv']} {V3['priv_key']}\n"
        f"rouser {V3['user']} priv\n"
        "agentXSocket none\nmaster no\ndontLogTCPWrappersConnects yes\n" + SNMPD_CONF.read_text()
    )
    env = {"SNMP_PERSISTENT_DIR": str(tmp / "state"), "SNMPCONFPATH": str(tmp / "state"), "MIBS": ""}
    process = subprocess.Popen(
        [
            snmpd,
            "-f",
            "-C",
            "-c",
            str(conf),
            "-Lf",
            str(tmp / "log"),
            "-I",
            "-smux,hr_swrun,hr_disk,hr_filesys,hr_storage,hr_proc,hr_network,hr_swinst",
        ],
        env=env,
    )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and not run(
        _answers(SnmpTarget("127.0.0.1", port, timeout=0.3, retries=0))
    ):
        time.sleep(0.2)
    yield {"host": "127.0.0.1", "port": port}
    process.terminate()
    process.wait(10)
