"""Every collector endpoint refuses a request without a valid signature (401), whatever is
wrong with it: no headers, unknown or revoked collector, wrong key, tampered body, replayed
nonce, skewed clock (``clock_skew``, with the portal's time). Nothing such a request carries is stored."""

from __future__ import annotations

import time
import uuid
from email.utils import parsedate_to_datetime

import pytest

from collectors.models import CollectorBatch, CollectorNonce
from collectors.services import collector_create, collector_nonces_prune, collector_revoke
from fmp_collector import protocol
from printers.models import StatusObservation
from tests import factories
from tests.collectors.conftest import CollectorClient, batch, item

pytestmark = pytest.mark.django_db

# (method, path relative to /collector/v1/, body)
ENDPOINTS = [
    ("GET", "config/", None),
    ("GET", "commands/", None),
    ("POST", "commands/1/", {"ok": True, "detail": "", "result": {}}),
    ("POST", "results/", {"batch": str(uuid.uuid4()), "observations": []}),
    ("POST", "heartbeat/", {"version": "1.0", "queue_depth": 0}),
]


def call(cc: CollectorClient, method, path, body, **kw):
    return cc.get(path, **kw) if method == "GET" else cc.post(path, body, **kw)


def assert_401(response, reason: str):
    assert response.status_code == 401, (response.status_code, response.content)
    assert response["Content-Type"] == "application/json"
    assert response.json()["error"] == "unauthorized"
    assert reason in response.json()["detail"], response.json()


@pytest.mark.parametrize("method,path,body", ENDPOINTS)
def test_without_credential_every_endpoint_is_401(collector, method, path, body):
    assert_401(call(CollectorClient(collector, None), method, path, body), "missing header")


@pytest.mark.parametrize("method,path,body", ENDPOINTS)
def test_signed_with_another_key_every_endpoint_is_401(collector, method, path, body):
    assert_401(call(CollectorClient(collector, protocol.new_key()), method, path, body), "bad signature")


@pytest.mark.parametrize("method,path,body", ENDPOINTS)
def test_a_replayed_request_is_401(cc, method, path, body):
    first = call(cc, method, path, body)
    assert first.status_code != 401
    assert_401(call(cc, method, path, body, headers=cc.last_headers), "replayed")


@pytest.mark.parametrize("method,path,body", ENDPOINTS)
def test_a_skewed_clock_is_401_clock_skew_with_the_portals_time(cc, method, path, body):
    for offset in (-400, 400):
        response = call(cc, method, path, body, now=time.time() + offset)
        assert response.status_code == 401 and response["Content-Type"] == "application/json"
        assert response.json()["error"] == "clock_skew", response.json()
        assert "the portal's time is" in response.json()["detail"]
        assert abs(parsedate_to_datetime(response["Date"]).timestamp() - time.time()) < 5
    assert not CollectorBatch.objects.exists()


@pytest.mark.parametrize("method,path,body", ENDPOINTS)
def test_a_skewed_request_with_a_bad_signature_is_only_bad_signature(collector, method, path, body):
    stranger = CollectorClient(collector, protocol.new_key())
    assert_401(call(stranger, method, path, body, now=time.time() - 400), "bad signature")


@pytest.mark.parametrize("method,path,body", ENDPOINTS)
def test_every_answer_carries_the_portals_date(cc, method, path, body):
    assert parsedate_to_datetime(call(cc, method, path, body)["Date"])
    assert parsedate_to_datetime(CollectorClient(cc.collector, None).get("config/")["Date"])
    assert parsedate_to_datetime(cc.client.get("/collector/v1/nothing/")["Date"])


@pytest.mark.parametrize("method,path,body", ENDPOINTS)
def test_a_revoked_collector_is_401(cc, method, path, body):
    collector_revoke(collector=cc.collector)
    assert_401(call(cc, method, path, body), "revoked")


def test_a_revoked_collectors_state_is_not_told_without_its_key(cc):
    collector_revoke(collector=cc.collector)
    assert_401(CollectorClient(cc.collector, protocol.new_key()).get("config/"), "bad signature")


def test_an_unknown_or_not_enrolled_collector_is_401(account):
    waiting, _code = collector_create(account=account, name="waiting", by=None)
    assert_401(CollectorClient(waiting, protocol.new_key()).get("config/"), "unknown collector")
    ghost = type("Ghost", (), {"uid": uuid.uuid4()})()
    assert_401(CollectorClient(ghost, protocol.new_key()).get("config/"), "unknown collector")
    junk = dict.fromkeys(
        (
            protocol.HEADER_COLLECTOR,
            protocol.HEADER_TIMESTAMP,
            protocol.HEADER_NONCE,
            protocol.HEADER_SIGNATURE,
        ),
        "x",
    )
    assert_401(CollectorClient(waiting, None).get("config/", headers=junk), "unknown collector")


def test_a_body_changed_after_signing_is_401(cc, account, site):
    device = factories.device(account, site, collector=cc.collector)
    signed = batch([item(device)])
    path = protocol.PREFIX + "results/"
    import json

    headers = protocol.sign_headers(cc.key, str(cc.collector.uid), "POST", path, json.dumps(signed).encode())
    signed["observations"][0]["observation"]["counters"]["total"] = 5
    assert_401(cc.post("results/", signed, headers=headers), "bad signature")
    assert not CollectorBatch.objects.exists()


def test_nothing_a_revoked_collector_sends_is_stored(cc, account, site):
    device = factories.device(account, site, collector=cc.collector)
    collector_revoke(collector=cc.collector)
    assert cc.post("results/", batch([item(device)])).status_code == 401
    assert cc.post("heartbeat/", {"queue_depth": 99}).status_code == 401
    assert not CollectorBatch.objects.exists()
    assert not StatusObservation.objects.filter(device=device).exists()
    cc.collector.refresh_from_db()
    assert cc.collector.queue_depth == 0


def test_old_nonces_are_pruned(cc):
    assert cc.get("config/").status_code == 200
    assert CollectorNonce.objects.count() == 1
    assert collector_nonces_prune() == 0
    CollectorNonce.objects.update(seen_at=CollectorNonce.objects.get().seen_at.replace(year=2020))
    assert collector_nonces_prune() == 1


def test_contact_is_recorded_at_most_every_few_seconds(cc, django_assert_max_num_queries):
    from collectors.models import Collector

    Collector.objects.filter(pk=cc.collector.pk).update(last_seen_at=None)
    assert cc.get("config/").status_code == 200
    first = Collector.objects.get(pk=cc.collector.pk).last_seen_at
    assert first is not None
    assert cc.get("config/").status_code == 200
    assert Collector.objects.get(pk=cc.collector.pk).last_seen_at == first  # not written again


def test_no_session_no_csrf_no_redirect_even_with_a_logged_in_cookie(cc, manager):
    cc.client.force_login(manager)
    cc.client.enforce_csrf_checks = True
    response = cc.post("heartbeat/", {"queue_depth": 1})
    assert response.status_code == 200 and response.json()["ok"] is True


def test_an_oversized_body_is_413_before_anything_is_read(cc):
    big = b'{"batch": "' + b"x" * (protocol.MAX_BODY + 10) + b'"}'
    response = cc.post("results/", raw=big)
    assert response.status_code == 413 and response.json()["error"] == "too_large"
    assert not CollectorBatch.objects.exists()
