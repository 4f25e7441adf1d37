"""Fixes of the portal side's security review (issue 15): a collector cannot re-address
devices it does not poll, hostile text, ordering of uploads, discovery bounds, revocation,
clock skew, retention, worded results."""

from __future__ import annotations

import json
import logging
import time

import pytest
from django.utils import translation

from accounts.models import Account, Site
from printers.models import Device, DeviceEvent
from tests import factories
from tests.collectors.conftest import batch, enrolled, item

pytestmark = pytest.mark.django_db


@pytest.fixture
def sibling(account):
    """Another sub-account of the same customer (the collector's account's sibling)."""
    return Account.objects.create(name="ABC Paris Pursuit", parent=account.parent)


@pytest.fixture
def sibling_site(sibling):
    return Site.objects.create(account=sibling, name="Paris HQ", city="Paris", country="France")


# --- 1. a collector cannot re-address another poller's devices ------------------------------


def test_a_collectors_foreign_answer_does_not_move_a_central_device_of_a_sibling(
    cc, account, site, sibling, sibling_site, caplog
):
    mine = factories.device(account, site, collector=cc.collector, ip_address="10.1.2.3", serial="MINE-1")
    central = factories.device(sibling, sibling_site, ip_address="192.168.50.7", serial="PARIS-77")
    with caplog.at_level(logging.WARNING, logger="fmp.security"):
        response = cc.post("results/", batch([item(mine, serial="PARIS-77")]))
    assert response.status_code == 202, response.content
    central.refresh_from_db()
    assert str(central.ip_address) == "192.168.50.7" and central.collector_id is None
    assert not DeviceEvent.objects.filter(device=central, key="printers.device.address_changed").exists()
    assert any(str(central.pk) in r.getMessage() for r in caplog.records if r.name == "fmp.security")


def test_a_collectors_foreign_answer_moves_its_own_device(cc, account, site):
    mine = factories.device(account, site, collector=cc.collector, ip_address="10.1.2.3", serial="MINE-1")
    moved = factories.device(account, site, collector=cc.collector, ip_address="10.1.2.99", serial="MINE-2")
    assert cc.post("results/", batch([item(mine, serial="MINE-2")])).status_code == 202
    moved.refresh_from_db()
    assert str(moved.ip_address) == "10.1.2.3"


def test_the_central_pollers_foreign_answer_does_not_move_a_collectors_device(cc, account, site):
    from fmp_snmp.observation import observation_from_dict
    from printers.services import device_record_observation
    from tests.collectors.conftest import observation

    central = factories.device(account, site, ip_address="10.7.7.7", serial="CENTRAL-1")
    theirs = factories.device(account, site, collector=cc.collector, ip_address="10.1.2.5", serial="COLL-5")
    device_record_observation(
        device=Device.objects.select_related("model__manufacturer").get(pk=central.pk),
        observation=observation_from_dict(observation(serial="COLL-5")),
    )
    theirs.refresh_from_db()
    assert str(theirs.ip_address) == "10.1.2.5"


# --- 2. text that is not valid Unicode is a 400, never a 500 ------------------------------

LONE = '"\\ud800"'  # valid JSON, not valid Unicode (a lone surrogate)


def assert_not_unicode(response):
    assert response.status_code == 400, (response.status_code, response.content)
    assert response.json() == {"error": "invalid", "detail": "text that is not valid Unicode"}


@pytest.mark.parametrize("field", ["hostname", "last_error"])
def test_a_heartbeat_with_a_lone_surrogate_is_400(cc, field):
    assert_not_unicode(cc.post("heartbeat/", raw=f'{{"queue_depth": 1, "{field}": {LONE}}}'.encode()))
    cc.collector.refresh_from_db()
    assert cc.collector.queue_depth == 0


def test_an_enrollment_with_a_lone_surrogate_is_400(account, client):
    from collectors.services import collector_create
    from fmp_collector import protocol

    collector, code = collector_create(account=account, name="new box", by=None)
    key = protocol.public_key_text(protocol.new_key())
    raw = f'{{"code": "{code}", "public_key": "{key}", "hostname": {LONE}, "version": "1"}}'
    response = client.post("/collector/v1/enroll/", raw.encode(), content_type="application/json")
    assert_not_unicode(response)
    collector.refresh_from_db()
    assert not collector.public_key


@pytest.mark.parametrize(
    "raw",
    [
        '{{"ok": false, "detail": {lone}}}',
        '{{"ok": true, "detail": "set", "result": {{"location": {lone}}}}}',
    ],
)
def test_a_command_answer_with_a_lone_surrogate_is_400(cc, account, site, raw):
    from printers.models import DeviceCommand

    device = factories.device(account, site, collector=cc.collector, ip_address="10.1.2.3")
    queued = DeviceCommand.objects.create(
        device=device, collector=cc.collector, kind="location", args={"location": "x"}
    )
    cc.get("commands/")
    assert_not_unicode(cc.post(f"commands/{queued.pk}/", raw=raw.format(lone=LONE).encode()))
    queued.refresh_from_db()
    assert queued.status == "delivered"


def test_results_with_a_lone_surrogate_are_400(cc, account, site):
    from collectors.models import CollectorBatch

    device = factories.device(account, site, collector=cc.collector, ip_address="10.1.2.3")
    body = batch([item(device)])
    raw = json.dumps(body).replace('"printer-1"', LONE)
    assert LONE in raw
    assert_not_unicode(cc.post("results/", raw=raw.encode()))
    assert not CollectorBatch.objects.exists()


# --- 3. a collector's uploads are stored in the order they were received ----------------


def test_two_uploads_stored_in_the_reverse_order_keep_the_whole_history(cc, account, site):
    from collectors.models import CollectorBatch
    from collectors.services import collector_batch_accept, collector_batch_store
    from printers.models import CounterSample, PollAttempt

    device = factories.device(account, site, collector=cc.collector, ip_address="10.1.2.3", serial="SN-O")
    t0 = time.time() - 3600
    first = batch(
        [item(device, at=t0 + n * 60, serial="SN-O", counters={"total": 100 + n}) for n in range(3)]
    )
    second = batch([item(device, at=t0 + 600, serial="SN-O", counters={"total": 200})])
    for body in (first, second):
        status, _answer = collector_batch_accept(collector=cc.collector, body=body, enqueue=lambda pk: None)
        assert status == 202
    older, newer = CollectorBatch.objects.order_by("pk")
    assert collector_batch_store(batch_id=newer.pk) is True  # its worker got there first
    assert collector_batch_store(batch_id=older.pk) is False  # already stored, in order
    assert set(CollectorBatch.objects.values_list("status", flat=True)) == {"stored"}
    history = CounterSample.objects.filter(device=device, counter="total").order_by("observed_at")
    assert [s.value for s in history] == [100, 101, 102, 200]
    assert PollAttempt.objects.filter(device=device).count() == 4
    device.state.refresh_from_db()
    assert device.state.total_pages == 200


def test_an_upload_that_cannot_be_stored_is_failed_and_its_payload_cleared(cc, account, site):
    from collectors.models import CollectorBatch
    from collectors.services import collector_batch_accept, collector_batch_store

    device = factories.device(account, site, collector=cc.collector, ip_address="10.1.2.3")
    collector_batch_accept(collector=cc.collector, body=batch([item(device)]), enqueue=lambda pk: None)
    CollectorBatch.objects.update(payload={"observations": [{"device": device.pk}]})  # no "at"
    assert collector_batch_store(batch_id=CollectorBatch.objects.get().pk) is True
    failed = CollectorBatch.objects.get()
    assert failed.status == "failed" and "KeyError" in failed.error and failed.payload == {}


# --- 6. revoking a collector ends what it was asked ---------------------------------------


def test_revoking_expires_its_commands_and_ends_the_pending_refreshes(
    cc, account, site, manager_client, manager
):
    from django.utils import timezone, translation

    from collectors.services import collector_revoke
    from printers.models import DeviceCommand
    from tests.collectors.printer_side import in_english

    in_english(manager)
    device = factories.device(
        account,
        site,
        collector=cc.collector,
        ip_address="10.1.2.3",
        state="ok",
        refresh_requested_at=timezone.now(),
    )
    pending = DeviceCommand.objects.create(device=device, collector=cc.collector, kind="reset", args={})
    delivered = DeviceCommand.objects.create(device=device, collector=cc.collector, kind="refresh", args={})
    cc.get("commands/")
    done = DeviceCommand.objects.create(
        device=device, collector=cc.collector, kind="reset", args={}, status="done"
    )
    assert 'hx-trigger="every 3s"' in manager_client.get(f"/printers/{device.pk}/").content.decode()
    collector_revoke(collector=cc.collector)
    for command in (pending, delivered):
        command.refresh_from_db()
        with translation.override("en"):  # stored as a code, worded for each reader
            assert command.status == "expired" and command.result_shown == "the collector was revoked"
    done.refresh_from_db()
    assert done.status == "done"
    device.refresh_from_db()
    assert device.refresh_requested_at is None
    page = manager_client.get(f"/printers/{device.pk}/").content.decode()
    assert 'hx-trigger="every 3s"' not in page and "the collector was revoked" in page


# --- 10. the panel says when this device was last reported -------------------------------


def test_the_panel_says_when_this_device_was_last_reported(cc, account, site, manager_client, manager):
    from datetime import timedelta

    from django.utils import timezone

    from tests.collectors.printer_side import in_english

    in_english(manager)
    device = factories.device(account, site, collector=cc.collector, ip_address="10.1.2.3", state="ok")
    device.state.last_attempt_at = timezone.now() - timedelta(hours=5, seconds=5)
    device.state.save()
    page = " ".join(manager_client.get(f"/printers/{device.pk}/").content.decode().split())
    line = page[page.find("collector-line") :][:600]
    assert "this device last reported 5 hours ago" in page, line
    silent = factories.device(account, site, collector=cc.collector, ip_address="10.1.2.4")
    page = " ".join(manager_client.get(f"/printers/{silent.pk}/").content.decode().split())
    assert "this device has not been reported yet" in page


# --- 5. a collector creates devices only in its own discovery ranges ---------------------


def test_discovered_printers_outside_the_collectors_ranges_are_ignored(cc, account, site, caplog):
    from printers.models import DiscoveryRange
    from tests.collectors.conftest import observation

    sweep = DiscoveryRange.objects.create(
        account=account, site=site, cidr="10.1.2.0/24", collector=cc.collector, snmp_community="public"
    )
    off = DiscoveryRange.objects.create(
        account=account, cidr="10.1.3.0/24", collector=cc.collector, enabled=False
    )
    other, _key = enrolled(account, name="other box")
    theirs = DiscoveryRange.objects.create(account=account, cidr="10.1.4.0/24", collector=other)
    central = DiscoveryRange.objects.create(account=account, cidr="10.1.5.0/24")

    def found(host, rng, n, **change):
        return {
            "host": host,
            "port": 161,
            "version": "2c",
            "community": "public",
            "range": rng,
            "at": time.time() - 30,
            "observation": observation(serial=f"FOUND-{n}"),
            **change,
        }

    items = [
        found("10.1.2.40", sweep.pk, 0),  # the only good one
        found("10.1.2.41", None, 1),
        found("10.9.9.9", sweep.pk, 2),  # outside the range
        found("10.1.3.5", off.pk, 3),
        found("10.1.4.5", theirs.pk, 4),
        found("10.1.5.5", central.pk, 5),
        found("10.1.2.42", sweep.pk, 6, port=1161),
        found("10.1.2.43", sweep.pk, 7, community="private"),
        found("10.1.2.44", 999_999, 8),
    ]
    with caplog.at_level(logging.WARNING, logger="fmp.security"):
        response = cc.post("results/", batch(discovered=items))
    assert response.status_code == 202, response.content
    assert response.json()["accepted"] == 1
    assert response.json()["ignored_discovered"] == list(range(1, 9))
    assert list(Device.objects.values_list("serial_number", flat=True)) == ["FOUND-0"]
    assert any("outside its discovery ranges" in r.getMessage() for r in caplog.records)


# --- 8. uploads are forgotten after their retention; a re-sent one still stores once ----


def test_old_uploads_are_pruned_and_a_batch_resent_after_stores_nothing_twice(cc, account, site, settings):
    from datetime import timedelta

    from django.utils import timezone

    from collectors.models import CollectorBatch
    from collectors.services import collector_batch_accept
    from collectors.tasks import collector_nonces_prune
    from printers.models import CounterSample, PollAttempt

    device = factories.device(account, site, collector=cc.collector, ip_address="10.1.2.3", serial="SN-P")
    body = batch([item(device, serial="SN-P", at=time.time() - 20 * 86400)])
    assert cc.post("results/", body).status_code == 202
    other, _key = enrolled(account, name="other box")
    collector_batch_accept(collector=other, body=batch(), enqueue=lambda pk: None)
    CollectorBatch.objects.update(received_at=timezone.now() - timedelta(days=15))
    counts = PollAttempt.objects.count(), CounterSample.objects.count()
    collector_nonces_prune.apply()  # the beat task
    assert list(CollectorBatch.objects.values_list("status", flat=True)) == ["queued"]  # kept
    again = cc.post("results/", body)
    assert again.status_code == 202  # not known any more, but nothing is stored twice
    assert (PollAttempt.objects.count(), CounterSample.objects.count()) == counts


# --- 9. a failed command is worded by the portal, not the collector ----------------------


@pytest.mark.parametrize(
    "kind,body,shown",
    [
        (
            "test_page",
            {
                "detail": "raw print connect failed on port 9100: Connection refused",
                "result": {"stage": "connect", "port": 9100, "reason": "refused"},
            },
            "the printer does not accept print jobs on port 9100 (the connection was refused)",
        ),
        (  # an older collector sends no reason: the system's English message is still not shown
            "test_page",
            {
                "detail": "raw print connect failed on port 9100: Connection refused",
                "result": {"stage": "connect", "port": 9100},
            },
            "the printer does not accept print jobs on port 9100",
        ),
        (
            "location",
            {"detail": "noAccess (index 1)", "result": {"snmp_status": 17}},
            "the device refused: notWritable",
        ),
        (
            "reset",
            {"detail": "Traceback: something English"},
            "the site collector could not carry out the command",
        ),
    ],
)
def test_a_failed_commands_result_is_worded_by_the_portal(cc, account, site, manager, kind, body, shown):
    from printers.models import DeviceCommand
    from tests.collectors.printer_side import in_english

    in_english(manager)
    device = factories.device(account, site, collector=cc.collector, ip_address="10.1.2.3")
    queued = DeviceCommand.objects.create(
        device=device, collector=cc.collector, kind=kind, args={}, created_by=manager
    )
    cc.get("commands/")
    assert cc.post(f"commands/{queued.pk}/", {"ok": False, **body}).status_code == 200
    queued.refresh_from_db()
    with translation.override("en"):  # stored as a code, worded for each reader
        assert queued.status == "failed" and queued.result_shown == shown
    with translation.override("fr"):
        assert queued.result_shown not in ("", shown)
