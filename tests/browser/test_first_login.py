"""The guide's first login, in a real browser: forgot password → e-mail → forced change → home."""

import re

import pytest
from django.core import mail

from accounts.notifications import background_wait

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_first_login_with_a_temporary_password_then_switch_to_english(page, plain_user, screenshot):
    page.goto("/")
    assert "/accounts/login/" in page.url
    screenshot("login")
    page.get_by_role("link", name="Mot de passe oublié ?").click()
    page.get_by_label("Nom d’utilisateur").fill(plain_user.email)
    page.get_by_role("button", name="Envoyer").click()
    page.get_by_text("un mot de passe temporaire a été envoyé").wait_for()

    background_wait()  # the e-mail is sent off the request path
    assert len(mail.outbox) == 1
    temp = re.search(r":\s+([A-Za-z0-9]{12})\s", mail.outbox[0].body).group(1)

    page.get_by_label("Nom d’utilisateur ou adresse e-mail").fill(plain_user.email)
    page.get_by_label("Mot de passe").fill(temp)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url("**/accounts/password/change/")
    screenshot("forced-change")

    # Any other page sends the user back until the password is changed.
    page.goto("/settings/")
    page.wait_for_url("**/accounts/password/change/")

    page.locator("#id_new_password1").fill("short")
    page.locator("#id_new_password2").fill("short")
    page.get_by_role("button", name="Changer mon mot de passe").click()
    page.get_by_text("Le mot de passe doit contenir au moins un chiffre.").wait_for()
    screenshot("policy-errors")

    page.locator("#id_new_password1").fill("Fleet-Ready-7")
    page.locator("#id_new_password2").fill("Fleet-Ready-7")
    page.get_by_role("button", name="Changer mon mot de passe").click()
    page.wait_for_url(re.compile(r".*/$"))
    page.get_by_test_id("pane-printers").wait_for()
    assert page.get_by_test_id("account-name").inner_text().strip() == "ABC Cars / ABC London Pursuit"
    screenshot("home-fr")

    page.get_by_role("link", name="Paramètres").click()
    page.get_by_label("English").check()
    page.get_by_role("button", name="Enregistrer").click()
    page.get_by_text("Your settings have been saved.").wait_for()
    page.get_by_role("link", name="Home").click()
    page.get_by_test_id("pane-printers").wait_for()
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_role("button", name="Log out").is_visible()
    screenshot("home-en")

    page.get_by_role("button", name="Log out").click()
    page.wait_for_url("**/accounts/login/")
