"""Web security: deploy checks, headers, CSRF, redirects, lock-out against a scripted attack."""

import pytest
from django.test import Client

from tests.conftest import PASSWORD, run_manage

pytestmark = pytest.mark.django_db


def test_check_deploy_passes_with_the_production_settings():
    out = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        FMP_PRODUCTION="true",
        FMP_SECRET_KEY="x" * 30 + "-Production-Secret-Key-0123456789",
        FMP_ALLOWED_HOSTS="fmp.example.com",
    )
    assert out.returncode == 0, out.stdout + out.stderr


def test_production_refuses_to_start_without_a_secret_key():
    out = run_manage("check", FMP_PRODUCTION="true", FMP_SECRET_KEY="")
    assert out.returncode != 0 and "FMP_SECRET_KEY" in out.stderr


def test_security_headers_on_every_page(user_client):
    response = user_client.get("/printers/")
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
    assert "frame-ancestors 'none'" in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_no_inline_script_in_the_portal_pages(user_client):
    import re

    for url in [
        "/",
        "/printers/",
        "/tickets/",
        "/tickets/new/",
        "/meters/",
        "/supplies/orders/",
        "/documents/",
        "/settings/",
    ]:
        body = user_client.get(url).content.decode()
        inline = re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", body)
        assert not inline, (url, inline)


@pytest.mark.parametrize(
    "url", ["/printers/actions/", "/settings/", "/accounts/logout/", "/tickets/new/details/?user_service=1"]
)
def test_state_changing_requests_need_the_csrf_token(plain_user, url):
    client = Client(enforce_csrf_checks=True)
    client.force_login(plain_user)
    assert client.post(url, {"action": "refresh"}).status_code == 403


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example/", "javascript:alert(1)", "/\\evil.example"]
)
def test_login_next_never_leaves_the_site(client, plain_user, target):
    # The login page opened with it drops it; a login posted with it is refused (400).
    # Every view that reads ``next``: tests/security/test_next_parameter.py.
    from urllib.parse import urlencode

    opened = client.get(f"/accounts/login/?{urlencode({'next': target})}")
    assert opened.status_code == 302 and opened["Location"] == "/accounts/login/"
    response = client.post(
        "/accounts/login/", {"username": plain_user.email, "password": PASSWORD, "next": target}
    )
    assert response.status_code == 400 and "_auth_user_id" not in client.session


def test_session_lifetime_is_configurable(settings, client, plain_user):
    settings.SESSION_COOKIE_AGE = 120
    client.post("/accounts/login/", {"username": plain_user.email, "password": PASSWORD})
    assert client.cookies["sessionid"]["max-age"] == 120


def test_scripted_brute_force_is_stopped(client, plain_user, settings):
    guesses = [f"Guess-{i}a" for i in range(30)] + [PASSWORD]
    outcomes = [
        client.post("/accounts/login/", {"username": plain_user.email, "password": g}).status_code
        for g in guesses
    ]
    assert outcomes[: settings.AXES_FAILURE_LIMIT - 1] == [200] * (settings.AXES_FAILURE_LIMIT - 1)
    assert set(outcomes[settings.AXES_FAILURE_LIMIT :]) == {429}  # even the right password, once locked
    assert client.get("/").status_code == 302


def test_spraying_many_usernames_from_one_address_is_stopped(client, settings, account):
    from tests.conftest import make_user

    settings.FMP_LOGIN_ADDRESS_FAILURE_LIMIT = 10  # 50 by default; per user it is 5
    users = [make_user(f"u{i}@abc-cars.example", account=account) for i in range(12)]
    codes = [
        client.post("/accounts/login/", {"username": u.email, "password": "Wrong-1a"}).status_code
        for u in users
    ]
    assert codes[-1] == 429


def test_production_static_files_collect_with_hashed_names(tmp_path):
    out = run_manage(
        "collectstatic",
        "--noinput",
        "-v0",
        timeout=300,
        FMP_PRODUCTION="true",
        FMP_SECRET_KEY="x" * 50,
        FMP_STATIC_ROOT=str(tmp_path),
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert (tmp_path / "staticfiles.json").exists()
