"""Site collectors end to end, on real components (issue 15, item 9).

The printers are snmpsim on a customer LAN (a network namespace) that the portal cannot
reach; the collector runs as its real command line (``fmp-collector``) on the site machine
(another namespace) and talks to the portal only over HTTPS, to gunicorn serving the portal
with a certificate made for the test, verified by the collector with the test CA. A real
Celery worker stores what it sends in the test database. See tests/collectors/netns.py.

Each test enrolls its own collector, as the help desk would: ``manage.py collector_add``
and ``manage.py device_add``, then ``fmp-collector enroll`` with the printed code.
"""

from __future__ import annotations

import io
import itertools
import json
import signal
import subprocess
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from collectors.models import Collector, CollectorBatch, EnrollmentCode
from fmp_collector import protocol
from fmp_snmp.observation import DeviceObservation, SupplyReading, observation_to_dict
from fmp_snmp.testing import wait_for
from printers.models import CounterSample, Device, DeviceCommand, DeviceState, PollAttempt, StatusObservation
from tests.collectors import netns

pytestmark = pytest.mark.django_db(transaction=True)

XEROX, HP, COUNTING = "sim-xerox-colour", "sim-hp-mono", netns.COUNTING


def last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    assert lines, "the command printed nothing"
    return lines[-1].strip()


def collector_add(name: str, account) -> str:
    """``manage.py collector_add``: the one-time code, from its last line."""
    out = io.StringIO()
    call_command("collector_add", name, "--account", account.name, stdout=out)
    return last_line(out.getvalue())


def device_add(printer: netns.LanPrinter, account, collector_name: str) -> Device:
    """``manage.py device_add``: the device, from the id on its last line."""
    out = io.StringIO()
    call_command(
        "device_add",
        printer.host,
        "--account",
        account.name,
        "--port",
        str(printer.port),
        "--community",
        printer.community,
        "--snmp-version",
        "2c",
        "--collector",
        collector_name,
        stdout=out,
    )
    return Device.objects.get(pk=int(last_line(out.getvalue())))


class SiteCollector:
    """``fmp-collector`` on the site machine, with its state folder."""

    def __init__(self, net: netns.SiteNetwork, state: Path):
        self.net, self.state = net, state
        self.background: subprocess.Popen | None = None

    def __call__(self, *args: str, timeout: float = 90) -> subprocess.CompletedProcess:
        return netns.site_run(self.net, [*netns.collector_command(), *args], timeout=timeout)

    def enroll(self, url: str, code: str, *extra: str) -> subprocess.CompletedProcess:
        return self("enroll", url, code, "--state", str(self.state), *extra)

    def run_once(self) -> subprocess.CompletedProcess:
        return self("run", "--state", str(self.state), "--once")

    def status(self) -> dict:
        done = self("status", "--state", str(self.state), "--json")
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)

    def start(self, *args: str) -> subprocess.Popen:
        """``run`` (or ``args``) in the background; its output goes to a log file in the state."""
        log = open(self.state.parent / f"{self.state.name}.log", "ab")  # noqa: SIM115 -- the child's
        self.background = subprocess.Popen(
            [*self.net.in_site, *netns.collector_command(), *(args or ("run", "--state", str(self.state)))],
            cwd=netns.ROOT,
            env=netns.collector_environment(),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        return self.background

    def log(self) -> str:
        path = self.state.parent / f"{self.state.name}.log"
        return path.read_text(errors="replace")[-4000:] if path.exists() else ""

    def end(self) -> None:
        if self.background is not None:
            netns.process_end(self.background)


def said(done: subprocess.CompletedProcess) -> str:
    return f"exit {done.returncode}\nstdout: {done.stdout[-3000:]}\nstderr: {done.stderr[-3000:]}"


@dataclass
class Enrolled:
    collector: Collector
    devices: dict[str, Device]
    cli: SiteCollector
    portal: netns.Portal
    ca: netns.TestCA
    worker: netns.Worker

    @property
    def uid(self) -> str:
        return str(self.collector.uid)


@pytest.fixture
def site_collector(netns_site, tmp_path):
    cli = SiteCollector(netns_site, tmp_path / "state")
    yield cli
    cli.end()


@pytest.fixture
def help_desk_setup(account, site, netns_printers):
    """The help desk's part: a collector for the account and the site's three printers."""

    def make(name: str = "Webster site box") -> tuple[str, dict[str, Device]]:
        code = collector_add(name, account)
        devices = {c: device_add(p, account, name) for c, p in netns_printers.items()}
        return code, devices

    return make


@pytest.fixture
def enrolled(help_desk_setup, site_collector, netns_portal, netns_ca, netns_worker):
    """A collector enrolled over HTTPS with the test CA, for the site's three printers."""
    code, devices = help_desk_setup()
    done = site_collector.enroll(netns_portal.url, code, "--ca-bundle", str(netns_ca.ca))
    assert done.returncode == 0 and "Enrolled as collector Webster site box" in done.stdout, said(done)
    collector = Collector.objects.get(devices__pk=devices[XEROX].pk)
    assert collector.public_key and collector.enrolled_at
    return Enrolled(collector, devices, site_collector, netns_portal, netns_ca, netns_worker)


def stored(enrolled: Enrolled, batches: int | None = None, seconds: float = 20) -> None:
    """Wait until the worker has stored every upload of the collector (at least ``batches``)."""
    collector = enrolled.collector

    def done() -> bool:
        rows = CollectorBatch.objects.filter(collector=collector)
        return (
            rows.exists()
            and not rows.filter(status=CollectorBatch.Status.QUEUED).exists()
            and (batches is None or rows.count() >= batches)
        )

    uploads = CollectorBatch.objects.filter(collector=collector)
    assert wait_for(done, seconds), (list(uploads.values("status", "error")), enrolled.worker.log_tail())
    assert not uploads.filter(status=CollectorBatch.Status.FAILED).exists(), list(
        uploads.values("status", "error")
    )


# --- the data arrives --------------------------------------------------------------------------


def test_printer_levels_and_counters_reach_the_portal_through_the_collector(enrolled, manager):
    done = enrolled.cli.run_once()
    assert done.returncode == 0, said(done)
    stored(enrolled)

    xerox, hp, counting = (enrolled.devices[c] for c in (XEROX, HP, COUNTING))
    state = DeviceState.objects.get(device=xerox)
    assert (state.level_black, state.level_cyan, state.level_magenta, state.level_yellow) == (80, 70, 60, 50)
    assert state.total_pages == 681235 and state.reachable and state.overall == "ok"
    assert xerox.supplies.count() == 6
    assert xerox.counter_samples.get(counter="total").value == 681235
    hp_state = DeviceState.objects.get(device=hp)
    assert hp_state.level_black == 8 and hp_state.total_pages == 288145
    assert hp_state.overall == "warning" and "lowToner" in hp_state.conditions
    assert DeviceState.objects.get(device=counting).total_pages > 5000
    for device in enrolled.devices.values():
        attempt = PollAttempt.objects.get(device=device)  # one poll each, stored once
        assert attempt.ok and attempt.trigger == "collector"
    xerox.refresh_from_db()
    assert xerox.serial_number == "813000305" and xerox.system_name == "EC2-25L-WJ50"

    # The help desk sees the collector's health; the collector says its queue is empty.
    enrolled.collector.refresh_from_db()
    assert enrolled.collector.last_seen_at is not None and enrolled.collector.version
    assert (enrolled.collector.devices_polled, enrolled.collector.queue_depth) == (3, 0)
    status = enrolled.cli.status()
    assert status["queue_depth"] == 0 and status["devices"] == 3 and not status["last_error"]

    # What the customer sees on the printer's page.
    client = Client()
    client.force_login(manager)
    page = client.get(f"/printers/{xerox.pk}/").content.decode()
    assert "813000305" in page and "EC2-25L-WJ50" in page and "111/1/Webster/NY/USA" in page
    supplies = client.get(f"/printers/{xerox.pk}/?tab=supplies").content.decode()
    assert supplies.count('data-testid="supply-row"') == 6
    for percent in (80, 70, 60, 50):
        assert f'aria-valuenow="{percent}"' in supplies
    counters = client.get(f"/printers/{xerox.pk}/?tab=counters").content.decode()
    assert "681" in counters and 'data-testid="counter-chart"' in counters
    assert enrolled.collector.name in page  # which collector reports the device


# --- enrollment --------------------------------------------------------------------------------


def test_enrollment_with_a_used_or_expired_code_is_refused(
    help_desk_setup, netns_site, netns_portal, netns_ca, tmp_path, account
):
    code, _devices = help_desk_setup("First box")
    bundle = ("--ca-bundle", str(netns_ca.ca))
    first = SiteCollector(netns_site, tmp_path / "first")
    assert first.enroll(netns_portal.url, code, *bundle).returncode == 0
    again = SiteCollector(netns_site, tmp_path / "again")
    used = again.enroll(netns_portal.url, code, *bundle)
    assert used.returncode != 0 and "enrollment refused" in used.stderr, said(used)
    assert again("status", "--state", str(again.state)).returncode != 0  # not enrolled

    expired_code = collector_add("Second box", account)
    EnrollmentCode.objects.filter(collector__name="Second box").update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )
    late = SiteCollector(netns_site, tmp_path / "late")
    expired = late.enroll(netns_portal.url, expired_code, *bundle)
    assert expired.returncode != 0 and "enrollment refused" in expired.stderr, said(expired)
    assert not Collector.objects.get(name="Second box").public_key


def test_an_untrusted_portal_certificate_is_refused(help_desk_setup, site_collector, netns_portal, netns_ca):
    code, _devices = help_desk_setup()
    for extra in ((), ("--ca-bundle", str(netns_ca.stranger_ca))):
        done = site_collector.enroll(netns_portal.url, code, *extra)
        assert done.returncode != 0, said(done)
        assert "certificate not trusted" in done.stderr and "--ca-bundle" in done.stderr, said(done)
    assert not Collector.objects.get(name="Webster site box").public_key
    # The code was not spent on the refused attempts: with the right CA it works.
    done = site_collector.enroll(netns_portal.url, code, "--ca-bundle", str(netns_ca.ca))
    assert done.returncode == 0, said(done)


# --- revocation and signed requests ------------------------------------------------------------


def _observation(**fields) -> dict:
    base = {
        "reachable": True,
        "overall": "ok",
        "serial": "813000305",
        "vendor": "Xerox",
        "model": "ColorQube 9203",
        "supplies": (
            SupplyReading(
                index=1, description="Black", type="toner", colour="black", level=42, max_capacity=100
            ),
        ),
        "counters": {"total": 700000},
        "duration_ms": 40,
    }
    base.update(fields)
    return observation_to_dict(DeviceObservation(**base))


def _batch(device: Device, *, at: float | None = None, **fields) -> dict:
    return {
        "batch": str(uuid.uuid4()),
        "observations": [
            {"device": device.pk, "at": at or time.time() - 30, "observation": _observation(**fields)}
        ],
        "discovered": [],
    }


def _signed_post(enrolled: Enrolled, path: str, body: bytes, **kwargs) -> dict:
    full = protocol.PREFIX + path
    return {
        "method": "POST",
        "url": enrolled.portal.url + full,
        "body": body,
        "headers": netns.signed(enrolled.cli.state, enrolled.uid, "POST", full, body, **kwargs),
        "verify": str(enrolled.ca.ca),
    }


def test_a_revoked_collector_is_refused_and_nothing_it_sends_is_stored(enrolled):
    assert enrolled.cli.run_once().returncode == 0
    stored(enrolled)
    attempts, batches = PollAttempt.objects.count(), CollectorBatch.objects.count()
    from collectors.services import collector_revoke

    collector_revoke(collector=enrolled.collector, by=None)

    done = enrolled.cli.run_once()
    assert done.returncode == 3, said(done)
    assert "refused this collector's credential (this collector was revoked)" in done.stderr, said(done)
    # What it would still send (a valid, signed upload) is refused and not stored.
    body = json.dumps(_batch(enrolled.devices[XEROX])).encode()
    (answer,) = netns.site_requests(enrolled.cli.net, [_signed_post(enrolled, "results/", body)])
    assert answer["status"] == 401, answer
    time.sleep(1)
    assert (PollAttempt.objects.count(), CollectorBatch.objects.count()) == (attempts, batches)


def test_a_replayed_signed_request_is_refused(enrolled):
    heartbeat = json.dumps(
        {
            "version": "0.2.0",
            "hostname": "box",
            "queue_depth": 0,
            "dropped": 0,
            "devices_polled": 3,
            "last_error": "",
        }
    ).encode()
    upload = json.dumps(_batch(enrolled.devices[XEROX])).encode()
    first_beat, first_upload = (
        _signed_post(enrolled, "heartbeat/", heartbeat),
        _signed_post(enrolled, "results/", upload),
    )
    # The same headers and body, captured and sent again.
    answers = netns.site_requests(enrolled.cli.net, [first_beat, first_beat, first_upload, first_upload])
    assert [a["status"] for a in answers] == [200, 401, 202, 401], answers
    stored(enrolled, 1)
    assert CollectorBatch.objects.filter(collector=enrolled.collector).count() == 1
    assert PollAttempt.objects.filter(device=enrolled.devices[XEROX]).count() == 1


# --- store-and-forward -------------------------------------------------------------------------

POLL_EVERY = 10  # seconds: the shortest per-device interval the collector accepts


def test_store_and_forward_with_the_portal_stopped_and_restarted(enrolled):
    cli, portal = enrolled.cli, enrolled.portal
    Collector.objects.filter(pk=enrolled.collector.pk).update(poll_interval=POLL_EVERY)
    polls: list[tuple[float, float]] = []  # (start, end) of each cycle that polled

    def cycle():
        # Wait until the devices are due again (polled at the latest when the last cycle
        # ended), then one cycle.
        if polls:
            time.sleep(max(0.0, polls[-1][1] + POLL_EVERY + 0.2 - time.time()))
        start = time.time()
        done = cli.run_once()
        polls.append((start, time.time()))
        return done

    done = cycle()
    assert done.returncode == 0, said(done)
    portal.stop()
    try:
        depths = []
        for _ in range(3):
            done = cycle()
            assert done.returncode != 0 and "portal unreachable" in done.stderr, said(done)
            assert "kept in the queue" in done.stderr, said(done)
            depths.append(cli.status()["queue_depth"])
        assert depths == [3, 6, 9], depths
    finally:
        portal.start()
    # Only the queue goes now: the devices are not due again, however long the portal took
    # to come back on a loaded machine (the configuration is fetched first).
    Collector.objects.filter(pk=enrolled.collector.pk).update(poll_interval=3600)
    done = cli.run_once()
    assert done.returncode == 0, said(done)
    assert cli.status()["queue_depth"] == 0
    stored(enrolled)

    for community, device in enrolled.devices.items():
        attempts = list(PollAttempt.objects.filter(device=device).order_by("started_at"))
        assert len(attempts) == len(polls) == 4, (community, attempts)
        times = [a.started_at.timestamp() for a in attempts]
        # Each at its own poll's time (not at the upload's), in order, none twice.
        assert all(b - a >= POLL_EVERY - 0.5 for a, b in itertools.pairwise(times)), times
        for (start, end), at in zip(polls, times, strict=True):
            assert start <= at <= end, (start, at, end)
        history = list(StatusObservation.objects.filter(device=device).order_by("observed_at"))
        assert history and history[0].observed_at == attempts[0].started_at
    counting = enrolled.devices[COUNTING]
    samples = list(CounterSample.objects.filter(device=counting, counter="total").order_by("observed_at"))
    assert len(samples) == len(polls)  # the counter moved between polls: one sample each
    values = [s.value for s in samples]
    assert values == sorted(values) and len(set(values)) == len(values), values
    state = DeviceState.objects.get(device=counting)
    assert state.total_pages == values[-1] and state.last_attempt_at == samples[-1].observed_at


@pytest.mark.parametrize("portal_got_it", [True, False], ids=["portal-received", "lost-on-the-way"])
def test_a_collector_killed_mid_upload_resumes_from_its_queue(enrolled, portal_got_it):
    cli, portal = enrolled.cli, enrolled.portal
    with portal.uploads_held(drop=not portal_got_it) as held:
        process = cli.start("run", "--state", str(cli.state), "--once")
        assert wait_for(held.exists, 30), cli.log()
        process.send_signal(signal.SIGKILL)  # in the middle of the upload
        process.wait(10)
    if portal_got_it:
        assert wait_for(lambda: CollectorBatch.objects.filter(collector=enrolled.collector).exists(), 15)
    else:
        time.sleep(1)
        assert not CollectorBatch.objects.filter(collector=enrolled.collector).exists()
    assert cli.status()["queue_depth"] == 3  # still queued: the collector never heard back

    done = cli.run_once()  # the devices are not due yet: only the queue goes
    assert done.returncode == 0, said(done)
    assert cli.status()["queue_depth"] == 0
    stored(enrolled)
    assert CollectorBatch.objects.filter(collector=enrolled.collector).count() == 1
    for device in enrolled.devices.values():
        assert PollAttempt.objects.filter(device=device).count() == 1


# --- commands ------------------------------------------------------------------------------------


def test_commands_from_the_grid_reach_a_running_collector_and_their_results_come_back(enrolled, manager):
    process = enrolled.cli.start()
    ours = DeviceState.objects.filter(device__collector=enrolled.collector)
    assert wait_for(lambda: ours.count() == 3, 30), enrolled.cli.log()
    xerox, hp = enrolled.devices[XEROX], enrolled.devices[HP]
    client = Client()
    client.force_login(manager)

    # "Get printer status" and "Update location" in the grid, on the collector's printers.
    asked = time.monotonic()
    response = client.post("/printers/actions/", {"action": "refresh", "devices": [hp.pk]})
    assert response.status_code in (200, 302)
    response = client.post("/printers/location/", {"devices": [xerox.pk], "location": "Reception, 2nd floor"})
    assert response.status_code in (200, 302)
    commands = DeviceCommand.objects.filter(device__in=[xerox, hp])
    assert sorted(commands.values_list("kind", flat=True)) == ["location", "refresh"]
    pending = client.get(f"/printers/refresh-status/?devices={hp.pk}")
    assert "HX-Refresh" not in pending  # the grid shows the request pending

    def answered() -> bool:
        return all(
            c.status in (DeviceCommand.Status.DONE, DeviceCommand.Status.FAILED) for c in commands.all()
        )

    assert wait_for(answered, 10, step=0.1), (list(commands.values()), enrolled.cli.log())
    location = commands.get(kind="location")
    assert location.status == DeviceCommand.Status.DONE, location.result
    xerox.refresh_from_db()
    assert xerox.printer_location == "Reception, 2nd floor"  # what the printer now says
    # The fresh status is stored, and the grid stops showing the request, within the target.
    assert wait_for(
        lambda: (
            PollAttempt.objects.filter(device=hp, trigger="refresh").exists()
            and client.get(f"/printers/refresh-status/?devices={hp.pk}").get("HX-Refresh") == "true"
        ),
        max(0.5, 12 - (time.monotonic() - asked)),
        step=0.2,
    ), enrolled.cli.log()
    assert process.poll() is None  # still running
    process.send_signal(signal.SIGTERM)
    assert process.wait(15) == 0, enrolled.cli.log()


# --- hostile payloads ----------------------------------------------------------------------------


def test_hostile_payloads_with_a_valid_signature_are_refused_and_nothing_is_stored(enrolled, other_account):
    xerox = enrolled.devices[XEROX]
    foreign = Device.objects.create(account=other_account, ip_address="10.9.9.9", serial_number="OTHER001")

    def with_observation(**fields) -> bytes:
        body = _batch(xerox)
        body["observations"][0]["observation"].update(fields)
        return json.dumps(body).encode()

    too_many = _batch(xerox)
    too_many["observations"] = [
        {"device": xerox.pk, "at": time.time() - 600 + i, "observation": _observation()} for i in range(501)
    ]
    cases = {
        "malformed JSON": (b'{"batch": "', 400),
        "not an object": (b"[1, 2, 3]", 400),
        "wrong type": (json.dumps({"batch": 5, "observations": "all", "discovered": []}).encode(), 400),
        "huge string": (with_observation(sys_name="A" * 100_000), 400),
        "negative counter": (with_observation(counters={"total": -5}), 400),
        "absurd counter": (with_observation(counters={"total": 10**15}), 400),
        "unknown field": (with_observation(evil="<script>alert(1)</script>"), 400),
        "NaN": (with_observation().replace(b'"duration_ms": 40', b'"duration_ms": NaN'), 400),
        "future": (json.dumps(_batch(xerox, at=time.time() + 3600)).encode(), 400),
        "too many": (json.dumps(too_many).encode(), (400, 413)),
        "too large": (json.dumps({**_batch(xerox), "pad": "x" * (protocol.MAX_BODY + 10)}).encode(), 413),
    }
    answers = netns.site_requests(
        enrolled.cli.net, [_signed_post(enrolled, "results/", body) for body, _status in cases.values()]
    )
    for (name, (_body, status)), answer in zip(cases.items(), answers, strict=True):
        if status == 413 and answer["status"] is None:
            # The portal refuses a body larger than the limit from its Content-Length,
            # without reading it: the client, still sending, may see the connection close
            # before it reads the 413.
            assert "EOF" in answer["text"] or "reset" in answer["text"].lower(), (name, answer)
            continue
        assert answer["status"] in (status if isinstance(status, tuple) else (status,)), (name, answer)
        reason = json.loads(answer["text"])
        assert reason["error"] and reason["detail"], (name, reason)
    time.sleep(1)
    assert not CollectorBatch.objects.filter(collector=enrolled.collector).exists()
    # Another account's device: ignored with the same answer as an unknown id, logged, nothing stored.
    (answer,) = netns.site_requests(
        enrolled.cli.net, [_signed_post(enrolled, "results/", json.dumps(_batch(foreign)).encode())]
    )
    assert answer["status"] == 202 and json.loads(answer["text"])["ignored"] == [foreign.pk], answer
    time.sleep(1)
    assert not PollAttempt.objects.exists() and not DeviceState.objects.exists()
    assert f"device(s) [{foreign.pk}] of another account" in enrolled.portal.log_tail(50_000)  # logged
    # The portal and the collector carry on.
    done = enrolled.cli.run_once()
    assert done.returncode == 0, said(done)
    stored(enrolled)
    assert PollAttempt.objects.filter(device__collector=enrolled.collector).count() == 3
