"""What held against the outside review, kept covered: after a login with a temporary
password, nothing but the password change opens (every page of the URLconf, htmx
fragments, POSTs, exports and paths that look like static files); logout is a POST."""

import pytest
from django.test import Client

from meters.models import MeterRead
from tests.conftest import PASSWORD
from tests.security import test_tenancy_everywhere as walk
from tests.security.test_tenancy_everywhere import SECRET, urls

pytestmark = pytest.mark.django_db
CHANGE = "/accounts/password/change/"
owned = walk.owned  # the tenancy walk's objects, secret included


@pytest.fixture
def forced_client(manager):
    manager.must_change_password = True
    manager.save(update_fields=["must_change_password"])
    client = Client()
    client.force_login(manager)
    return client


def body_of(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def assert_sent_to_change(response, what):
    assert response.status_code == 302 and response["Location"] == CHANGE, (what, response.status_code)
    assert SECRET.encode() not in body_of(response), what


def test_every_page_fragment_and_export_waits_for_the_password_change(forced_client, owned):
    for name, url in urls(owned):
        if name == "accounts:password_change":
            continue
        assert_sent_to_change(forced_client.get(url), name)
        assert_sent_to_change(forced_client.get(url, HTTP_HX_REQUEST="true"), f"{name} (htmx)")
    for export in ["/printers/?export=csv", "/meters/report/?export=csv", "/supplies/report/?export=csv"]:
        assert_sent_to_change(forced_client.get(export), export)
    assert forced_client.get(CHANGE).status_code == 200


def test_posts_store_nothing_before_the_password_change(forced_client, owned):
    device = owned["device"]
    before = MeterRead.objects.count()
    for url, data in [
        (f"/meters/{device.pk}/", {"counter_total": "999999999"}),
        (f"/tickets/{owned['ticket'].number}/", {"text": "not yet"}),
        ("/printers/actions/", {"action": "refresh", "devices": [device.pk]}),
        ("/settings/", {"history_scope": "all", "language": "en"}),
    ]:
        assert_sent_to_change(forced_client.post(url, data), url)
    assert MeterRead.objects.count() == before
    assert not owned["ticket"].events.filter(text="not yet").exists()
    device.refresh_from_db()
    assert device.refresh_requested_at is None


@pytest.mark.parametrize(
    "path",
    [
        "/static/../printers/",
        "/static/..%2Fprinters/",
        "/staticfoo/",
        "/printers/x.css",
        "/printers/?.js",
        "/healthz/../printers/",
        "/i18n/../printers/",
        "//printers/",
    ],
)
def test_paths_that_look_static_open_nothing(forced_client, owned, path):
    response = forced_client.get(path)
    assert response.status_code in (302, 404), (path, response.status_code)
    if response.status_code == 302:
        assert response["Location"] == CHANGE
    assert SECRET.encode() not in body_of(response)


def test_logout_by_get_is_refused_and_the_session_stays(client, plain_user):
    assert (
        client.post("/accounts/login/", {"username": plain_user.email, "password": PASSWORD}).status_code
        == 302
    )
    assert client.get("/accounts/logout/").status_code == 405
    assert client.get("/").status_code == 200  # still logged in
    assert client.post("/accounts/logout/").status_code == 302
    assert client.get("/").status_code == 302
