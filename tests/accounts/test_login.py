import pytest
from django.urls import reverse

from accounts.models import User
from tests.conftest import PASSWORD

LOGIN = "/accounts/login/"


def login(client, username, password=PASSWORD):
    return client.post(LOGIN, {"username": username, "password": password})


@pytest.mark.django_db
def test_login_by_username_reaches_home(client, plain_user):
    response = login(client, plain_user.username)
    assert response.status_code == 302
    assert response["Location"] == reverse("home")


@pytest.mark.django_db
def test_login_by_email_is_case_insensitive(client, account):
    User.objects.create_user(
        username="jdoe", email="Jane.Doe@ABC-cars.example", password=PASSWORD, account=account
    )
    response = login(client, "jane.doe@abc-cars.example")
    assert response.status_code == 302
    assert client.get("/").status_code == 200


@pytest.mark.django_db
def test_wrong_password_shows_translated_message(client, plain_user):
    response = login(client, plain_user.username, "Wrong-pass-1")
    assert response.status_code == 200
    assert "Le nom d’utilisateur ou le mot de passe est incorrect" in response.content.decode()


@pytest.mark.django_db
def test_anonymous_is_sent_to_login(client):
    response = client.get("/settings/")
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN + "?next=")


@pytest.mark.django_db
def test_logout_ends_the_session(user_client):
    assert user_client.get("/").status_code == 200
    response = user_client.post("/accounts/logout/")
    assert response.status_code == 302
    assert user_client.get("/").status_code == 302


@pytest.mark.django_db
def test_login_next_cannot_leave_the_site(client, plain_user):
    response = client.post(
        LOGIN, {"username": plain_user.username, "password": PASSWORD, "next": "https://evil.example/"}
    )
    assert response.status_code == 400  # refused before logging in (fmp.middleware)
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_repeated_failures_lock_the_account_with_a_clear_message(client, plain_user, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        login(client, plain_user.username, "Wrong-pass-1")
    # Even the right password is refused now, and the page says why.
    response = login(client, plain_user.username)
    assert response.status_code == 429
    body = response.content.decode()
    assert "Compte temporairement verrouillé" in body
    assert client.get("/").status_code == 302


@pytest.mark.django_db
def test_lockout_counts_email_and_username_as_the_same_user(client, plain_user, settings):
    for i in range(settings.AXES_FAILURE_LIMIT):
        who = plain_user.email.upper() if i % 2 else plain_user.username
        login(client, who, "Wrong-pass-1")
    response = login(client, plain_user.email)
    assert response.status_code == 429


@pytest.mark.django_db
def test_lockout_does_not_spill_over_to_other_users_before_the_limit(client, plain_user, manager, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        login(client, plain_user.username, "Wrong-pass-1")
    assert login(client, manager.username).status_code == 302
