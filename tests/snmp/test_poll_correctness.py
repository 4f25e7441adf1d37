"""What the poller stores, against real simulated agents: only the device's own, complete answers.

Changing a device's community between two polls makes another recording answer at its
address: the same printer later (``fmp_snmp.simfleet.LATER_DEVICES``), asleep, or another
printer altogether (the address was given to it by DHCP).
"""

import pytest
from django.core import mail
from django.utils import translation

from accounts.models import Account
from meters.models import MeterRead
from printers.models import CounterSample, Device, DeviceCondition, DeviceEvent, PollAttempt
from printers.polling import fleet_poll_run
from tests import factories
from tests.conftest import make_user
from tests.fixtures_snmp import free_udp_port, sim_device
from tickets.models import Ticket

pytestmark = pytest.mark.django_db


def answer_with(device, community: str) -> None:
    Device.objects.filter(pk=device.pk).update(snmp_community=community)


def test_a_printer_answering_at_another_devices_address_is_never_stored_there(
    account, simulator, helpdesk, client
):
    # A, the Xerox, is polled at its address; B, the HP, is known in a sister account.
    a = sim_device(account, simulator, "sim-xerox-colour", serial="813000305")
    sister = Account.objects.create(name="ABC Manchester", parent=account.parent)
    b = factories.device(sister, serial="JPBF123456", ip_address="127.0.0.77", snmp_port=free_udp_port())
    fleet_poll_run(device_ids=[a.pk])
    reads_before = set(MeterRead.objects.filter(device=a).values_list("counter", "value"))
    # DHCP gives A's address to B: B answers the next poll of A.
    answer_with(a, "sim-hp-mono")
    run = fleet_poll_run(device_ids=[a.pk])

    a.refresh_from_db()
    assert (a.state.total_pages, a.state.level_black, a.state.level_cyan) == (681235, 80, 70)
    assert a.state.conditions == [] and a.state.overall == "ok"
    assert not DeviceCondition.objects.filter(device=a, code="lowToner").exists()
    assert not CounterSample.objects.filter(device=a, value=288145).exists()
    assert set(MeterRead.objects.filter(device=a).values_list("counter", "value")) == reads_before
    assert a.serial_number == "813000305" and a.system_name == "EC2-25L-WJ50"
    attempt = PollAttempt.objects.filter(device=a).order_by("-started_at").first()
    assert not attempt.ok and "another printer" in attempt.error and "JPBF123456" in attempt.error
    event = DeviceEvent.objects.get(device=a, key="printers.device.answered_by_another")
    assert event.data["answered_serial"] == "JPBF123456" and event.data["expected_serial"] == "813000305"
    with translation.override("en"):  # the run's note is worded for each reader (fmp.texts)
        assert "answered by another printer" in run.note_shown and "JPBF123456" in run.note_shown
    # Discovery's serial matching gives B the address it answered at.
    b.refresh_from_db()
    assert (str(b.ip_address), b.snmp_port) == (simulator["host"], simulator["port"])
    assert DeviceEvent.objects.filter(device=b, key="printers.device.address_changed").exists()
    # The help desk reads it in the device's Remote diagnostics tab.
    client.force_login(helpdesk)
    body = client.get(f"/printers/{a.pk}/?tab=diagnostics").content.decode()
    assert "une autre imprimante a répondu à cette adresse" in body and "JPBF123456" in body
    # Told once per streak, not at every poll.
    fleet_poll_run(kind="refresh", device_ids=[a.pk], respect_backoff=False)
    assert DeviceEvent.objects.filter(device=a, key="printers.device.answered_by_another").count() == 1


def test_a_serial_that_differs_only_by_case_and_spaces_is_the_same_printer(account, simulator):
    device = sim_device(account, simulator, "sim-hp-mono", serial="  jpbf123456 ")
    fleet_poll_run()
    device.refresh_from_db()
    assert device.state.total_pages == 288145 and device.state.conditions == ["lowToner"]
    assert not DeviceEvent.objects.filter(device=device, key="printers.device.answered_by_another").exists()


def test_a_printer_asleep_keeps_its_levels_state_conditions_and_ticket(account, simulator, settings):
    settings.FMP_CONDITION_CLEAR_AFTER = 1  # not the debounce that keeps them: the partial answer
    device = sim_device(account, simulator, "sim-xerox-toner-empty", serial="813000305")
    fleet_poll_run()
    device.refresh_from_db()
    assert (device.state.overall, device.state.conditions, device.state.level_black) == (
        "error",
        ["noToner"],
        0,
    )
    status_at = device.state.status_at
    supplies_at = set(device.supplies.values_list("index", "updated_at"))
    ticket = Ticket.objects.get(device=device, condition_code="noToner", origin="monitoring")
    # The printer falls asleep: it answers the system group only.
    answer_with(device, "sim-xerox-asleep")
    for _ in range(3):
        run = fleet_poll_run(kind="refresh", device_ids=[device.pk], respect_backoff=False)
        assert run.failures == 0  # it answered
    device.refresh_from_db()
    state = device.state
    assert state.reachable and state.last_attempt_at > status_at
    assert (state.level_black, state.level_cyan, state.level_magenta, state.level_yellow) == (0, 70, 60, 50)
    assert state.colours_present == ["black", "cyan", "magenta", "yellow"]
    assert (state.overall, state.conditions) == ("error", ["noToner"])
    assert state.status_at == status_at  # the age of what is shown
    assert set(device.supplies.values_list("index", "updated_at")) == supplies_at
    assert DeviceCondition.objects.filter(device=device, code="noToner", cleared_at__isnull=True).exists()
    ticket.refresh_from_db()
    assert ticket.state == "new"
    # Awake again with a new cartridge: the answer covers them, the condition clears.
    answer_with(device, "sim-xerox-colour")
    fleet_poll_run(kind="refresh", device_ids=[device.pk], respect_backoff=False)
    device.refresh_from_db()
    assert (device.state.overall, device.state.level_black) == ("ok", 80)
    ticket.refresh_from_db()
    assert ticket.state == "done"


def test_a_door_opened_closed_and_opened_again_tells_the_customer_once_and_opens_no_ticket(
    account, site, simulator, django_capture_on_commit_callbacks
):
    # A door is the customer's to close (FMP_CUSTOMER_CONDITIONS): an e-mail, no ticket.
    make_user("fm@abc-cars.example", account=account, language="en")
    make_user("rb@abc-cars.example", account=account, language="fr")
    device = sim_device(account, simulator, "sim-door-open", serial="DOOR00042", notifications_enabled=True)
    with django_capture_on_commit_callbacks(execute=True):
        for community in ("sim-door-open", "sim-door-closed", "sim-door-open"):
            answer_with(device, community)
            fleet_poll_run(kind="refresh", device_ids=[device.pk], respect_backoff=False)
    assert not Ticket.objects.filter(device=device).exists()
    assert DeviceCondition.objects.filter(device=device, code="doorOpen").count() == 1
    subjects = {m.to[0]: m.subject for m in mail.outbox}
    assert subjects == {
        "fm@abc-cars.example": "Printer ColorQube 9203 DOOR00042 needs you: Door open",
        "rb@abc-cars.example": "L’imprimante ColorQube 9203 DOOR00042 a besoin de vous : Porte ouverte",
    }
    # Closed for good: after FMP_CONDITION_CLEAR_AFTER answers without it, it clears.
    answer_with(device, "sim-door-closed")
    for _ in range(2):
        fleet_poll_run(kind="refresh", device_ids=[device.pk], respect_backoff=False)
    assert not DeviceCondition.objects.filter(device=device, cleared_at__isnull=True).exists()


def test_the_unreachable_ticket_and_its_email_have_a_readable_translated_title(
    account, site, simulator, settings, django_capture_on_commit_callbacks
):
    settings.FMP_SNMP_TIMEOUT = 0.2
    settings.FMP_SNMP_RETRIES = 0
    make_user("en@abc-cars.example", account=account, language="en")
    make_user("fr@abc-cars.example", account=account, language="fr")
    device = sim_device(
        account, simulator, "sim-xerox-colour", serial="813000305", notifications_enabled=True
    )
    fleet_poll_run()
    Device.objects.filter(pk=device.pk).update(snmp_port=free_udp_port())  # it is switched off
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(settings.FMP_UNREACHABLE_AFTER):
            fleet_poll_run(kind="refresh", device_ids=[device.pk], respect_backoff=False)
    ticket = Ticket.objects.get(device=device, condition_code="unreachable")
    assert ticket.summary == "Ne répond pas"  # the site's language (LANGUAGE_CODE fr)
    assert "unreachable" not in ticket.description.replace("(unreachable)", "")
    subjects = {m.to[0]: m.subject for m in mail.outbox}
    assert subjects["en@abc-cars.example"] == f"Automatic ticket {ticket.number}: Not answering"
    assert subjects["fr@abc-cars.example"].endswith(": Ne répond pas")
    assert all("unreachable" not in m.subject and "unreachable" not in m.body for m in mail.outbox)


def test_an_answer_without_a_serial_from_another_maker_is_not_stored(account, simulator):
    # Recorded without a serial as an HP; a Xerox (asleep: no serial) answers at its address.
    hp = factories.device_model("LaserJet Enterprise M607", maker="HP", colour=False)
    device = sim_device(account, simulator, "sim-xerox-asleep", serial="", model=hp)
    fleet_poll_run()
    device.refresh_from_db()
    assert device.system_name == "" and device.printer_location == ""
    assert not device.poll_attempts.get().ok
    assert DeviceEvent.objects.filter(device=device, key="printers.device.answered_by_another").exists()
