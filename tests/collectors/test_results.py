"""Uploads: stored through the central poller's path at the collector's poll times; a batch
sent twice stores nothing new; a hostile batch is refused whole; another account's device
is ignored."""

from __future__ import annotations

import json
import logging
import time
from datetime import UTC, datetime

import pytest

from collectors.models import CollectorBatch, CollectorConflict
from collectors.services import collector_batch_store
from fmp_collector import protocol
from printers.models import CounterSample, Device, PollAttempt, StatusObservation
from tests import factories
from tests.collectors.conftest import batch, enrolled, item, observation

pytestmark = pytest.mark.django_db


def nothing_stored():
    return (
        not CollectorBatch.objects.exists()
        and not StatusObservation.objects.exists()
        and not PollAttempt.objects.exists()
        and not CounterSample.objects.exists()
    )


@pytest.fixture
def device(cc, account, site):
    return factories.device(account, site, collector=cc.collector, ip_address="10.1.2.3", serial="SN-COLL-1")


def test_a_batch_is_stored_with_history_at_the_collectors_times(cc, device):
    t0 = time.time() - 3 * 86400
    items = [
        item(device, at=t0 + 2 * 86400, serial="SN-COLL-1", counters={"total": 1300}),
        item(device, at=t0, serial="SN-COLL-1", counters={"total": 1000}),
        item(device, at=t0 + 86400, serial="SN-COLL-1", overall="warning", counters={"total": 1100}),
    ]
    response = cc.post("results/", batch(items))
    assert response.status_code == 202, response.content
    assert response.json()["accepted"] == 3 and response.json()["ignored"] == []
    stored = CollectorBatch.objects.get()
    assert stored.status == "stored" and stored.payload == {}
    device.refresh_from_db()
    assert device.state.total_pages == 1300
    assert device.state.last_attempt_at == datetime.fromtimestamp(t0 + 2 * 86400, tz=UTC)
    history = list(CounterSample.objects.filter(device=device, counter="total").order_by("observed_at"))
    assert [s.value for s in history] == [1000, 1100, 1300]
    assert history[0].observed_at == datetime.fromtimestamp(t0, tz=UTC)
    assert StatusObservation.objects.filter(device=device, overall="warning").exists()
    assert device.state.level_black == 80 and device.state.level_cyan == 60


def test_a_batch_sent_twice_stores_nothing_new(cc, device):
    body = batch([item(device, serial="SN-COLL-1")])
    assert cc.post("results/", body).status_code == 202
    counts = (PollAttempt.objects.count(), StatusObservation.objects.count(), CounterSample.objects.count())
    again = cc.post("results/", body)
    assert again.status_code == 200 and again.json() == {"batch": body["batch"], "duplicate": True}
    assert (
        PollAttempt.objects.count(),
        StatusObservation.objects.count(),
        CounterSample.objects.count(),
    ) == counts
    assert CollectorBatch.objects.count() == 1


def test_the_same_observations_in_a_new_batch_are_not_stored_twice(cc, device):
    at = time.time() - 100
    assert cc.post("results/", batch([item(device, at=at, serial="SN-COLL-1")])).status_code == 202
    attempts = PollAttempt.objects.count()
    assert cc.post("results/", batch([item(device, at=at, serial="SN-COLL-1")])).status_code == 202
    assert PollAttempt.objects.count() == attempts


def test_storing_a_batch_again_does_nothing(cc, device):
    assert cc.post("results/", batch([item(device, serial="SN-COLL-1")])).status_code == 202
    assert collector_batch_store(batch_id=CollectorBatch.objects.get().pk) is False


HOSTILE = [
    ("not an object", []),
    ("no batch id", {"observations": []}),
    ("bad batch id", {"batch": "123", "observations": []}),
    ("unknown top field", {"batch": "6f1c2f1e-0000-4000-8000-000000000000", "x": 1}),
    ("observations not a list", {"batch": "6f1c2f1e-0000-4000-8000-000000000000", "observations": {}}),
]


@pytest.mark.parametrize("label,body", HOSTILE)
def test_a_malformed_batch_is_400_with_a_reason(cc, label, body):
    response = cc.post("results/", body)
    assert (
        response.status_code == 400 and response.json()["error"] == "invalid" and response.json()["detail"]
    ), label
    assert nothing_stored()


@pytest.mark.parametrize(
    "change,reason",
    [
        (lambda i: i.update(device="17"), "observations[1].device"),
        (lambda i: i.update(device=True), "observations[1].device"),
        (lambda i: i.update(at="yesterday"), "observations[1].at"),
        (lambda i: i.update(at=time.time() + 3600), "in the future"),
        (lambda i: i.update(at=time.time() - 40 * 86400), "older than 30 days"),
        (lambda i: i["observation"]["counters"].update(total=-5), "counters.total"),
        (lambda i: i["observation"]["counters"].update(total=10**15), "counters.total"),
        (lambda i: i["observation"].update(serial="S" * 10_000), "serial: longer than"),
        (lambda i: i["observation"].update(overall="<script>"), "overall"),
        (lambda i: i["observation"].update(reachable="yes"), "reachable"),
        (lambda i: i["observation"].update(surprise=1), "unknown field"),
        (lambda i: i.update(extra=1), "unknown field extra"),
        (lambda i: i.pop("observation"), "observation: missing"),
    ],
)
def test_one_bad_item_refuses_the_whole_batch(cc, device, change, reason):
    items = [item(device, serial="SN-COLL-1"), item(device, serial="SN-COLL-1")]
    change(items[1])
    response = cc.post("results/", batch(items))
    assert response.status_code == 400, response.content
    assert reason in response.json()["detail"], response.json()
    assert nothing_stored()


def test_too_many_items_are_refused(cc, device):
    items = [item(device, at=time.time() - n) for n in range(protocol.MAX_BATCH + 1)]
    response = cc.post("results/", batch(items))
    assert response.status_code == 400 and "too many items" in response.json()["detail"]
    assert nothing_stored()


def test_hostile_bodies_are_refused(cc, device):
    for raw in (b"", b"{", b"\xff\xfe", b'{"batch": Infinity}', b"[" * 100_000 + b"]" * 100_000, b"null"):
        response = cc.post("results/", raw=raw)
        assert response.status_code == 400 and response.json()["detail"], raw[:20]
    assert nothing_stored()


def test_a_huge_body_is_413(cc, device):
    items = [item(device, at=time.time() - n) for n in range(3)]
    items[0]["observation"]["error"] = "e" * (protocol.MAX_BODY + 1)
    response = cc.post("results/", batch(items))
    assert response.status_code == 413 and response.json()["error"] == "too_large"
    assert nothing_stored()


def test_another_accounts_device_is_ignored_like_an_unknown_id_and_is_logged(
    cc, device, account, other_account, other_site, caplog
):
    from accounts.models import Account

    foreign = factories.device(other_account, other_site, ip_address="10.9.9.9")
    gone = factories.device(account, None, collector=cc.collector, ip_address="10.9.9.8")
    gone_pk = gone.pk
    gone.delete()
    asleep = Account.objects.create(name="Closed branch", parent=account, is_active=False)
    sleeping = factories.device(asleep, None, collector=cc.collector, ip_address="10.9.9.7")
    with caplog.at_level(logging.WARNING, logger="fmp.security"):
        response = cc.post(
            "results/",
            batch([item(device, serial="SN-COLL-1"), item(foreign), item(sleeping)]),
        )
        unknown = cc.post("results/", batch([{**item(device), "device": gone_pk}]))
    assert response.status_code == 202 and unknown.status_code == 202
    assert response.json()["accepted"] == 1
    assert response.json()["ignored"] == sorted([foreign.pk, sleeping.pk])
    assert unknown.json()["ignored"] == [gone_pk]
    assert not PollAttempt.objects.filter(device=foreign).exists()
    assert PollAttempt.objects.filter(device=device).count() == 1
    assert not CollectorConflict.objects.filter(device=foreign).exists()
    assert any(
        str(foreign.pk) in r.getMessage() and "another account" in r.getMessage() for r in caplog.records
    )


def test_a_device_another_collector_owns_is_ignored_and_a_conflict(cc, device, account, site):
    other, _key = enrolled(account, name="other box")
    theirs = factories.device(account, site, collector=other, ip_address="10.1.2.9")
    central = factories.device(account, site, ip_address="10.1.2.10")
    body = batch([item(device, serial="SN-COLL-1"), item(theirs), item(central)])
    response = cc.post("results/", body)
    assert response.status_code == 202
    assert response.json()["accepted"] == 1 and response.json()["ignored"] == sorted([theirs.pk, central.pk])
    assert not PollAttempt.objects.filter(device__in=[theirs, central]).exists()
    assert PollAttempt.objects.filter(device=device).count() == 1
    assert set(CollectorConflict.objects.values_list("device_id", "reports")) == {
        (theirs.pk, 1),
        (central.pk, 1),
    }
    cc.post("results/", batch([item(theirs, at=time.time() - 10)]))
    assert CollectorConflict.objects.get(device=theirs).reports == 2


@pytest.fixture
def sweep(cc, account, site):
    from printers.models import DiscoveryRange

    return DiscoveryRange.objects.create(
        account=account, site=site, cidr="10.1.2.0/24", collector=cc.collector, snmp_community="public"
    )


def test_a_discovered_printer_appears_as_newly_discovered_in_its_account_and_site(cc, account, site, sweep):
    found = {
        "host": "10.1.2.40",
        "port": 161,
        "version": "2c",
        "community": "public",
        "range": sweep.pk,
        "at": time.time() - 30,
        "observation": observation(serial="NEW-SN-9", counters={"total": 4242}),
    }
    response = cc.post("results/", batch(discovered=[found]))
    assert response.status_code == 202, response.content
    device = Device.objects.get(serial_number="NEW-SN-9")
    assert device.newly_discovered and device.account == account and device.site == site
    assert device.collector == cc.collector and str(device.ip_address) == "10.1.2.40"
    assert device.model.name == "VersaLink C405" and device.state.total_pages == 4242
    # Found again by the next sweep: the same device, not a second one.
    found["at"] = time.time() - 10
    assert cc.post("results/", batch(discovered=[found])).status_code == 202
    assert Device.objects.filter(serial_number="NEW-SN-9").count() == 1


def test_a_discovered_serial_owned_by_another_collector_is_a_conflict(cc, account, site, sweep):
    other, _key = enrolled(account, name="other box")
    theirs = factories.device(account, site, collector=other, ip_address="10.5.5.5", serial="OWNED-1")
    found = {
        "host": "10.1.2.41",
        "port": 161,
        "version": "2c",
        "community": "public",
        "range": sweep.pk,
        "at": time.time() - 30,
        "observation": observation(serial="OWNED-1"),
    }
    assert cc.post("results/", batch(discovered=[found])).status_code == 202
    assert Device.objects.filter(serial_number="OWNED-1").count() == 1
    theirs.refresh_from_db()
    assert str(theirs.ip_address) == "10.5.5.5"
    assert CollectorConflict.objects.filter(collector=cc.collector, device=theirs).exists()


def test_hostile_discovered_items_are_refused(cc):
    base = {
        "host": "10.1.2.40",
        "port": 161,
        "version": "2c",
        "community": "public",
        "at": time.time() - 30,
        "observation": observation(),
    }
    for change in (
        {"host": "evil.example"},
        {"host": "10.1.2.300"},
        {"port": 0},
        {"port": 70000},
        {"version": "3"},
        {"community": "c" * 101},
        {"range": "x"},
    ):
        response = cc.post("results/", batch(discovered=[{**base, **change}]))
        assert response.status_code == 400 and "discovered[0]" in response.json()["detail"], change
    assert nothing_stored() and not Device.objects.exists()


def test_the_reason_is_json_even_for_a_wrong_method(cc):
    response = cc.client.get("/collector/v1/results/")
    assert response.status_code == 405 and json.loads(response.content)["error"] == "method_not_allowed"


def test_an_upload_of_a_collector_revoked_before_it_was_stored_is_not_stored(cc, device):
    from collectors.services import collector_batch_accept, collector_revoke

    status, _answer = collector_batch_accept(
        collector=cc.collector, body=batch([item(device, serial="SN-COLL-1")]), enqueue=lambda pk: None
    )
    assert status == 202
    collector_revoke(collector=cc.collector)
    assert collector_batch_store(batch_id=CollectorBatch.objects.get().pk) is True
    stored = CollectorBatch.objects.get()
    assert stored.status == "failed" and "revoked" in stored.error and stored.payload == {}
    assert not PollAttempt.objects.exists()


def test_an_error_reported_through_the_collector_opens_the_automatic_ticket(cc, device):
    """The same path as the central poller: conditions and automatic tickets behave the same."""
    from tickets.models import Ticket

    t0 = time.time() - 600
    items = [
        item(device, at=t0 + n * 60, serial="SN-COLL-1", overall="error", conditions=("jammed",))
        for n in range(2)
    ]
    assert cc.post("results/", batch(items)).status_code == 202
    device.refresh_from_db()
    assert device.state.overall == "error" and "jammed" in device.state.conditions
    assert device.conditions.filter(code="jammed", cleared_at__isnull=True).exists()
    assert Ticket.objects.filter(device=device, condition_code="jammed", origin="monitoring").count() == 1


def trap_item(device, code=8, **fields) -> dict:
    return {
        "device": device.pk,
        "at": time.time() - 5,
        "source": "10.1.2.3",
        "trap": {
            "version": "2c",
            "kind": "printer_alert",
            "trap_oid": "1.3.6.1.2.1.43.18.2.0.1",
            "uptime_ticks": 1234,
            "serial": "SN-COLL-1",
            "alert": {"index": 7, "severity": "critical", "group": 13, "group_index": 1, "code": code},
            **fields,
        },
    }


def test_traps_a_collector_received_raise_their_condition_and_another_accounts_are_ignored(
    cc, device, other_account, other_site
):
    from printers.models import DeviceCondition, DeviceEvent

    foreign = factories.device(other_account, other_site, ip_address="10.9.9.9")
    response = cc.post("results/", {**batch(), "traps": [trap_item(device), trap_item(foreign)]})
    assert response.status_code == 202, response.content
    assert response.json()["ignored"] == [foreign.pk]
    assert DeviceCondition.objects.filter(device=device, code="jammed", cleared_at__isnull=True).exists()
    event = DeviceEvent.objects.get(device=device, key="printers.device.trap")
    assert event.data["alert"]["code_name"] == "jam" and event.data["source"] == "10.1.2.3"
    assert not DeviceEvent.objects.filter(device=foreign).exists()
    assert not DeviceCondition.objects.filter(device=foreign).exists()


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (lambda t: t.update(source="not an address"), "traps[0].source: an IP address is expected"),
        (lambda t: t["trap"].update(kind="meltdown"), "traps[0].trap.kind: unknown kind"),
        (lambda t: t["trap"].update(trap_oid="1.x"), "traps[0].trap.trap_oid: an OID is expected"),
        (
            lambda t: t["trap"]["alert"].update(severity="panic"),
            "traps[0].trap.alert.severity: unknown severity",
        ),
        (lambda t: t["trap"].update(extra=1), "traps[0].trap: unknown field extra"),
    ],
)
def test_a_bad_trap_refuses_the_batch_with_the_reason(cc, device, change, reason):
    bad = trap_item(device)
    change(bad)
    response = cc.post("results/", {**batch([item(device)]), "traps": [bad]})
    assert response.status_code == 400
    assert reason in response.json()["detail"]
    assert nothing_stored()
