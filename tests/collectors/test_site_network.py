"""The test network of the site-collector tests is what it claims (tests/collectors/netns.py):
the printers answer on the customer's LAN and only there, the site machine reaches them and
the portal, and the portal's HTTPS certificate is trusted only with the test CA."""

from __future__ import annotations

import json
import subprocess
import sys
import time

from fmp_snmp.client import SnmpClient
from fmp_snmp.probe import probe
from fmp_snmp.testing import run
from fmp_snmp.types import SnmpTarget
from tests.collectors import netns

PROBE = """
import json, sys
from fmp_snmp.aio import run_sync
from fmp_snmp.client import SnmpClient
from fmp_snmp.probe import probe
from fmp_snmp.types import SnmpTarget

async def main():
    async with SnmpClient() as client:
        return await probe(client, SnmpTarget(sys.argv[1], 161, community=sys.argv[2], timeout=1, retries=1))

result = run_sync(main)
print(json.dumps({"ok": result.ok, "error": result.error,
                  "serial": result.normalised.serial if result.ok else None,
                  "total": result.normalised.counters.get("total") if result.ok else None}))
"""

HTTPS = """
import json, sys
import requests

url, verify = sys.argv[1], sys.argv[2]
try:
    answer = requests.get(url, verify=True if verify == "system" else verify, timeout=10)
    print(json.dumps({"status": answer.status_code}))
except requests.exceptions.SSLError as exc:
    print(json.dumps({"ssl_error": str(exc)}))
except requests.RequestException as exc:
    print(json.dumps({"error": "%s: %s" % (type(exc).__name__, exc)}))
"""


def _probe_from_portal_side(printer) -> object:
    async def main():
        async with SnmpClient() as client:
            return await probe(
                client,
                SnmpTarget(printer.host, printer.port, community=printer.community, timeout=1, retries=1),
            )

    return run(main())


def test_the_portal_side_cannot_reach_the_customer_lan(netns_printers):
    printer = netns_printers["sim-xerox-colour"]
    result = _probe_from_portal_side(printer)
    assert not result.ok, "the portal side reached a printer of the customer's LAN"
    assert result.error, result


def test_the_site_machine_polls_the_lan_printers(netns_site, netns_printers):
    for community, serial, total in (
        ("sim-xerox-colour", "813000305", 681235),
        ("sim-hp-mono", "JPBF123456", 288145),
    ):
        printer = netns_printers[community]
        done = netns.site_python(netns_site, PROBE, printer.host, printer.community)
        assert done.returncode == 0, done.stderr
        answer = json.loads(done.stdout)
        assert answer["ok"], answer
        assert (answer["serial"], answer["total"]) == (serial, total)
    # The counting printer prints all the time: two polls, two counter values.
    counting = netns_printers[netns.COUNTING]
    totals = []
    for n in range(2):
        if n:
            time.sleep(1.2)  # snmpsim's numeric variation counts whole seconds
        done = netns.site_python(netns_site, PROBE, counting.host, counting.community)
        assert done.returncode == 0, done.stderr
        totals.append(json.loads(done.stdout)["total"])
    assert 5000 < totals[0] < totals[1]


def test_the_lan_cannot_reach_the_portal_side(netns_site, netns_printers):
    # The printers' network has no route out: not to the portal, not through the site.
    code = (
        "import socket,sys\ns=socket.socket();s.settimeout(2)\n"
        "try:\n s.connect((sys.argv[1],443));print('connected')\n"
        "except OSError as e:\n print(e.strerror or type(e).__name__)"
    )
    done = subprocess.run(
        [*netns_site.in_lan, sys.executable, "-c", code, netns_site.portal_ip],
        capture_output=True,
        text=True,
        timeout=20,
    )
    assert done.stdout.strip() == "Network is unreachable", done.stdout + done.stderr


def test_the_site_reaches_the_portal_over_https_verified_with_the_test_ca(netns_site, netns_ca, netns_portal):
    url = netns_portal.url + "/healthz"
    trusted = json.loads(netns.site_python(netns_site, HTTPS, url, str(netns_ca.ca)).stdout)
    assert "status" in trusted, trusted
    for bundle in ("system", str(netns_ca.stranger_ca)):
        refused = json.loads(netns.site_python(netns_site, HTTPS, url, bundle).stdout)
        assert "CERTIFICATE_VERIFY_FAILED" in refused.get("ssl_error", ""), refused


def test_a_crashed_runs_leftovers_are_removed(netns_site):
    # A run whose process is gone left its namespaces, a process in one and its route.
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    pid = gone.pid
    site, lan = f"{netns.PREFIX}-{pid}-site", f"{netns.PREFIX}-{pid}-lan"
    subprocess.run(["ip", "netns", "add", site], check=True)
    subprocess.run(["ip", "netns", "add", lan], check=True)
    sleeper = subprocess.Popen(["ip", "netns", "exec", site, "sleep", "300"])
    subprocess.run(["ip", "route", "add", "unreachable", "10.231.255.0/24", "metric", str(pid)], check=True)
    try:
        removed = netns.leftovers_remove()
        assert f"namespace {site}" in removed and f"namespace {lan}" in removed
        assert "route 10.231.255.0/24" in removed
        assert sleeper.wait(10) == -9
        listed = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
        assert site not in listed and lan not in listed
        assert netns_site.site_ns in listed and netns_site.lan_ns in listed  # this run's stay
    finally:
        sleeper.kill()
        subprocess.run(["ip", "netns", "del", site], capture_output=True)
        subprocess.run(["ip", "netns", "del", lan], capture_output=True)
        subprocess.run(
            ["ip", "route", "del", "unreachable", "10.231.255.0/24", "metric", str(pid)], capture_output=True
        )
