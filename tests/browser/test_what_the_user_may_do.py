"""Only what the user may do, and nothing that surprises: the home pane offers ordering to
who may order, a reset names the printers before it runs, the grid's two "New" badges are
told apart, and a password refused by the policy says so under the new password."""

import re

import pytest

from accounts.models import User
from printers.models import DeviceEvent
from tests import factories
from tests.browser.test_printers import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def fleet(account, site):
    mono = factories.device_model("WorkCentre 5665", colour=False)
    found = factories.device(
        account, site, serial="NEW000001", model=mono, state="ok", levels={"black": 60}, newly_discovered=True
    )
    jammed = factories.device(
        account,
        site,
        serial="813000305",
        model=mono,
        state="error",
        conditions=["jammed"],
        levels={"black": 9},
    )
    factories.ticket(account, jammed, state="new", summary="Paper jam")
    return found, jammed


def test_order_supplies_shows_on_the_home_page_only_to_who_may_order(
    browser, live_server, plain_user, manager
):
    for user, offered in ((plain_user, False), (manager, True)):
        context = browser.new_context(base_url=live_server.url, locale="fr-FR")
        page = context.new_page()
        login(page, user)
        pane = page.get_by_test_id("pane-supplies")
        assert pane.get_by_role("link", name="Afficher les commandes de consommables").is_visible()
        assert pane.get_by_role("link", name="Commander des consommables").count() == (1 if offered else 0)
        if offered:
            pane.get_by_role("link", name="Commander des consommables").click()
            page.wait_for_url("**/supplies/order/")
            assert page.get_by_test_id("action-refused").count() == 0
        context.close()


def test_reset_names_the_printers_and_runs_only_when_confirmed(page, manager, fleet, screenshot):
    login(page, manager)
    page.goto("/printers/")
    page.locator('tbody input[name="devices"]').nth(0).check()
    page.locator('tbody input[name="devices"]').nth(1).check()
    page.locator("#action-select").select_option("reset")
    page.get_by_role("button", name="Appliquer aux imprimantes sélectionnées").click()
    confirm = page.get_by_test_id("action-confirm")
    confirm.wait_for()
    screenshot("reset-confirm")
    listed = page.get_by_test_id("confirm-devices").inner_text()
    assert "NEW000001" in listed and "813000305" in listed and "WorkCentre 5665" in listed
    assert "« Réinitialiser l’imprimante » sur ces 2 imprimantes ?" in confirm.inner_text()

    confirm.get_by_role("link", name="Annuler").click()
    page.wait_for_url("**/printers/")
    assert not DeviceEvent.objects.filter(key__startswith="printers.device.reset").exists()

    page.locator('tbody input[name="devices"]').nth(0).check()
    page.locator("#action-select").select_option("reset")
    page.get_by_role("button", name="Appliquer aux imprimantes sélectionnées").click()
    page.get_by_test_id("confirm-action").click()
    page.wait_for_url("**/printers/")
    assert page.locator(".alert").filter(has_text=re.compile(r"^\s*(813000305|NEW000001) :")).count() == 1


def test_the_new_device_and_new_incident_badges_differ_and_explain_themselves(page, plain_user, fleet):
    User.objects.filter(pk=plain_user.pk).update(language="en")
    login(page, plain_user)
    page.goto("/printers/")
    device_badge = page.get_by_test_id("new-device")
    incident_badge = page.get_by_test_id("incident-state")
    assert device_badge.count() == 1 and incident_badge.count() == 1

    def look(badge):
        return badge.evaluate(
            """e => [getComputedStyle(e).backgroundColor, e.querySelector('i').className]"""
        )

    (device_colour, device_icon), (incident_colour, incident_icon) = look(device_badge), look(incident_badge)
    assert device_colour != incident_colour
    assert device_icon != incident_icon

    device_badge.hover()
    tooltip = page.get_by_role("tooltip")
    tooltip.wait_for(state="visible")
    assert "New device" in tooltip.inner_text()
    page.mouse.move(0, 0)
    tooltip.wait_for(state="hidden")
    incident_badge.focus()
    page.get_by_role("tooltip").wait_for(state="visible")
    assert page.get_by_role("tooltip").inner_text() == "Service ticket of this incident: New"


@pytest.mark.parametrize("forced", [True, False])
def test_a_password_refused_by_the_policy_says_so_under_the_new_password(
    page, plain_user, forced, screenshot
):
    from tests.conftest import PASSWORD

    if forced:
        User.objects.filter(pk=plain_user.pk).update(must_change_password=True)
    page.goto("/accounts/login/")
    page.locator("#id_username").fill(plain_user.email)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("button[type=submit]").first.click()
    if forced:
        page.wait_for_url("**/accounts/password/change/")
    else:
        page.wait_for_url(re.compile(r".*/$"))
        page.goto("/accounts/password/change/")
        page.locator("#id_old_password").fill(PASSWORD)
    page.locator("#id_new_password1").fill("short")
    page.locator("#id_new_password2").fill("short")
    page.get_by_role("button", name="Changer mon mot de passe").click()
    error = page.get_by_text("Le mot de passe doit contenir au moins un chiffre.")
    error.wait_for()
    screenshot("policy-error")
    feedback = page.locator("#div_id_new_password1 .invalid-feedback")
    assert "Le mot de passe doit contenir au moins un chiffre." in feedback.inner_text()
    assert page.locator("#div_id_new_password2 .invalid-feedback").count() == 0
    # Seen between the new password and its confirmation, not below the confirmation.
    error_box = error.bounding_box()
    assert page.locator("#id_new_password1").bounding_box()["y"] < error_box["y"]
    assert error_box["y"] < page.locator("#id_new_password2").bounding_box()["y"]
