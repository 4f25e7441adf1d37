"""Two-step verification in a real browser: a help-desk user sets up an authenticator app
(codes computed here from the secret the page shows), logs out, logs in with a code and
reaches the admin."""

import re

import pytest

from tests.conftest import PASSWORD, make_user
from tests.otp import fresh_code, totp, wrong_code

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def password_step(page, user):
    page.goto("/accounts/login/")
    page.locator("#id_username").fill(user.email)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("button[type=submit]").first.click()


def test_staff_enrols_logs_out_and_logs_in_with_a_code(page, screenshot):
    staff = make_user("newdesk@fmp.example", is_staff=True, is_superuser=True, language="en")

    password_step(page, staff)
    page.wait_for_url("**/accounts/otp/setup/")
    # The admin stays shut until the app is set up.
    page.goto("/admin/")
    page.wait_for_url("**/accounts/otp/setup/")
    page.get_by_text("Your account must use two-step verification").wait_for()
    assert page.get_by_test_id("otp-qr").locator("svg").is_visible()
    screenshot("setup")
    secret = page.get_by_test_id("otp-secret").inner_text()

    page.get_by_role("textbox", name="Code").fill(wrong_code(secret))
    page.get_by_role("button", name="Confirm").click()
    page.get_by_text("This code is not correct").wait_for()

    page.get_by_role("textbox", name="Code").fill(totp(secret))
    page.get_by_role("button", name="Confirm").click()
    page.wait_for_url("**/accounts/otp/recovery-codes/")
    codes = page.get_by_test_id("recovery-codes").locator("li").all_inner_texts()
    assert len(codes) == 10 and all(re.fullmatch(r"[a-z2-7]{8}", c) for c in codes)
    screenshot("recovery-codes")
    page.get_by_role("link", name="I have saved them: continue").click()
    page.get_by_role("link", name="Help desk").click()
    page.wait_for_url("**/admin/")
    page.get_by_role("heading", name="Fleet administration").wait_for()

    page.goto("/")
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url("**/accounts/login/")

    password_step(page, staff)
    page.wait_for_url("**/accounts/otp/")
    screenshot("code-step")
    # Logged out, the code step is in the language of the login page (French by default).
    page.get_by_role("textbox", name="Code").fill(fresh_code(staff, secret))
    page.get_by_role("button", name="Valider").click()
    page.wait_for_url(re.compile(r".*/$"))
    page.goto("/admin/accounts/user/")
    page.get_by_role("link", name="newdesk@fmp.example").wait_for()
    screenshot("admin")

    page.goto("/settings/")
    card = page.get_by_test_id("otp-card")
    card.get_by_text("10 recovery codes left").wait_for()
    screenshot("settings")
