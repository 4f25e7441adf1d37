"""Hostile device data and hostile user input: escaped or cleaned everywhere, nothing executes."""

import pytest

from tests import factories

pytestmark = pytest.mark.django_db
TABS = ["status", "supplies", "info", "counters", "features", "diagnostics", "incidents"]


def assert_escaped(body: str):
    assert "<script>alert" not in body
    assert "<img src=x onerror" not in body
    assert '"><svg onload' not in body
    assert "\x07" not in body and "\x01" not in body


def test_the_poller_stores_cleaned_text(hostile):
    assert len(hostile.system_name) <= 255 and "\x07" not in hostile.printer_location
    assert all(ch.isprintable() for s in hostile.supplies.all() for ch in s.description)


def test_grid_detail_and_csv_escape_it(user_client, hostile):
    assert_escaped(user_client.get("/printers/").content.decode())
    for tab in TABS:
        response = user_client.get(f"/printers/{hostile.pk}/?tab={tab}")
        assert response.status_code == 200
        assert_escaped(response.content.decode())
    assert (
        "&lt;b&gt;Black&lt;/b&gt;"
        in user_client.get(f"/printers/{hostile.pk}/?tab=supplies").content.decode()
    )
    import csv
    import io

    content = b"".join(user_client.get("/printers/?export=csv").streaming_content).decode("utf-8-sig")
    cells = [cell for row in csv.reader(io.StringIO(content), delimiter=";") for cell in row]  # French
    assert "HOSTILE01" in content
    assert not [c for c in cells if c[:1] in ("=", "@", "\t", "\r") or (c[:1] in ("+", "-") and len(c) > 1)]


def test_admin_escapes_it(client, helpdesk, hostile):
    client.force_login(helpdesk)
    for url in [
        "/admin/printers/device/",
        f"/admin/printers/device/{hostile.pk}/change/",
        "/admin/printers/pollattempt/",
    ]:
        response = client.get(url)
        assert response.status_code in (200, 404), url
        if response.status_code == 200:
            assert_escaped(response.content.decode())


PAYLOAD = '<script>alert("x")</script><img src=x onerror=alert(2)>'


def test_hostile_user_input_is_escaped_in_every_form(user_client, manager_client, plain_user, account, site):
    from tickets.models import ServiceType

    device = factories.device(account, site, serial="FORMS", managed_by_snmp=False)
    response = user_client.post(
        f"/tickets/new/details/?device={device.pk}",
        {
            "device": device.pk,
            "service": ServiceType.objects.get(code="field-service").pk,
            "summary": PAYLOAD,
            "description": PAYLOAD + " long enough",
            "contact_name": PAYLOAD,
        },
        follow=True,
    )
    assert_escaped(response.content.decode())
    assert_escaped(user_client.get("/tickets/").content.decode())
    assert_escaped(
        user_client.post(
            f"/meters/{device.pk}/", {"counter_total": "10", "description": PAYLOAD}, follow=True
        ).content.decode()
    )
    user_client.post(
        "/accounts/profile/", {"first_name": PAYLOAD[:150], "last_name": "N", "email": plain_user.email}
    )
    assert_escaped(user_client.get("/").content.decode())
    assert_escaped(
        manager_client.post(
            "/printers/location/", {"devices": [device.pk], "location": PAYLOAD}, follow=True
        ).content.decode()
    )
    assert_escaped(user_client.get(f"/printers/{device.pk}/").content.decode())
