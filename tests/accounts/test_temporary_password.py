import re

import pytest
from django.core import mail
from django.utils import timezone

from accounts.models import TemporaryPassword, User
from accounts.notifications import background_wait
from tests.conftest import PASSWORD, can_log_in

FORGOT = "/accounts/password/forgot/"
CHANGE = "/accounts/password/change/"


def forgot(client, username, **extra):
    """Ask for a temporary password and wait until it has been made and sent (off the request)."""
    response = client.post(FORGOT, {"username": username}, **extra)
    background_wait()
    return response


def temp_password_from_mail(message) -> str:
    match = re.search(r":\s+([A-Za-z0-9]{12})\s", message.body)
    assert match, message.body
    return match.group(1)


@pytest.mark.django_db(transaction=True)
def test_forgot_password_emails_a_temporary_password_in_the_users_language(client, plain_user):
    response = forgot(client, plain_user.email, follow=True)
    assert "un mot de passe temporaire a été envoyé" in response.content.decode()
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [plain_user.email]
    assert "mot de passe temporaire" in message.subject
    assert message.alternatives and "text/html" in message.alternatives[0][1]
    assert len(temp_password_from_mail(message)) == 12
    # The real password is untouched: a stranger's request locks nobody out.
    assert can_log_in(client, plain_user.username, PASSWORD)


@pytest.mark.django_db(transaction=True)
def test_english_user_gets_an_english_email(client, plain_user):
    User.objects.filter(pk=plain_user.pk).update(language="en")
    forgot(client, plain_user.username)
    assert mail.outbox[0].subject == "Your temporary password for the Fleet Management Portal"


@pytest.mark.django_db(transaction=True)
def test_unknown_user_gets_the_same_answer_and_no_email(client, plain_user):
    known = forgot(client, plain_user.email, follow=True).content.decode()
    unknown = forgot(client, "nobody@nowhere.example", follow=True).content.decode()
    assert len(mail.outbox) == 1

    def alert(html):
        return re.search(r'role="alert">\s*(.*?)\s*<button', html, re.S).group(1)

    assert alert(known) == alert(unknown)


@pytest.mark.django_db
def test_empty_username_is_refused_with_a_message(client):
    response = client.post(FORGOT, {"username": ""})
    assert response.status_code == 200
    assert "Ce champ est obligatoire" in response.content.decode()


@pytest.mark.django_db(transaction=True)
def test_temporary_password_forces_a_change_before_any_page(client, plain_user):
    forgot(client, plain_user.email)
    temp = temp_password_from_mail(mail.outbox[0])
    response = client.post("/accounts/login/", {"username": plain_user.email, "password": temp})
    assert response.status_code == 302
    for url in ["/", "/settings/", "/accounts/profile/"]:
        blocked = client.get(url)
        assert blocked.status_code == 302 and blocked["Location"] == CHANGE, url
    page = client.get(CHANGE).content.decode()
    assert "mot de passe temporaire" in page
    assert 'name="old_password"' not in page
    response = client.post(CHANGE, {"new_password1": "Brand-New-7x", "new_password2": "Brand-New-7x"})
    assert response.status_code == 302 and response["Location"] == "/"
    assert client.get("/").status_code == 200
    plain_user.refresh_from_db()
    assert not plain_user.must_change_password
    assert plain_user.check_password("Brand-New-7x")


@pytest.mark.django_db(transaction=True)
def test_temporary_password_works_only_once(client, plain_user):
    forgot(client, plain_user.email)
    temp = temp_password_from_mail(mail.outbox[0])
    assert can_log_in(client, plain_user.email, temp)
    client.logout()
    assert not can_log_in(client, plain_user.email, temp)


@pytest.mark.django_db(transaction=True)
def test_expired_temporary_password_is_refused(client, plain_user):
    forgot(client, plain_user.email)
    temp = temp_password_from_mail(mail.outbox[0])
    TemporaryPassword.objects.update(expires_at=timezone.now() - timezone.timedelta(seconds=1))
    assert not can_log_in(client, plain_user.email, temp)


@pytest.mark.django_db(transaction=True)
def test_a_new_request_cancels_the_previous_temporary_password(client, plain_user):
    forgot(client, plain_user.email)
    forgot(client, plain_user.email)
    first, second = (temp_password_from_mail(m) for m in mail.outbox)
    assert not can_log_in(client, plain_user.email, first)
    assert can_log_in(client, plain_user.email, second)


@pytest.mark.django_db(transaction=True)
def test_temporary_password_lifetime_is_configurable(client, plain_user, settings):
    settings.FMP_TEMP_PASSWORD_MAX_AGE_MINUTES = 5
    forgot(client, plain_user.email)
    temp = TemporaryPassword.objects.get(user=plain_user)
    assert abs((temp.expires_at - temp.created_at).total_seconds() - 300) < 5


RULE_MESSAGES = {
    "fr": {
        "short": "Le mot de passe doit contenir au moins 7 caractères.",
        "digit": "Le mot de passe doit contenir au moins un chiffre.",
        "upper": "Le mot de passe doit contenir au moins une lettre majuscule.",
        "lower": "Le mot de passe doit contenir au moins une lettre minuscule.",
    },
    "en": {
        "short": "The password must contain at least 7 characters.",
        "digit": "The password must contain at least one digit.",
        "upper": "The password must contain at least one upper-case letter.",
        "lower": "The password must contain at least one lower-case letter.",
    },
}
CASES = [("Ab1", "short"), ("Abcdefgh", "digit"), ("abcdefg1", "upper"), ("ABCDEFG1", "lower")]


@pytest.mark.parametrize("language", ["fr", "en"])
@pytest.mark.parametrize(("password", "rule"), CASES)
@pytest.mark.django_db
def test_password_policy_messages_in_both_languages(client, plain_user, language, password, rule):
    User.objects.filter(pk=plain_user.pk).update(language=language, must_change_password=True)
    client.force_login(plain_user)
    response = client.post(CHANGE, {"new_password1": password, "new_password2": password})
    assert response.status_code == 200
    assert RULE_MESSAGES[language][rule] in response.content.decode()
    plain_user.refresh_from_db()
    assert plain_user.check_password(PASSWORD)


@pytest.mark.django_db
def test_voluntary_change_asks_for_the_old_password(user_client, plain_user):
    response = user_client.post(
        CHANGE, {"old_password": "not-it", "new_password1": "Brand-New-7x", "new_password2": "Brand-New-7x"}
    )
    assert response.status_code == 200
    assert "ancien mot de passe est incorrect" in response.content.decode()
    response = user_client.post(
        CHANGE, {"old_password": PASSWORD, "new_password1": "Brand-New-7x", "new_password2": "Brand-New-7x"}
    )
    assert response.status_code == 302
    assert user_client.get("/").status_code == 200  # session kept after the change
