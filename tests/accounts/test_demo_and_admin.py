import pytest
from django.core.management import call_command

from accounts.models import Account, Site, User
from documents.models import ExternalLink
from tests.conftest import can_log_in


def counts():
    return (Account.objects.count(), Site.objects.count(), User.objects.count(), ExternalLink.objects.count())


@pytest.mark.django_db
def test_demo_builds_the_guides_world_and_is_idempotent(monkeypatch, client):
    monkeypatch.setenv("FMP_DEMO_PASSWORD", "Other-Demo-9")
    call_command("demo")
    first = counts()
    call_command("demo")
    assert counts() == first
    pursuit = Account.objects.get(name="ABC London Pursuit")
    assert str(pursuit) == "ABC Cars / ABC London Pursuit"
    site = Site.objects.get(name="XPS Hosting Site")
    assert (site.city, site.state, site.country, site.account) == ("Webster", "NY", "USA", pursuit)
    manager = User.objects.get(username="manager@abc-cars.example")
    assert manager.has_perm("accounts.order_supplies")
    assert not User.objects.get(username="user@abc-cars.example").has_perm("accounts.order_supplies")
    assert User.objects.get(username="user@other.example").account.name == "Other Industries"
    assert User.objects.get(username="helpdesk@fmp.example").is_staff
    assert can_log_in(client, "manager@abc-cars.example", "Other-Demo-9")


ADMIN_PAGES = [
    "/admin/accounts/account/?q=ABC",
    "/admin/accounts/site/?q=Webster",
    "/admin/accounts/user/?q=abc-cars",
    "/admin/documents/externallink/",
    "/admin/accounts/user/add/",
]


@pytest.mark.django_db
def test_helpdesk_admin_lists_accounts_sites_users_links(client, helpdesk, manager, plain_user):
    client.force_login(helpdesk)
    for url in ADMIN_PAGES:
        assert client.get(url).status_code == 200, url
    body = client.get("/admin/accounts/user/?q=abc-cars").content.decode()
    assert "manager@abc-cars.example" in body and "Gestionnaire de parc" in body


@pytest.mark.django_db
def test_customer_users_cannot_open_the_admin(user_client):
    response = user_client.get("/admin/accounts/account/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
