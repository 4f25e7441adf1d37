import re

import pytest

from documents.models import ExternalLink


@pytest.mark.django_db
def test_home_shows_six_panes_and_the_account(user_client):
    body = user_client.get("/").content.decode()
    for key in ["printers", "meters", "supplies", "tickets", "links", "documents"]:
        assert f'data-testid="pane-{key}"' in body
    assert "ABC Cars / ABC London Pursuit" in body
    for label in ["Accueil", "Paramètres", "Se déconnecter"]:
        assert label in body


@pytest.mark.django_db
def test_external_links_are_scoped_to_their_accounts(user_client, account, other_account):
    ExternalLink.objects.create(title="For everyone", url="https://a.example/", all_accounts=True)
    mine = ExternalLink.objects.create(title="ABC intranet", url="https://b.example/", all_accounts=False)
    mine.accounts.add(account)
    theirs = ExternalLink.objects.create(title="Other intranet", url="https://c.example/", all_accounts=False)
    theirs.accounts.add(other_account)
    body = user_client.get("/").content.decode()
    assert "For everyone" in body and "ABC intranet" in body
    assert "Other intranet" not in body


@pytest.mark.django_db
def test_home_without_links_says_so(user_client):
    assert "aucun lien" in user_client.get("/").content.decode()


@pytest.mark.django_db
def test_healthz_reports_database_and_eager_broker(client, helpdesk):
    client.force_login(helpdesk)
    response = client.get("/healthz")
    assert response.status_code == 200
    data = response.json()
    assert data["checks"]["database"] == {"status": "ok", "vendor": "postgresql"}
    assert data["checks"]["broker"]["status"] == "ok"


@pytest.mark.django_db
def test_healthz_tells_anonymous_callers_only_ok_or_failing(client, settings, plain_user):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    settings.FMP_HEALTHZ_TOKEN = "s3cret-probe-token"
    anonymous = client.get("/healthz")
    assert anonymous.status_code == 503
    assert anonymous.json() == {
        "status": "error",
        "checks": {"database": {"status": "ok"}, "broker": {"status": "error"}},
    }
    assert "127.0.0.1" not in anonymous.content.decode() and "postgresql" not in anonymous.content.decode()
    wrong = client.get("/healthz", HTTP_AUTHORIZATION="Bearer wrong-token")
    assert wrong.json() == anonymous.json()
    client.force_login(plain_user)  # a customer user is not staff either
    assert client.get("/healthz").json() == anonymous.json()
    client.logout()
    probe = client.get("/healthz", HTTP_AUTHORIZATION="Bearer s3cret-probe-token").json()
    assert probe["checks"]["database"]["vendor"] == "postgresql" and "error" in probe["checks"]["broker"]


@pytest.mark.django_db
def test_healthz_with_real_redis_broker(client, settings, helpdesk):
    client.force_login(helpdesk)
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:6379/15"
    response = client.get("/healthz")
    assert response.status_code == 200, response.json()
    assert response.json()["checks"]["broker"] == {"status": "ok", "mode": "broker"}


@pytest.mark.django_db
def test_healthz_is_503_when_the_broker_is_down(client, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["broker"]["status"] == "error"


@pytest.mark.django_db
def test_healthz_details_need_a_staff_session_past_its_second_factor(client, settings):
    from tests.conftest import PASSWORD, make_user

    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"
    make_user("newdesk@fmp.example", is_staff=True)  # must use an app, has none yet
    assert (
        client.post("/accounts/login/", {"username": "newdesk@fmp.example", "password": PASSWORD}).status_code
        == 302
    )
    body = client.get("/healthz").json()
    assert body["checks"]["broker"] == {"status": "error"} and "vendor" not in body["checks"]["database"]


def pane_links(client) -> dict[str, list[str]]:
    """The buttons of each home pane's footer, as {pane: [href...]}."""
    body = client.get("/").content.decode()
    panes = re.findall(r'data-testid="pane-(\w+)"(.*?)</section>', body, flags=re.S)
    return {
        key: re.findall(r'<a class="btn btn-sm btn-outline-primary" href="([^"]+)"', html)
        for key, html in panes
    }


@pytest.mark.django_db
def test_home_offers_order_supplies_only_to_who_may_order(user_client, manager_client):
    assert "/supplies/order/" not in pane_links(user_client)["supplies"]
    assert "/supplies/orders/" in pane_links(user_client)["supplies"]  # viewing stays open to all
    assert "/supplies/order/" in pane_links(manager_client)["supplies"]
    assert "/tickets/new/" in pane_links(user_client)["tickets"]  # a plain user may request service


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["user_client", "manager_client"])
def test_every_button_of_the_home_panes_opens_for_its_user(request, who):
    client = request.getfixturevalue(who)
    links = [href for hrefs in pane_links(client).values() for href in hrefs]
    assert len(links) >= 7
    for href in links:
        assert client.get(href).status_code == 200, href
