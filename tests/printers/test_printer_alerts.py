"""The printer's own alert table (prtAlertTable), read on every poll of a real simulated
agent: stored, shown on the Remote diagnostics tab, compared with the supply levels."""

from __future__ import annotations

import pytest

from printers.models import Device, DeviceAlert
from printers.polling import fleet_poll_run
from tests.fixtures_snmp import sim_device

pytestmark = pytest.mark.django_db


def answer_with(device, community: str) -> None:
    Device.objects.filter(pk=device.pk).update(snmp_community=community)


def test_a_poll_stores_the_printers_alert_table_and_the_tab_shows_it(
    account, simulator, manager, manager_client
):
    device = sim_device(account, simulator, "sim-paper-out", serial="3634093981")
    fleet_poll_run(device_ids=[device.pk])

    alerts = list(DeviceAlert.objects.filter(device=device).order_by("index"))
    assert [(a.index, a.severity, a.group, a.code, a.training) for a in alerts] == [
        (1, "critical", 8, 808, "untrained"),
        (2, "warning", 5, 1, "trained"),
    ]
    assert alerts[0].description == "Paper out, input tray empty"
    # Raised ten minutes of printer uptime before the poll.
    minutes = (alerts[0].first_seen_at - alerts[0].raised_at).total_seconds() / 60
    assert 9.9 <= minutes <= 10.1

    manager.language = "en"
    manager.save()
    body = manager_client.get(f"/printers/{device.pk}/?tab=diagnostics").content.decode()
    assert body.count('data-testid="printer-alert-row"') == 2
    assert "Paper out" in body and "Input tray" in body and "Anyone" in body and "Critical" in body
    manager.language = "fr"
    manager.save()
    body = manager_client.get(f"/printers/{device.pk}/?tab=diagnostics").content.decode()
    assert "Fin de papier" in body and "Bac d’alimentation" in body and "Critique" in body


def test_the_same_table_writes_nothing_a_changed_one_replaces_it_and_sleep_keeps_it(account, simulator):
    device = sim_device(account, simulator, "sim-paper-out", serial="3634093981")
    fleet_poll_run(device_ids=[device.pk])
    first = {a.index: (a.pk, a.first_seen_at) for a in DeviceAlert.objects.filter(device=device)}

    fleet_poll_run(device_ids=[device.pk])  # the same alerts: the same rows
    assert {a.index: (a.pk, a.first_seen_at) for a in DeviceAlert.objects.filter(device=device)} == first

    answer_with(device, "sim-paper-refilled")  # paper refilled: the printer lists no alert
    fleet_poll_run(device_ids=[device.pk])
    assert not DeviceAlert.objects.filter(device=device).exists()

    answer_with(device, "sim-paper-out")
    fleet_poll_run(device_ids=[device.pk])
    assert DeviceAlert.objects.filter(device=device).count() == 2
    answer_with(device, "sim-xerox-asleep")  # answers the system group only: not an empty table
    Device.objects.filter(pk=device.pk).update(serial_number="")
    fleet_poll_run(device_ids=[device.pk])
    assert DeviceAlert.objects.filter(device=device).count() == 2


def test_an_alert_toner_low_on_a_full_cartridge_is_shown_as_disagreeing(account, simulator, manager_client):
    device = sim_device(account, simulator, "sim-hp-mono", serial="JPBF123456")
    fleet_poll_run(device_ids=[device.pk])
    body = manager_client.get(f"/printers/{device.pk}/?tab=diagnostics").content.decode()
    assert "Toner bas" in body and 'data-testid="alert-disagrees"' not in body  # 8 %: it agrees

    answer_with(device, "sim-hp-alert-stale")  # a new cartridge, the alert still listed
    fleet_poll_run(device_ids=[device.pk])
    device.refresh_from_db()
    assert device.state.level_black == 100
    alert = DeviceAlert.objects.get(device=device)
    assert (alert.group, alert.group_index, alert.code) == (11, 1, 1104)
    body = manager_client.get(f"/printers/{device.pk}/?tab=diagnostics").content.decode()
    body = body.replace("\u202f", " ").replace("\xa0", " ")  # French percent spacing
    assert 'data-testid="alert-disagrees"' in body and "est lu à 100 %" in body
    supplies = manager_client.get(f"/printers/{device.pk}/?tab=supplies").content.decode()
    assert 'data-testid="supply-printer-alert"' in supplies and "son niveau non" in supplies


def test_another_accounts_printer_alerts_are_not_reachable(account, other_account, simulator, manager_client):
    theirs = sim_device(other_account, simulator, "sim-paper-out", serial="3634093981")
    fleet_poll_run(device_ids=[theirs.pk])
    assert DeviceAlert.objects.filter(device=theirs).exists()
    assert manager_client.get(f"/printers/{theirs.pk}/?tab=diagnostics").status_code == 404
