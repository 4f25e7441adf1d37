"""``manage.py device_add HOST --account ACCOUNT [...]``: the help desk's onboarding of a
device, polled by a site collector of the account or by the portal; its id on the last line."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from accounts.models import Account
from printers.models import Device
from tests.collectors.printer_side import collector

pytestmark = pytest.mark.django_db


def device_add(*args) -> tuple[Device, list[str]]:
    out = io.StringIO()
    call_command("device_add", *args, stdout=out)
    lines = out.getvalue().strip().splitlines()
    return Device.objects.get(pk=int(lines[-1])), lines


def test_a_device_added_for_a_collector_is_polled_by_it(account, site):
    office = collector(account, "Main office")
    device, lines = device_add(
        "10.1.2.3",
        "--account",
        "ABC London Pursuit",
        "--site",
        "XPS Hosting Site",
        "--port",
        "1161",
        "--community",
        "site-ro",
        "--snmp-version",
        "1",
        "--collector",
        "main OFFICE",
    )
    assert lines[-1] == str(device.pk)
    assert (device.account, device.site, device.collector) == (account, site, office)
    assert (str(device.ip_address), device.dns_name, device.snmp_port) == ("10.1.2.3", "", 1161)
    assert (device.snmp_community, device.snmp_version, device.managed_by_snmp) == ("site-ro", "1", True)
    assert "polled by the site collector 'Main office'" in lines[0]


def test_a_device_added_without_collector_is_polled_centrally_and_may_have_a_dns_name(account):
    device, _ = device_add("Printer-3.Example.org", "--account", str(account.pk))
    assert (device.dns_name, device.ip_address, device.collector) == ("printer-3.example.org", None, None)
    assert (device.snmp_port, device.snmp_community, device.snmp_version) == (161, "public", "2c")
    full, _ = device_add("10.9.9.9", "--account", "ABC Cars / ABC London Pursuit")
    assert full.account == account


@pytest.mark.parametrize(
    "args, error",
    [
        (["10.1.2.3", "--account", "Nobody Inc"], "No account named 'Nobody Inc'."),
        (["10.1.2.3", "--account", "999999"], "No account with id 999999."),
        (["10.1.2.3", "--account", "ABC London Pursuit", "--site", "Mars"], "No site 'Mars' in the account"),
        (["10.1.2.3", "--account", "ABC London Pursuit", "--collector", "Nope"], "No site collector 'Nope'"),
        (
            ["10.1.2.3", "--account", "ABC London Pursuit", "--collector", "Other site"],
            "The site collector 'Other site' belongs to another account than ABC Cars / ABC London Pursuit.",
        ),
        (["10.1.2.3", "--account", "ABC London Pursuit", "--port", "70000"], "Port 70000 is not between"),
        (["10.1.2.3", "--account", "ABC London Pursuit", "--port", "x"], "invalid int value"),
        (["10.1.2.3", "--account", "ABC London Pursuit", "--snmp-version", "3"], "invalid choice"),
        (["not a host!", "--account", "ABC London Pursuit"], "is neither an IP address nor a DNS name"),
        (["10.1.2.300", "--account", "ABC London Pursuit"], "is neither an IP address nor a DNS name"),
    ],
)
def test_bad_arguments_are_refused_clearly(account, site, other_account, args, error):
    collector(other_account, "Other site")
    with pytest.raises(CommandError, match=error.replace("(", r"\(").replace(")", r"\)").replace(".", r"\.")):
        call_command("device_add", *args, stdout=io.StringIO())
    assert not Device.objects.exists()


def test_a_revoked_collector_and_a_duplicate_address_are_refused(account):
    collector(account, "Old box", revoked_at=timezone.now())
    with pytest.raises(CommandError, match="has been revoked"):
        call_command("device_add", "10.1.2.3", "--account", str(account.pk), "--collector", "Old box")
    first, _ = device_add("10.1.2.3", "--account", str(account.pk))
    with pytest.raises(CommandError, match=f"already has a device at 10.1.2.3:161 .* device {first.pk}"):
        call_command("device_add", "10.1.2.3", "--account", str(account.pk), stdout=io.StringIO())
    # Another community at the same address (a simulated fleet) or another account is not a duplicate.
    device_add("10.1.2.3", "--account", str(account.pk), "--community", "sim-2")
    other = Account.objects.create(name="Elsewhere")
    device_add("10.1.2.3", "--account", str(other.pk))
    assert Device.objects.count() == 3


def test_an_ambiguous_account_name_asks_for_the_id(account):
    Account.objects.create(name="ABC London Pursuit")  # the same name under no parent
    with pytest.raises(CommandError, match="Several accounts are named 'ABC London Pursuit': give the id"):
        call_command("device_add", "10.1.2.3", "--account", "ABC London Pursuit")
