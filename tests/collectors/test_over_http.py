"""The endpoints over real HTTP (live server, urllib): what a collector on a site sends."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request

import pytest

from collectors.services import collector_create
from fmp_collector import protocol
from printers.models import CounterSample
from tests import factories
from tests.collectors.conftest import batch, item


def call(base: str, key, uid: str | None, method: str, path: str, body: bytes = b""):
    path = protocol.PREFIX + path
    headers = {"Content-Type": "application/json"}
    if key is not None:
        headers.update(protocol.sign_headers(key, uid, method, path, body))
    data = body if method == "POST" else None
    request = urllib.request.Request(base + path, data=data, method=method, headers=headers)  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


@pytest.mark.django_db(transaction=True)
def test_enroll_configure_upload_and_refusals_over_http(live_server, account, site):
    box, code = collector_create(account=account, site=site, name="HTTP box", by=None)
    key = protocol.new_key()
    enroll = json.dumps(
        {"code": code, "public_key": protocol.public_key_text(key), "hostname": "h", "version": "1"}
    )
    status, answer = call(live_server.url, None, None, "POST", "enroll/", enroll.encode())
    assert status == 201, answer
    uid = answer["collector"]
    device = factories.device(account, site, ip_address="10.1.2.3", serial="H-1")
    device.collector_id = box.pk
    device.save()
    status, config = call(live_server.url, key, uid, "GET", "config/")
    assert status == 200 and [d["id"] for d in config["devices"]] == [device.pk]
    body = json.dumps(
        batch([item(device, at=time.time() - 30, serial="H-1", counters={"total": 777})])
    ).encode()
    status, answer = call(live_server.url, key, uid, "POST", "results/", body)
    assert status == 202 and answer["accepted"] == 1
    assert CounterSample.objects.get(device=device).value == 777
    assert call(live_server.url, None, None, "GET", "config/")[0] == 401
    assert call(live_server.url, protocol.new_key(), uid, "GET", "config/")[0] == 401
    status, answer = call(live_server.url, key, uid, "POST", "results/", b"x" * (protocol.MAX_BODY + 1))
    assert status == 413 and answer["error"] == "too_large"
