"""Every customer-facing URL, enumerated from the URLconf, as an outsider, anonymously and
as a plain user: 404, login redirect or 403 — never another account's data.

A new URL with a parameter this test does not know fails here until it is added below."""

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from accounts import roles
from documents.models import Document
from meters.models import MeterRead
from printers.views import TABS
from supplies.models import CartLine, ConsumableItem, Order
from supplies.services import orders_place_from_cart
from tests import factories
from tests.conftest import make_user

pytestmark = pytest.mark.django_db

SKIP_NAMESPACES = {"admin", "collector"}  # the machine endpoints: see the end of this module
PUBLIC = {"accounts:login", "accounts:password_forgot", "healthz", "set_language", "accounts:logout"}
SECRET = "SECRET-OWNER-813000305"


def customer_urls():
    """(name, route pattern, parameter names) of every customer-facing URL."""
    found = []

    def walk(patterns, prefix="", namespace=""):
        for p in patterns:
            if isinstance(p, URLResolver):
                ns = p.namespace or namespace
                if ns in SKIP_NAMESPACES:
                    continue
                walk(p.url_patterns, prefix + str(p.pattern), ns)
            elif isinstance(p, URLPattern) and p.name:
                name = f"{namespace}:{p.name}" if namespace else p.name
                if name in PUBLIC or str(p.pattern).startswith("static"):
                    continue
                found.append((name, prefix + str(p.pattern), sorted(p.pattern.converters)))

    walk(get_resolver().url_patterns)
    return found


@pytest.fixture
def owned(account, site, manager, helpdesk):
    """One object of each kind, owned by the first account, with a secret in its text."""
    device = factories.device(
        account, site, serial=SECRET, state="warning", levels={"black": 5}, managed_by_snmp=False
    )
    ticket = factories.ticket(account, device, summary=SECRET)
    MeterRead.objects.create(
        device=device, counter="total", value=123456789, read_at=timezone.now(), source="manual"
    )
    item = ConsumableItem.objects.create(
        part_number="P1", description="Toner", type="toner", colour="black", generic=True
    )
    CartLine.objects.create(user=manager, device=device, item=item, quantity=1)
    order = orders_place_from_cart(
        user=manager,
        ship_to={
            "contact_name": SECRET,
            "contact_phone": "0123456",
            "street": "s",
            "city": "c",
            "country": "x",
        },
    )[0]
    from django.core.files.uploadedfile import SimpleUploadedFile

    doc = Document.objects.create(title=SECRET, file=SimpleUploadedFile("a.pdf", b"%PDF-1.4 x"))
    doc.accounts.add(account)
    return {"device": device, "ticket": ticket, "order": order, "document": doc}


@pytest.fixture
def moved(owned, account, site, manager, other_account, other_site):
    """A device of the first account, with its history (a ticket with a comment, a manual
    read, an order, all naming the owner), then moved by the help desk to the outsider's
    account: the outsider now sees the device, never that history."""
    device = factories.device(account, site, serial="SN-MOVED", state="error", levels={"black": 5})
    ticket = factories.ticket(account, device, summary=SECRET, requester=manager)
    ticket.events.create(kind="comment", author=manager, text=SECRET)
    MeterRead.objects.create(
        device=device,
        counter="total",
        value=4321,
        read_at=timezone.now(),
        source="manual",
        by=manager,
        description=SECRET,
    )
    item = ConsumableItem.objects.get(part_number="P1")
    CartLine.objects.create(user=manager, device=device, item=item, quantity=1)
    order = orders_place_from_cart(
        user=manager,
        ship_to={"contact_name": SECRET, "contact_phone": "1", "street": "s", "city": "c", "country": "x"},
    )[0]
    device.account, device.site = other_account, other_site
    device.save(update_fields=["account", "site"])
    return {"device": device, "ticket": ticket, "order": order, "document": owned["document"]}


def kwargs_for(name, params, owned):
    by_name = {
        "tickets:ticket_detail": {"number": owned["ticket"].number},
        "supplies:order_detail": {"number": owned["order"].number},
        "documents:document_download": {"pk": owned["document"].pk},
    }
    if name in by_name:
        return by_name[name]
    if params == ["pk"]:
        return {"pk": owned["device"].pk}  # printers, meters and supplies URLs take a device
    assert not params, f"{name}: add its parameters {params} to tests/security/test_tenancy_everywhere.py"
    return {}


# Query strings that make a list page show one object (so a leak would show).
QUERIES = {
    "printers:refresh_status": "?devices={device}",
    "printers:printer_location": "?devices={device}",
    "tickets:ticket_new_details": "?device={device}",
    "tickets:application_options": "?category=1",
}
MANAGER_ONLY = {
    "supplies:order_start",
    "supplies:order_device",
    "supplies:cart",
    "supplies:checkout",
    "printers:printer_location",
}


def urls(owned):
    from django.urls import reverse

    result = []
    for name, _route, params in customer_urls():
        url = reverse(name, kwargs=kwargs_for(name, params, owned))
        url += QUERIES.get(name, "").format(device=owned["device"].pk)
        result.append((name, url))
        if name == "printers:printer_detail":  # each tab loads its own data
            result += [(name, f"{url}?tab={tab}") for tab, _label in TABS]
    return result


def test_the_enumeration_sees_every_part_of_the_portal():
    names = {name for name, _route, _params in customer_urls()}
    for expected in [
        "home",
        "printers:printer_detail",
        "tickets:ticket_detail",
        "meters:meter_enter",
        "supplies:order_detail",
        "documents:document_download",
        "settings",
    ]:
        assert expected in names


def test_anonymous_users_are_sent_to_the_login_page(client, owned):
    for name, url in urls(owned):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], (
            name,
            url,
            response.status_code,
        )


def test_an_outsider_never_sees_the_other_accounts_data(outsider_client, owned):
    for name, url in urls(owned):
        response = outsider_client.get(url)
        assert response.status_code in (200, 302, 403, 404, 405), (name, url, response.status_code)
        body = b"".join(response.streaming_content) if response.streaming else response.content
        assert SECRET.encode() not in body, (name, url)
        assert b"123456789" not in body and b"123\xe2\x80\xaf456\xe2\x80\xaf789" not in body, (name, url)


def test_object_urls_are_404_for_an_outsider(outsider_client, owned):
    for name, url in urls(owned):
        if (
            any(
                part in url
                for part in (str(owned["device"].pk) + "/", owned["ticket"].number, owned["order"].number)
            )
            or "download" in url
        ):
            assert outsider_client.get(url).status_code in (403, 404), (name, url)


def test_manager_only_pages_are_403_for_a_plain_user(user_client, owned):
    for name, url in urls(owned):
        if name in MANAGER_ONLY:
            assert user_client.get(url).status_code == 403, (name, url)


def test_posting_as_an_outsider_changes_nothing(outsider_client, owned):
    device = owned["device"]
    outsider_client.post(f"/meters/{device.pk}/", {"counter_total": "999999999"})
    outsider_client.post(f"/tickets/{owned['ticket'].number}/", {"text": "hacked"})
    outsider_client.post("/printers/actions/", {"action": "refresh", "devices": [device.pk]})
    outsider_client.post(f"/supplies/order/{device.pk}/", {"item": 1, "quantity": 1})
    assert not MeterRead.objects.filter(value=999999999).exists()
    assert not owned["ticket"].events.filter(text="hacked").exists()
    device.refresh_from_db()
    assert device.refresh_requested_at is None
    assert Order.objects.count() == 1


@pytest.mark.parametrize("role", [roles.USER, roles.FLEET_MANAGER])
def test_a_device_moved_to_another_account_brings_none_of_its_history(moved, other_account, role):
    """Every URL, with the moved device, its old ticket and its old order as parameters, as
    a user of the account the device moved to: the device is theirs, its past is not."""
    client = Client()
    client.force_login(make_user(f"{role}@other.example", account=other_account, role=role))
    for name, url in urls(moved):
        response = client.get(url)
        assert response.status_code in (200, 302, 403, 404, 405), (name, url, response.status_code)
        body = b"".join(response.streaming_content) if response.streaming else response.content
        numbers = [n for n in (moved["ticket"].number, moved["order"].number) if n not in url]
        for secret in (SECRET, "Marta", "Martinez", *numbers):  # (a 404 page names its URL)
            assert secret.encode() not in body, (name, url, secret)
        if moved["ticket"].number in url or moved["order"].number in url:
            assert response.status_code == 404, (name, url)
        elif f"/{moved['device'].pk}/" in url and name not in MANAGER_ONLY | {"printers:printer_location"}:
            assert response.status_code == 200, (name, url)  # the device itself is theirs now


# --- the collector endpoints (/collector/v1/): machines, authenticated by signature ----------


def collector_urls():
    """(name, route, parameters) of every collector endpoint, from the URLconf."""
    found = []
    for p in get_resolver().url_patterns:
        if isinstance(p, URLResolver) and p.namespace == "collector":
            for q in p.url_patterns:
                if q.name is None:
                    continue  # the JSON 404 for any other address under the prefix
                found.append(
                    (f"collector:{q.name}", str(p.pattern) + str(q.pattern), sorted(q.pattern.converters))
                )
    return found


COLLECTOR_METHODS = {
    "collector:enroll": "POST",
    "collector:config": "GET",
    "collector:commands": "GET",
    "collector:command_complete": "POST",
    "collector:results": "POST",
    "collector:heartbeat": "POST",
}


@pytest.fixture
def collectors(account, site, other_account, other_site):
    """A collector of each account, each with a device and a pending command with a secret."""
    from collectors.services import collector_create, collector_enroll
    from fmp_collector import protocol
    from printers.models import DeviceCommand

    made = {}
    for name, acc, st in (("mine", account, site), ("theirs", other_account, other_site)):
        collector, code = collector_create(account=acc, site=st, name=name, by=None)
        key = protocol.new_key()
        collector = collector_enroll(
            code=code, public_key=protocol.public_key_text(key), hostname="h", version="1", address=None
        )
        device = factories.device(
            acc, st, collector=collector, ip_address="10.0.0.1", snmp_community=f"{SECRET}-{name}"
        )
        command = DeviceCommand.objects.create(
            device=device, collector=collector, kind="location", args={"location": f"{SECRET}-{name}"}
        )
        made[name] = {"collector": collector, "key": key, "device": device, "command": command}
    return made


def collector_call(c, name, route_kwargs, body, *, key=..., collector=None):
    import json

    from django.urls import reverse

    from fmp_collector import protocol

    path = reverse(name, kwargs=route_kwargs)
    method = COLLECTOR_METHODS[name]
    raw = json.dumps(body).encode() if method == "POST" else b""
    key = c["key"] if key is ... else key
    headers = {}
    if key is not None:
        headers = protocol.sign_headers(key, str((collector or c["collector"]).uid), method, path, raw)
    client = Client()
    if method == "GET":
        return client.get(path, headers=headers)
    return client.post(path, raw, content_type="application/json", headers=headers)


def collector_kwargs(name, params, target):
    if name == "collector:command_complete":
        return {"command_id": target["command"].pk}
    assert not params, f"{name}: add its parameters {params} to tests/security/test_tenancy_everywhere.py"
    return {}


def collector_body(name, target):
    import time
    import uuid

    from fmp_snmp.observation import DeviceObservation, observation_to_dict

    return {
        "collector:enroll": {"code": "NOPE", "public_key": "x"},
        "collector:command_complete": {"ok": True, "detail": "", "result": {"location": "hacked"}},
        "collector:results": {
            "batch": str(uuid.uuid4()),
            "observations": [
                {
                    "device": target["device"].pk,
                    "at": time.time() - 5,
                    "observation": observation_to_dict(
                        DeviceObservation(reachable=True, counters={"total": 999})
                    ),
                }
            ],
        },
        "collector:heartbeat": {"queue_depth": 1},
    }.get(name)


def test_the_collector_enumeration_sees_every_endpoint():
    assert {name for name, _r, _p in collector_urls()} == set(COLLECTOR_METHODS)


def test_collector_endpoints_without_credential_or_revoked_are_401(collectors):
    from collectors.services import collector_revoke

    mine = collectors["mine"]
    for name, _route, params in collector_urls():
        if name == "collector:enroll":
            continue  # authenticated by its one-time code (tests/collectors/test_enrollment.py)
        kwargs, body = collector_kwargs(name, params, mine), collector_body(name, mine)
        response = collector_call(mine, name, kwargs, body, key=None)
        assert response.status_code == 401 and response.json()["error"] == "unauthorized", name
    collector_revoke(collector=mine["collector"])
    for name, _route, params in collector_urls():
        if name == "collector:enroll":
            continue
        kwargs, body = collector_kwargs(name, params, mine), collector_body(name, mine)
        response = collector_call(mine, name, kwargs, body)
        assert response.status_code == 401 and "revoked" in response.json()["detail"], name
    from collectors.models import CollectorBatch

    assert not CollectorBatch.objects.exists()


def test_one_accounts_collector_never_reaches_another_accounts_devices_or_commands(collectors):
    """Every endpoint, as the first account's collector, aimed at the other account's
    device and command: refused (404), ignored (results) or answered without any of their
    data; nothing of theirs is stored."""
    from collectors.models import CollectorBatch
    from printers.models import CounterSample

    mine, theirs = collectors["mine"], collectors["theirs"]
    for name, _route, params in collector_urls():
        kwargs, body = collector_kwargs(name, params, theirs), collector_body(name, theirs)
        response = collector_call(mine, name, kwargs, body)
        assert response.status_code in (200, 202, 400, 403, 404), (name, response.status_code)
        assert f"{SECRET}-theirs".encode() not in response.content, name
        if name == "collector:command_complete":
            assert response.status_code == 404
        if name == "collector:results":
            # Ignored, as an unknown id would be (no oracle of other accounts' device ids).
            assert response.status_code == 202, response.content
            assert response.json()["accepted"] == 0
            assert response.json()["ignored"] == [theirs["device"].pk]
    theirs["command"].refresh_from_db()
    theirs["device"].refresh_from_db()
    assert theirs["command"].status == "pending" and theirs["device"].printer_location != "hacked"
    assert not CounterSample.objects.exists()
    assert all(b.payload == {} or not b.payload.get("observations") for b in CollectorBatch.objects.all())
    # And its own configuration names its own device only.
    config = collector_call(mine, "collector:config", {}, None).json()
    assert [d["id"] for d in config["devices"]] == [mine["device"].pk]
