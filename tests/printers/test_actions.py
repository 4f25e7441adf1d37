import pytest

from printers.models import Device, DeviceEvent
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def two(account, site):
    return [
        factories.device(account, site, serial="A1", state="ok"),
        factories.device(account, site, serial="A2", state="ok", under_contract=False),
    ]


@pytest.fixture
def foreign(other_account):
    return factories.device(other_account, serial="F1", state="ok")


def act(client, action, devices, follow=True, **extra):
    data = {"action": action, "devices": [d.pk for d in devices], "next": "/printers/", **extra}
    return client.post("/printers/actions/", data, follow=follow)


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def test_manager_sets_devices_out_of_contract_with_a_message_per_device(manager_client, two):
    msgs = messages_of(act(manager_client, "contract_out", two))
    assert "A1 : désormais hors contrat." in msgs
    assert "A2 : déjà hors contrat." in msgs
    assert not Device.objects.get(serial_number="A1").under_contract
    assert DeviceEvent.objects.filter(key="printers.device.contract_changed").count() == 1


def test_plain_user_cannot_change_contract(user_client, two):
    response = act(user_client, "contract_under", two, follow=False)
    assert response.status_code == 403
    assert "Rien n’a été modifié" in response.content.decode()
    assert not Device.objects.get(serial_number="A2").under_contract


def test_device_of_another_account_is_untouched_and_reported(manager_client, two, foreign):
    msgs = messages_of(act(manager_client, "contract_out", [two[0], foreign]))
    assert any("introuvable" in m for m in msgs)
    foreign.refresh_from_db()
    assert foreign.under_contract


def test_every_user_may_get_printer_status_and_it_shows_pending(user_client, two):
    msgs = messages_of(act(user_client, "refresh", two))
    assert len([m for m in msgs if "état demandé" in m]) == 2
    assert all(d.refresh_requested_at for d in Device.objects.filter(serial_number__in=["A1", "A2"]))
    body = user_client.get("/printers/").content.decode()
    assert body.count('data-testid="refresh-pending"') == 2


def test_no_selection_says_so(user_client, two):
    response = user_client.post(
        "/printers/actions/", {"action": "refresh", "next": "/printers/"}, follow=True
    )
    assert "Sélectionnez au moins une imprimante" in " ".join(messages_of(response))


def test_unknown_action_says_so(user_client, two):
    response = act(user_client, "format_disk", two)
    assert any("Action inconnue" in m for m in messages_of(response))


@pytest.mark.parametrize("action", ["reset", "test_page"])
def test_reset_and_test_page_need_a_fleet_manager(user_client, two, action):
    assert act(user_client, action, two, follow=False).status_code == 403


def test_reset_first_shows_the_printers_it_would_restart(manager_client, two, foreign):
    response = act(manager_client, "reset", [*two, foreign], follow=False)
    assert response.status_code == 200
    body = response.content.decode()
    listed = body.split('data-testid="confirm-devices"')[1].split("</ul>")[0]
    assert "A1" in listed and "A2" in listed and "ColorQube 9203" in listed
    assert "F1" not in listed  # another account's device is not even named
    assert "Réinitialiser ces 2 imprimantes" in body
    assert body.count('name="devices"') == 2 and 'name="confirmed" value="1"' in body
    assert not DeviceEvent.objects.filter(key__startswith="printers.device.reset").exists()  # nothing sent


def test_a_confirmed_reset_answers_per_printer(manager_client, two):
    msgs = messages_of(act(manager_client, "reset", two, confirmed="1"))
    assert len([m for m in msgs if m.startswith(("A1 :", "A2 :"))]) == 2


def test_update_location_form(manager_client, two):
    response = act(manager_client, "location", two, follow=False)
    assert response.status_code == 302 and "/printers/location/" in response["Location"]
    page = manager_client.get(response["Location"])
    assert "A1" in page.content.decode() and "A2" in page.content.decode()
    empty = manager_client.post("/printers/location/", {"devices": [two[0].pk], "location": "   "})
    assert (
        "Ce champ est obligatoire" in empty.content.decode()
        or "Saisissez un emplacement" in empty.content.decode()
    )
    done = manager_client.post(
        "/printers/location/",
        {"devices": [d.pk for d in two], "location": "Bâtiment 111, 1er étage"},
        follow=True,
    )
    assert done.status_code == 200
    assert set(
        Device.objects.filter(pk__in=[d.pk for d in two]).values_list("device_location", flat=True)
    ) == {"Bâtiment 111, 1er étage"}


def test_update_location_refused_to_plain_user_and_for_foreign_devices(
    user_client, manager_client, two, foreign
):
    assert user_client.get(f"/printers/location/?devices={two[0].pk}").status_code == 403
    manager_client.post("/printers/location/", {"devices": [foreign.pk], "location": "Hacked"})
    foreign.refresh_from_db()
    assert foreign.device_location == ""


def test_show_counters_opens_the_counters_tab(user_client, two):
    response = act(user_client, "counters", two[:1], follow=False)
    assert response["Location"] == f"/printers/{two[0].pk}/?tab=counters"


def test_menu_lists_only_the_actions_the_role_allows(user_client, manager_client, two):
    user_body = user_client.get("/printers/").content.decode()
    assert 'value="refresh"' in user_body and 'value="contract_out"' not in user_body
    assert 'value="contract_out"' in manager_client.get("/printers/").content.decode()
