"""``fmp-collector run``: real simulated printers (snmpsim), a real HTTP portal that checks
every signature, and the collector's own queue between them."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time

import pytest

from fmp_collector import __version__
from fmp_collector.store import Store
from fmp_snmp.observation import observation_from_dict
from fmp_snmp.testing import free_udp_port, wait_for

from .conftest import ROOT, clean_env


@pytest.fixture
def site(cli, portal, simulator, tmp_path):
    """An enrolled collector whose portal lists three printers."""
    portal.codes["CODE"] = "ok"
    state = tmp_path / "state"
    assert cli("enroll", portal.url, "CODE", "--state", state).returncode == 0
    portal.config["devices"] = [
        {
            "id": 1,
            "host": simulator["host"],
            "port": simulator["port"],
            "version": "2c",
            "community": "sim-xerox-colour",
            "interval": 300,
        },
        {
            "id": 2,
            "host": simulator["host"],
            "port": simulator["port"],
            "version": "2c",
            "community": "sim-hp-mono",
            "interval": 300,
        },
        {
            "id": 3,
            "host": simulator["host"],
            "port": simulator["port"],
            "version": "2c",
            "community": "sim-paper-out",
            "interval": 300,
        },
    ]
    return state


def once(cli, state, **env):
    return cli("run", "--once", "--state", state, env=env)


def time_passes(state) -> None:
    """As if every device's interval had gone by (the next cycle polls them all again)."""
    with Store(state) as store:
        store.forget_runs(set())


def test_one_cycle_polls_the_printers_and_delivers_their_observations(cli, portal, site):
    silent = {"id": 5, "host": "127.0.0.1", "port": free_udp_port(), "version": "2c", "community": "public"}
    portal.config["devices"].append(silent)  # a printer switched off: its poll says so
    started = time.time()
    out = once(cli, site, FMP_COLLECTOR_SNMP_TIMEOUT="0.5", FMP_COLLECTOR_SNMP_RETRIES="0")
    assert out.returncode == 0, out.stderr + out.stdout
    assert portal.refusals == []  # every request was signed with the enrolled key
    stored = {o["device"]: o for o in portal.stored_observations()}
    assert sorted(stored) == [1, 2, 3, 5]
    for item in stored.values():
        assert started - 1 <= item["at"] <= time.time()
    xerox = observation_from_dict(stored[1]["observation"])
    assert xerox.reachable and xerox.serial == "813000305" and xerox.counters["total"] == 681235
    assert xerox.trigger == "collector" and len(xerox.supplies) >= 4
    hp = observation_from_dict(stored[2]["observation"])
    assert hp.reachable and hp.serial == "JPBF123456"
    assert observation_from_dict(stored[3]["observation"]).reachable
    off = observation_from_dict(stored[5]["observation"])
    assert not off.reachable and "no answer" in off.error and "0.5s" in off.error
    beat = portal.heartbeats[-1]
    assert beat["version"] == __version__ and beat["hostname"]
    assert (beat["queue_depth"], beat["dropped"], beat["devices_polled"]) == (0, 0, 4)
    status = cli("status", "--state", site, "--json")
    data = json.loads(status.stdout)
    assert data["devices"] == 4 and data["queue_depth"] == 0 and data["last_contact"] >= started
    # Nothing is due a second later: the next cycle polls nothing and sends nothing.
    batches = len(portal.batches)
    assert once(cli, site).returncode == 0
    assert len(portal.batches) == batches


def test_without_the_portal_it_polls_from_the_last_configuration_and_catches_up_in_order(cli, portal, site):
    portal.stop()
    out = once(cli, site)
    assert out.returncode == 1
    assert "no configuration received from the portal yet" in out.stderr
    portal.start()
    assert once(cli, site).returncode == 0
    portal.stop()  # several poll cycles without the portal (and a restart of the collector each time)
    for cycle in (1, 2):
        time_passes(site)
        out = once(cli, site)
        assert out.returncode == 1
        assert out.stderr.strip().startswith(
            "fmp-collector: portal unreachable: cannot connect to 127.0.0.1:"
        )
        assert out.stderr.strip().endswith(f"{3 * cycle} result(s) kept in the queue")
    with Store(site) as store:  # what waits in the queue is the portal's wire form
        rows = [json.loads(r[0]) for r in store.db.execute("SELECT item FROM results ORDER BY id")]
    assert [r["device"] for r in rows] == [1, 2, 3] * 2 or sorted(r["device"] for r in rows) == [
        1,
        1,
        2,
        2,
        3,
        3,
    ]
    assert all(observation_from_dict(r["observation"]).reachable for r in rows)
    status = cli("status", "--state", site)
    assert "queue depth:  6" in status.stdout and "portal unreachable" in status.stdout
    portal.start()
    assert once(cli, site).returncode == 0
    observations = portal.stored_observations()
    assert len(observations) == 9  # none lost, none twice
    for device in (1, 2, 3):
        times = [o["at"] for o in observations if o["device"] == device]
        assert len(times) == 3 and times == sorted(times)  # history arrives in order
    assert portal.refusals == []


def test_a_batch_whose_answer_was_lost_is_sent_again_under_the_same_id(cli, portal, site):
    portal.drop_next_answer = True  # the portal stores it, the collector never hears so
    out = once(cli, site)
    assert out.returncode == 1 and "3 result(s) kept in the queue" in out.stderr
    assert len(portal.stored) == 1
    out = once(cli, site)
    assert out.returncode == 0, out.stderr
    assert [b["batch"] for b in portal.batches] == [portal.batches[0]["batch"]] * 2
    assert len(portal.stored_observations()) == 3


def test_a_server_error_keeps_the_batch_for_later(cli, portal, site):
    portal.results_answers = [503]
    out = once(cli, site)
    assert out.returncode == 1
    assert "the portal is unavailable (503)" in out.stderr and "3 result(s) kept in the queue" in out.stderr
    assert once(cli, site).returncode == 0
    first, second = portal.batches
    assert first["batch"] == second["batch"] and len(portal.stored_observations()) == 3


def test_a_refused_batch_is_logged_kept_apart_and_not_sent_again(cli, portal, site):
    portal.results_answers = [400]
    out = once(cli, site)
    assert out.returncode == 0  # the queue is empty: the refused results are kept apart
    assert "refused batch" in out.stdout and "observation 0: bad" in out.stdout
    assert portal.stored == {}
    status = json.loads(cli("status", "--state", site, "--json").stdout)
    assert status["refused"] == 3 and "refused" in status["last_error"]
    time_passes(site)
    assert once(cli, site).returncode == 0
    assert len(portal.batches) == 2 and portal.batches[1]["batch"] != portal.batches[0]["batch"]
    assert len(portal.stored_observations()) == 3  # only the new poll's


def test_a_revoked_collector_stops_with_a_clear_message(cli, portal, site):
    portal.revoked.update(portal.keys)
    out = once(cli, site)
    assert out.returncode == 3
    assert out.stderr.strip() == (
        "fmp-collector: the portal refused this collector's credential (unknown or revoked collector): "
        "it may have been revoked; ask the help desk for a new enrollment code"
    )
    assert portal.stored == {}


def test_a_clock_412_s_behind_is_corrected_and_results_are_dated_by_the_portals_clock(cli, portal, site):
    portal.clock_shift = 412.0  # the portal's clock is 412 s ahead: this machine is behind
    out = once(cli, site)
    assert out.returncode == 0, out.stderr + out.stdout
    # The first request was refused for its time, sent once more with the offset, then accepted.
    assert portal.refusals == ["timestamp outside the allowed clock skew"]
    assert [r for r in portal.requests if r[2] == 401] == [("GET", "/collector/v1/config/", 401)]
    assert "412 s behind the portal" in out.stdout and "WARNING" in out.stdout
    stored = portal.stored_observations()
    assert len(stored) == 3
    for item in stored:  # "data age" on the portal is right: dated by its clock
        assert abs(item["at"] - portal.now()) < 10
    status = cli("status", "--state", site)
    assert re.search(r"clock: +41[123] s behind the portal", status.stdout), status.stdout
    data = json.loads(cli("status", "--state", site, "--json").stdout)
    assert 410 <= data["clock_offset"] <= 414
    # The next run signs with the remembered offset from its first request: no refusal at all.
    time_passes(site)
    assert once(cli, site).returncode == 0
    assert len(portal.refusals) == 1 and len(portal.stored_observations()) == 6


def test_a_clock_ahead_is_corrected_too(cli, portal, site):
    portal.clock_shift = -3600.0  # this machine is an hour ahead
    out = once(cli, site)
    assert out.returncode == 0, out.stderr + out.stdout
    assert "3600 s ahead of the portal" in out.stdout
    assert all(abs(i["at"] - portal.now()) < 10 for i in portal.stored_observations())


def test_a_clock_that_cannot_be_corrected_never_stops_the_collector(cli, portal, site):
    portal.clock_shift = 1000.0
    portal.send_date = False  # no Date to correct the offset from: every request refused
    out = once(cli, site)
    assert out.returncode == 1  # a failure to try again later, not a refused credential (3)
    assert "even after correcting the clock" in out.stderr and "NTP" in out.stderr
    assert "no Date to correct it from" in out.stderr and "help desk" not in out.stderr
    assert portal.stored == {}
    portal.send_date = True  # the portal says its time again: the collector goes on
    assert once(cli, site).returncode == 0
    assert len(portal.stored_observations()) == 3


def test_a_small_offset_is_kept_without_a_warning(cli, portal, site):
    portal.clock_shift = 2.0
    out = once(cli, site)
    assert out.returncode == 0 and portal.refusals == []
    assert "behind the portal" not in out.stdout
    data = json.loads(cli("status", "--state", site, "--json").stdout)
    assert 0.5 <= data["clock_offset"] <= 3.5


def test_a_full_queue_drops_the_oldest_results_and_says_so(cli, portal, site):
    assert once(cli, site, FMP_COLLECTOR_QUEUE_MAX="4").returncode == 0
    portal.stop()
    time_passes(site)
    once(cli, site, FMP_COLLECTOR_QUEUE_MAX="4")
    time_passes(site)
    out = once(cli, site, FMP_COLLECTOR_QUEUE_MAX="4")
    assert "The queue is full (4 results)" in out.stdout and "dropped" in out.stdout
    status = json.loads(cli("status", "--state", site, "--json").stdout)
    assert status["queue_depth"] == 4 and status["dropped"] == 2
    portal.start()
    assert once(cli, site, FMP_COLLECTOR_QUEUE_MAX="4").returncode == 0
    assert portal.heartbeats[-1]["dropped"] == 2
    assert len(portal.stored_observations()) == 3 + 4


def test_discovery_reports_the_printers_that_answer_in_its_ranges(cli, portal, site, simulator):
    portal.config["devices"] = []
    portal.config["discovery"] = [
        {
            "id": 7,
            "cidr": "127.0.0.1/32",
            "port": simulator["port"],
            "version": "2c",
            "community": "sim-hp-mono",
        }
    ]
    assert once(cli, site).returncode == 0
    (body,) = portal.stored.values()
    (found,) = body["discovered"]
    assert (found["host"], found["port"], found["range"], found["community"]) == (
        "127.0.0.1",
        simulator["port"],
        7,
        "sim-hp-mono",
    )
    assert observation_from_dict(found["observation"]).serial == "JPBF123456"


def test_commands_are_run_and_answered(cli, portal, site):
    received = bytearray()
    listener = socket.create_server(("127.0.0.1", 0))
    raw_port = listener.getsockname()[1]

    def accept():
        conn, _ = listener.accept()
        with conn:
            while chunk := conn.recv(65536):
                received.extend(chunk)

    threading.Thread(target=accept, daemon=True).start()
    assert once(cli, site).returncode == 0  # the regular polls are done
    portal.commands = [
        {"id": 11, "device": 1, "kind": "refresh", "args": {}},
        {
            "id": 12,
            "device": 1,
            "kind": "test_page",
            "args": {"payload": "SGVsbG8gcHJpbnRlcg==", "port": raw_port},
        },
        {"id": 13, "device": 1, "kind": "location", "args": {"location": "Room 12"}},
        {"id": 14, "device": 99, "kind": "reset", "args": {}},
        {"id": 15, "device": 1, "kind": "launch", "args": {}},
    ]
    assert once(cli, site).returncode == 0
    listener.close()
    answers = portal.answers
    assert answers[11] == {"ok": True, "detail": "", "result": {"reachable": True}}
    refreshed = [o for o in portal.stored_observations() if o["observation"]["trigger"] == "refresh"]
    assert [o["device"] for o in refreshed] == [1]
    assert answers[12]["ok"] and bytes(received) == b"Hello printer"
    assert set(answers[13]) == {"ok", "detail", "result"}
    assert answers[13]["ok"] or answers[13]["detail"]  # the simulator may refuse the SET: then it says why
    assert answers[14] == {
        "ok": False,
        "detail": "device 99 is not in this collector's configuration",
        "result": {},
    }
    assert answers[15] == {"ok": False, "detail": "unknown command kind 'launch'", "result": {}}
    assert portal.refusals == []


def test_the_service_delivers_commands_within_seconds_and_stops_cleanly(cli, portal, site):
    portal.config["intervals"] = {"poll": 300, "commands": 1, "heartbeat": 1, "discovery": 86400}
    assert once(cli, site).returncode == 0  # the configuration is kept in the state
    portal.stop()  # the service starts while the portal is away
    time_passes(site)
    log = site / "collector.log"
    process = subprocess.Popen(
        [sys.executable, "-m", "fmp_collector", "run", "--state", str(site)],
        cwd=ROOT,
        env=clean_env(FMP_COLLECTOR_LOG_FILE=str(log)),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert wait_for(lambda: log.exists() and "portal unreachable" in log.read_text(), 20)
        with Store(site) as store:
            assert wait_for(lambda: store.db.execute("SELECT COUNT(*) FROM results").fetchone()[0] == 3, 10)
        portal.start()  # back: what was polled meanwhile arrives
        back = time.monotonic()
        assert wait_for(lambda: len(portal.stored_observations()) == 6, 20)
        assert time.monotonic() - back < 15
        beats = len(portal.heartbeats)
        assert wait_for(lambda: len(portal.heartbeats) > beats, 10)
        portal.commands = [{"id": 21, "device": 2, "kind": "refresh", "args": {}}]
        asked = time.monotonic()
        assert wait_for(lambda: 21 in portal.answers, 10)
        assert time.monotonic() - asked < 10 and portal.answers[21]["ok"]
        # A new configuration version: the collector fetches it and polls the new device.
        portal.config["devices"] = [*portal.config["devices"][:1], dict(portal.config["devices"][1], id=4)]
        portal.config["version"] = "v2"
        assert wait_for(lambda: any(o["device"] == 4 for o in portal.stored_observations()), 10)
    finally:
        process.send_signal(signal.SIGTERM)
        stdout, stderr = process.communicate(timeout=15)
    assert process.returncode == 0, stderr
    assert "Stopped" in stdout and "Configuration v2" in stdout
    assert "Configuration v2" in log.read_text()
    assert portal.refusals == []
    assert os.path.exists(site / "queue.sqlite3")


def test_a_collector_killed_mid_upload_resumes_with_the_same_batch(cli, portal, site):
    portal.hold.clear()  # the upload reaches the portal and waits there
    process = subprocess.Popen(
        [sys.executable, "-m", "fmp_collector", "run", "--once", "--state", str(site)],
        cwd=ROOT,
        env=clean_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        assert wait_for(lambda: portal.arrived, 20)
    finally:
        process.kill()  # SIGKILL: no clean-up of any kind
        process.wait(10)
    portal.hold.set()  # the portal goes on and stores what it received
    assert wait_for(lambda: portal.stored, 5)
    out = once(cli, site)
    assert out.returncode == 0, out.stderr
    assert portal.arrived == [portal.arrived[0]] * 2  # the same batch id, sent again
    assert len(portal.stored_observations()) == 3  # stored once


def test_a_clock_that_jumps_while_running_is_followed(portal, tmp_path):
    """The offset is measured on every answer: a clock set back by 10 minutes (NTP, or a
    reboot without a real-time clock) costs one refused request, sent again at once."""
    from fmp_collector.identity import enroll, load_identity
    from fmp_collector.portal import Portal

    portal.codes["JUMP"] = "ok"
    enroll(portal.url, "JUMP", tmp_path)
    identity, key = load_identity(tmp_path)
    client = Portal(portal.url, uid=identity.uid, key=key)
    assert client.request("GET", "config/").status == 200
    assert abs(client.clock_offset) < 2
    portal.clock_shift = 600.0
    assert client.request("GET", "config/").status == 200  # refused once, then accepted
    assert 598 <= client.clock_offset <= 602
    assert client.request("GET", "config/").status == 200
    assert len(portal.refusals) == 1
    assert abs(client.now() - portal.now()) < 2


def test_the_service_on_a_skewed_clock_keeps_running_and_follows_a_clock_change(cli, portal, site):
    """The systemd unit does not restart after exit 3: a clock off must never cause it."""
    portal.config["intervals"] = {"poll": 300, "commands": 1, "heartbeat": 1, "discovery": 86400}
    portal.clock_shift = 900.0
    log = site / "collector.log"
    process = subprocess.Popen(
        [sys.executable, "-m", "fmp_collector", "run", "--state", str(site)],
        cwd=ROOT,
        env=clean_env(FMP_COLLECTOR_LOG_FILE=str(log)),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert wait_for(lambda: len(portal.stored_observations()) == 3, 20)
        assert all(abs(o["at"] - portal.now()) < 15 for o in portal.stored_observations())
        assert wait_for(lambda: log.exists() and "900 s behind the portal" in log.read_text(), 10)
        portal.clock_shift = -1200.0  # the portal's clock (or this machine's) moves meanwhile
        beats = len(portal.heartbeats)
        assert wait_for(lambda: len(portal.heartbeats) > beats + 1, 15)
        assert process.poll() is None  # still running
        assert "1200 s ahead of the portal" in log.read_text()
        portal.commands = [{"id": 31, "device": 1, "kind": "refresh", "args": {}}]
        assert wait_for(lambda: 31 in portal.answers, 10)
        refresh = [o for o in portal.stored_observations() if o["observation"]["trigger"] == "refresh"]
        assert refresh and abs(refresh[0]["at"] - portal.now()) < 15
    finally:
        process.send_signal(signal.SIGTERM)
        stdout, stderr = process.communicate(timeout=15)
    assert process.returncode == 0, stderr
    assert "help desk" not in stdout + stderr
    status = cli("status", "--state", site)
    assert re.search(r"clock: +1(199|200|201) s ahead of the portal", status.stdout), status.stdout


def test_traps_of_its_devices_go_to_the_portal_and_have_the_device_polled(cli, portal, site):
    """A trap from one of its devices (at its own address) is uploaded and the device polled
    at once to confirm; a trap from an address of none of its devices is only counted."""
    portal.config["devices"].append(
        {
            "id": 5,
            "host": "127.0.0.2",
            "port": free_udp_port(),
            "version": "2c",
            "community": "x",
            "interval": 3600,
        }
    )
    portal.config["intervals"] = {"poll": 3600, "commands": 1, "heartbeat": 1, "discovery": 86400}
    trap_port = free_udp_port()
    log = site / "collector.log"
    process = subprocess.Popen(
        [sys.executable, "-m", "fmp_collector", "run", "--state", str(site)],
        cwd=ROOT,
        env=clean_env(FMP_COLLECTOR_LOG_FILE=str(log), FMP_COLLECTOR_TRAP_BIND=f"127.0.0.1:{trap_port}"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )

    def trap(source: str) -> None:
        jam = ["1.3.6.1.2.1.43.18.1.1.2.1.7", "i", "3", "1.3.6.1.2.1.43.18.1.1.4.1.7", "i", "13"]
        jam += ["1.3.6.1.2.1.43.18.1.1.7.1.7", "i", "8"]
        done = subprocess.run(
            [
                "snmptrap",
                f"--clientaddr={source}",
                "-v",
                "2c",
                "-c",
                "public",
                f"127.0.0.1:{trap_port}",
                "",
                "1.3.6.1.2.1.43.18.2.0.1",
                *jam,
            ],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        assert done.returncode == 0, done.stderr

    try:
        assert wait_for(lambda: log.exists() and "Receiving the devices' traps" in log.read_text(), 20)
        assert wait_for(lambda: len(portal.stored_observations()) >= 3, 20)  # the first cycle
        trap("127.0.0.2")
        assert wait_for(lambda: portal.stored_traps(), 15)
        (sent,) = portal.stored_traps()
        assert (sent["device"], sent["source"]) == (5, "127.0.0.2")
        assert (sent["trap"]["kind"], sent["trap"]["alert"]["code"], sent["trap"]["alert"]["severity"]) == (
            "printer_alert",
            8,
            "critical",
        )
        # The device was polled at once to confirm (nothing answers at 127.0.0.2 here).
        assert wait_for(
            lambda: any(
                o["device"] == 5 and o["observation"]["trigger"] == "trap"
                for o in portal.stored_observations()
            ),
            20,
        )
        trap("127.0.0.3")  # none of its devices
        assert wait_for(lambda: portal.heartbeats and portal.heartbeats[-1].get("traps_unknown") == 1, 10)
        assert len(portal.stored_traps()) == 1
    finally:
        process.send_signal(signal.SIGTERM)
        _stdout, stderr = process.communicate(timeout=15)
    assert process.returncode == 0, stderr
    assert portal.refusals == []
