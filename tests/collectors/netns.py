"""A customer's site in network namespaces, for the site-collector tests (issue 15, item 9).

Three places, as on a real deployment:

- the **customer LAN** (namespace ``fmpe2e-<pid>-lan``): simulated printers (snmpsim), one
  address each, SNMP on port 161; no route anywhere else;
- the **site** (namespace ``fmpe2e-<pid>-site``): the collector's machine, on the LAN and on
  the link to the portal; it forwards nothing (``net.ipv4.ip_forward=0``);
- the **portal side** (the root namespace): gunicorn serving the portal over HTTPS on its
  end of the link, a Celery worker, PostgreSQL and Redis on 127.0.0.1. It has no route to
  the LAN: an ``unreachable`` route for the LAN's addresses makes sure nothing is sent out of
  this machine for them (the default route would otherwise carry it to the real network).

Addresses come from 10.231.0.0/16, a range no other test uses: the link is 10.231.<x>.0/24
(portal .1, site .2), the LAN 10.231.<x+1>.0/24 (site .1, printers .10 upwards), with <x>
chosen per run among the pairs not routed yet. Everything is removed afterwards, also when a
test fails; a run that crashed leaves namespaces, processes and a route named after its
process id, which the next run removes when that process is gone.

The fixtures are a pytest plugin (``tests/conftest.py`` lists this module): ``netns_site``,
``netns_printers``, ``netns_ca``, ``netns_portal`` and ``netns_worker``; helpers below run
commands in the site and sign requests as a collector.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import ipaddress
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import pytest

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
PREFIX = "fmpe2e"
NETWORK = ipaddress.ip_network("10.231.0.0/16")
_NS_NAME = re.compile(rf"^{PREFIX}-(\d+)-(lan|site)$")


class NetnsUnavailable(RuntimeError):
    pass


def _ip(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(["ip", *args], capture_output=True, text=True, check=check)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _cmdline(pid: int, part: str = "cmdline") -> str:
    try:
        return Path(f"/proc/{pid}/{part}").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def _started_by(pid: int, run_dir: Path) -> bool:
    """Is ``pid`` still a process that the run of ``run_dir`` started (not a recycled id)?
    Its command line or environment names the run's folder."""
    return str(run_dir) in _cmdline(pid) or f"FMP_NETNS_HOLD_DIR={run_dir}" in _cmdline(pid, "environ")


def run_dir_of(pid: int) -> Path:
    """Where run ``pid`` keeps its certificates, logs and the ids of the processes it started."""
    return Path(tempfile.gettempdir()) / f"{PREFIX}-{pid}"


def _namespaces() -> list[str]:
    listed = _ip("netns", "list", check=False).stdout
    return [line.split()[0] for line in listed.splitlines() if line.strip()]


def _namespace_kill(ns: str) -> None:
    """SIGKILL what still runs in ``ns`` (our own children: snmpsim, collectors)."""
    for text in _ip("netns", "pids", ns, check=False).stdout.split():
        with contextlib.suppress(ProcessLookupError, ValueError):
            os.kill(int(text), signal.SIGKILL)


def _unreachable_routes() -> list[dict]:
    """The ``unreachable`` routes into 10.231.0.0/16 (a run marks its own with its process
    id as metric)."""
    shown = _ip("-j", "route", "show", "type", "unreachable", check=False).stdout or "[]"
    try:
        routes = json.loads(shown)
    except ValueError:
        return []
    found = []
    for route in routes:
        try:
            if ipaddress.ip_network(route["dst"], strict=False).subnet_of(NETWORK):
                found.append(route)
        except (KeyError, ValueError, TypeError):
            continue
    return found


def _routes_of(pid: int) -> list[str]:
    return [r["dst"] for r in _unreachable_routes() if r.get("metric") == pid]


def leftovers_remove(*, own_too: bool = False) -> list[str]:
    """Remove what crashed earlier runs left (namespaces, their processes, routes, processes
    on the portal side); a run whose process is still alive is left alone, and so is this
    one's unless ``own_too`` (before it builds its own: a recycled process id). Returns what
    was removed, for the log."""
    removed = []
    pids = set()
    for ns in _namespaces():
        match = _NS_NAME.match(ns)
        if match:
            pids.add(int(match.group(1)))
    for path in Path(tempfile.gettempdir()).glob(f"{PREFIX}-*"):
        if path.name[len(PREFIX) + 1 :].isdigit():
            pids.add(int(path.name[len(PREFIX) + 1 :]))
    for route in _unreachable_routes():
        if isinstance(route.get("metric"), int) and route["metric"] > 1:
            pids.add(route["metric"])
    for link in re.findall(r"^\d+: fe(\d+)p[@:]", _ip("-o", "link", "show", check=False).stdout, re.M):
        pids.add(int(link))
    for pid in sorted(pids):
        if pid == os.getpid() and not own_too:
            continue
        if pid != os.getpid() and _alive(pid) and "python" in _cmdline(pid):
            continue  # another run, in progress (a recycled process id would not be a python)
        run_dir = run_dir_of(pid)
        for line in (run_dir / "pids").read_text().split() if (run_dir / "pids").exists() else []:
            child = int(line)
            if _started_by(child, run_dir):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(child, signal.SIGKILL)
                removed.append(f"process {child}")
        for role in ("lan", "site"):
            ns = f"{PREFIX}-{pid}-{role}"
            if ns in _namespaces():
                _namespace_kill(ns)
                _ip("netns", "del", ns, check=False)
                removed.append(f"namespace {ns}")
        for dst in _routes_of(pid):
            _ip("route", "del", "unreachable", dst, "metric", str(pid), check=False)
            removed.append(f"route {dst}")
        if _ip("link", "show", f"fe{pid}p", check=False).returncode == 0:
            _ip("link", "del", f"fe{pid}p", check=False)
        shutil.rmtree(run_dir, ignore_errors=True)
    return removed


@dataclass
class SiteNetwork:
    """The namespaces and addresses of one run."""

    pid: int
    lan_ns: str
    site_ns: str
    portal_ip: str  # the portal side's end of the link (root namespace)
    site_uplink_ip: str  # the site's end of the link
    site_lan_ip: str  # the site's address on the LAN
    lan_subnet: str
    link_subnet: str
    printer_ips: list[str]
    run_dir: Path
    children: list[subprocess.Popen] = field(default_factory=list)

    def exec_prefix(self, ns: str) -> list[str]:
        return ["ip", "netns", "exec", ns]

    @property
    def in_site(self) -> list[str]:
        return self.exec_prefix(self.site_ns)

    @property
    def in_lan(self) -> list[str]:
        return self.exec_prefix(self.lan_ns)

    def remember(self, process: subprocess.Popen) -> subprocess.Popen:
        """Note a process started on the portal side, so that a later run can end it if this
        one crashes (its command line names the run folder, see :func:`leftovers_remove`)."""
        self.children.append(process)
        with open(self.run_dir / "pids", "a") as pids:
            pids.write(f"{process.pid}\n")
        return process


def _free_pair() -> int:
    """An even <x> with neither 10.231.<x>.0/24 nor 10.231.<x+1>.0/24 routed here."""
    routed = _ip("route", "show", "table", "all", check=False).stdout
    candidates = list(range(2, 250, 2))
    random.shuffle(candidates)
    for x in candidates:
        if f"10.231.{x}." not in routed and f"10.231.{x + 1}." not in routed:
            return x
    raise NetnsUnavailable("no free 10.231.x.0/24 pair for the test network")


def site_network_create(printers: int = 4) -> SiteNetwork:
    if os.geteuid() != 0:
        raise NetnsUnavailable(
            "the site-collector tests build network namespaces (ip netns) and must run as root "
            "(CI does); this process runs as uid %d" % os.geteuid()
        )
    if shutil.which("ip") is None:
        raise NetnsUnavailable("the `ip` command (iproute2) is not installed")
    leftovers_remove(own_too=True)
    pid = os.getpid()
    x = _free_pair()
    net = SiteNetwork(
        pid=pid,
        lan_ns=f"{PREFIX}-{pid}-lan",
        site_ns=f"{PREFIX}-{pid}-site",
        portal_ip=f"10.231.{x}.1",
        site_uplink_ip=f"10.231.{x}.2",
        site_lan_ip=f"10.231.{x + 1}.1",
        lan_subnet=f"10.231.{x + 1}.0/24",
        link_subnet=f"10.231.{x}.0/24",
        printer_ips=[f"10.231.{x + 1}.{10 + i}" for i in range(printers)],
        run_dir=run_dir_of(pid),
    )
    net.run_dir.mkdir(mode=0o700, exist_ok=True)
    up, site_up, site_lan, lan = f"fe{pid}p", f"fe{pid}s", f"fe{pid}l", f"fe{pid}n"
    steps = [
        ("netns", "add", net.lan_ns),
        ("netns", "add", net.site_ns),
        # The link portal <-> site.
        ("link", "add", up, "type", "veth", "peer", "name", site_up, "netns", net.site_ns),
        ("addr", "add", f"{net.portal_ip}/24", "dev", up),
        ("link", "set", up, "up"),
        ("-n", net.site_ns, "addr", "add", f"{net.site_uplink_ip}/24", "dev", site_up),
        ("-n", net.site_ns, "link", "set", site_up, "up"),
        ("-n", net.site_ns, "link", "set", "lo", "up"),
        # The LAN: site <-> printers.
        (
            "link",
            "add",
            site_lan,
            "netns",
            net.site_ns,
            "type",
            "veth",
            "peer",
            "name",
            lan,
            "netns",
            net.lan_ns,
        ),
        ("-n", net.site_ns, "addr", "add", f"{net.site_lan_ip}/24", "dev", site_lan),
        ("-n", net.site_ns, "link", "set", site_lan, "up"),
        *[("-n", net.lan_ns, "addr", "add", f"{ip}/24", "dev", lan) for ip in net.printer_ips],
        ("-n", net.lan_ns, "link", "set", lan, "up"),
        ("-n", net.lan_ns, "link", "set", "lo", "up"),
        # The portal side has no way to the LAN, and says so at once (nothing leaves the machine).
        ("route", "add", "unreachable", net.lan_subnet, "metric", str(pid)),
    ]
    try:
        for step in steps:
            done = _ip(*step, check=False)
            if done.returncode != 0:
                raise NetnsUnavailable(
                    "building the test network failed at `ip %s`: %s"
                    % (" ".join(step), (done.stderr or done.stdout).strip())
                    + (
                        " (network namespaces need root or CAP_NET_ADMIN with a writable /run/netns; CI runs as root)"
                        if step[0] == "netns"
                        else ""
                    )
                )
        for ns in (net.site_ns, net.lan_ns):
            # A site machine is not a router: the portal side cannot reach the LAN through it.
            subprocess.run(
                ["ip", "netns", "exec", ns, "sysctl", "-q", "-w", "net.ipv4.ip_forward=0"],
                check=True,
                capture_output=True,
            )
    except BaseException:
        site_network_destroy(net)
        raise
    return net


def process_end(process: subprocess.Popen, *, timeout: float = 10) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)


def site_network_destroy(net: SiteNetwork) -> None:
    for process in net.children:
        process_end(process, timeout=5)
    for ns in (net.site_ns, net.lan_ns):
        if ns in _namespaces():
            _namespace_kill(ns)
            _ip("netns", "del", ns, check=False)
    for dst in _routes_of(net.pid):
        _ip("route", "del", "unreachable", dst, "metric", str(net.pid), check=False)
    if _ip("link", "show", f"fe{net.pid}p", check=False).returncode == 0:
        _ip("link", "del", f"fe{net.pid}p", check=False)
    shutil.rmtree(net.run_dir, ignore_errors=True)


@pytest.fixture(scope="session")
def netns_site():
    """The LAN, the site and the link to the portal (see the module's description)."""
    try:
        net = site_network_create()
    except NetnsUnavailable as exc:
        pytest.fail(str(exc), pytrace=False)
    try:
        yield net
    finally:
        site_network_destroy(net)


# --- The printers on the LAN -------------------------------------------------------------------


@dataclass(frozen=True)
class LanPrinter:
    host: str
    port: int
    community: str
    serial: str


COUNTING = "sim-counting"  # its page counter grows 7 pages a second: each poll reads a new value


def lan_recordings() -> dict[str, str]:
    from fmp_snmp.simfleet import SPECIAL_DEVICES, SimDevice, SimSupply, recording

    recordings = {
        d.community: recording(d)
        for d in SPECIAL_DEVICES
        if d.community in ("sim-xerox-colour", "sim-hp-mono")
    }
    counting = recording(
        SimDevice(
            COUNTING,
            "Lexmark",
            "CX825de",
            "LEXCOUNT01",
            "LEX-CX825-3F",
            "Floor 3, open space",
            supplies=[
                SimSupply("Black Toner", "toner", "black", 35, 100),
                SimSupply("Cyan Toner", "toner", "cyan", 45, 100),
                SimSupply("Magenta Toner", "toner", "magenta", 55, 100),
                SimSupply("Yellow Toner", "toner", "yellow", 65, 100),
            ],
            total=5000,
        )
    )
    line = "1.3.6.1.2.1.43.10.2.1.4.1.1|65|5000\n"
    assert line in counting
    recordings[COUNTING] = counting.replace(
        line, "1.3.6.1.2.1.43.10.2.1.4.1.1|65:numeric|initial=5000,rate=7\n"
    )
    return recordings


@pytest.fixture(scope="session")
def netns_printers(netns_site):
    """snmpsim in the LAN namespace, one printer per address (port 161): the Xerox colour
    printer, the HP mono printer low on toner, and a Lexmark whose counter keeps growing."""
    from fmp_snmp.testing import start_simulator

    recordings = lan_recordings()
    tmp = netns_site.run_dir / "snmpsim"
    endpoints = [f"{ip}:161" for ip in netns_site.printer_ips]
    process = start_simulator(tmp, endpoints, recordings, prefix=netns_site.in_lan)
    netns_site.children.append(process)  # in the LAN namespace: ended with it
    hosts = dict(zip(("sim-xerox-colour", "sim-hp-mono", COUNTING), netns_site.printer_ips, strict=False))
    serials = {"sim-xerox-colour": "813000305", "sim-hp-mono": "JPBF123456", COUNTING: "LEXCOUNT01"}
    yield {c: LanPrinter(hosts[c], 161, c, serials[c]) for c in hosts}
    process_end(process)


# --- Certificates --------------------------------------------------------------------------------


@dataclass(frozen=True)
class TestCA:
    ca: Path  # the CA certificate the collector is given (--ca-bundle)
    cert: Path  # the portal's certificate (IP SAN of its address)
    key: Path
    stranger_ca: Path  # another CA, which did not sign the portal's certificate


def _name(common: str):
    from cryptography import x509
    from cryptography.x509.oid import NameOID

    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "FMP tests"),
            x509.NameAttribute(NameOID.COMMON_NAME, common),
        ]
    )


def _ca(common: str):
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(common))
        .issuer_name(_name(common))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=2))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return key, cert


def test_ca_create(folder: Path, portal_ip: str) -> TestCA:
    """A CA made for this run and the portal's certificate for ``portal_ip`` (PEM files)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID

    folder.mkdir(parents=True, exist_ok=True)
    ca_key, ca_cert = _ca("FMP test CA")
    _stranger_key, stranger = _ca("FMP stranger CA")
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name("fmp-portal.test"))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address(portal_ip)), x509.DNSName("fmp-portal.test")]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    paths = TestCA(
        folder / "ca.pem", folder / "portal.pem", folder / "portal.key", folder / "stranger-ca.pem"
    )
    paths.ca.write_bytes(ca_cert.public_bytes(pem))
    paths.stranger_ca.write_bytes(stranger.public_bytes(pem))
    paths.cert.write_bytes(cert.public_bytes(pem))
    paths.key.write_bytes(
        key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    paths.key.chmod(0o600)
    return paths


test_ca_create.__test__ = False  # a helper, not a test


@pytest.fixture(scope="session")
def netns_ca(netns_site):
    return test_ca_create(netns_site.run_dir / "tls", netns_site.portal_ip)


# --- The portal side: gunicorn over HTTPS and a Celery worker, on the test database -----------

GUNICORN_HOOKS = '''
"""Test hooks of the portal (tests/collectors/netns.py): while the file "hold-results"
exists, an upload of results waits before the portal handles it (the test kills the
collector meanwhile); "held-results" tells the test that one waits. With "drop-results"
the held upload is then dropped unhandled (the connection broke before the portal got it)."""
import os, time

HOLD = os.environ["FMP_NETNS_HOLD_DIR"]


def pre_request(worker, req):
    if req.path.startswith("/collector/v1/results/"):
        hold = os.path.join(HOLD, "hold-results")
        if os.path.exists(hold):
            drop = os.path.exists(os.path.join(HOLD, "drop-results"))
            with open(os.path.join(HOLD, "held-results"), "a") as held:
                held.write("%d\\n" % worker.pid)
            while os.path.exists(hold):
                time.sleep(0.05)
            if drop:
                raise RuntimeError("upload dropped by the test")
'''


def portal_environment(net: SiteNetwork, *, port: int, broker: str) -> dict[str, str]:
    """The environment of the portal's processes: the test database, the test broker."""
    from django.db import connection

    db = connection.settings_dict
    auth = quote(db.get("USER") or "", safe="")
    if db.get("PASSWORD"):
        auth += ":" + quote(db["PASSWORD"], safe="")
    url = f"postgres://{auth}@{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{db['NAME']}"
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("FMP_", "CELERY_", "DATABASE_URL", "PYTEST", "DJANGO_"))
    }
    env.update(
        DATABASE_URL=url,
        DJANGO_SETTINGS_MODULE="fmp.settings",
        CELERY_BROKER_URL=broker,
        FMP_ALLOWED_HOSTS=f"{net.portal_ip},127.0.0.1,localhost",
        FMP_CSRF_TRUSTED_ORIGINS=f"https://{net.portal_ip}:{port}",
        FMP_PUBLIC_URL=f"https://{net.portal_ip}:{port}",
        FMP_DB_CONN_MAX_AGE="0",  # no connection left open when the test database goes
        FMP_LOG_LEVEL="WARNING",
        FMP_SECRET_KEY="netns-test-secret-key-" + "x" * 40,
        FMP_NETNS_HOLD_DIR=str(net.run_dir),
        PYTHONPATH=str(ROOT),
        PYTHONUNBUFFERED="1",
    )
    return env


class Portal:
    """gunicorn serving the portal over HTTPS on the link's portal address; stop/start/restart
    (the collector's store-and-forward needs it gone for a while)."""

    def __init__(self, net: SiteNetwork, ca: TestCA, env: dict[str, str], port: int, workers: int = 3):
        self.net, self.ca, self.env, self.port, self.workers = net, ca, env, port, workers
        self.process: subprocess.Popen | None = None
        self.log = net.run_dir / "gunicorn.log"
        self.hooks = net.run_dir / "gunicorn_hooks.py"
        self.hooks.write_text(GUNICORN_HOOKS)

    @property
    def url(self) -> str:
        return f"https://{self.net.portal_ip}:{self.port}"

    def start(self) -> None:
        assert self.process is None or self.process.poll() is not None, "the portal already runs"
        command = [
            str(VENV_BIN / "gunicorn"),
            "fmp.wsgi:application",
            "--bind",
            f"{self.net.portal_ip}:{self.port}",
            "--workers",
            str(self.workers),
            "--certfile",
            str(self.ca.cert),
            "--keyfile",
            str(self.ca.key),
            "--config",
            str(self.hooks),
            "--timeout",
            "60",
            "--graceful-timeout",
            "5",
            "--access-logfile",
            str(self.log),
            "--error-logfile",
            str(self.log),
            "--capture-output",  # the portal's own log (stderr) too
        ]
        self.process = self.net.remember(
            subprocess.Popen(
                command, cwd=ROOT, env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT
            )
        )
        self._wait_ready()

    def _wait_ready(self, seconds: float = 30) -> None:
        import requests

        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("gunicorn exited: " + self.log_tail())
            try:
                requests.get(self.url + "/healthz", verify=str(self.ca.ca), timeout=2)
                return
            except requests.RequestException:
                time.sleep(0.2)
        raise RuntimeError("the portal did not answer over HTTPS in %d s: %s" % (seconds, self.log_tail()))

    def stop(self) -> None:
        if self.process is not None:
            process_end(self.process, timeout=10)
            self.process = None

    def restart(self) -> None:
        self.stop()
        self.start()

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def log_tail(self, chars: int = 3000) -> str:
        return self.log.read_text(errors="replace")[-chars:] if self.log.exists() else "(no log)"

    @contextlib.contextmanager
    def uploads_held(self, *, drop: bool = False):
        """While inside, every upload of results waits before the portal handles it; with
        ``drop`` it is then not handled at all. Yields the file that appears when one waits."""
        hold, held = self.net.run_dir / "hold-results", self.net.run_dir / "held-results"
        dropping = self.net.run_dir / "drop-results"
        held.unlink(missing_ok=True)
        dropping.unlink(missing_ok=True)
        if drop:
            dropping.touch()
        hold.touch()
        try:
            yield held
        finally:
            hold.unlink(missing_ok=True)
            time.sleep(0.3)  # the held request goes on (or is dropped) before the test does
            dropping.unlink(missing_ok=True)


class Worker:
    """A Celery worker process (as in docker-compose) on the test database and broker."""

    def __init__(self, net: SiteNetwork, env: dict[str, str]):
        self.net, self.env = net, env
        self.process: subprocess.Popen | None = None
        self.log = net.run_dir / "celery.log"

    def start(self) -> None:
        command = [
            str(VENV_BIN / "celery"),
            "-A",
            "fmp",
            "worker",
            "--pool",
            "solo",
            "--loglevel",
            "INFO",
            "--without-heartbeat",
            "--without-mingle",
            "--without-gossip",
            "--hostname",
            f"netns-{self.net.pid}@%h",
            "--logfile",
            str(self.log),
        ]
        self.process = self.net.remember(
            subprocess.Popen(
                command, cwd=ROOT, env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT
            )
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("the Celery worker exited: " + self.log_tail())
            if " ready." in self.log_tail(20000):
                return
            time.sleep(0.2)
        raise RuntimeError("the Celery worker did not start in 30 s: " + self.log_tail())

    def stop(self) -> None:
        if self.process is not None:
            process_end(self.process, timeout=15)
            self.process = None

    def log_tail(self, chars: int = 3000) -> str:
        return self.log.read_text(errors="replace")[-chars:] if self.log.exists() else "(no log)"


def _broker() -> str:
    """The portal processes' broker: ``FMP_NETNS_BROKER_URL``, else the test broker."""
    return os.environ.get("FMP_NETNS_BROKER_URL") or os.environ.get(
        "CELERY_TEST_BROKER_URL", "redis://127.0.0.1:6379/15"
    )


def _free_port(host: str) -> int:
    import socket

    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def netns_env(netns_site, django_db_setup, django_db_blocker):
    """The environment of the portal's processes (the test database exists by now)."""
    port = _free_port(netns_site.portal_ip)
    with django_db_blocker.unblock():
        return {"port": port, "env": portal_environment(netns_site, port=port, broker=_broker())}


# The portal's processes live for one test module: none is left consuming the test broker's
# queue while other modules run their own workers on it (and flush it).


@pytest.fixture(scope="module")
def netns_worker(netns_site, netns_env):
    """A Celery worker storing what the collectors send."""
    import redis

    redis.Redis.from_url(_broker()).flushdb()  # nothing left from another test or run
    worker = Worker(netns_site, netns_env["env"])
    worker.start()
    try:
        yield worker
    finally:
        worker.stop()  # before the test database is dropped


@pytest.fixture(scope="module")
def netns_portal(netns_site, netns_ca, netns_env):
    """The portal over HTTPS on ``netns_site.portal_ip`` (gunicorn, as in production)."""
    portal = Portal(netns_site, netns_ca, netns_env["env"], netns_env["port"])
    portal.start()
    try:
        yield portal
    finally:
        portal.stop()  # before the test database is dropped


# --- Running things in the site namespace --------------------------------------------------------


def site_run(net: SiteNetwork, argv: list[str], *, timeout: float = 60, env: dict | None = None, **kwargs):
    """Run ``argv`` on the site machine; the completed process (text output)."""
    return subprocess.run(
        [*net.in_site, *argv],
        cwd=ROOT,
        env=env or collector_environment(),
        capture_output=True,
        text=True,
        timeout=timeout,
        **kwargs,
    )


def site_python(net: SiteNetwork, code: str, *args: str, timeout: float = 60, stdin: str | None = None):
    return site_run(net, [sys.executable, "-c", code, *args], timeout=timeout, input=stdin)


def collector_environment(**extra: str) -> dict[str, str]:
    """What the collector runs with: no Django, no database, no broker of the portal's."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(
            ("FMP_", "CELERY_", "DATABASE_URL", "DJANGO_", "PYTEST", "REQUESTS_CA_BUNDLE", "SSL_CERT")
        )
    }
    # The worktree's packages before an installed copy of them.
    env.update(PYTHONPATH=str(ROOT), PYTHONUNBUFFERED="1", **extra)
    return env


def collector_command() -> list[str]:
    """The collector's command line: the installed console script, else the package."""
    script = VENV_BIN / "fmp-collector"
    return [str(script)] if script.exists() else [sys.executable, "-m", "fmp_collector"]


SIGNED_REQUESTS = r"""
import base64, json, sys
import requests

out = []
for item in json.load(sys.stdin):
    try:
        answer = requests.request(
            item["method"], item["url"], data=base64.b64decode(item["body"]), headers=item["headers"],
            verify=item["verify"], timeout=item.get("timeout", 20),
        )
        out.append({"status": answer.status_code, "text": answer.text[:2000]})
    except requests.RequestException as exc:
        out.append({"status": None, "text": "%s: %s" % (type(exc).__name__, exc)})
print(json.dumps(out))
"""


def site_requests(net: SiteNetwork, items: list[dict]) -> list[dict]:
    """Send HTTP requests from the site machine, as given (method, url, body bytes, headers,
    verify); the answers' status and text, in order."""
    import base64

    payload = [{**item, "body": base64.b64encode(item.get("body", b"")).decode()} for item in items]
    done = site_python(net, SIGNED_REQUESTS, stdin=json.dumps(payload))
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def signed(state_dir: Path, uid: str, method: str, path: str, body: bytes, **kwargs) -> dict[str, str]:
    """The headers a collector with the key in ``state_dir`` sends for this request."""
    from fmp_collector import protocol

    key = protocol.load_private_key((state_dir / "key.pem").read_bytes())
    headers = protocol.sign_headers(key, uid, method, path, body, **kwargs)
    headers["Content-Type"] = "application/json"
    return headers
