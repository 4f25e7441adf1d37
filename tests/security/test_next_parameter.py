"""A ``next`` that is not a path of this site: a page opened with it drops it, a form
submitted with it is refused (400) before anything is stored; never a 500 after a write,
never a redirect off the site."""

import pytest
from django.test import Client

from accounts.models import User
from fmp.redirects import is_local_path
from printers.models import Device
from tests import factories
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

# Relative names (``redirect()`` reverses them as view names: a 500 after the write) and
# the usual ways off the site.
NOT_LOCAL = [
    "floor2",
    "printers/",
    "https://evil.example/",
    "http://evil.example",
    "//evil.example/",
    "///evil.example/",
    "/\\evil.example",
    "\\\\evil.example",
    "javascript:alert(1)",
    "JavaScript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "http:evil.example",
    "https:/evil.example",
    "/\t/evil.example",
    " //evil.example",
    "//testserver@evil.example/",
    "http://testserver@evil.example/",
    "\u200b//evil.example",
]
LOCAL = ["/", "/printers/?state=error&page=2", "/tickets/new/details/?device=1"]


def test_the_rule():
    assert all(is_local_path(target) for target in LOCAL)
    assert not any(is_local_path(target) for target in NOT_LOCAL)
    assert not is_local_path("/" + "x" * 3000) and not is_local_path("") and not is_local_path(None)


@pytest.fixture
def device(account, site):
    return factories.device(account, site, serial="NEXT01", managed_by_snmp=False, device_location="floor 1")


def profile_data(user, **extra):
    return {"first_name": "Changed", "last_name": user.last_name, "email": user.email, **extra}


@pytest.mark.parametrize("target", NOT_LOCAL)
def test_profile_is_not_saved_with_a_foreign_next(manager_client, manager, target):
    response = manager_client.post("/accounts/profile/", profile_data(manager, next=target))
    assert response.status_code == 400
    assert User.objects.get(pk=manager.pk).first_name == "Marta"
    response = manager_client.post(f"/accounts/profile/?{_query(target)}", profile_data(manager))
    assert response.status_code == 400
    assert User.objects.get(pk=manager.pk).first_name == "Marta"


@pytest.mark.parametrize("target", NOT_LOCAL)
def test_printer_actions_do_nothing_with_a_foreign_next(manager_client, device, target):
    response = manager_client.post(
        "/printers/actions/", {"action": "contract_out", "devices": [device.pk], "next": target}
    )
    assert response.status_code == 400
    assert Device.objects.get(pk=device.pk).under_contract is True


@pytest.mark.parametrize("target", NOT_LOCAL)
def test_location_is_not_stored_with_a_foreign_next(manager_client, device, target):
    response = manager_client.post(
        "/printers/location/", {"devices": [device.pk], "location": "floor 2", "next": target}
    )
    assert response.status_code == 400
    assert Device.objects.get(pk=device.pk).device_location == "floor 1"


@pytest.mark.parametrize("target", NOT_LOCAL)
def test_login_logout_and_language_refuse_a_foreign_next(client, plain_user, target):
    response = client.post(
        "/accounts/login/", {"username": plain_user.email, "password": PASSWORD, "next": target}
    )
    assert response.status_code == 400
    assert "_auth_user_id" not in client.session
    response = client.post("/i18n/setlang/", {"language": "en", "next": target})
    assert response.status_code == 400 and "django_language" not in response.cookies
    client.force_login(plain_user)
    assert client.post("/accounts/logout/", {"next": target}).status_code == 400
    assert "_auth_user_id" in client.session  # still logged in: the request did nothing


def _query(target):
    from urllib.parse import urlencode

    return urlencode({"next": target})


@pytest.mark.parametrize("target", NOT_LOCAL)
def test_a_page_opened_with_a_foreign_next_is_opened_again_without_it(manager_client, device, target):
    for page in (
        "/accounts/profile/",
        f"/printers/location/?devices={device.pk}",
        "/accounts/login/",
        "//evil.example/",
        "/\\evil.example/",
    ):
        sep = "&" if "?" in page else "?"
        response = manager_client.get(f"{page}{sep}{_query(target)}")
        assert response.status_code == 302, (page, target)
        location = response["Location"]
        assert location.startswith("/") and not location.startswith(("//", "/\\")), location
        assert "next=" not in location


def test_forms_then_work_and_a_local_next_is_followed(manager_client, manager, device):
    response = manager_client.get("/accounts/profile/?next=floor2", follow=True)
    assert response.status_code == 200 and 'name="next" value=""' in response.content.decode()
    response = manager_client.post("/accounts/profile/", profile_data(manager, next=LOCAL[1]))
    assert response.status_code == 302 and response["Location"] == LOCAL[1]
    assert User.objects.get(pk=manager.pk).first_name == "Changed"
    response = manager_client.post(
        "/printers/location/", {"devices": [device.pk], "location": "floor 2", "next": LOCAL[1]}
    )
    assert response.status_code == 302 and response["Location"] == LOCAL[1]
    assert Device.objects.get(pk=device.pk).device_location == "floor 2"
    response = manager_client.post(
        "/printers/actions/", {"action": "contract_out", "devices": [device.pk], "next": LOCAL[1]}
    )
    assert response.status_code == 302 and response["Location"] == LOCAL[1]
    assert Device.objects.get(pk=device.pk).under_contract is False


def test_login_with_a_local_next_lands_there(plain_user):
    client = Client()
    response = client.post(
        "/accounts/login/", {"username": plain_user.email, "password": PASSWORD, "next": LOCAL[1]}
    )
    assert response.status_code == 302 and response["Location"] == LOCAL[1]


def test_the_refusal_page_says_nothing_was_saved(manager_client, manager, settings):
    User.objects.filter(pk=manager.pk).update(language="en")
    response = manager_client.post("/accounts/profile/", profile_data(manager, next="floor2"))
    assert response.status_code == 400 and "nothing was saved" in response.content.decode()


@pytest.mark.parametrize("target", NOT_LOCAL)
def test_the_admin_login_and_logout_never_follow_a_foreign_next(client, helpdesk, target):
    from urllib.parse import quote

    opened = client.get(f"/admin/login/?next={quote(target, safe='')}")
    assert opened.status_code == 302 and "evil" not in opened["Location"]
    client.force_login(helpdesk)
    refused = client.post("/admin/logout/", {"next": target})
    assert refused.status_code == 400
    assert client.get("/admin/").status_code == 200  # still logged in: nothing was done
