"""The collector's conversation with the portal: configuration (its devices only), commands
delivered once and answered, heartbeats; the cheap endpoints' query counts are pinned."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import Account
from collectors.models import Collector
from printers.models import DeviceCommand, DeviceEvent, DiscoveryRange
from tests import factories
from tests.collectors.conftest import enrolled

pytestmark = pytest.mark.django_db


def command(device, kind, **args):
    return DeviceCommand.objects.create(device=device, collector=device.collector, kind=kind, args=args)


def test_config_lists_only_its_own_devices_and_never_another_accounts_credentials(
    cc, account, site, other_account, other_site
):
    mine = factories.device(
        account, site, collector=cc.collector, ip_address="10.1.2.3", snmp_community="mine-secret"
    )
    factories.device(account, site, ip_address="10.1.2.4", snmp_community="central-secret")
    other_box, _key = enrolled(account, name="other box")
    factories.device(account, site, collector=other_box, ip_address="10.1.2.5", snmp_community="box2-secret")
    # Assigned to this collector by mistake, but of another account: never sent.
    factories.device(
        other_account,
        other_site,
        collector=cc.collector,
        ip_address="10.9.9.9",
        snmp_community="foreign-secret",
    )
    DiscoveryRange.objects.create(account=account, cidr="10.1.2.0/24", collector=cc.collector)
    DiscoveryRange.objects.create(account=account, cidr="10.7.0.0/24")
    response = cc.get("config/")
    assert response.status_code == 200
    config = response.json()
    assert [d["id"] for d in config["devices"]] == [mine.pk]
    assert config["devices"][0] == {
        "id": mine.pk,
        "host": "10.1.2.3",
        "port": 161,
        "version": "2c",
        "community": "mine-secret",
        "interval": 300,
    }
    assert [r["cidr"] for r in config["discovery"]] == ["10.1.2.0/24"]
    assert config["intervals"] == {"poll": 300, "commands": 5, "heartbeat": 60, "discovery": 86400}
    for secret in (b"central-secret", b"box2-secret", b"foreign-secret"):
        assert secret not in response.content


def test_config_version_changes_with_the_configuration_only(cc, account, site):
    first = cc.get("config/").json()["version"]
    assert cc.get("config/").json()["version"] == first
    assert cc.get("commands/").json()["config_version"] == first
    factories.device(account, site, collector=cc.collector, ip_address="10.1.2.3")
    second = cc.get("config/").json()["version"]
    assert second != first
    assert cc.post("heartbeat/", {}).json()["config_version"] == second


def test_the_cheap_answers_learn_of_a_change_once_the_cached_version_expires(cc, account, site, settings):
    from django.core.cache import cache

    first = cc.get("commands/").json()["config_version"]
    factories.device(account, site, collector=cc.collector, ip_address="10.1.2.4")
    # Within FMP_COLLECTOR_CONFIG_VERSION_SECONDS the cheap answer keeps the version it computed...
    assert cc.get("commands/").json()["config_version"] == first
    cache.clear()  # ...then (the window has passed) it says the configuration changed.
    changed = cc.get("commands/").json()["config_version"]
    assert changed != first and changed == cc.get("config/").json()["version"]
    settings.FMP_COLLECTOR_CONFIG_VERSION_SECONDS = 0  # no window: every answer is fresh
    factories.device(account, site, collector=cc.collector, ip_address="10.1.2.5")
    assert cc.post("heartbeat/", {}).json()["config_version"] not in (first, changed)


def test_an_inactive_accounts_devices_are_not_sent(cc, account, site):
    factories.device(account, site, collector=cc.collector, ip_address="10.1.2.3")
    Account.objects.filter(pk=account.pk).update(is_active=False)
    assert cc.get("config/").json()["devices"] == []


def test_a_command_is_delivered_once_then_its_location_result_is_stored(cc, account, site, manager):
    device = factories.device(account, site, collector=cc.collector, ip_address="10.1.2.3")
    queued = command(device, "location", location="Floor 3")
    first = cc.get("commands/").json()["commands"]
    assert first == [
        {"id": queued.pk, "device": device.pk, "kind": "location", "args": {"location": "Floor 3"}}
    ]
    assert cc.get("commands/").json()["commands"] == []  # delivered once
    queued.refresh_from_db()
    assert queued.status == "delivered" and queued.delivered_at
    answer = cc.post(
        f"commands/{queued.pk}/", {"ok": True, "detail": "set", "result": {"location": "Floor 3 (east)"}}
    )
    assert answer.status_code == 200 and answer.json() == {"ok": True}
    queued.refresh_from_db()
    device.refresh_from_db()
    assert queued.status == "done" and queued.result == ""  # the collector's text is not shown
    assert device.printer_location == "Floor 3 (east)"
    # Sent again (the collector did not hear the answer): nothing changes.
    assert cc.post(f"commands/{queued.pk}/", {"ok": False, "detail": "x"}).status_code == 200
    queued.refresh_from_db()
    assert queued.status == "done"


def test_a_failed_reset_is_recorded_and_a_good_one_too(cc, account, site, manager):
    device = factories.device(account, site, collector=cc.collector, ip_address="10.1.2.3")
    failing = command(device, "reset")
    failing.created_by = manager
    failing.save()
    cc.get("commands/")
    cc.post(
        f"commands/{failing.pk}/",
        {"ok": False, "detail": "the device refused the reset: noAccess", "result": {"snmp_status": 6}},
    )
    failing.refresh_from_db()
    assert failing.status == "failed" and "noAccess" in failing.result
    event = DeviceEvent.objects.get(device=device, key="printers.device.reset_failed")
    assert event.user == manager and "noAccess" in event.detail  # worded in the reader's language
    assert event.data["technical"] == "the device refused the reset: noAccess"  # for the help desk
    good = command(device, "reset")
    cc.get("commands/")
    cc.post(f"commands/{good.pk}/", {"ok": True, "detail": "reset sent"})
    assert DeviceEvent.objects.filter(device=device, key="printers.device.reset").count() == 1


def test_another_collectors_command_is_404_and_untouched(cc, account, site):
    other, _key = enrolled(account, name="other box")
    device = factories.device(account, site, collector=other, ip_address="10.1.2.3")
    theirs = command(device, "test_page", payload="", port=9100)
    assert cc.get("commands/").json()["commands"] == []
    response = cc.post(f"commands/{theirs.pk}/", {"ok": True, "detail": "done"})
    assert response.status_code == 404 and response.json()["error"] == "not_found"
    theirs.refresh_from_db()
    assert theirs.status == "pending"


def test_a_command_answer_is_validated(cc, account, site):
    device = factories.device(account, site, collector=cc.collector, ip_address="10.1.2.3")
    queued = command(device, "location", location="x")
    cc.get("commands/")
    for body in (
        [],
        {"ok": "yes"},
        {"ok": True, "detail": "x" * 501},
        {"ok": True, "extra": 1},
        {"ok": True, "result": {"location": "x" * 300}},
        {"ok": True, "result": []},
    ):
        response = cc.post(f"commands/{queued.pk}/", body)
        assert response.status_code == 400 and response.json()["detail"], body
    queued.refresh_from_db()
    assert queued.status == "delivered"


def test_a_command_never_answered_expires(cc, account, site, settings):
    device = factories.device(account, site, collector=cc.collector, ip_address="10.1.2.3")
    queued = command(device, "refresh")
    device.refresh_requested_at = timezone.now()
    device.save()
    cc.get("commands/")
    DeviceCommand.objects.filter(pk=queued.pk).update(
        delivered_at=timezone.now() - timedelta(seconds=settings.FMP_COLLECTOR_COMMAND_EXPIRY + 1)
    )
    assert cc.get("commands/").json()["commands"] == []
    queued.refresh_from_db()
    device.refresh_from_db()
    assert queued.status == "expired" and device.refresh_requested_at is None


def test_nothing_to_do_costs_a_handful_of_queries(cc, account, site, django_assert_max_num_queries):
    factories.device(account, site, collector=cc.collector, ip_address="10.1.2.3")
    cc.get("commands/")
    with django_assert_max_num_queries(8):
        assert cc.get("commands/").json()["commands"] == []
    with django_assert_max_num_queries(8):
        assert cc.post("heartbeat/", {"queue_depth": 1}).status_code == 200


def test_commands_for_many_devices_cost_the_same(cc, account, site, django_assert_max_num_queries):
    devices = [
        factories.device(account, site, collector=cc.collector, ip_address=f"10.1.2.{n}") for n in range(1, 6)
    ]
    for device in devices:
        command(device, "refresh")
    with django_assert_max_num_queries(8):
        assert len(cc.get("commands/").json()["commands"]) == 5


def test_a_heartbeat_is_stored_and_hostile_ones_refused(cc):
    ok = cc.post(
        "heartbeat/",
        {
            "version": "1.2.0",
            "hostname": "pi-webster",
            "queue_depth": 12,
            "dropped": 3,
            "devices_polled": 40,
            "last_error": "portal unreachable",
        },
    )
    assert ok.status_code == 200
    c = Collector.objects.get(pk=cc.collector.pk)
    assert (c.version, c.hostname, c.queue_depth, c.dropped, c.devices_polled, c.last_error) == (
        "1.2.0",
        "pi-webster",
        12,
        3,
        40,
        "portal unreachable",
    )
    for body in (
        {"queue_depth": -1},
        {"queue_depth": 2**40},
        {"dropped": "many"},
        {"hostname": "h" * 300},
        {"version": None, "queue_depth": True},
        {"surprise": 1},
        [1],
        "text",
    ):
        response = cc.post("heartbeat/", body)
        assert response.status_code == 400 and response.json()["error"] == "invalid", body
    assert cc.post("heartbeat/", raw=b"\xff\xfe not json").status_code == 400
    assert cc.post("heartbeat/", raw=b'{"queue_depth": NaN}').status_code == 400
    c.refresh_from_db()
    assert c.queue_depth == 12


def test_snmpv3_devices_carry_their_user_and_keys_to_their_collector_only(cc, account, site):
    factories.device(
        account,
        site,
        collector=cc.collector,
        ip_address="10.1.2.3",
        snmp_version="3",
        snmp_v3_user="fmp",
        snmp_v3_auth_protocol="SHA",
        snmp_v3_auth_key="auth-secret",
        snmp_v3_priv_protocol="AES",
        snmp_v3_priv_key="priv-secret",
    )
    device = cc.get("config/").json()["devices"][0]
    assert device["version"] == "3" and device["community"] == ""
    assert device["v3"] == {
        "user": "fmp",
        "auth_protocol": "SHA",
        "auth_key": "auth-secret",
        "priv_protocol": "AES",
        "priv_key": "priv-secret",
    }


def test_other_addresses_under_the_prefix_are_json_404_never_a_page_or_redirect(cc):
    for path in ("/collector/v1/nothing/", "/collector/v1/results", "/collector/v1/config"):
        response = cc.client.post(path, b"{}", content_type="application/json")
        assert response.status_code == 404 and response.json()["error"] == "not_found", path
    response = cc.get("config/?next=//evil.example")
    assert response.status_code == 200 and "devices" in response.json()


@pytest.mark.django_db(transaction=True)
def test_two_requests_at_the_same_moment_get_each_command_once(account, site):
    from collectors.services import collector_commands_take
    from tests.conftest import run_together

    collector, _key = enrolled(account, name="box")
    device = factories.device(account, site, collector=collector, ip_address="10.1.2.3")
    queued = [command(device, "refresh") for _ in range(20)]
    outcomes = run_together(*[lambda: collector_commands_take(collector=collector) for _ in range(4)])
    delivered = [c.pk for outcome in outcomes for c in outcome]
    assert sorted(delivered) == sorted(c.pk for c in queued)
