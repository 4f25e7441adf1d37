"""Discovery over an address range, and the SNMP SET / raw-print actions, on real agents."""

import socket
import threading

import pytest

from fmp_snmp.simfleet import SPECIAL_DEVICES, SimDevice, recording
from printers.discovery import discovery_run
from printers.models import Device, DeviceEvent, DiscoveryRange
from tests import factories
from tests.fixtures_snmp import free_tcp_port, free_udp_port, sim_device, start_simulator

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def two_printers(tmp_path_factory):
    """Two agents answering "public" on 127.0.0.2 and 127.0.0.3, same port: a small network."""
    port = free_udp_port("127.0.0.2")
    processes = []
    for host, dev in (("127.0.0.2", SPECIAL_DEVICES[0]), ("127.0.0.3", SPECIAL_DEVICES[1])):
        tmp = tmp_path_factory.mktemp(f"net-{host}")
        rec = recording(SimDevice(**{**dev.__dict__, "community": "public"}))
        processes.append(start_simulator(tmp, [f"{host}:{port}"], {"public": rec}))
    yield port
    for p in processes:
        p.terminate()
        p.wait(10)


def test_a_sweep_creates_newly_discovered_devices(account, site, two_printers, settings):
    settings.FMP_DISCOVERY_TIMEOUT = 0.5
    rng = DiscoveryRange.objects.create(
        account=account, site=site, cidr="127.0.0.2/31", snmp_port=two_printers
    )
    run = discovery_run()
    assert run.finished_at and run.devices == 2
    found = {d.serial_number: d for d in Device.objects.filter(account=account)}
    assert set(found) == {"813000305", "JPBF123456"}
    assert all(d.newly_discovered and d.discovered_at and d.site == site for d in found.values())
    assert found["813000305"].model.name == "ColorQube 9203" and found["813000305"].model.is_colour
    rng.refresh_from_db()
    assert rng.last_outcome == {"answered": 2, "new": 2, "moved": 0}
    assert rng.last_result() == "2 imprimante(s) ont répondu, 2 nouvelle(s), 0 déplacée(s)"
    # A second sweep finds the same printers: nothing new.
    discovery_run()
    assert Device.objects.filter(account=account).count() == 2


def test_a_known_printer_that_changed_address_is_matched_by_serial(account, two_printers, settings):
    settings.FMP_DISCOVERY_TIMEOUT = 0.5
    known = factories.device(account, serial="813000305", ip_address="192.0.2.99", snmp_port=two_printers)
    DiscoveryRange.objects.create(account=account, cidr="127.0.0.2/32", snmp_port=two_printers)
    discovery_run()
    known.refresh_from_db()
    assert str(known.ip_address) == "127.0.0.2" and not known.newly_discovered
    assert DeviceEvent.objects.get(device=known, key="printers.device.address_changed").data == {
        "old": "192.0.2.99",
        "new": "127.0.0.2",
    }
    assert Device.objects.filter(account=account).count() == 1


def test_a_printer_of_a_sub_account_swept_by_the_parents_range_is_not_created_again(
    account, two_printers, settings
):
    settings.FMP_DISCOVERY_TIMEOUT = 0.5
    # Recorded in the sub-account (account's parent is ABC Cars), serial typed in lower case
    # with spaces around it.
    known = factories.device(account, serial=" jpbf123456 ", ip_address="127.0.0.3", snmp_port=two_printers)
    DiscoveryRange.objects.create(account=account.parent, cidr="127.0.0.3/32", snmp_port=two_printers)
    discovery_run()
    assert list(Device.objects.filter(serial_number__icontains="jpbf123456")) == [known]
    assert not Device.objects.filter(account=account.parent).exists()
    known.refresh_from_db()
    assert not known.newly_discovered and known.account == account


def test_a_serial_matches_without_case_or_surrounding_spaces(account, two_printers, settings):
    settings.FMP_DISCOVERY_TIMEOUT = 0.5
    known = factories.device(account, serial="jpbf123456  ", ip_address="192.0.2.98", snmp_port=two_printers)
    DiscoveryRange.objects.create(account=account, cidr="127.0.0.3/32", snmp_port=two_printers)
    discovery_run()
    known.refresh_from_db()
    assert str(known.ip_address) == "127.0.0.3"
    assert Device.objects.filter(account=account).count() == 1


def test_discovery_range_refuses_bad_or_huge_networks(account):
    from django.core.exceptions import ValidationError

    for cidr, message in [("10.0.0.300/24", "Enter a network"), ("10.0.0.0/8", "At most")]:
        with pytest.raises(ValidationError) as info:
            DiscoveryRange(account=account, cidr=cidr).full_clean()
        assert message in str(info.value) or "Saisissez" in str(info.value) or "Au plus" in str(info.value)


@pytest.fixture
def sim_printer(account, site, simulator):
    return sim_device(account, simulator, "sim-paper-out", site=site, serial="3634093981", state="warning")


def test_reset_is_sent_over_snmp(manager_client, sim_printer):
    response = manager_client.post(
        "/printers/actions/",
        {"action": "reset", "devices": [sim_printer.pk], "next": "/printers/", "confirmed": "1"},
        follow=True,
    )
    texts = [str(m) for m in response.context["messages"]]
    assert any("réinitialisation envoyée" in t for t in texts), texts
    assert DeviceEvent.objects.filter(device=sim_printer, key="printers.device.reset").exists()


def test_reset_refused_by_a_read_only_agent_says_why(manager_client, account, snmpd_agent):
    device = factories.device(account, serial="RO", ip_address="127.0.0.1", snmp_port=snmpd_agent["port"])
    response = manager_client.post(
        "/printers/actions/", {"action": "reset", "devices": [device.pk], "confirmed": "1"}, follow=True
    )
    texts = [str(m) for m in response.context["messages"]]
    assert any(t.startswith("RO : le périphérique a refusé la réinitialisation") for t in texts), texts
    assert DeviceEvent.objects.filter(device=device, key="printers.device.reset_failed").exists()


def test_update_location_writes_sys_location(manager_client, sim_printer):
    manager_client.post("/printers/location/", {"devices": [sim_printer.pk], "location": "Salle 204"})
    sim_printer.refresh_from_db()
    assert sim_printer.device_location == "Salle 204"
    assert sim_printer.printer_location == "Salle 204"  # what the device now answers


def test_print_test_page_reaches_the_printer_port(manager_client, sim_printer, settings):
    port = free_tcp_port()
    settings.FMP_RAW_PRINT_PORT = port
    received = bytearray()
    server = socket.socket()
    server.bind(("127.0.0.1", port))
    server.listen(1)
    server.settimeout(10)

    def accept():
        conn, _ = server.accept()
        with conn:
            while chunk := conn.recv(65536):
                received.extend(chunk)

    thread = threading.Thread(target=accept)
    thread.start()
    response = manager_client.post(
        "/printers/actions/", {"action": "test_page", "devices": [sim_printer.pk]}, follow=True
    )
    thread.join(10)
    server.close()
    assert any("page de test envoyée" in str(m) for m in response.context["messages"])
    assert b"@PJL" in received and b"3634093981" in received and received.rstrip().endswith(b"\x1b%-12345X")


def test_print_test_page_to_a_closed_port_says_so(manager_client, sim_printer, settings):
    settings.FMP_RAW_PRINT_PORT = free_tcp_port()
    response = manager_client.post(
        "/printers/actions/", {"action": "test_page", "devices": [sim_printer.pk]}, follow=True
    )
    assert any("n’a pas pu être envoyée" in str(m) for m in response.context["messages"])


def test_a_range_that_cannot_be_swept_says_why_in_the_readers_language(account, settings):
    from django.utils import translation

    bad = DiscoveryRange.objects.create(account=account, cidr="10.0.0.0/8")  # saved around the form's check
    odd = DiscoveryRange.objects.create(account=account, cidr="not-a-range")
    discovery_run()
    bad.refresh_from_db()
    odd.refresh_from_db()
    assert bad.last_outcome == {"error": "too_large"} and bad.last_run_at
    assert odd.last_outcome == {"error": "invalid"}
    with translation.override("en"):
        assert bad.last_result() == "Not swept: the range has more than 4096 addresses"
    with translation.override("fr"):
        assert odd.last_result() == "Non balayée : ce n’est pas une plage d’adresses valide"


def test_the_help_desk_reads_the_last_sweep_in_the_admin(client, helpdesk, account):
    rng = DiscoveryRange.objects.create(
        account=account, cidr="10.1.20.0/24", last_outcome={"answered": 3, "new": 1, "moved": 0}
    )
    client.force_login(helpdesk)
    listing = client.get("/admin/printers/discoveryrange/").content.decode()
    assert "3 imprimante(s) ont répondu, 1 nouvelle(s), 0 déplacée(s)" in listing
    form = client.get(f"/admin/printers/discoveryrange/{rng.pk}/change/")
    assert form.status_code == 200 and "3 imprimante(s) ont répondu" in form.content.decode()
    assert 'name="last_outcome"' not in form.content.decode()  # figures written by the sweep only


def test_a_command_to_several_printers_answers_for_each(manager_client, account, sim_printer, snmpd_agent):
    """One reset to three printers at once (sent together): each gets its own outcome."""
    read_only = factories.device(account, serial="RO", ip_address="127.0.0.1", snmp_port=snmpd_agent["port"])
    offline = factories.device(account, serial="NOADDR")
    response = manager_client.post(
        "/printers/actions/",
        {"action": "reset", "devices": [sim_printer.pk, read_only.pk, offline.pk], "confirmed": "1"},
        follow=True,
    )
    texts = [str(m) for m in response.context["messages"]]
    assert any(t.startswith("3634093981 : réinitialisation envoyée") for t in texts), texts
    assert any(t.startswith("RO : le périphérique a refusé la réinitialisation") for t in texts), texts
    assert any(t.startswith("NOADDR : le périphérique n’est pas sur le réseau") for t in texts), texts
    assert DeviceEvent.objects.filter(device=sim_printer, key="printers.device.reset").exists()
    assert DeviceEvent.objects.filter(device=read_only, key="printers.device.reset_failed").exists()
