"""Fixtures of the collector endpoints: an enrolled collector with its real Ed25519 key, and
a client that signs its requests with ``fmp_collector.protocol.sign_headers``."""

from __future__ import annotations

import json
import time
import uuid

import pytest
from django.test import Client

from collectors.services import collector_create, collector_enroll
from fmp_collector import protocol
from fmp_snmp.observation import DeviceObservation, SupplyReading, observation_to_dict


class CollectorClient:
    """Django's test client, signing as a collector (or not at all with ``key=None``)."""

    def __init__(self, collector, key, *, capture=None):
        self.collector, self.key, self.client = collector, key, Client()
        self.capture = capture  # django_capture_on_commit_callbacks: run on_commit tasks
        self.last_headers: dict = {}

    def headers(self, method: str, path: str, body: bytes, now=None) -> dict:
        if self.key is None:
            return {}
        return protocol.sign_headers(self.key, str(self.collector.uid), method, path, body, now=now)

    def get(self, path: str, *, now=None, headers=None):
        path = protocol.PREFIX + path
        self.last_headers = headers or self.headers("GET", path, b"", now)
        return self.client.get(path, headers=self.last_headers)

    def post(self, path: str, data=None, *, raw: bytes | None = None, now=None, headers=None):
        path = protocol.PREFIX + path
        body = raw if raw is not None else json.dumps(data).encode()
        self.last_headers = headers or self.headers("POST", path, body, now)
        if self.capture is not None:
            with self.capture(execute=True):
                return self.client.post(
                    path, body, content_type="application/json", headers=self.last_headers
                )
        return self.client.post(path, body, content_type="application/json", headers=self.last_headers)


def enrolled(account, name="Site box", site=None):
    collector, code = collector_create(account=account, site=site, name=name, by=None)
    key = protocol.new_key()
    collector = collector_enroll(
        code=code,
        public_key=protocol.public_key_text(key),
        hostname="box",
        version="1.0",
        address="127.0.0.1",
    )
    return collector, key


@pytest.fixture
def collector_and_key(account, site):
    return enrolled(account, site=site)


@pytest.fixture
def collector(collector_and_key):
    return collector_and_key[0]


@pytest.fixture
def cc(collector_and_key, django_capture_on_commit_callbacks):
    collector, key = collector_and_key
    return CollectorClient(collector, key, capture=django_capture_on_commit_callbacks)


def observation(**fields) -> dict:
    """The wire form of one poll of a healthy colour printer (fields override)."""
    base = {
        "reachable": True,
        "overall": "ok",
        "serial": "",
        "vendor": "Xerox",
        "model": "VersaLink C405",
        "sys_name": "printer-1",
        "location": "Floor 2",
        "supplies": (
            SupplyReading(
                index=1, description="Black Toner", type="toner", colour="black", level=80, max_capacity=100
            ),
            SupplyReading(
                index=2, description="Cyan Toner", type="toner", colour="cyan", level=60, max_capacity=100
            ),
        ),
        "counters": {"total": 1000},
        "duration_ms": 40,
    }
    base.update(fields)
    return observation_to_dict(DeviceObservation(**base))


def batch(items=(), discovered=(), batch_id=None) -> dict:
    return {
        "batch": str(batch_id or uuid.uuid4()),
        "observations": list(items),
        "discovered": list(discovered),
    }


def item(device, at=None, **fields) -> dict:
    return {
        "device": device.pk,
        "at": at if at is not None else time.time() - 60,
        "observation": observation(**fields),
    }
