"""Two-step verification (issue 13, item 12): staff must use an authenticator app before
the admin opens; customer users may, and the help desk can require it per account; wrong
codes count toward the lock-out; recovery codes work once each."""

from __future__ import annotations

import io
import re

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from accounts.models import TemporaryPassword, User
from tests.conftest import PASSWORD, make_user
from tests.otp import fresh_code, secret_of, totp, wrong_code

LOGIN = "/accounts/login/"
VERIFY = "/accounts/otp/"
SETUP = "/accounts/otp/setup/"
CODES = "/accounts/otp/recovery-codes/"


def password_step(client, user, password=PASSWORD):
    return client.post(LOGIN, {"username": user.email, "password": password})


def enrol(client) -> tuple[str, list[str]]:
    """Through the set-up page: read the secret, confirm with the app's code. Returns the
    secret and the recovery codes shown."""
    page = client.get(SETUP).content.decode()
    secret = re.search(r'data-testid="otp-secret">([A-Z2-7 ]+)<', page).group(1)
    response = client.post(SETUP, {"code": totp(secret)})
    assert response.status_code == 302 and response["Location"] == CODES
    shown = client.get(CODES).content.decode()
    codes = re.findall(r'<li class="col">([a-z2-7]{8})</li>', shown)
    return secret, codes


@pytest.fixture(autouse=True)
def _english(client):
    """The login's code step comes before the user's own language is known: the cookie's."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


@pytest.fixture
def staff(db):
    """A help-desk user who has not set up an authenticator app yet."""
    return make_user("newdesk@fmp.example", is_staff=True, is_superuser=True, language="en")


@pytest.mark.django_db
def test_staff_without_an_app_cannot_open_the_admin_and_is_sent_to_set_up(client, staff):
    assert password_step(client, staff).status_code == 302
    for url in ["/admin/", "/admin/accounts/user/", "/", "/printers/"]:
        response = client.get(url)
        assert response.status_code == 302 and response["Location"] == SETUP, url
    page = client.get(SETUP)
    assert page.status_code == 200
    assert "otpauth://totp/FMP%3Anewdesk%40fmp.example?secret=" in page.content.decode()
    assert "<svg" in page.content.decode()  # the QR code


@pytest.mark.django_db
def test_enrolment_refuses_a_wrong_code_then_a_right_one_shows_ten_recovery_codes_once(client, staff):
    client.force_login(staff)
    page = client.get(SETUP).content.decode()
    secret = re.search(r'data-testid="otp-secret">([A-Z2-7 ]+)<', page).group(1)
    # Reloading the page keeps the same secret (it may already be in the app).
    assert secret in client.get(SETUP).content.decode()

    refused = client.post(SETUP, {"code": wrong_code(secret)})
    assert refused.status_code == 200
    assert "This code is not correct" in refused.content.decode()
    assert client.get("/admin/")["Location"] == SETUP

    response = client.post(SETUP, {"code": totp(secret)}, follow=True)
    body = response.content.decode()
    assert "Two-step verification is on" in body
    codes = re.findall(r'<li class="col">([a-z2-7]{8})</li>', body)
    assert len(set(codes)) == 10
    # Shown once: the page now only counts them.
    again = client.get(CODES).content.decode()
    assert not any(code in again for code in codes) and "10 unused recovery codes" in again
    # This session passed the code: the admin opens.
    assert client.get("/admin/").status_code == 200


@pytest.mark.django_db
def test_after_enrolment_login_needs_the_code_then_the_admin_opens(client, staff):
    assert password_step(client, staff).status_code == 302
    secret, _codes = enrol(client)
    client.post("/accounts/logout/")

    response = password_step(client, staff)
    assert response.status_code == 302 and response["Location"] == VERIFY
    # The password alone opened nothing: the admin sends to the portal's login.
    admin = client.get("/admin/")
    assert admin.status_code == 302 and admin["Location"].startswith("/admin/login/")
    assert client.get("/admin/login/?next=/admin/")["Location"].startswith(LOGIN)
    assert client.get("/")["Location"].startswith(LOGIN)

    assert "This code is not correct" in client.post(VERIFY, {"code": wrong_code(secret)}).content.decode()
    response = client.post(VERIFY, {"code": fresh_code(staff, secret)})
    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200


@pytest.mark.django_db
def test_login_returns_to_the_page_asked_for_after_the_code(client, staff):
    client.force_login(staff)
    enrol(client)
    client.post("/accounts/logout/")
    client.post(LOGIN, {"username": staff.email, "password": PASSWORD, "next": "/admin/accounts/user/"})
    response = client.post(VERIFY, {"code": fresh_code(staff)})
    assert response["Location"] == "/admin/accounts/user/"


@pytest.mark.django_db
def test_a_recovery_code_logs_in_once(staff):
    first = Client()
    first.force_login(staff)
    _secret, codes = enrol(first)

    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    password_step(client, staff)
    response = client.post(VERIFY, {"code": codes[0].upper()}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("home")
    assert "You used a recovery code: 9 are left" in response.content.decode()
    assert client.get("/admin/").status_code == 200
    client.post("/accounts/logout/")

    password_step(client, staff)
    again = client.post(VERIFY, {"code": codes[0]})
    assert again.status_code == 200 and "This code is not correct" in again.content.decode()
    assert client.post(VERIFY, {"code": codes[1]}).status_code == 302


@pytest.mark.django_db
def test_new_recovery_codes_replace_the_old_ones_and_keep_the_session(staff):
    first = Client()
    first.force_login(staff)
    _secret, old_codes = enrol(first)
    client = Client()
    password_step(client, staff)
    client.post(VERIFY, {"code": old_codes[0]})
    # An open session is not enough: it takes a code typed now (a wrong one counts).
    refused = client.post(CODES, {"current_code": "000000"}, follow=True)
    assert "To confirm, type the code" in refused.content.decode()
    response = client.post(CODES, {"current_code": fresh_code(staff)}, follow=True)
    assert "New recovery codes made" in response.content.decode()
    new_codes = re.findall(r'<li class="col">([a-z2-7]{8})</li>', response.content.decode())
    assert len(new_codes) == 10 and not set(new_codes) & set(old_codes)
    # The session that logged in with a recovery code is still logged in.
    assert client.get("/admin/").status_code == 200
    client.post("/accounts/logout/")
    password_step(client, staff)
    assert client.post(VERIFY, {"code": old_codes[1]}).status_code == 200  # refused
    assert client.post(VERIFY, {"code": new_codes[0]}).status_code == 302


@pytest.mark.django_db
def test_wrong_codes_count_toward_the_lock_out_and_then_the_right_code_is_refused(settings, helpdesk):
    settings.AXES_FAILURE_LIMIT = 5
    secret = secret_of(helpdesk)
    # A second login that reached the code step before the lock-out.
    waiting = Client()
    assert password_step(waiting, helpdesk)["Location"] == VERIFY

    attacker = Client()
    password_step(attacker, helpdesk)
    for _ in range(3):
        assert attacker.post(VERIFY, {"code": wrong_code(secret)}).status_code == 200
    # A right password again does not wipe the count: only a completed login would.
    password_step(attacker, helpdesk)
    assert attacker.post(VERIFY, {"code": wrong_code(secret)}).status_code == 200
    locked = attacker.post(VERIFY, {"code": wrong_code(secret)})
    assert locked.status_code == 429
    assert 'data-testid="locked-out"' in locked.content.decode()
    # The locked-out session is ended; the password no longer passes either.
    assert attacker.get(VERIFY)["Location"] == LOGIN
    assert password_step(attacker, helpdesk).status_code == 429

    refused = waiting.post(VERIFY, {"code": fresh_code(helpdesk, secret)})
    assert refused.status_code == 429
    assert waiting.get("/admin/").status_code == 302
    assert "_auth_user_id" not in waiting.session
    assert waiting.get(VERIFY)["Location"] == LOGIN  # that login is over too


@pytest.mark.django_db
def test_a_completed_login_with_the_code_resets_the_failure_count(settings, helpdesk):
    settings.AXES_FAILURE_LIMIT = 3
    secret = secret_of(helpdesk)
    client = Client()
    password_step(client, helpdesk)
    client.post(VERIFY, {"code": wrong_code(secret)})
    client.post(VERIFY, {"code": wrong_code(secret)})
    assert client.post(VERIFY, {"code": fresh_code(helpdesk, secret)}).status_code == 302
    client.post("/accounts/logout/")
    password_step(client, helpdesk)
    assert client.post(VERIFY, {"code": wrong_code(secret)}).status_code == 200  # not locked


@pytest.mark.django_db
def test_customer_users_may_enrol_from_settings_and_turn_it_off(client, plain_user, manager):
    plain_user.language = "en"
    plain_user.save()
    password_step(client, plain_user)
    settings_page = client.get("/settings/")
    assert settings_page.status_code == 200  # no app required: nothing in the way
    assert "Set up two-step verification" in settings_page.content.decode()

    _secret, codes = enrol(client)
    assert len(codes) == 10
    card = client.get("/settings/").content.decode()
    assert "10 recovery codes left" in card
    client.post("/accounts/logout/")
    assert password_step(client, plain_user)["Location"] == VERIFY
    assert client.post(VERIFY, {"code": fresh_code(plain_user)}).status_code == 302

    refused = client.post("/accounts/otp/disable/", follow=True)  # no code: stays on
    assert "To confirm, type the code" in refused.content.decode()
    assert User.objects.get(pk=plain_user.pk).totpdevice_set.filter(confirmed=True).exists()
    response = client.post("/accounts/otp/disable/", {"current_code": codes[0]}, follow=True)
    assert "Two-step verification is off." in response.content.decode()
    client.post("/accounts/logout/")
    assert password_step(client, plain_user)["Location"] == reverse("home")
    # The colleague never enrolled: the password alone still logs in.
    other = Client()
    assert password_step(other, manager)["Location"] == reverse("home")


@pytest.mark.django_db
def test_an_account_that_requires_it_makes_its_users_and_sub_accounts_users_enrol(
    client, plain_user, outsider, account
):
    account.parent.require_otp = True  # ABC Cars: covers ABC London Pursuit
    account.parent.save()
    User.objects.filter(pk=plain_user.pk).update(language="en")
    password_step(client, plain_user)
    assert client.get("/")["Location"] == SETUP
    assert client.get("/printers/")["Location"] == SETUP
    enrol(client)
    assert client.get("/").status_code == 200
    refused = client.post("/accounts/otp/disable/", follow=True)
    assert "required for your account" in refused.content.decode()
    assert User.objects.get(pk=plain_user.pk).totpdevice_set.filter(confirmed=True).exists()
    # Another account is not concerned.
    other = Client()
    password_step(other, outsider)
    assert other.get("/").status_code == 200


@pytest.mark.django_db
def test_with_the_requirement_off_staff_reach_the_admin_without_an_app(settings, client, staff):
    settings.FMP_STAFF_OTP_REQUIRED = False
    password_step(client, staff)
    assert client.get("/admin/").status_code == 200


@pytest.mark.django_db
def test_a_session_opened_before_enrolment_elsewhere_is_logged_out(plain_user):
    before = Client()
    before.force_login(plain_user)
    assert before.get("/").status_code == 200
    phone = Client()
    phone.force_login(plain_user)
    enrol(phone)
    response = before.get("/settings/")
    assert response.status_code == 302 and response["Location"].startswith(LOGIN)
    assert phone.get("/settings/").status_code == 200


@pytest.mark.django_db
def test_a_temporary_password_does_not_skip_the_code(client, helpdesk, django_capture_on_commit_callbacks):
    from django.core import mail

    from accounts import services

    with django_capture_on_commit_callbacks(execute=True):
        # What the worker does for "Forgot password" (accounts.tasks.temporary_password_send).
        services.temporary_password_send(user_id=helpdesk.pk, login_url="http://testserver/")
    temp = re.search(r":\s+([A-Za-z0-9]{12})\s", mail.outbox[-1].body).group(1)
    # A login abandoned at the code step (phone not at hand) does not use it up.
    abandoned = Client()
    assert password_step(abandoned, helpdesk, temp)["Location"] == VERIFY
    assert TemporaryPassword.objects.get(user=helpdesk).used_at is None
    assert not User.objects.get(pk=helpdesk.pk).must_change_password
    assert password_step(client, helpdesk, temp)["Location"] == VERIFY
    assert client.get("/accounts/password/change/")["Location"].startswith(LOGIN)
    client.post(VERIFY, {"code": fresh_code(helpdesk)})
    assert client.get("/")["Location"] == "/accounts/password/change/"
    assert TemporaryPassword.objects.get(user=helpdesk).used_at is not None
    assert password_step(Client(), helpdesk, temp).status_code == 200  # used once


@pytest.mark.django_db
def test_staff_with_a_temporary_password_change_it_then_set_up_the_app(
    client, staff, django_capture_on_commit_callbacks
):
    from django.core import mail

    from accounts import services

    with django_capture_on_commit_callbacks(execute=True):
        # What the worker does for "Forgot password" (accounts.tasks.temporary_password_send).
        services.temporary_password_send(user_id=staff.pk, login_url="http://testserver/")
    temp = re.search(r":\s+([A-Za-z0-9]{12})\s", mail.outbox[-1].body).group(1)
    assert password_step(client, staff, temp).status_code == 302
    assert client.get("/admin/")["Location"] == "/accounts/password/change/"
    changed = client.post(
        "/accounts/password/change/", {"new_password1": "Brand-New-7x", "new_password2": "Brand-New-7x"}
    )
    assert changed.status_code == 302
    assert client.get("/admin/")["Location"] == SETUP
    enrol(client)
    assert client.get("/admin/").status_code == 200


@pytest.mark.django_db
def test_another_phone_replaces_the_first_app(client, plain_user):
    client.force_login(plain_user)
    first_secret, codes = enrol(client)
    page = client.get(SETUP).content.decode()
    second_secret = re.search(r'data-testid="otp-secret">([A-Z2-7 ]+)<', page).group(1)
    assert second_secret != first_secret
    # Until the new app is confirmed, the first one still logs in.
    other = Client()
    password_step(other, plain_user)
    assert other.post(VERIFY, {"code": fresh_code(plain_user, first_secret)}).status_code == 302
    # Replacing the app takes a code of the current one (the app's codes of the next
    # steps are used up by the logins above: a recovery code does as well).
    assert client.post(SETUP, {"code": totp(second_secret)}).status_code == 200
    assert (
        client.post(
            SETUP,
            {"code": totp(second_secret), "current_code": codes[0]},  # a recovery code
        ).status_code
        == 302
    )
    assert client.get("/settings/").status_code == 200  # the session that confirmed it stays
    third = Client()
    password_step(third, plain_user)
    assert third.post(VERIFY, {"code": fresh_code(plain_user, first_secret)}).status_code == 200
    assert third.post(VERIFY, {"code": fresh_code(plain_user, second_secret)}).status_code == 302


@pytest.mark.django_db
def test_the_code_step_expires(client, helpdesk, settings):
    settings.FMP_OTP_LOGIN_MINUTES = 0
    password_step(client, helpdesk)
    response = client.post(VERIFY, {"code": fresh_code(helpdesk)})
    assert response["Location"] == LOGIN
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_the_help_desk_resets_a_lost_phone(client, helpdesk, plain_user):
    phone = Client()
    phone.force_login(plain_user)
    enrol(phone)
    client.force_login(helpdesk)
    response = client.post(
        "/admin/accounts/user/", {"action": "otp_reset", "_selected_action": [plain_user.pk]}, follow=True
    )
    assert response.status_code == 200
    fresh = Client()
    assert password_step(fresh, plain_user)["Location"] == reverse("home")
    listing = client.get("/admin/accounts/user/?q=helpdesk").content.decode()
    assert "icon-yes.svg" in listing  # the help desk's own app is shown as set up


@pytest.mark.django_db
def test_demo_prints_the_help_desk_secret_and_totp_code_prints_a_working_code(client):
    out = io.StringIO()
    call_command("demo", stdout=out)
    secret = re.search(r"secret key ([A-Z2-7 ]+) \(", out.getvalue()).group(1)
    assert "python manage.py totp_code helpdesk@fmp.example" in out.getvalue()
    # Idempotent: a second run keeps the same secret (the app already holds it).
    again = io.StringIO()
    call_command("demo", stdout=again)
    assert secret in again.getvalue()

    helpdesk = User.objects.get(username="helpdesk@fmp.example")
    password_step(client, helpdesk, "Demo-Fleet-2026")
    assert client.post(VERIFY, {"code": totp(secret)}).status_code == 302
    assert client.get("/admin/").status_code == 200
    client.post("/accounts/logout/")

    # Right after a login, the command gives the next code, which works too.
    printed = io.StringIO()
    call_command("totp_code", "helpdesk@fmp.example", stdout=printed, stderr=io.StringIO())
    code = printed.getvalue().strip()
    assert re.fullmatch(r"\d{6}", code)
    password_step(client, helpdesk, "Demo-Fleet-2026")
    assert client.post(VERIFY, {"code": code}).status_code == 302
    assert client.get("/admin/").status_code == 200
