"""Fixes of the portal side's security review (issue 15): a collector cannot re-address
devices it does not poll, hostile text, ordering of uploads, discovery bounds, revocation,
clock skew, retention, worded results."""

from __future__ import annotations

import logging

import pytest

from accounts.models import Account, Site
from printers.models import Device, DeviceEvent
from tests import factories
from tests.collectors.conftest import batch, item

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
